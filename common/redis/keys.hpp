// The one place that spells the Redis keys (docs/internals.md, "Redis keys").
#pragma once

#include <string>
#include <string_view>

namespace vconredis::redis {

// <prefix><uuid>: the cached compact JSON document.
inline std::string doc_key(std::string_view prefix, std::string_view uuid) {
    std::string k;
    k.reserve(prefix.size() + uuid.size());
    k.append(prefix).append(uuid);
    return k;
}

// <prefix><uuid>:lease: taken by the server before a miss read; deleted by every worker change.
inline std::string lease_key(std::string_view prefix, std::string_view uuid) {
    return doc_key(prefix, uuid).append(":lease");
}

// <prefix>push:<event_id>: the worker's exactly-once guard for the RPUSHes of one outbox event.
inline std::string push_guard_key(std::string_view prefix, std::string_view event_id) {
    std::string k;
    k.reserve(prefix.size() + 5 + event_id.size());
    k.append(prefix).append("push:").append(event_id);
    return k;
}

} // namespace vconredis::redis
