// The worker's Redis client (one connection, or one per cluster primary): built from the current
// GUCs, every connection counted against PostgreSQL's file descriptor budget (AcquireExternalFD),
// closed and rebuilt after any failure.
//
// A Sentinel URL also gets a subscription to the sentinels' +switch-master notifications
// (redis/sentinel_watch.hpp), kept across reconnects of the primary and counted against the same
// budget: FollowSwitches() closes the primary connection when our master moves, so the next batch
// reconnects to the new primary instead of writing to a demoted (or partitioned) old one. A watch
// that is not subscribed is rebuilt at every connect, from the settings of that connect.
#pragma once

#include "redis/client.hpp"
#include "redis/sentinel_watch.hpp"

#include <memory>
#include <optional>
#include <string>

namespace vcon_redis {

class RedisLink {
public:
    RedisLink() = default;
    ~RedisLink();
    RedisLink(const RedisLink &) = delete;
    RedisLink &operator=(const RedisLink &) = delete;

    bool Connected() const noexcept;
    // Connects with the current vcon_redis.redis_url and timeouts; throws on failure (closed then).
    // A Sentinel URL also sets up the notification watch (subscribed by FollowSwitches).
    void Connect();
    // Closes the primary connection(s); the Sentinel subscription stays.
    void Close() noexcept;
    // Closes everything, the Sentinel subscription included (the Redis settings changed).
    void Reset() noexcept;
    vcon_redis::redis::Client &Client();

    // Sentinel notifications, never holding up the data path: subscribes when due (abandoned with
    // WorkArrived when a commit has waited 100 ms for it), reads what has arrived, and when our master
    // moved closes the primary connection and returns the switch. A failed or lost subscription
    // throws (redis::Error, or what the waiter throws) and is retried later at the next sentinel.
    std::optional<vcon_redis::redis::MasterSwitch> FollowSwitches();
    // The subscription's socket to wait on, or -1.
    int WatchFd() const noexcept;
    // When the next subscription attempt is due, if one is waiting.
    std::optional<vcon_redis::redis::Clock::time_point> WatchRetryAt() const noexcept;
    // The sentinel subscribed to, host:port.
    std::string WatchedSentinel() const;

private:
    void StartWatch(const vcon_redis::redis::Url &url, const vcon_redis::redis::Connection::Options &options);
    void StopWatch() noexcept;

    std::unique_ptr<vcon_redis::redis::Client> client_;
    std::unique_ptr<vcon_redis::redis::SentinelWatch> watch_;
};

} // namespace vcon_redis
