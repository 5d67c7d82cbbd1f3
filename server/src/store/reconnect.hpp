// Making a Redis connection again and again, off the io thread: the connect-with-backoff loop of
// RedisPipe and InvalidationListener.
//
// A connect runs its blocking work (TCP, TLS, AUTH, Sentinel lookup, the first commands) on the
// connector pool and hands what it made back to the io thread. A failure waits, doubling from 50 ms
// to 2 s, and tries again; a success resets the wait. At most one connect is under way or
// scheduled at a time. `Made` is what a connect produces: a redis::Connection, or the connection
// with what its first commands answered.
//
// Lifetime: a job still on the connector pool when its owner is gone finds the owner's token
// expired and drops what it made (the Connection's destructor closes it). stop() cancels a
// scheduled retry and makes a connect that completes afterwards close its connection.
#pragma once

#include "redis/connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace vcon_redis::server::store {

// The options of a connection made on the connector pool: its commands may take longer than a
// request's (AUTH, SCRIPT LOAD, a Sentinel lookup), never less than a second.
inline redis::Connection::Options connector_options(std::chrono::milliseconds connect_timeout) {
    redis::Connection::Options copts;
    copts.connect_timeout = connect_timeout;
    copts.command_timeout = std::max(connect_timeout, std::chrono::milliseconds(1000));
    return copts;
}

template <class Made> class Reconnect {
public:
    struct Handlers {
        // Called on the io thread when a connect starts; returns the work that makes the connection
        // on the connector pool (it throws on failure, and must not touch the owner's state).
        std::function<std::function<Made()>()> prepare;
        // On the io thread, with what the work made (not called after stop()).
        std::function<void(Made)> connected;
        // On the io thread, with why the work failed; the retry is already scheduled.
        std::function<void(const std::string &why)> failed;
    };

    Reconnect(boost::asio::io_context &ioc, boost::asio::thread_pool &connector, Handlers handlers)
        : ioc_(ioc), connector_(connector), handlers_(std::move(handlers)), retry_(ioc) {}
    Reconnect(const Reconnect &) = delete;
    Reconnect &operator=(const Reconnect &) = delete;

    // Starts a connect now, unless one is under way or scheduled (the owner checks that it has no
    // connection).
    void now() {
        if (stopped_ || busy_)
            return;
        busy_ = true;
        std::weak_ptr<int> alive = alive_;
        boost::asio::post(connector_, [this, alive, work = handlers_.prepare(), ex = ioc_.get_executor()] {
            try {
                Made made = work();
                boost::asio::post(ex, [this, alive, made = std::move(made)]() mutable {
                    if (!alive.expired())
                        on_connected(std::move(made));
                });
            } catch (const std::exception &e) {
                boost::asio::post(ex, [this, alive, why = std::string(e.what())] {
                    if (!alive.expired())
                        on_failed(why);
                });
            }
        });
    }

    // Starts a connect after `delay`, unless one is under way or scheduled.
    void after(std::chrono::milliseconds delay) {
        if (stopped_ || busy_)
            return;
        busy_ = true;
        retry_.expires_after(delay);
        retry_.async_wait([this](boost::system::error_code ec) {
            busy_ = false;
            if (!ec && !stopped_)
                now();
        });
    }

    // No connect starts any more; one under way drops what it makes.
    void stop() {
        stopped_ = true;
        retry_.cancel();
    }

private:
    void on_connected(Made made) {
        busy_ = false;
        if (stopped_)
            return; // `made` closes as it goes
        backoff_ = std::chrono::milliseconds(0);
        handlers_.connected(std::move(made));
    }

    void on_failed(const std::string &why) {
        busy_ = false;
        backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(50), std::chrono::milliseconds(2000));
        after(backoff_);
        handlers_.failed(why);
    }

    boost::asio::io_context &ioc_;
    boost::asio::thread_pool &connector_;
    Handlers handlers_;
    boost::asio::steady_timer retry_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // weak-checked by connector jobs
    std::chrono::milliseconds backoff_{0};
    bool busy_ = false;
    bool stopped_ = false;
};

} // namespace vcon_redis::server::store
