// Percent-escapes (%XY, RFC 3986 §2.1): the one decoder of an escape, shared by the Redis URL parser
// (strict: a bad escape is an error) and the server's query strings (lenient: kept as it is).
#pragma once

#include <cstddef>
#include <string_view>

namespace vcon_redis::text {

// The byte that the escape "%XY" starting at s[i] stands for, or -1 when s[i..i+2] is not one.
inline int percent_escape_byte(std::string_view s, std::size_t i) noexcept {
    auto hex = [](char c) {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    if (i + 2 >= s.size() || s[i] != '%')
        return -1;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

} // namespace vcon_redis::text
