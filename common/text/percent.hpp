// Percent-escapes (%XY, RFC 3986 §2.1): the one decoder of an escape, shared by the Redis URL parser
// (strict: a bad escape is an error) and the server's query strings (lenient: kept as it is).
#pragma once

#include "text/hex.hpp"

#include <cstddef>
#include <string_view>

namespace vcon_redis::text {

// The byte that the escape "%XY" starting at s[i] stands for, or -1 when s[i..i+2] is not one.
inline int percent_escape_byte(std::string_view s, std::size_t i) noexcept {
    if (i + 2 >= s.size() || s[i] != '%')
        return -1;
    int hi = hex_digit_value(s[i + 1]), lo = hex_digit_value(s[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

} // namespace vcon_redis::text
