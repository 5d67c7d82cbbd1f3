#include "json/compact.hpp"

namespace vcon_redis::json {

// Writes into a buffer sized for the worst case (no whitespace removed) and trims at the end:
// one pass, one allocation, no per-character push_back. Inside strings the scan only stops at
// '"' and '\\'.
void compact_json_append(std::string_view text, std::string &out) {
    const std::size_t base = out.size();
    out.resize(base + text.size());
    char *w = out.data() + base;
    const char *p = text.data();
    const char *const end = p + text.size();

    while (p < end) {
        char c = *p++;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        *w++ = c;
        if (c != '"')
            continue;
        // String literal: copy through the closing quote, an escape's next char is never a quote.
        for (;;) {
            while (p < end && *p != '"' && *p != '\\')
                *w++ = *p++;
            if (p >= end)
                break; // unterminated string: copied as is
            char s = *p++;
            *w++ = s;
            if (s == '"')
                break;
            if (p < end)
                *w++ = *p++; // escaped char (\" \\ \n \u...)
        }
    }
    out.resize(static_cast<std::size_t>(w - out.data()));
}

std::string compact_json(std::string_view text) {
    std::string out;
    compact_json_append(text, out);
    return out;
}

} // namespace vcon_redis::json
