// The one place that spells the Redis keys (docs/internals.md, "Redis keys"; README "Redis keys").
//
// Every key that a script touches together with another one is spelled to hash to the same
// Redis Cluster slot, so that each script touches one slot (redis/slot.hpp):
//   <prefix><uuid>            the document (the spelling vcon-mcp and the conserver read)
//   {<prefix><uuid>}:lease    its fill lease, in the document's slot
//   {<list>}:push:<event>     the push guard of one event on one list, in the list's slot
// A name that carries its own hash tag ("{tenant}vcon:<uuid>", "a{b}c") keeps it and is not
// wrapped again: "{tenant}vcon:<uuid>:lease", "a{b}c:push:<event>".
#pragma once

#include "redis/slot.hpp"

#include <string>
#include <string_view>

namespace vcon_redis::redis {

// A key in the same cluster slot as base: base + suffix when base has a hash tag, else
// "{" + base + "}" + suffix. (A base holding '}' without a hash tag cannot be co-located that
// way; in a cluster its scripts are refused with CROSSSLOT, which dead-letters the event.)
inline std::string same_slot_key(std::string_view base, std::string_view suffix) {
    std::string k;
    k.reserve(base.size() + suffix.size() + 2);
    if (has_hash_tag(base))
        k.append(base);
    else
        k.append("{").append(base).append("}");
    k.append(suffix);
    return k;
}

// <prefix><uuid>: the cached compact JSON document, written into `k` (its buffer reused).
inline void doc_key(std::string &k, std::string_view prefix, std::string_view uuid) {
    k.assign(prefix).append(uuid);
}
inline std::string doc_key(std::string_view prefix, std::string_view uuid) {
    std::string k;
    k.reserve(prefix.size() + uuid.size());
    doc_key(k, prefix, uuid);
    return k;
}

// {<prefix><uuid>}:lease: taken by the server before a miss read; deleted by every worker change.
inline std::string lease_key(std::string_view prefix, std::string_view uuid) {
    return same_slot_key(doc_key(prefix, uuid), ":lease");
}

// The worker's exactly-once guard for pushing one outbox event to one list: {<list>}:push:<event_id>.
// One guard per (event, list), so a push refused by one list is retried on that list alone. The
// key never depends on the document key prefix (changing it cannot make a replayed event push
// again), and it hashes to the list's own cluster slot.
inline std::string push_guard_key(std::string_view list, std::string_view event_id) {
    std::string suffix;
    suffix.reserve(6 + event_id.size());
    suffix.append(":push:").append(event_id);
    return same_slot_key(list, suffix);
}

} // namespace vcon_redis::redis
