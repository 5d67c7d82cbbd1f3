// Keeps one io thread's NearCache coherent with Redis server-assisted client-side caching (RESP2,
// redirect mode, broadcasting):
//   1. the InvalidationListener subscribes a connection to __redis__:invalidate and learns its id;
//   2. on the data connection (the RedisPipe every GET travels on) this sends, one at a time and
//      only while that connection and the listener stay the same:
//        CLIENT LIST ID <id>          the id is our listener on this very node (its name matches:
//                                     ids are per node, and a Sentinel failover or a restart could
//                                     make the id someone else's)
//        CLIENT TRACKING off          forgets any earlier redirect or prefix
//        CLIENT TRACKING on REDIRECT <id> BCAST PREFIX <key prefix>
//   3. when that last one answers OK the near cache goes live.
// Losing either connection, a data reconnect, a prefix change or a cache nobody maintains drops the
// near cache at once; it fills again only after step 2 succeeds anew. Redis Cluster is not
// supported (tracking is per node): the near cache stays off there.
#pragma once

#include "app/metrics.hpp"
#include "store/cache_policy.hpp"
#include "store/invalidation_listener.hpp"
#include "store/near_cache.hpp"
#include "store/redis_router.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace vcon_redis::server::store {

class NearCacheTracking {
public:
    NearCacheTracking(boost::asio::io_context &ioc, RedisRouter &redis, const redis::Url &url,
                      std::chrono::milliseconds connect_timeout, boost::asio::thread_pool &connector,
                      std::size_t budget_bytes, const CachePolicy &initial, Metrics &metrics);
    NearCacheTracking(const NearCacheTracking &) = delete;
    NearCacheTracking &operator=(const NearCacheTracking &) = delete;

    // Whether a near cache can be kept for this Redis URL (not for a cluster; logs why once).
    static bool supported(const redis::Url &url);

    void start();    // on the io thread
    void shutdown(); // on the io thread

    NearCache &cache() noexcept { return cache_; }

    // The data connection went up or down (RedisPipe::Options::on_connection).
    void data_connection(bool up);
    // The cache policy changed (CachedStore::set_policy).
    void set_policy(const CachePolicy &policy);

private:
    void rearm();
    boost::asio::awaitable<void> arm();
    bool same(std::uint64_t data_epoch, std::uint64_t listener_epoch, std::uint64_t policy_epoch) const;

    boost::asio::io_context &ioc_;
    RedisRouter &redis_;
    NearCache cache_;
    InvalidationListener listener_;
    std::optional<long long> listener_id_;
    std::string listener_name_;
    bool data_up_ = false;
    bool maintained_ = true; // the policy lets the cache be read at all
    std::string prefix_;
    std::uint64_t data_epoch_ = 0, listener_epoch_ = 0, policy_epoch_ = 0;
    bool arming_ = false;
    bool arm_again_ = false;
    bool refusal_logged_ = false;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace vcon_redis::server::store
