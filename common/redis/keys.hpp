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

// The worker's exactly-once guard for pushing one outbox event to one list: {<list>}:push:<event_id>.
// One guard per (event, list), so a push refused by one list is retried on that list alone. The
// key never depends on the document key prefix (changing it cannot make a replayed event push
// again), and it hashes to the list's own Redis Cluster slot: the hash tag {<list>} hashes like the
// bare list name. A list name that carries its own hash tag ("a{b}c") keeps it: <list>:push:<id>.
inline std::string push_guard_key(std::string_view list, std::string_view event_id) {
    std::size_t open = list.find('{');
    bool has_tag = open != std::string_view::npos && list.find('}', open + 1) != std::string_view::npos &&
                   list.find('}', open + 1) > open + 1;
    std::string k;
    k.reserve(list.size() + 8 + event_id.size());
    if (has_tag)
        k.append(list);
    else
        k.append("{").append(list).append("}");
    k.append(":push:").append(event_id);
    return k;
}

} // namespace vconredis::redis
