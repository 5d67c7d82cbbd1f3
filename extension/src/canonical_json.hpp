// A JSON text already in canonical form: exactly what jsonb's text output prints for its value.
// save_vcon stores a JSON body as that text (`(e -> 'body')::text`), so the worker can copy such a
// body into a document instead of parsing it and printing it again. Plain C-style PostgreSQL code
// (StringInfo, check_stack_depth); include after postgres.h.
#pragma once

extern "C" {
#include "lib/stringinfo.h"
}

namespace vcon_redis {

// Whether one of the 8 bytes of w must be escaped in a JSON string: below 0x20, '"' or '\\' (the
// "has less than" and "has zero byte" word tests: exact for the word as a whole).
inline bool NeedsEscape(uint64 w) {
    constexpr uint64 kOnes = 0x0101010101010101ULL;
    constexpr uint64 kHighs = 0x8080808080808080ULL;
    const uint64 quote = w ^ (kOnes * '"');
    const uint64 backslash = w ^ (kOnes * '\\');
    return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) &
           kHighs;
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
