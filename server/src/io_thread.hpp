// One io thread's world: its io_context, its pipelined Redis connection (one per cluster primary), the
// near cache kept coherent by Redis client tracking (off for a cluster or --near-cache-bytes 0), the
// cache-first store on top of it, and its router. Sessions are registered here so a shutdown can close idle
// ones. Member order is destruction order in reverse: the registry outlives the io_context (coroutine frames
// destroyed with the io_context unregister themselves), the Redis pipe dies before it.
#pragma once

#include "app/config.hpp"
#include "app/metrics.hpp"
#include "http/router.hpp"
#include "http/session_registry.hpp"
#include "store/cached_store.hpp"
#include "store/near_cache_tracking.hpp"
#include "store/pg_pool.hpp"
#include "store/redis_router.hpp"
#include "store/single_flight.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <functional>
#include <memory>

namespace vcon_redis::server {

class IoThread {
public:
    IoThread(const Config &config, const redis::Url &redis_url, store::PgPool &pg,
             store::SingleFlight &flights, Metrics &metrics, boost::asio::thread_pool &connector,
             std::function<GaugeSnapshot()> gauges)
        : redis_(ioc_,
                 store::RedisPipe::Options{redis_url, std::chrono::milliseconds(config.redis_timeout_ms),
                                           std::chrono::milliseconds(config.redis_connect_timeout_ms),
                                           [this](bool up) {
                                               if (near_)
                                                   near_->data_connection(up);
                                           }},
                 connector, metrics),
          near_(near_cache(config, redis_url, connector, metrics)),
          store_(cache_options(config), initial_policy(config), redis_, pg, flights, metrics, near_.get()),
          router_(http::Access{http::BearerAuth(config.api_token), http::OriginPolicy(config.allowed_origins),
                               http::HostPolicy(config.allowed_hosts)},
                  store_, metrics, std::move(gauges), mcp_limits(config)) {}

    IoThread(const IoThread &) = delete;
    IoThread &operator=(const IoThread &) = delete;

    boost::asio::io_context &ioc() { return ioc_; }
    http::SessionRegistry &sessions() { return sessions_; }
    store::RedisRouter &redis() { return redis_; }
    store::CachedStore &store() { return store_; }
    http::Router &router() { return router_; }

private:
    static store::CacheOptions cache_options(const Config &config) {
        store::CacheOptions o;
        o.lease = std::chrono::milliseconds(config.lease_ms);
        o.test_fill_delay = std::chrono::milliseconds(config.test_fill_delay_ms);
        o.test_near_delay = std::chrono::milliseconds(config.test_near_delay_ms);
        return o;
    }

    // This thread's share of --near-cache-bytes, started with the thread; none when off.
    std::unique_ptr<store::NearCacheTracking> near_cache(const Config &config, const redis::Url &redis_url,
                                                         boost::asio::thread_pool &connector,
                                                         Metrics &metrics) {
        const std::size_t share =
            config.near_cache_bytes / static_cast<std::size_t>(std::max(1, config.threads));
        if (share == 0 || !store::NearCacheTracking::supported(redis_url))
            return nullptr;
        auto near = std::make_unique<store::NearCacheTracking>(
            ioc_, redis_, redis_url, std::chrono::milliseconds(config.redis_connect_timeout_ms), connector,
            share, initial_policy(config), metrics);
        boost::asio::post(ioc_, [n = near.get()] { n->start(); });
        return near;
    }

public:
    // Until the extension's settings are read: the configured prefix and expiry, hits only.
    static store::CachePolicy initial_policy(const Config &config) {
        store::CachePolicy p;
        p.key_prefix = config.key_prefix;
        p.expiry_s = config.expiry_s;
        return p;
    }

    static mcp::ToolLimits mcp_limits(const Config &config) {
        mcp::ToolLimits l;
        l.max_message_bytes = config.max_mcp_message_bytes;
        return l;
    }

private:
    http::SessionRegistry sessions_;
    boost::asio::io_context ioc_{1};
    store::RedisRouter redis_;
    std::unique_ptr<store::NearCacheTracking> near_; // before store_, which points to it
    store::CachedStore store_;
    http::Router router_;
};

} // namespace vcon_redis::server
