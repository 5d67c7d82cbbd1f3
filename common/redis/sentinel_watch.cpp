#include "redis/sentinel_watch.hpp"

#include "redis/slot_map.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

namespace vcon_redis::redis {
namespace {

std::optional<int> parse_port(std::string_view s) {
    int port = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
    if (ec != std::errc() || ptr != s.data() + s.size() || port <= 0 || port > 65535)
        return std::nullopt;
    return port;
}

} // namespace

std::optional<MasterSwitch> parse_master_switch(std::string_view payload) {
    std::vector<std::string_view> fields;
    while (!payload.empty()) {
        std::size_t space = payload.find(' ');
        std::string_view field = payload.substr(0, space);
        if (field.empty())
            return std::nullopt;
        fields.push_back(field);
        if (space == std::string_view::npos)
            break;
        payload.remove_prefix(space + 1);
        if (payload.empty())
            return std::nullopt; // a trailing space
    }
    if (fields.size() != 5)
        return std::nullopt;
    std::optional<int> from_port = parse_port(fields[2]);
    std::optional<int> to_port = parse_port(fields[4]);
    if (!from_port || !to_port)
        return std::nullopt;
    return MasterSwitch{std::string(fields[0]), HostPort{std::string(fields[1]), *from_port},
                        HostPort{std::string(fields[3]), *to_port}};
}

std::optional<MasterSwitch> master_switch_for(const redisReply &message, std::string_view master) {
    if (message.type != REDIS_REPLY_ARRAY || message.elements != 3)
        return std::nullopt;
    if (text(*message.element[0]) != "message" || text(*message.element[1]) != switch_master_channel)
        return std::nullopt;
    std::optional<MasterSwitch> s = parse_master_switch(text(*message.element[2]));
    if (!s || s->master != master)
        return std::nullopt;
    return s;
}

Url with_sentinel_first(Url url, const HostPort &at) {
    auto it = std::find(url.sentinels.begin(), url.sentinels.end(), at);
    if (it != url.sentinels.end())
        std::rotate(url.sentinels.begin(), it, it + 1);
    return url;
}

SentinelWatch::SentinelWatch(Url url, Connection::Options options, Waiter waiter)
    : url_(std::move(url)), options_(options), waiter_(std::move(waiter)) {
    if (url_.kind != Url::Kind::Sentinel || url_.sentinels.empty())
        throw std::invalid_argument("redis: a sentinel watch needs a Sentinel URL");
}

bool SentinelWatch::due(Clock::time_point now) const noexcept {
    return !subscribed_ && now >= retry_at_;
}

bool SentinelWatch::subscribed() const noexcept {
    return subscribed_ && conn_ && conn_->connected();
}

int SentinelWatch::fd() const noexcept {
    return subscribed() ? conn_->fd() : -1;
}

const HostPort &SentinelWatch::sentinel() const noexcept {
    return url_.sentinels[next_];
}

void SentinelWatch::close() noexcept {
    conn_.reset();
    subscribed_ = false;
}

void SentinelWatch::failed(bool was_subscribed) noexcept {
    close();
    next_ = (next_ + 1) % url_.sentinels.size();
    // A subscription that worked and was then lost is retried at the next sentinel after the
    // shortest backoff; repeated failures wait longer each time.
    if (was_subscribed)
        backoff_ = std::chrono::milliseconds(0);
    backoff_ = std::clamp(backoff_ * 2, min_backoff, max_backoff);
    retry_at_ = Clock::now() + backoff_;
}

void SentinelWatch::subscribe() {
    close();
    try {
        // SUBSCRIBE's reply is part of subscribing: it gets the connect deadline too.
        Connection::Options options = options_;
        options.command_timeout = options.connect_timeout;
        conn_.emplace(url_.sentinel(sentinel()), options, waiter_);
        conn_->connect();
        Reply r = conn_->command({"SUBSCRIBE", switch_master_channel});
        // ["subscribe", "+switch-master", 1]
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || text(*r->element[0]) != "subscribe")
            throw Error(Error::Kind::sentinel,
                        "redis: sentinel " + format_endpoint(sentinel().host, sentinel().port) +
                            " refused SUBSCRIBE " + std::string(switch_master_channel) + ": " + describe(*r));
    } catch (...) {
        failed(false);
        throw;
    }
    subscribed_ = true;
    backoff_ = std::chrono::milliseconds(0);
}

std::optional<MasterSwitch> SentinelWatch::poll() {
    if (!subscribed())
        return std::nullopt;
    std::optional<MasterSwitch> last;
    try {
        for (;;) {
            bool got = conn_->read();
            while (Reply r = conn_->next_reply())
                if (std::optional<MasterSwitch> s = master_switch_for(*r, url_.master))
                    last = std::move(s);
            if (!got)
                break;
        }
    } catch (...) {
        failed(true);
        throw;
    }
    return last;
}

} // namespace vcon_redis::redis
