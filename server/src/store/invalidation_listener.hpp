// The invalidation connection of Redis client-side caching (RESP2 redirect mode) for one io thread:
// a connection named vcon-near-<random> that runs CLIENT ID and SUBSCRIBE __redis__:invalidate,
// then reports every invalidation message. The data connection's CLIENT TRACKING ... REDIRECT <id>
// (NearCacheTracking) sends the invalidations of its keys here.
//
// Connects off the io thread (connector pool), like RedisPipe, then reads on the io thread. A PING
// every second must be answered before the next one, so a silent network failure is noticed too.
// Any loss (EOF, I/O error, protocol error, unanswered PING) is reported with `lost` before
// anything else, then the connection is made again with backoff (a new id and name).
#pragma once

#include "app/metrics.hpp"
#include "redis/connection.hpp"
#include "store/asio_connection.hpp"
#include "store/reconnect.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vcon_redis::server::store {

class InvalidationListener {
public:
    struct Events {
        std::function<void(long long id, const std::string &name)> subscribed;
        std::function<void(std::string_view key)> key;
        std::function<void()> flush; // an invalidation with a nil key: everything
        std::function<void()> lost;
    };

    InvalidationListener(boost::asio::io_context &ioc, redis::Url url,
                         std::chrono::milliseconds connect_timeout, boost::asio::thread_pool &connector,
                         Metrics &metrics, Events events);
    InvalidationListener(const InvalidationListener &) = delete;
    InvalidationListener &operator=(const InvalidationListener &) = delete;

    void start();    // call on the io thread or before it runs
    void shutdown(); // call on the io thread

    bool subscribed() const noexcept { return link_.is_open(); }

    // Drops the connection (reported as lost) and makes it again: after a Sentinel failover the
    // data connection may be on a node this one is not (a new lookup finds the new primary).
    void reconnect(const std::string &why);

    static constexpr std::string_view kChannel = "__redis__:invalidate";

private:
    // What a connect makes: the subscribed connection, its CLIENT ID and name.
    struct Subscribed {
        redis::Connection conn;
        long long id = 0;
        std::string name;
    };

    std::function<Subscribed()> connect_work() const;
    void on_connected(Subscribed made);
    void on_connect_failed(const std::string &why);
    void teardown(const std::string &why);
    void drop_connection();
    bool dispatch(const redisReply &r);
    void ping();

    boost::asio::io_context &ioc_;
    redis::Url url_;
    std::chrono::milliseconds connect_timeout_;
    boost::asio::thread_pool &connector_;
    Metrics &metrics_;
    Events events_;
    AsioConnection link_;
    Reconnect<Subscribed> reconnect_;
    bool stopped_ = false;
    bool pong_due_ = false;
    bool failure_logged_ = false;
    boost::asio::steady_timer pinger_;
};

} // namespace vcon_redis::server::store
