// Redis Cluster redirections: "MOVED <slot> <host>:<port>" (the slot lives elsewhere now: update
// the map and send there) and "ASK <slot> <host>:<port>" (the slot is being migrated and this key
// is already on the target: send ASKING then the command there, once, without updating the map).
#pragma once

#include "redis/reply.hpp"
#include "redis/url.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace vcon_redis::redis {

struct Redirect {
    enum class Kind { moved, ask };
    Kind kind;
    int slot;
    HostPort to;
};

// The redirection an error reply carries, or nullopt (not an error, another error, or malformed).
// An empty host (":6380") means the host the command was sent to: asked_host.
std::optional<Redirect> parse_redirect(std::string_view error_text, const std::string &asked_host);
std::optional<Redirect> parse_redirect(const redisReply &reply, const std::string &asked_host);

// An error reply of the kind a cluster gives while its topology changes: MOVED, ASK, TRYAGAIN
// (a multi-key command during a slot migration), CLUSTERDOWN.
bool is_cluster_redirect_or_reshard(const redisReply &reply) noexcept;

} // namespace vcon_redis::redis
