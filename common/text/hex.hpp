// Hexadecimal digits: the one reading of a hex digit, for percent-escapes (text/percent.hpp) and
// JSON \u escapes (the extension's tag parser).
#pragma once

namespace vcon_redis::text {

// The value of the hex digit c (0-9, a-f, A-F), or -1 when c is not one.
inline int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace vcon_redis::text
