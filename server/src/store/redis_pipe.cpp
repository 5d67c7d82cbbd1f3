#include "store/redis_pipe.hpp"

#include "app/log.hpp"
#include "redis/scripts.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <mutex>
#include <string>

namespace asio = boost::asio;

namespace vcon_redis::server::store {
namespace {

// Every io thread's pipe follows a switch; the log says so once per switch.
bool first_to_follow(const redis::MasterSwitch &moved) {
    static std::mutex mutex;
    static std::string last;
    std::string key = moved.master + ' ' + redis::format_endpoint(moved.from.host, moved.from.port) + ' ' +
                      redis::format_endpoint(moved.to.host, moved.to.port);
    std::lock_guard lock(mutex);
    if (key == last)
        return false;
    last = std::move(key);
    return true;
}

} // namespace

RedisPipe::RedisPipe(asio::io_context &ioc, Options options, asio::thread_pool &connector, Metrics &metrics)
    : ioc_(ioc), options_(std::move(options)), connector_(connector), metrics_(metrics), link_(ioc),
      reconnect_(ioc, connector,
                 {[this] { return connect_work(); },
                  [this](redis::Connection conn) { on_connected(std::move(conn)); },
                  [this](const std::string &why) { on_connect_failed(why); }}),
      watchdog_(ioc), watch_retry_(ioc) {}

RedisPipe::~RedisPipe() {
    drop_watch_descriptor();
}

void RedisPipe::start() {
    begin_connect();
    if (options_.url.kind == redis::Url::Kind::Sentinel && !watch_) {
        watch_ =
            std::make_shared<redis::SentinelWatch>(options_.url, connector_options(options_.connect_timeout));
        begin_watch();
    }
}

void RedisPipe::drop_connection() {
    up_.store(false, std::memory_order_relaxed);
    link_.close();
}

void RedisPipe::shutdown() {
    if (stopped_)
        return;
    stopped_ = true;
    reconnect_.stop();
    watchdog_.cancel();
    watch_retry_.cancel();
    ++watch_generation_;
    drop_watch_descriptor();
    if (watch_ && !watch_subscribing_)
        watch_->close();
    drop_connection();
    auto failed = std::move(pending_);
    pending_.clear();
    for (auto &p : failed)
        asio::post(ioc_, [h = std::move(p.handler)]() mutable { std::move(h)(redis::Reply{}); });
}

asio::awaitable<redis::Reply> RedisPipe::exec(const redis::Command &cmd) {
    redis::Reply reply;
    if (link_.is_open() && !stopped_)
        reply = co_await asio::async_initiate<decltype(asio::use_awaitable), void(redis::Reply)>(
            [this, &cmd](auto handler) {
                if (!link_.is_open()) {
                    asio::post(ioc_, [h = std::move(handler)]() mutable { std::move(h)(redis::Reply{}); });
                    return;
                }
                link_.connection().append(
                    cmd); // only encodes into the output buffer; cannot fail on an open connection
                pending_.push_back(
                    Pending{std::chrono::steady_clock::now() + options_.command_timeout, std::move(handler)});
                schedule_flush();
                arm_watchdog();
            },
            asio::use_awaitable);
    co_return reply;
}

asio::awaitable<std::vector<redis::Reply>> RedisPipe::exec_many(const std::vector<redis::Command> &cmds) {
    std::vector<redis::Reply> replies(cmds.size());
    if (link_.is_open() && !stopped_ && !cmds.empty())
        replies =
            co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::vector<redis::Reply>)>(
                [this, &cmds](auto handler) {
                    struct Batch {
                        std::vector<redis::Reply> replies;
                        std::size_t left;
                        decltype(handler) done;
                    };
                    auto batch = std::make_shared<Batch>(
                        Batch{std::vector<redis::Reply>(cmds.size()), cmds.size(), std::move(handler)});
                    if (!link_.is_open()) {
                        asio::post(ioc_,
                                   [batch]() mutable { std::move(batch->done)(std::move(batch->replies)); });
                        return;
                    }
                    const auto deadline = std::chrono::steady_clock::now() + options_.command_timeout;
                    for (std::size_t i = 0; i < cmds.size(); ++i) {
                        link_.connection().append(cmds[i]);
                        pending_.push_back(Pending{deadline, [batch, i](redis::Reply r) {
                                                       batch->replies[i] = std::move(r);
                                                       if (--batch->left == 0)
                                                           std::move(batch->done)(std::move(batch->replies));
                                                   }});
                    }
                    schedule_flush();
                    arm_watchdog();
                },
                asio::use_awaitable);
    co_return replies;
}

asio::awaitable<redis::Reply> RedisPipe::mget(const std::vector<std::string> &keys) {
    redis::Command cmd;
    cmd.reserve(keys.size() + 1);
    cmd.emplace_back("MGET");
    for (const auto &k : keys)
        cmd.emplace_back(k);
    co_return co_await exec(cmd);
}

void RedisPipe::schedule_flush() {
    if (flush_posted_ || link_.writing())
        return;
    flush_posted_ = true;
    asio::post(ioc_, [this, gen = link_.generation()] {
        if (gen != link_.generation())
            return;
        flush_posted_ = false;
        link_.flush([this](const std::string &why) { teardown(why); });
    });
}

void RedisPipe::complete_front(redis::Reply reply) {
    auto handler = std::move(pending_.front().handler);
    pending_.pop_front();
    std::move(handler)(std::move(reply)); // resumes the waiting coroutine inline
}

// One reply: the oldest waiting command's (replies are FIFO). false once the connection is gone.
bool RedisPipe::on_reply(redis::Reply r) {
    if (pending_.empty()) {
        teardown("redis: reply without a command");
        return false;
    }
    const bool demoted = redis::is_error(*r) && redis::text(*r).starts_with("READONLY");
    const auto gen = link_.generation();
    complete_front(std::move(r));
    if (gen != link_.generation() || !link_.is_open())
        return false; // torn down by a resumed coroutine
    if (demoted) {
        teardown("redis: " + options_.url.endpoint() + " answered READONLY (a replica now: failover?)");
        return false;
    }
    return true;
}

void RedisPipe::arm_watchdog() {
    if (watchdog_armed_ || pending_.empty() || stopped_)
        return;
    watchdog_armed_ = true;
    watchdog_.expires_at(pending_.front().deadline);
    watchdog_.async_wait([this](boost::system::error_code ec) {
        watchdog_armed_ = false;
        if (stopped_)
            return;
        if (ec) {
            arm_watchdog();
            return;
        }
        on_watchdog();
    });
}

void RedisPipe::on_watchdog() {
    if (pending_.empty())
        return;
    if (std::chrono::steady_clock::now() >= pending_.front().deadline) {
        teardown("redis: no reply within " + std::to_string(options_.command_timeout.count()) + " ms");
        return;
    }
    arm_watchdog();
}

// Drops the connection; every waiting command completes with an empty Reply (BYPASS), and what
// follows the connection (on_connection: the near cache's tracking) hears that it is gone.
void RedisPipe::reset_connection() {
    drop_connection();
    flush_posted_ = false;
    auto failed = std::move(pending_);
    pending_.clear();
    for (auto &p : failed)
        asio::post(ioc_, [h = std::move(p.handler)]() mutable { std::move(h)(redis::Reply{}); });
    if (options_.on_connection)
        options_.on_connection(false);
}

void RedisPipe::teardown(const std::string &why) {
    reset_connection();
    metrics_.backend_error(Backend::Redis);
    log::warn(why + "; serving BYPASS and reconnecting");
    failure_logged_ = true;
    reconnect_.after(std::chrono::milliseconds(50));
}

void RedisPipe::begin_connect() {
    if (!link_.is_open())
        reconnect_.now();
}

// The connector pool's part of a connect: what it needs is copied now, on the io thread.
std::function<redis::Connection()> RedisPipe::connect_work() const {
    // After a switch, the notifying sentinel already knows the new primary: ask it first.
    redis::Url url = watched_ ? redis::with_sentinel_first(options_.url, *watched_) : options_.url;
    return [url = std::move(url), copts = connector_options(options_.connect_timeout)] {
        redis::Connection c(url, copts);
        c.connect();
        redis::load_scripts(c); // EVALSHA then rarely needs its NOSCRIPT fallback
        return c;
    };
}

void RedisPipe::on_connected(redis::Connection conn) {
    link_.open(std::move(conn));
    up_.store(true, std::memory_order_relaxed);
    log::info("redis: connected to " + options_.url.endpoint());
    failure_logged_ = false;
    link_.read_replies([this](redis::Reply r) { return on_reply(std::move(r)); },
                       [this](const std::string &why) { teardown(why); });
    if (options_.on_connection)
        options_.on_connection(true);
}

void RedisPipe::on_connect_failed(const std::string &why) {
    metrics_.backend_error(Backend::Redis);
    if (!failure_logged_) {
        log::warn(why + "; serving BYPASS and retrying in the background");
        failure_logged_ = true;
    }
}

// Subscribes on the connector pool once the watch's backoff has passed.
void RedisPipe::begin_watch() {
    if (stopped_ || !watch_ || watch_subscribing_ || watch_sd_)
        return;
    if (!watch_->due()) {
        watch_retry_.expires_at(watch_->retry_at());
        watch_retry_.async_wait([this, gen = watch_generation_](boost::system::error_code ec) {
            if (!ec && gen == watch_generation_)
                begin_watch();
        });
        return;
    }
    watch_subscribing_ = true;
    std::weak_ptr<int> alive = alive_;
    asio::post(connector_, [this, alive, watch = watch_, ex = ioc_.get_executor()] {
        std::string failure;
        try {
            watch->subscribe();
        } catch (const std::exception &e) {
            failure = e.what();
        }
        asio::post(ex, [this, alive, failure = std::move(failure)] {
            if (alive.expired())
                return;
            if (failure.empty())
                on_watch_subscribed();
            else
                on_watch_failed(failure);
        });
    });
}

void RedisPipe::on_watch_subscribed() {
    watch_subscribing_ = false;
    if (stopped_) {
        watch_->close();
        return;
    }
    watched_ = watch_->sentinel();
    watch_sd_.emplace(ioc_, watch_->fd());
    if (watch_failure_logged_)
        log::info("redis: sentinel notifications resumed from sentinel " +
                  redis::format_endpoint(watched_->host, watched_->port));
    watch_failure_logged_ = false;
    wait_watch_readable();
}

void RedisPipe::on_watch_failed(const std::string &why) {
    watch_subscribing_ = false;
    watched_.reset();
    if (!watch_failure_logged_)
        log::warn(why + "; sentinel notifications unavailable (failovers still followed through errors), "
                        "retrying at the next sentinel");
    watch_failure_logged_ = true;
    begin_watch();
}

void RedisPipe::drop_watch_descriptor() {
    if (!watch_sd_)
        return;
    boost::system::error_code ignored;
    watch_sd_->cancel(ignored);
    watch_sd_->release();
    watch_sd_.reset();
}

void RedisPipe::wait_watch_readable() {
    watch_sd_->async_wait(asio::posix::stream_descriptor::wait_read,
                          [this, gen = watch_generation_](boost::system::error_code ec) {
                              if (gen != watch_generation_)
                                  return;
                              if (ec) {
                                  ++watch_generation_;
                                  drop_watch_descriptor();
                                  watch_->close();
                                  on_watch_failed("redis: waiting for sentinel notifications failed");
                                  return;
                              }
                              on_watch_readable();
                          });
}

void RedisPipe::on_watch_readable() {
    std::optional<redis::MasterSwitch> moved;
    try {
        moved = watch_->poll();
    } catch (const redis::Error &e) {
        ++watch_generation_;
        drop_watch_descriptor(); // the watch closed the socket; it schedules the next sentinel
        on_watch_failed(e.what());
        return;
    }
    if (moved)
        follow_switch(*moved);
    wait_watch_readable();
}

void RedisPipe::follow_switch(const redis::MasterSwitch &moved) {
    if (first_to_follow(moved))
        log::info("redis: sentinel " + redis::format_endpoint(watched_->host, watched_->port) + ": master " +
                  moved.master + " moved from " + redis::format_endpoint(moved.from.host, moved.from.port) +
                  " to " + redis::format_endpoint(moved.to.host, moved.to.port) +
                  "; reconnecting to the new primary");
    if (!link_.is_open())
        return; // a connect is under way or scheduled; it looks the primary up again
    reset_connection();
    begin_connect();
}

} // namespace vcon_redis::server::store
