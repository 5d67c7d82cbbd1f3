// AppendCanonicalJson (canonical_json.hpp): one pass over the text that checks each token against the
// form jsonb's output (JsonbToCString, escape_json, numeric_out) gives it. The compact text is the
// input without the space after each ',' and ':', so the input is copied in spans, one up to each
// such separator, into room reserved once for the whole text (it never grows).
// Plain C: no C++ object lives in these frames.
extern "C" {
#include "postgres.h"
}

#include "canonical_json.hpp"

#include <cstring>

namespace vcon_redis {

namespace {

constexpr int kMaxDepth = 1000;
constexpr long kMaxNumberLength = 1000;

struct Scan {
    const char *p;
    const char *end;
    const char *copied; // the input before this is in out (without the spaces dropped)
    StringInfo out;
};

bool Value(Scan *s, int depth);

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

// A lowercase hex digit's value, -1 for anything else (escape_json writes \u%04x).
int LowerHex(char c) {
    if (IsDigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// Whether the escape at s->p (a backslash) is one escape_json writes, advancing past it: \" \\ \b
// \f \n \r \t by name, any other byte below 0x20 except NUL as \u00xx (jsonb refuses \u0000).
bool Escape(Scan *s) {
    if (s->end - s->p < 2)
        return false;
    const char e = s->p[1];
    if (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
        s->p += 2;
        return true;
    }
    if (e != 'u' || s->end - s->p < 6 || s->p[2] != '0' || s->p[3] != '0')
        return false;
    const int hi = LowerHex(s->p[4]);
    const int lo = LowerHex(s->p[5]);
    if (hi < 0 || hi > 1 || lo < 0)
        return false;
    const int code = hi * 16 + lo;
    if (code == 0 || code == '\b' || code == '\f' || code == '\n' || code == '\r' || code == '\t')
        return false;
    s->p += 6;
    return true;
}

// A string as escape_json writes it. *raw_len: its length between the quotes when it holds no escape
// (its bytes are then its value's), -1 otherwise.
bool String(Scan *s, int *raw_len) {
    const char *start = s->p;
    if (s->p >= s->end || *s->p != '"')
        return false;
    s->p++;
    bool escaped = false;
    for (;;) {
        s->p = NextToEscape(s->p, s->end);
        if (s->p >= s->end)
            return false;
        const unsigned char c = static_cast<unsigned char>(*s->p);
        if (c == '"') {
            s->p++;
            *raw_len = escaped ? -1 : static_cast<int>(s->p - start - 2);
            return true;
        }
        if (c < 0x20)
            return false;
        escaped = true; // a backslash
        if (!Escape(s))
            return false;
    }
}

// A number as numeric_out prints it: -?(0|[1-9][0-9]*)(\.[0-9]+)?, no exponent, no negative zero
// (numeric_out prints it without its sign).
bool Number(Scan *s) {
    const char *start = s->p;
    const bool negative = s->p < s->end && *s->p == '-';
    if (negative)
        s->p++;
    if (s->p >= s->end || !IsDigit(*s->p))
        return false;
    bool nonzero = *s->p != '0';
    if (*s->p == '0')
        s->p++;
    else
        while (s->p < s->end && IsDigit(*s->p))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        const char *fraction = ++s->p;
        for (; s->p < s->end && IsDigit(*s->p); s->p++)
            nonzero = nonzero || *s->p != '0';
        if (s->p == fraction)
            return false;
    }
    if ((s->p < s->end && (*s->p == 'e' || *s->p == 'E')) || (negative && !nonzero) ||
        s->p - start > kMaxNumberLength)
        return false;
    return true;
}

bool Literal(Scan *s, const char *word) {
    const int n = static_cast<int>(strlen(word));
    if (s->end - s->p < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

// The input from s->copied up to `upto`, into the room AppendCanonicalJson reserved.
void CopyUpTo(Scan *s, const char *upto) {
    const int n = static_cast<int>(upto - s->copied);
    memcpy(s->out->data + s->out->len, s->copied, n);
    s->out->len += n;
    s->copied = upto;
}

// The two bytes jsonb's output puts after a member or a key (", " or ": "): the first copied with what
// came before it, the space skipped.
bool Separator(Scan *s, char c) {
    if (s->end - s->p < 2 || s->p[0] != c || s->p[1] != ' ')
        return false;
    CopyUpTo(s, s->p + 1);
    s->p += 2;
    s->copied = s->p;
    return true;
}

// Whether `close` is next, passing it.
bool Closes(Scan *s, char close) {
    if (s->p >= s->end || *s->p != close)
        return false;
    s->p++;
    return true;
}

// An object's key and the ": " after it, in jsonb's order after the previous key (*previous, updated).
bool Key(Scan *s, const char **previous, int *previous_len) {
    const char *key = s->p + 1;
    int len = -1;
    if (!String(s, &len) || len < 0)
        return false;
    if (*previous != nullptr && !JsonbKeyBefore(*previous, *previous_len, key, len))
        return false; // out of jsonb's order, or repeated (jsonb keeps the last)
    *previous = key;
    *previous_len = len;
    return Separator(s, ':');
}

// An object (close '}': members "key": value) or an array (close ']'), from its opening bracket.
bool Container(Scan *s, int depth, char close) {
    s->p++;
    if (Closes(s, close))
        return true;
    const char *previous = nullptr;
    int previous_len = 0;
    for (;;) {
        if (close == '}' && !Key(s, &previous, &previous_len))
            return false;
        if (!Value(s, depth + 1))
            return false;
        if (Closes(s, close))
            return true;
        if (!Separator(s, ','))
            return false;
    }
}

bool Value(Scan *s, int depth) {
    if (s->p >= s->end || depth > kMaxDepth)
        return false;
    int len = 0;
    switch (*s->p) {
    case '{':
        return Container(s, depth, '}');
    case '[':
        return Container(s, depth, ']');
    case '"':
        return String(s, &len);
    case 't':
        return Literal(s, "true");
    case 'f':
        return Literal(s, "false");
    case 'n':
        return Literal(s, "null");
    default:
        return Number(s);
    }
}

} // namespace

bool AppendCanonicalJson(StringInfo out, const char *json, int len) {
    enlargeStringInfo(out, len); // the compact text is never longer
    const int mark = out->len;
    Scan s{json, json + len, json, out};
    if (Value(&s, 0) && s.p == s.end) {
        CopyUpTo(&s, s.end);
        out->data[out->len] = '\0';
        return true;
    }
    out->len = mark;
    out->data[mark] = '\0';
    return false;
}

} // namespace vcon_redis
