// One io thread's world: its io_context, its pipelined Redis connection (one per cluster primary), the
// cache-first store on top of it, and its router. Sessions are registered here so a shutdown can close idle
// ones. Member order is destruction order in reverse: the registry outlives the io_context (coroutine frames
// destroyed with the io_context unregister themselves), the Redis pipe dies before it.
#pragma once

#include "app/config.hpp"
#include "app/metrics.hpp"
#include "http/router.hpp"
#include "http/session_registry.hpp"
#include "store/cached_store.hpp"
#include "store/pg_pool.hpp"
#include "store/redis_router.hpp"
#include "store/single_flight.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>

namespace vcon_redis::server {

class IoThread {
public:
    IoThread(const Config &config, const redis::Url &redis_url, store::PgPool &pg,
             store::SingleFlight &flights, Metrics &metrics, boost::asio::thread_pool &connector,
             std::function<GaugeSnapshot()> gauges)
        : redis_(ioc_,
                 store::RedisPipe::Options{redis_url, std::chrono::milliseconds(config.redis_timeout_ms),
                                           std::chrono::milliseconds(config.redis_connect_timeout_ms)},
                 connector, metrics),
          store_(cache_options(config), initial_policy(config), redis_, pg, flights, metrics),
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
        return o;
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
    store::CachedStore store_;
    http::Router router_;
};

} // namespace vcon_redis::server
