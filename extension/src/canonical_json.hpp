// A JSON text already in canonical form: exactly what jsonb's text output prints for its value.
// save_vcon stores a JSON body as that text (`(e -> 'body')::text`), so the worker can copy such a
// body into a document instead of parsing it and printing it again. Plain C-style PostgreSQL code
// (StringInfo, check_stack_depth); include after postgres.h.
#pragma once

extern "C" {
#include "lib/stringinfo.h"
#include "port/pg_bitutils.h"
}

#include <cstring>

namespace vcon_redis {

// The bytes of w that must be escaped in a JSON string ('"', '\\', below 0x20), each marked by its high
// bit. Exact per byte: every lane's sum stays below 0x100, so no carry reaches the next byte.
inline uint64 EscapeMask(uint64 w) {
    constexpr uint64 kOnes = 0x0101010101010101ULL;
    constexpr uint64 kLow7 = 0x7f7f7f7f7f7f7f7fULL;
    const uint64 low = w & kLow7;
    const uint64 not_quote = (low ^ (kOnes * '"')) + kLow7;      // high bit set unless the byte is '"'
    const uint64 not_backslash = (low ^ (kOnes * '\\')) + kLow7; // … unless it is '\\'
    const uint64 not_control = low + kOnes * (0x80 - 0x20);      // … unless it is below 0x20
    return ~(not_quote & not_backslash & not_control) & ~w & (kOnes * 0x80);
}

// The first byte from p (before end) that must be escaped in a JSON string, or end: 8 bytes at a time.
inline const char *NextToEscape(const char *p, const char *end) {
    for (; end - p >= 8; p += 8) {
        uint64 word;
        memcpy(&word, p, 8);
        const uint64 mask = EscapeMask(word);
        if (mask != 0) {
#ifdef WORDS_BIGENDIAN
            return p + ((63 - pg_leftmost_one_pos64(mask)) >> 3);
#else
            return p + (pg_rightmost_one_pos64(mask) >> 3);
#endif
        }
    }
    for (; p < end; p++) {
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c < 0x20 || c == '"' || c == '\\')
            return p;
    }
    return end;
}

// Whether key a (alen bytes) comes before key b in jsonb's order of object keys: shorter first, then
// bytewise.
inline bool JsonbKeyBefore(const char *a, int alen, const char *b, int blen) {
    if (alen != blen)
        return alen < blen;
    return memcmp(a, b, alen) < 0;
}

// When json (len bytes) is exactly what jsonb's text output prints for the value it holds (members
// separated by ", ", keys followed by ": ", keys sorted as jsonb sorts them and unique, strings
// escaped as escape_json escapes them, numbers as numeric_out prints them, no other whitespace),
// appends that value's compact text (the same without the space after ',' and ':') to out and
// returns true. Otherwise returns false with out unchanged: the caller parses the text, which also
// reports what makes a malformed text invalid. Conservative: a key with an escape, a number of more
// than 1000 characters or nesting deeper than 1000 levels is treated as not canonical.
bool AppendCanonicalJson(StringInfo out, const char *json, int len);

} // namespace vcon_redis
