// vcon_redis._tag_array_text(body text, nested boolean) RETURNS text[]: the tags of one tags
// attachment body (sql/80_search.sql, "Tags"), the expression of the GIN index
// attachments_tags_idx and the filter every tag search evaluates once per probed attachment.
//
// A body is a JSON array of "key:value" strings (the conserver and vcon-mcp) or a JSON object of
// string values, either possibly double-encoded (a JSON string holding that text). The result is
// the sorted (default collation), de-duplicated array of 'key:value' strings:
//   * array: every string element, split at its FIRST colon, an element without one taken as
//     'element:'; numbers, true, false and null are skipped;
//   * object: 'key:value' for every string value whose key has no colon; a repeated key keeps its
//     last value (as jsonb does);
//   * string: when `nested` is false, the tags of the text it holds (nested true), else NULL.
// NULL when there is no tag, and for anything else: not JSON, JSON nested deeper than one level of
// scalars, a string jsonb refuses (\u0000, an unpaired surrogate, a raw control character, a
// non-ASCII \u escape outside UTF8 databases). It never raises: it is an index expression, and a
// malformed body must not make an INSERT fail.
//
// This was PL/pgSQL (a regular expression for the JSON grammar, then a jsonb parse): ~100 µs a
// body, which made probing vCons newest-first (the plan for a common tag) cost a tenth of a
// millisecond per vCon. tests/regress/sql/search.sql compares it with that implementation.
//
// Plain C: every PostgreSQL call here may ereport (palloc, the collation comparison), and no C++
// object lives in these frames.
extern "C" {
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/varlena.h"
}

#include "text/hex.hpp" // (vcon_redis::text: so PostgreSQL's varlena type is ::text below)

namespace vcon_redis {
namespace {

// A cursor over the body's bytes.
struct Scan {
    const char *p;
    const char *end;
};

void SkipSpace(Scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

// Four hex digits after "\u"; -1 if they are not.
int Hex4(Scan *s) {
    if (s->end - s->p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = text::hex_digit_value(s->p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    s->p += 4;
    return v;
}

// A JSON string at s->p (which is '"'), decoded into *out (appended); false if jsonb would refuse it.
bool ParseString(Scan *s, StringInfo out) {
    bool utf8 = GetDatabaseEncoding() == PG_UTF8;
    s->p++;
    while (s->p < s->end) {
        unsigned char c = static_cast<unsigned char>(*s->p);
        if (c == '"') {
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            appendStringInfoChar(out, static_cast<char>(c));
            s->p++;
            continue;
        }
        if (++s->p >= s->end)
            return false;
        char e = *s->p++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            appendStringInfoChar(out, e);
            break;
        case 'b':
            appendStringInfoChar(out, '\b');
            break;
        case 'f':
            appendStringInfoChar(out, '\f');
            break;
        case 'n':
            appendStringInfoChar(out, '\n');
            break;
        case 'r':
            appendStringInfoChar(out, '\r');
            break;
        case 't':
            appendStringInfoChar(out, '\t');
            break;
        case 'u': {
            int cp = Hex4(s);
            if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return false; // not hex, \u0000, or a low surrogate alone
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
                    return false;
                s->p += 2;
                int low = Hex4(s);
                if (low < 0xDC00 || low > 0xDFFF)
                    return false;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (!utf8) {
                if (cp > 0x7F)
                    return false; // jsonb takes only ASCII escapes outside UTF8 databases
                appendStringInfoChar(out, static_cast<char>(cp));
                break;
            }
            unsigned char buf[8];
            unicode_to_utf8(static_cast<pg_wchar>(cp), buf);
            appendBinaryStringInfo(out, reinterpret_cast<const char *>(buf), pg_utf_mblen(buf));
            break;
        }
        default:
            return false;
        }
    }
    return false; // unterminated
}

bool Literal(Scan *s, const char *word) {
    size_t n = strlen(word);
    if (static_cast<size_t>(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

// One or more decimal digits, skipped.
bool SkipDigits(Scan *s) {
    const char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

// A JSON number (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), skipped.
bool SkipNumber(Scan *s) {
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (s->p >= s->end || *s->p < '1' || *s->p > '9' || !SkipDigits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!SkipDigits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!SkipDigits(s))
            return false;
    }
    return true;
}

// A scalar: a string (decoded into *str, *is_string set) or a number/true/false/null (skipped).
bool ParseScalar(Scan *s, StringInfo str, bool *is_string) {
    *is_string = false;
    if (s->p >= s->end)
        return false;
    if (*s->p == '"') {
        *is_string = true;
        return ParseString(s, str);
    }
    return Literal(s, "true") || Literal(s, "false") || Literal(s, "null") || SkipNumber(s);
}

// The tags found so far: 'key:value' strings, unsorted, with repeats.
struct Tags {
    ::text **items;
    int count;
    int cap;
};

void AddTag(Tags *tags, const char *key, int keylen, const char *value, int valuelen) {
    if (tags->count == tags->cap) {
        tags->cap = tags->cap ? tags->cap * 2 : 8;
        tags->items = tags->items
                          ? static_cast<::text **>(repalloc(tags->items, tags->cap * sizeof(::text *)))
                          : static_cast<::text **>(palloc(tags->cap * sizeof(::text *)));
    }
    int len = keylen + 1 + valuelen;
    ::text *t = static_cast<::text *>(palloc(VARHDRSZ + len));
    SET_VARSIZE(t, VARHDRSZ + len);
    memcpy(VARDATA(t), key, keylen);
    VARDATA(t)[keylen] = ':';
    memcpy(VARDATA(t) + keylen + 1, value, valuelen);
    tags->items[tags->count++] = t;
}

// An array element: split at its first colon, or the element with ':' appended.
void AddElement(Tags *tags, StringInfo e) {
    const char *colon = static_cast<const char *>(memchr(e->data, ':', e->len));
    if (colon != nullptr)
        AddTag(tags, e->data, static_cast<int>(colon - e->data), colon + 1,
               e->len - static_cast<int>(colon - e->data) - 1);
    else
        AddTag(tags, e->data, e->len, "", 0);
}

// [ scalar, … ] after SkipSpace at '['.
bool ParseArray(Scan *s, Tags *tags) {
    StringInfoData e;
    initStringInfo(&e);
    s->p++;
    SkipSpace(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return true;
    }
    for (;;) {
        bool is_string;
        resetStringInfo(&e);
        if (!ParseScalar(s, &e, &is_string))
            return false;
        if (is_string)
            AddElement(tags, &e);
        SkipSpace(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            SkipSpace(s);
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return true;
        }
        return false;
    }
}

// { "key": scalar, … } after SkipSpace at '{'. Members are collected first: a repeated key keeps
// its last value, as in jsonb, whether or not that value is a string.
bool ParseObject(Scan *s, Tags *tags) {
    struct Member {
        char *key;
        int keylen;
        char *value; // NULL: not a string
        int valuelen;
    };
    Member *members = nullptr;
    int count = 0, cap = 0;
    StringInfoData k, v;
    initStringInfo(&k);
    initStringInfo(&v);
    s->p++;
    SkipSpace(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        bool is_string;
        resetStringInfo(&k);
        resetStringInfo(&v);
        if (s->p >= s->end || *s->p != '"' || !ParseString(s, &k))
            return false;
        SkipSpace(s);
        if (s->p >= s->end || *s->p != ':')
            return false;
        s->p++;
        SkipSpace(s);
        if (!ParseScalar(s, &v, &is_string))
            return false;
        int i = 0;
        while (i < count && (members[i].keylen != k.len || memcmp(members[i].key, k.data, k.len) != 0))
            i++;
        if (i == count) {
            if (count == cap) {
                cap = cap ? cap * 2 : 8;
                members = members ? static_cast<Member *>(repalloc(members, cap * sizeof(Member)))
                                  : static_cast<Member *>(palloc(cap * sizeof(Member)));
            }
            members[i].key = pnstrdup(k.data, k.len);
            members[i].keylen = k.len;
            count++;
        }
        members[i].value = is_string ? pnstrdup(v.data, v.len) : nullptr;
        members[i].valuelen = is_string ? v.len : 0;
        SkipSpace(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            SkipSpace(s);
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            break;
        }
        return false;
    }
    for (int i = 0; i < count; i++)
        if (members[i].value != nullptr && memchr(members[i].key, ':', members[i].keylen) == nullptr)
            AddTag(tags, members[i].key, members[i].keylen, members[i].value, members[i].valuelen);
    return true;
}

// The whole body: false when it is not one of the shapes above (no tags).
bool ParseBody(const char *data, int len, bool nested, Tags *tags) {
    Scan s{data, data + len};
    SkipSpace(&s);
    if (s.p >= s.end)
        return false;
    bool ok;
    if (*s.p == '[') {
        ok = ParseArray(&s, tags);
    } else if (*s.p == '{') {
        ok = ParseObject(&s, tags);
    } else if (*s.p == '"') {
        if (nested)
            return false; // at most one level of double encoding
        StringInfoData inner;
        initStringInfo(&inner);
        if (!ParseString(&s, &inner))
            return false;
        SkipSpace(&s);
        return s.p == s.end && ParseBody(inner.data, inner.len, true, tags);
    } else {
        return false;
    }
    SkipSpace(&s);
    return ok && s.p == s.end;
}

int CompareTags(const void *a, const void *b) {
    const ::text *x = *static_cast<::text *const *>(a);
    const ::text *y = *static_cast<::text *const *>(b);
    return varstr_cmp(VARDATA_ANY(x), VARSIZE_ANY_EXHDR(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(y),
                      DEFAULT_COLLATION_OID);
}

bool SameTag(const ::text *x, const ::text *y) {
    return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
           memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
}

} // namespace
} // namespace vcon_redis

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_tag_array_text);

Datum vcon_redis_tag_array_text(PG_FUNCTION_ARGS) {
    ::text *body = PG_GETARG_TEXT_PP(0);
    bool nested = PG_GETARG_BOOL(1);
    vcon_redis::Tags tags{nullptr, 0, 0};
    if (!vcon_redis::ParseBody(VARDATA_ANY(body), static_cast<int>(VARSIZE_ANY_EXHDR(body)), nested, &tags) ||
        tags.count == 0)
        PG_RETURN_NULL();
    qsort(tags.items, tags.count, sizeof(::text *), vcon_redis::CompareTags);
    int kept = 0;
    for (int i = 0; i < tags.count; i++)
        if (kept == 0 || !vcon_redis::SameTag(tags.items[kept - 1], tags.items[i]))
            tags.items[kept++] = tags.items[i];
    Datum *elems = static_cast<Datum *>(palloc(kept * sizeof(Datum)));
    for (int i = 0; i < kept; i++)
        elems[i] = PointerGetDatum(tags.items[i]);
    PG_RETURN_ARRAYTYPE_P(construct_array(elems, kept, TEXTOID, -1, false, TYPALIGN_INT));
}
}
