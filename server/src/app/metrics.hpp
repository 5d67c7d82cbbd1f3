// Process-wide Prometheus metrics: lock-free counters and histograms, rendered as text for /metrics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace vcon_redis::server {

enum class Route { Vcon, VconsSearch, Mcp, Healthz, Metrics, Other };
inline constexpr std::size_t kRouteCount = 6;
const char *to_string(Route);

// Lookups: hit, miss, bypass (Redis unavailable), unmaintained (nobody maintains the cache: not
// read), foreign (a string value this server did not write: served as a miss), wrong_type (not a
// string: served from PostgreSQL, not filled). Miss work: fill, fill_refused, lease_released.
enum class CacheEvent {
    Hit,
    Miss,
    Bypass,
    Fill,
    FillRefused,
    Unmaintained,
    Foreign,
    WrongType,
    LeaseReleased
};
inline constexpr std::size_t kCacheEventCount = 9;

// The near cache (store/near_cache.hpp): hit, miss (looked up while live), store, stale_refused (a
// GET's value not stored: its key was invalidated while the GET was in flight), invalidation (a key
// named by Redis), eviction (LRU, over the byte budget), flush (everything dropped: FLUSHALL,
// tracking lost, policy change).
enum class NearEvent { Hit, Miss, Store, StaleRefused, Invalidation, Eviction, Flush };
inline constexpr std::size_t kNearEventCount = 7;

enum class Backend { Postgres, Redis };

// Gauges sampled at render time.
struct GaugeSnapshot {
    int pg_pool_size = 0;
    int pg_pool_in_use = 0;
    bool redis_up = false;
    bool postgres_up = false;
    int http_connections = 0;
    const char *cache_state = "unknown"; // store::CachePolicy::State as text
};

class Metrics {
public:
    static constexpr std::array<double, 14> kBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

    void request(Route route, unsigned status, std::chrono::steady_clock::duration took);
    void cache(CacheEvent e) { cache_[static_cast<std::size_t>(e)].fetch_add(1, std::memory_order_relaxed); }
    void near(NearEvent e) { near_[static_cast<std::size_t>(e)].fetch_add(1, std::memory_order_relaxed); }
    void near_bytes(std::int64_t delta) { near_bytes_.fetch_add(delta, std::memory_order_relaxed); }
    void backend_error(Backend b) {
        backend_errors_[static_cast<std::size_t>(b)].fetch_add(1, std::memory_order_relaxed);
    }

    std::string render(const GaugeSnapshot &g) const;

private:
    struct Histogram {
        std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{}; // non-cumulative
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_ns{0};
    };
    static constexpr unsigned kMinStatus = 100, kMaxStatus = 599;
    std::array<std::array<std::atomic<std::uint64_t>, kMaxStatus - kMinStatus + 1>, kRouteCount> requests_{};
    std::array<Histogram, kRouteCount> durations_{};
    std::array<std::atomic<std::uint64_t>, kCacheEventCount> cache_{};
    std::array<std::atomic<std::uint64_t>, 2> backend_errors_{};
    std::array<std::atomic<std::uint64_t>, kNearEventCount> near_{};
    std::atomic<std::int64_t> near_bytes_{0};
};

} // namespace vcon_redis::server
