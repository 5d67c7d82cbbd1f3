// Sentinel notifications: a connection to one sentinel subscribed (RESP2 SUBSCRIBE) to
// +switch-master, which every sentinel publishes when it moves a master to a new address
// ("<master> <old-ip> <old-port> <new-ip> <new-port>"). The worker and the server drop their
// primary connection when a switch of their master arrives, so they reconnect (Sentinel lookup,
// ROLE check) at once instead of noticing the failover at the next error — or never, while a
// demoted or partitioned old primary still answers reads.
//
// SentinelWatch keeps the subscription: it subscribes to one sentinel at a time (same credentials
// and TLS as the Sentinel lookup: Url::sentinel), reads it without ever waiting, and after a
// failure or a lost connection tries the next sentinel after a backoff (100 ms doubling to 5 s,
// reset by a subscription that works). subscribe() is the only call that waits (connect +
// SUBSCRIBE, within connect_timeout, through the Waiter); poll() reads only what has arrived.
//
// Not thread-safe; an owner may hand it between threads with its own synchronisation (the server
// subscribes on its connector pool and polls on the io thread).
#pragma once

#include "redis/connection.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vcon_redis::redis {

// The channel of completed failovers.
inline constexpr std::string_view switch_master_channel = "+switch-master";

// One +switch-master message.
struct MasterSwitch {
    std::string master;
    HostPort from; // the old primary
    HostPort to;   // the new primary
};

// The payload "<master> <old-ip> <old-port> <new-ip> <new-port>" (single spaces, as sentinels send
// it), or nullopt when it is not one: another number of fields, a port that is not 1..65535.
std::optional<MasterSwitch> parse_master_switch(std::string_view payload);

// A pub/sub message ["message", "+switch-master", payload] that switches `master`, or nullopt for
// anything else (subscribe confirmations, other channels, other masters, malformed payloads).
std::optional<MasterSwitch> master_switch_for(const redisReply &message, std::string_view master);

// url with `at` first among its sentinels (the others in their order): the primary is then looked
// up first at the sentinel whose notifications are followed. url unchanged when `at` is not one.
Url with_sentinel_first(Url url, const HostPort &at);

class SentinelWatch {
public:
    static constexpr std::chrono::milliseconds min_backoff{100};
    static constexpr std::chrono::milliseconds max_backoff{5000};

    // url must be a Sentinel URL (std::invalid_argument otherwise).
    SentinelWatch(Url url, Connection::Options options, Waiter waiter = poll_waiter());

    // True when not subscribed and the backoff since the last failure has passed.
    bool due(Clock::time_point now = Clock::now()) const noexcept;
    // When the next subscribe() is due (meaningful while not subscribed).
    Clock::time_point retry_at() const noexcept { return retry_at_; }

    // Connects to the next sentinel in turn and subscribes to +switch-master. On failure the
    // connection is closed, the next sentinel and a longer backoff are chosen and the Error thrown.
    void subscribe();
    bool subscribed() const noexcept;
    int fd() const noexcept; // -1 when not subscribed
    // The sentinel subscribed to (or to be tried next).
    const HostPort &sentinel() const noexcept;
    void close() noexcept;

    // Reads what has arrived, without waiting; the last switch of our master among the messages,
    // if any. A lost connection closes, schedules the next sentinel and throws Error.
    std::optional<MasterSwitch> poll();

private:
    void failed(bool was_subscribed) noexcept;

    Url url_;
    Connection::Options options_;
    Waiter waiter_;
    std::optional<Connection> conn_; // to sentinels[next_]
    std::size_t next_ = 0;
    std::chrono::milliseconds backoff_{0};
    Clock::time_point retry_at_{};
    bool subscribed_ = false;
};

} // namespace vcon_redis::redis
