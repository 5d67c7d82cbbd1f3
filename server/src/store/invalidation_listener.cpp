#include "store/invalidation_listener.hpp"

#include "app/log.hpp"
#include "store/random_token.hpp"

namespace asio = boost::asio;

namespace vcon_redis::server::store {
namespace {

constexpr std::chrono::seconds kPingEvery{1};

bool is_text(const redisReply *r, std::string_view want) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && redis::text(*r) == want;
}

} // namespace

InvalidationListener::InvalidationListener(asio::io_context &ioc, redis::Url url,
                                           std::chrono::milliseconds connect_timeout,
                                           asio::thread_pool &connector, Metrics &metrics, Events events)
    : ioc_(ioc), url_(std::move(url)), connect_timeout_(connect_timeout), connector_(connector),
      metrics_(metrics), events_(std::move(events)), link_(ioc),
      reconnect_(ioc, connector,
                 {[this] { return connect_work(); }, [this](Subscribed s) { on_connected(std::move(s)); },
                  [this](const std::string &why) { on_connect_failed(why); }}),
      pinger_(ioc) {}

void InvalidationListener::start() {
    reconnect_.now();
}

void InvalidationListener::shutdown() {
    stopped_ = true;
    reconnect_.stop();
    pinger_.cancel();
    drop_connection();
}

void InvalidationListener::drop_connection() {
    link_.close();
    pong_due_ = false;
}

// The connector pool's part of a connect: connect, name the connection, learn its id, subscribe.
std::function<InvalidationListener::Subscribed()> InvalidationListener::connect_work() const {
    return [url = url_, copts = connector_options(connect_timeout_)] {
        redis::Connection c(url, copts);
        c.connect();
        std::string name = "vcon-near-" + random_token();
        redis::Reply named = c.command({std::string_view("CLIENT"), std::string_view("SETNAME"), name});
        redis::Reply id = c.command({std::string_view("CLIENT"), std::string_view("ID")});
        redis::Reply sub = c.command({std::string_view("SUBSCRIBE"), kChannel});
        if (!named || !is_text(named.get(), "OK"))
            throw redis::Error(redis::Error::Kind::reply,
                               "CLIENT SETNAME answered " + (named ? redis::describe(*named) : "nothing"));
        if (!id || id->type != REDIS_REPLY_INTEGER)
            throw redis::Error(redis::Error::Kind::reply,
                               "CLIENT ID answered " + (id ? redis::describe(*id) : "nothing"));
        if (!sub || sub->type != REDIS_REPLY_ARRAY || sub->elements < 1 ||
            !is_text(sub->element[0], "subscribe"))
            throw redis::Error(redis::Error::Kind::reply,
                               "SUBSCRIBE answered " + (sub ? redis::describe(*sub) : "nothing"));
        return Subscribed{std::move(c), id->integer, std::move(name)};
    };
}

void InvalidationListener::on_connected(Subscribed made) {
    link_.open(std::move(made.conn));
    if (failure_logged_)
        log::info("redis: near cache invalidation connection is back");
    failure_logged_ = false;
    link_.read_replies(
        [this](redis::Reply r) {
            if (dispatch(*r))
                return true;
            teardown("unexpected message " + redis::describe(*r));
            return false;
        },
        [this](const std::string &why) { teardown(why); });
    pinger_.expires_after(kPingEvery);
    pinger_.async_wait([this, gen = link_.generation()](boost::system::error_code ec) {
        if (!ec && gen == link_.generation())
            ping();
    });
    events_.subscribed(made.id, made.name);
}

void InvalidationListener::on_connect_failed(const std::string &why) {
    metrics_.backend_error(Backend::Redis);
    if (!failure_logged_) {
        log::warn(why + "; the near cache stays off until the invalidation connection is made");
        failure_logged_ = true;
    }
}

void InvalidationListener::reconnect(const std::string &why) {
    if (!stopped_ && link_.is_open())
        teardown(why);
}

void InvalidationListener::teardown(const std::string &why) {
    drop_connection();
    pinger_.cancel();
    metrics_.backend_error(Backend::Redis);
    log::warn("redis: near cache invalidation connection lost (" + why + "); near cache dropped");
    failure_logged_ = true;
    events_.lost();
    reconnect_.after(std::chrono::milliseconds(50));
}

// ["message", channel, [key...] | nil] or ["pong", ""]; anything else is a protocol surprise.
bool InvalidationListener::dispatch(const redisReply &r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements < 2)
        return false;
    if (is_text(r.element[0], "pong")) {
        pong_due_ = false;
        return true;
    }
    if (r.elements != 3 || !is_text(r.element[0], "message") || !is_text(r.element[1], kChannel))
        return false;
    const redisReply *keys = r.element[2];
    if (keys->type == REDIS_REPLY_NIL) {
        events_.flush();
    } else if (keys->type == REDIS_REPLY_ARRAY) {
        for (std::size_t i = 0; i < keys->elements; ++i)
            if (keys->element[i]->type == REDIS_REPLY_STRING)
                events_.key(redis::text(*keys->element[i]));
            else
                events_.flush(); // not a key name: the safe reading is "everything"
    } else if (keys->type == REDIS_REPLY_STRING) {
        events_.key(redis::text(*keys));
    } else {
        return false;
    }
    return true;
}

void InvalidationListener::ping() {
    if (!link_.is_open() || stopped_)
        return;
    if (pong_due_) {
        teardown("no answer to PING within " + std::to_string(kPingEvery.count()) + " s");
        return;
    }
    pong_due_ = true;
    try {
        link_.connection().append({std::string_view("PING")});
    } catch (const redis::Error &e) {
        teardown(e.what());
        return;
    }
    link_.flush([this](const std::string &why) { teardown(why); });
    pinger_.expires_after(kPingEvery);
    pinger_.async_wait([this, gen = link_.generation()](boost::system::error_code ec) {
        if (!ec && gen == link_.generation())
            ping();
    });
}

} // namespace vcon_redis::server::store
