#include "store/near_cache_tracking.hpp"

#include "app/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>

namespace asio = boost::asio;

namespace vcon_redis::server::store {
namespace {

std::atomic<bool> cluster_logged{false};
std::atomic<bool> live_logged{false};

bool is_ok(const redis::Reply &r) {
    return r && r->type == REDIS_REPLY_STATUS && redis::text(*r) == "OK";
}

} // namespace

NearCacheTracking::NearCacheTracking(asio::io_context &ioc, RedisRouter &redis, const redis::Url &url,
                                     std::chrono::milliseconds connect_timeout, asio::thread_pool &connector,
                                     std::size_t budget_bytes, const CachePolicy &initial, Metrics &metrics)
    : ioc_(ioc), redis_(redis), cache_(budget_bytes, metrics),
      listener_(ioc, url, connect_timeout, connector, metrics,
                InvalidationListener::Events{[this](long long id, const std::string &name) {
                                                 listener_id_ = id;
                                                 listener_name_ = name;
                                                 ++listener_epoch_;
                                                 cache_.set_live(false);
                                                 rearm();
                                             },
                                             [this](std::string_view key) { cache_.invalidate(key); },
                                             [this] { cache_.flush(); },
                                             [this] {
                                                 listener_id_.reset();
                                                 ++listener_epoch_;
                                                 cache_.set_live(false);
                                             }}),
      maintained_(initial.state != CachePolicy::State::Unmaintained), prefix_(initial.key_prefix) {}

bool NearCacheTracking::supported(const redis::Url &url) {
    if (url.kind != redis::Url::Kind::Cluster)
        return true;
    if (!cluster_logged.exchange(true))
        log::info("near cache off: Redis Cluster (client tracking is per node; not supported yet)");
    return false;
}

void NearCacheTracking::start() {
    listener_.start();
}

void NearCacheTracking::shutdown() {
    listener_.shutdown();
    listener_id_.reset();
    ++listener_epoch_;
    cache_.set_live(false);
}

void NearCacheTracking::data_connection(bool up) {
    data_up_ = up;
    ++data_epoch_;
    cache_.set_live(false); // a new connection tracks nothing yet; a lost one told us nothing more
    if (up)
        rearm();
}

void NearCacheTracking::set_policy(const CachePolicy &policy) {
    const bool maintained = policy.state != CachePolicy::State::Unmaintained;
    if (maintained == maintained_ && policy.key_prefix == prefix_)
        return;
    maintained_ = maintained;
    prefix_ = policy.key_prefix;
    ++policy_epoch_;
    cache_.set_live(false);
    rearm();
}

bool NearCacheTracking::same(std::uint64_t data_epoch, std::uint64_t listener_epoch,
                             std::uint64_t policy_epoch) const {
    return data_epoch == data_epoch_ && listener_epoch == listener_epoch_ && policy_epoch == policy_epoch_;
}

void NearCacheTracking::rearm() {
    if (arming_) {
        arm_again_ = true;
        return;
    }
    arming_ = true;
    asio::co_spawn(ioc_, arm(), asio::detached);
}

// Coroutine style note (see cached_store.cpp): objects at function scope, one co_return.
asio::awaitable<void> NearCacheTracking::arm() {
    bool again = true;
    std::string id, name, prefix, refusal;
    redis::Command list, off, on;
    redis::Reply r;
    while (again) {
        arm_again_ = false;
        refusal.clear();
        const std::uint64_t d = data_epoch_, l = listener_epoch_, p = policy_epoch_;
        bool ok = listener_id_.has_value() && data_up_ && maintained_ && cache_.budget() > 0;
        if (ok) {
            id = std::to_string(*listener_id_);
            name = listener_name_;
            prefix = prefix_;
            list = {std::string_view("CLIENT"), std::string_view("LIST"), std::string_view("ID"), id};
            r = co_await redis_.exec(list);
            ok = r && same(d, l, p) && r->type == REDIS_REPLY_STRING &&
                 redis::text(*r).find(" name=" + name + " ") != std::string_view::npos;
            if (r && !ok && same(d, l, p) && r->type == REDIS_REPLY_STRING)
                // Not our listener on this node: the data connection moved (a Sentinel failover)
                // and the listener did not. Its new connection looks the primary up again.
                listener_.reconnect("it is not on the data connection's node (a failover?)");
            else if (r && !ok && same(d, l, p))
                refusal = "CLIENT LIST ID " + id + " answered " + redis::describe(*r);
        }
        if (ok) {
            off = {std::string_view("CLIENT"), std::string_view("TRACKING"), std::string_view("off")};
            r = co_await redis_.exec(off);
            ok = same(d, l, p) && is_ok(r);
            if (r && !ok && same(d, l, p))
                refusal = "CLIENT TRACKING off answered " + redis::describe(*r);
        }
        if (ok) {
            on = {std::string_view("CLIENT"),   std::string_view("TRACKING"), std::string_view("on"),
                  std::string_view("REDIRECT"), std::string_view(id),         std::string_view("BCAST"),
                  std::string_view("PREFIX"),   std::string_view(prefix)};
            r = co_await redis_.exec(on);
            ok = same(d, l, p) && is_ok(r);
            if (r && !ok && same(d, l, p))
                refusal = "CLIENT TRACKING on answered " + redis::describe(*r);
        }
        r.reset();
        if (ok) {
            cache_.set_live(true);
            refusal_logged_ = false;
            if (!live_logged.exchange(true))
                log::info("near cache live: " + std::to_string(cache_.budget()) +
                          " bytes per io thread, kept coherent by CLIENT TRACKING (BCAST PREFIX '" + prefix +
                          "')");
        } else if (!refusal.empty() && !refusal_logged_) {
            refusal_logged_ = true;
            log::warn("near cache off: " + refusal + " (it is tried again after the next reconnect)");
        }
        again = arm_again_;
    }
    arming_ = false;
    co_return;
}

} // namespace vcon_redis::server::store
