// Text handed to PostgreSQL as a query parameter by REST and MCP alike: valid UTF-8 (the database
// would reject it with an error), no NUL (libpq would silently cut the value there) and bounded (a
// search string, not a document: a 1 MiB full-text query costs seconds on a pool connection).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vcon_redis::server {

inline constexpr std::size_t kMaxTextParamBytes = 1024;

// Empty when `text` is acceptable; else what is wrong, worded to follow the parameter's name
// ("is not valid UTF-8", "contains a NUL character", "is 5000 bytes long (at most 1024)").
std::string text_param_problem(std::string_view text, std::size_t max_bytes = kMaxTextParamBytes);

bool valid_utf8(std::string_view text);

} // namespace vcon_redis::server
