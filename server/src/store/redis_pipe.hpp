// One pipelined Redis connection per io thread, driven by Asio on top of the shared
// redis::Connection's non-blocking primitives. Every coroutine of the thread shares it: a command is
// appended to the output buffer at once and the buffer is flushed by one posted write per event
// loop turn, so concurrent requests travel in one send and their replies are matched in FIFO order.
//
// Failure model: any I/O error, protocol error or a reply that misses its deadline (the oldest
// outstanding command is checked, replies are FIFO) drops the connection: every waiting command
// completes with an empty Reply (the caller serves BYPASS) and a background thread reconnects with
// exponential backoff. While down, exec() returns an empty Reply immediately: never a hang.
// A READONLY reply (a Sentinel failover demoted the node) is returned and then drops the
// connection too, so the reconnect asks the sentinels for the new primary.
//
// A Sentinel URL also subscribes (on the connector pool) to the sentinels' +switch-master
// notifications (redis/sentinel_watch.hpp) and reads them on the io thread: a switch of our master
// drops the connection at once and reconnects (Sentinel lookup first at the notifying sentinel,
// ROLE check), so reads never stay on a demoted or partitioned old primary. A lost subscription
// moves on to the next sentinel with backoff; the data connection never waits for it.
//
// One pipe talks to one node; RedisRouter (redis_router.hpp) puts one pipe per cluster primary
// behind the slot map.
#pragma once

#include "app/metrics.hpp"
#include "redis/connection.hpp"
#include "redis/sentinel_watch.hpp"
#include "store/asio_connection.hpp"
#include "store/reconnect.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vcon_redis::server::store {

class RedisPipe {
public:
    struct Options {
        redis::Url url;
        std::chrono::milliseconds command_timeout{100};
        std::chrono::milliseconds connect_timeout{1000};
        // Called on the io thread when a connection is made (true) and when one is lost (false):
        // state kept per connection (client tracking, near_cache_tracking.hpp) follows it.
        std::function<void(bool up)> on_connection;
    };

    // `connector` runs the blocking connect (+ AUTH, SELECT, SCRIPT LOAD) off the io thread.
    RedisPipe(boost::asio::io_context &ioc, Options options, boost::asio::thread_pool &connector,
              Metrics &metrics);
    ~RedisPipe();
    RedisPipe(const RedisPipe &) = delete;
    RedisPipe &operator=(const RedisPipe &) = delete;

    // Starts connecting (call on the io thread or before it runs).
    void start();
    // Fails outstanding commands, closes, stops reconnecting. Call on the io thread.
    void shutdown();

    bool up() const { return up_.load(std::memory_order_relaxed); }

    // Sends one command (its views need to live only during this call) and returns its reply;
    // an empty Reply when Redis is unavailable, the connection failed or the deadline passed.
    // Error replies (e.g. NOSCRIPT) are returned as values. Call on the io thread.
    boost::asio::awaitable<redis::Reply> exec(const redis::Command &cmd);
    // MGET of `keys` as one command: an array reply with one element per key (a string, or nil
    // for an absent key or one that is not a string), or what exec() returns on trouble.
    boost::asio::awaitable<redis::Reply> mget(const std::vector<std::string> &keys);

    // Sends the commands back to back (nothing of another coroutine between them) and returns one
    // reply per command, in order; empty Replies as exec(). E.g. {ASKING, cmd} for an ASK
    // redirection, or a batch of GETs.
    boost::asio::awaitable<std::vector<redis::Reply>> exec_many(const std::vector<redis::Command> &cmds);

private:
    struct Pending {
        std::chrono::steady_clock::time_point deadline;
        boost::asio::any_completion_handler<void(redis::Reply)> handler;
    };

    void begin_connect();
    std::function<redis::Connection()> connect_work() const;
    void on_connected(redis::Connection conn);
    void on_connect_failed(const std::string &why);
    void teardown(const std::string &why);
    void drop_connection();
    void schedule_flush();
    bool on_reply(redis::Reply r);
    void arm_watchdog();
    void on_watchdog();
    void complete_front(redis::Reply reply);
    void reset_connection();
    void begin_watch();
    void on_watch_subscribed();
    void on_watch_failed(const std::string &why);
    void wait_watch_readable();
    void on_watch_readable();
    void drop_watch_descriptor();
    void follow_switch(const redis::MasterSwitch &moved);

    boost::asio::io_context &ioc_;
    Options options_;
    boost::asio::thread_pool &connector_;
    Metrics &metrics_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // weak-checked by the watch's connector jobs

    AsioConnection link_;
    Reconnect<redis::Connection> reconnect_;
    std::deque<Pending> pending_;
    std::atomic<bool> up_{false};
    bool stopped_ = false;
    bool flush_posted_ = false;
    bool watchdog_armed_ = false;
    bool failure_logged_ = false;
    boost::asio::steady_timer watchdog_;

    // Sentinel notifications. The connector pool has watch_ only while watch_subscribing_.
    std::shared_ptr<redis::SentinelWatch> watch_;
    std::optional<boost::asio::posix::stream_descriptor> watch_sd_; // wraps watch_'s fd, never owns it
    std::optional<redis::HostPort> watched_;                        // the sentinel subscribed to
    bool watch_subscribing_ = false;
    bool watch_failure_logged_ = false;
    unsigned watch_generation_ = 0;
    boost::asio::steady_timer watch_retry_;
};

} // namespace vcon_redis::server::store
