// Learns the extension's settings from the database (vcon_redis.status(), vcon_redis.cache_mode,
// key_prefix, ttl, database) at start and every --settings-check-interval, turns them into the
// CachePolicy of every io thread (store/cache_policy.hpp) and logs each change and warning once.
// Reads only settings visible to any role and status(); a database that cannot be reached keeps
// the last policy.
#pragma once

#include "store/cache_policy.hpp"
#include "store/pg_pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>

namespace vcon_redis::server::store {

class SettingsWatch {
public:
    using Publish = std::function<void(const CachePolicy &)>;

    SettingsWatch(PgPool &pg, CacheDefaults defaults, Publish publish);

    // Reads the settings once and publishes the policy when it changed. Returns false when the
    // database did not answer (the last policy stays).
    boost::asio::awaitable<bool> check();
    // check() every `interval`, forever (ends when its io_context stops).
    boost::asio::awaitable<void> run(std::chrono::seconds interval);

    CachePolicy::State state() const { return state_.load(std::memory_order_relaxed); }

private:
    boost::asio::awaitable<std::optional<ExtensionSettings>> read();
    void apply(const ExtensionSettings &s);

    PgPool &pg_;
    CacheDefaults defaults_;
    Publish publish_;
    std::optional<CachePolicy> last_;
    std::set<std::string> warned_;
    bool unreachable_logged_ = false;
    std::atomic<CachePolicy::State> state_{CachePolicy::State::Unknown};
};

} // namespace vcon_redis::server::store
