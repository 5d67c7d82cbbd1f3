// The compact text of JSON values, as Redis holds a document: jsonb's text output (JsonbToCString,
// escape_json, numeric_out) without the space it puts after ',' and ':' — exactly
// common/json/compact.hpp's compact_json of the jsonb's text. Written into a StringInfo that the
// caller sized for the document, so most appends are a bounds check and a copy. Plain C-style
// PostgreSQL code; include after postgres.h.
#pragma once

extern "C" {
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
}

namespace vcon_redis {

// Room for n more bytes in out, past which enlargeStringInfo keeps its terminating NUL's byte. The
// appends below write into that room directly and leave data[len] unset (a text datum needs no NUL).
inline void ReserveText(StringInfo out, int n) {
    if (n >= out->maxlen - out->len)
        enlargeStringInfo(out, n);
}

inline void AppendTextChar(StringInfo out, char c) {
    ReserveText(out, 1);
    out->data[out->len++] = c;
}

// A string as escape_json writes it, quoted.
void AppendJsonString(StringInfo out, const char *s, int len);

// A scalar or a jsonb container (jbvBinary).
void AppendJsonbValue(StringInfo out, const JsonbValue *v);

// A jsonb container (a raw scalar too), read with its iterator.
void AppendJsonbContainer(StringInfo out, JsonbContainer *container);

} // namespace vcon_redis
