#include "redis/slot_map.hpp"

#include "redis/error.hpp"
#include "redis/slot.hpp"

#include <algorithm>

namespace vcon_redis::redis {
namespace {

[[noreturn]] void malformed(const std::string &what) {
    throw Error(Error::Kind::reply, "redis: malformed CLUSTER SLOTS reply: " + what);
}

long long integer_of(const redisReply &r, const char *what) {
    if (r.type != REDIS_REPLY_INTEGER)
        malformed(std::string(what) + " is not an integer");
    return r.integer;
}

} // namespace

bool operator==(const HostPort &a, const HostPort &b) noexcept {
    return a.port == b.port && a.host == b.host;
}

SlotMap SlotMap::parse(const redisReply &reply, const std::string &asked_host) {
    if (is_error(reply))
        throw Error(Error::Kind::reply, "redis: CLUSTER SLOTS failed: " + std::string(text(reply)));
    if (reply.type != REDIS_REPLY_ARRAY)
        malformed("not an array");
    SlotMap map;
    map.owner_.assign(slot_count, -1);
    for (std::size_t i = 0; i < reply.elements; ++i) {
        const redisReply &range = *reply.element[i];
        if (range.type != REDIS_REPLY_ARRAY || range.elements < 3)
            malformed("a slot range has fewer than 3 elements");
        long long start = integer_of(*range.element[0], "a range start");
        long long end = integer_of(*range.element[1], "a range end");
        if (start < 0 || end >= slot_count || start > end)
            malformed("slot range " + std::to_string(start) + "-" + std::to_string(end));
        const redisReply &primary = *range.element[2];
        if (primary.type != REDIS_REPLY_ARRAY || primary.elements < 2 ||
            primary.element[0]->type != REDIS_REPLY_STRING)
            malformed("a primary is not [host, port, …]");
        long long port = integer_of(*primary.element[1], "a port");
        if (port <= 0 || port > 65535)
            malformed("port " + std::to_string(port));
        std::string host(text(*primary.element[0]));
        if (host.empty() || host == "?")
            host = asked_host;
        int index = map.index_of(HostPort{std::move(host), static_cast<int>(port)});
        std::fill(map.owner_.begin() + start, map.owner_.begin() + end + 1, static_cast<std::int16_t>(index));
    }
    return map;
}

int SlotMap::index_of(const HostPort &node) {
    auto it = std::find(nodes_.begin(), nodes_.end(), node);
    if (it != nodes_.end())
        return static_cast<int>(it - nodes_.begin());
    nodes_.push_back(node);
    return static_cast<int>(nodes_.size() - 1);
}

std::optional<HostPort> SlotMap::node_for(int slot) const {
    if (slot < 0 || slot >= static_cast<int>(owner_.size()) || owner_[slot] < 0)
        return std::nullopt;
    return nodes_[owner_[slot]];
}

std::vector<HostPort> SlotMap::candidates(const std::vector<HostPort> &seeds) const {
    std::vector<HostPort> out = nodes_;
    for (const HostPort &seed : seeds)
        if (std::find(out.begin(), out.end(), seed) == out.end())
            out.push_back(seed);
    return out;
}

int SlotMap::uncovered() const noexcept {
    if (owner_.empty())
        return slot_count;
    return static_cast<int>(std::count(owner_.begin(), owner_.end(), -1));
}

void SlotMap::assign(int slot, const HostPort &node) {
    if (slot < 0 || slot >= slot_count)
        return;
    if (owner_.empty())
        owner_.assign(slot_count, -1);
    owner_[slot] = static_cast<std::int16_t>(index_of(node));
}

SlotMap read_slot_map(Connection &conn, const std::string &asked_host) {
    Reply r = conn.command({"CLUSTER", "SLOTS"});
    SlotMap map = SlotMap::parse(*r, asked_host);
    if (map.nodes().empty())
        throw Error(Error::Kind::reply, "redis: " + conn.address() + " names no primary in CLUSTER SLOTS");
    return map;
}

} // namespace vcon_redis::redis
