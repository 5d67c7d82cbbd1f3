// Which primary serves which cluster slot, as read from CLUSTER SLOTS, and updated slot by slot
// from MOVED redirections until the next full read.
#pragma once

#include "redis/connection.hpp"
#include "redis/reply.hpp"
#include "redis/url.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vcon_redis::redis {

class SlotMap {
public:
    // Parses a CLUSTER SLOTS reply ([[start, end, [host, port, id…], replica…]…]). A node named
    // with an empty host (or "?": Redis does not know its address) gets asked_host, the host the
    // command was sent to. Throws Error{reply} on an error reply or a malformed one.
    static SlotMap parse(const redisReply &reply, const std::string &asked_host);

    // The primary of slot, or nullopt when no node serves it.
    std::optional<HostPort> node_for(int slot) const;
    // Every primary named, in order of first appearance.
    const std::vector<HostPort> &nodes() const noexcept { return nodes_; }
    // Where to ask for a fresh map: these primaries, then the seeds not among them.
    std::vector<HostPort> candidates(const std::vector<HostPort> &seeds) const;
    // Slots with no primary.
    int uncovered() const noexcept;

    // Records that slot now lives on node (a MOVED redirection).
    void assign(int slot, const HostPort &node);

private:
    int index_of(const HostPort &node);

    std::vector<HostPort> nodes_;
    std::vector<std::int16_t> owner_; // per slot: index into nodes_, -1 when none
};

// Asks conn for the slot map (CLUSTER SLOTS). Throws Error (a transport error, an error reply,
// a malformed reply, or a cluster that names no primary at all).
SlotMap read_slot_map(Connection &conn, const std::string &asked_host);

bool operator==(const HostPort &a, const HostPort &b) noexcept;

} // namespace vcon_redis::redis
