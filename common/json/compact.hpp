// Compact JSON text: the cached value is jsonb::text without the whitespace PostgreSQL puts after
// ',' and ':'. Worker and server both use this, so their values for the same state are identical.
#pragma once

#include <string>
#include <string_view>

namespace vcon_redis::json {

// Removes whitespace (space, tab, CR, LF) outside string literals; strings are copied verbatim,
// escapes included. Not a validator: malformed input is compacted as far as it goes.
std::string compact_json(std::string_view text);

// Same, appended to out (lets a caller reuse one buffer across documents).
void compact_json_append(std::string_view text, std::string &out);

} // namespace vcon_redis::json
