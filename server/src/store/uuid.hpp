// UUID text as the store expects it: canonical 8-4-4-4-12 hex, lowercase.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vcon_redis::server {

// The lowercase canonical form of `text` if it is a UUID in canonical layout (any hex case);
// std::nullopt otherwise. No braces, no urn: prefix, no surrounding whitespace.
std::optional<std::string> canonical_uuid(std::string_view text);

// True when `text` is already in that form (lowercase): canonical_uuid(text) == text, without allocating.
bool is_canonical_uuid(std::string_view text);

} // namespace vcon_redis::server
