// The compact text of JSON values (compact_text.hpp). Plain C: no C++ object lives in these frames.
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

#include "canonical_json.hpp"
#include "compact_text.hpp"

#include <cstring>

namespace vcon_redis {

namespace {

void AppendBytes(StringInfo out, const char *s, int len) {
    ReserveText(out, len);
    memcpy(out->data + out->len, s, len);
    out->len += len;
}

void AppendNumeric(StringInfo out, Numeric n) {
    const char *digits = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
    AppendBytes(out, digits, static_cast<int>(strlen(digits)));
}

// A scalar (not a container).
void AppendScalar(StringInfo out, const JsonbValue *v) {
    switch (v->type) {
    case jbvNull:
        AppendBytes(out, "null", 4);
        break;
    case jbvBool:
        if (v->val.boolean)
            AppendBytes(out, "true", 4);
        else
            AppendBytes(out, "false", 5);
        break;
    case jbvString:
        AppendJsonString(out, v->val.string.val, v->val.string.len);
        break;
    case jbvNumeric:
        AppendNumeric(out, v->val.numeric);
        break;
    default:
        elog(ERROR, "unexpected jsonb value type %d in a vCon document", static_cast<int>(v->type));
    }
}

// The letter escape_json escapes byte c with (\b \f \n \r \t \" \\), or 0.
char EscapeName(unsigned char c) {
    switch (c) {
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '"':
    case '\\':
        return static_cast<char>(c);
    default:
        return 0;
    }
}

} // namespace

// \b \f \n \r \t \" \\ by name, other bytes below 0x20 as \u00xx, every other byte as it is (runs of
// those copied at once, found 8 bytes at a time).
void AppendJsonString(StringInfo out, const char *s, int len) {
    const char *end = s + len;
    ReserveText(out, len + 2);
    out->data[out->len++] = '"';
    for (const char *p = s;;) {
        const char *special = NextToEscape(p, end);
        AppendBytes(out, p, static_cast<int>(special - p));
        if (special == end)
            break;
        p = special + 1;
        const unsigned char c = static_cast<unsigned char>(*special);
        if (const char name = EscapeName(c)) {
            const char escape[2] = {'\\', name};
            AppendBytes(out, escape, 2);
        } else {
            static const char kHex[] = "0123456789abcdef";
            const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
            AppendBytes(out, escape, 6);
        }
    }
    AppendTextChar(out, '"');
}

void AppendJsonbValue(StringInfo out, const JsonbValue *v) {
    if (v->type == jbvBinary)
        AppendJsonbContainer(out, v->val.binary.data);
    else
        AppendScalar(out, v);
}

// The iterator's tokens in order; a ',' before every key or element that follows a value.
void AppendJsonbContainer(StringInfo out, JsonbContainer *container) {
    JsonbValue v;
    if (JsonContainerIsScalar(container)) {
        JsonbExtractScalar(container, &v);
        AppendScalar(out, &v);
        return;
    }
    JsonbIterator *it = JsonbIteratorInit(container);
    bool comma = false; // a value just ended
    JsonbIteratorToken tok;
    while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
        switch (tok) {
        case WJB_BEGIN_OBJECT:
        case WJB_BEGIN_ARRAY:
            if (comma)
                AppendTextChar(out, ',');
            AppendTextChar(out, tok == WJB_BEGIN_OBJECT ? '{' : '[');
            comma = false;
            break;
        case WJB_END_OBJECT:
        case WJB_END_ARRAY:
            AppendTextChar(out, tok == WJB_END_OBJECT ? '}' : ']');
            comma = true;
            break;
        case WJB_KEY:
            if (comma)
                AppendTextChar(out, ',');
            AppendJsonString(out, v.val.string.val, v.val.string.len);
            AppendTextChar(out, ':');
            comma = false;
            break;
        default: // WJB_VALUE, WJB_ELEM: a scalar (nested containers come as their own tokens)
            if (comma)
                AppendTextChar(out, ',');
            AppendScalar(out, &v);
            comma = true;
            break;
        }
    }
}

} // namespace vcon_redis
