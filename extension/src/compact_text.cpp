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
        switch (const unsigned char c = static_cast<unsigned char>(*special)) {
        case '\b':
            AppendBytes(out, "\\b", 2);
            break;
        case '\f':
            AppendBytes(out, "\\f", 2);
            break;
        case '\n':
            AppendBytes(out, "\\n", 2);
            break;
        case '\r':
            AppendBytes(out, "\\r", 2);
            break;
        case '\t':
            AppendBytes(out, "\\t", 2);
            break;
        case '"':
            AppendBytes(out, "\\\"", 2);
            break;
        case '\\':
            AppendBytes(out, "\\\\", 2);
            break;
        default: {
            static const char kHex[] = "0123456789abcdef";
            const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
            AppendBytes(out, escape, 6);
            break;
        }
        }
    }
    AppendTextChar(out, '"');
}

void AppendJsonbValue(StringInfo out, const JsonbValue *v) {
    switch (v->type) {
    case jbvArray:
        check_stack_depth();
        AppendTextChar(out, '[');
        for (int i = 0; i < v->val.array.nElems; i++) {
            if (i > 0)
                AppendTextChar(out, ',');
            AppendJsonbValue(out, &v->val.array.elems[i]);
        }
        AppendTextChar(out, ']');
        break;
    case jbvObject:
        check_stack_depth();
        AppendTextChar(out, '{');
        for (int i = 0; i < v->val.object.nPairs; i++) {
            if (i > 0)
                AppendTextChar(out, ',');
            AppendJsonString(out, v->val.object.pairs[i].key.val.string.val,
                             v->val.object.pairs[i].key.val.string.len);
            AppendTextChar(out, ':');
            AppendJsonbValue(out, &v->val.object.pairs[i].value);
        }
        AppendTextChar(out, '}');
        break;
    case jbvBinary:
        AppendJsonbContainer(out, v->val.binary.data);
        break;
    default:
        AppendScalar(out, v);
    }
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
