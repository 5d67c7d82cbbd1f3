// uuid_out's text of a uuid (lower-case hex, 8-4-4-4-12) written from its 16 bytes: uuid_out builds a
// StringInfo a character at a time, and the worker writes two uuids per event (the key, the event id)
// and one per document. Include after postgres.h.
#pragma once

extern "C" {
#include "utils/uuid.h"
}

namespace vcon_redis {

constexpr int kUuidTextLen = 36;

inline void UuidText(const pg_uuid_t *uuid, char *text) {
    static const char kHex[] = "0123456789abcdef";
    for (int i = 0; i < UUID_LEN; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *text++ = '-';
        *text++ = kHex[uuid->data[i] >> 4];
        *text++ = kHex[uuid->data[i] & 0xf];
    }
}

} // namespace vcon_redis
