// Process-wide Prometheus metrics: lock-free counters and histograms, rendered as text for /metrics.
// Each thread counts into its own shard (no cache line bounced between the io threads per request);
// render() sums the shards.
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

class Exposition; // metrics.cpp: Prometheus's text format

class Metrics {
public:
    static constexpr std::array<double, 14> kBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

    void request(Route route, unsigned status, std::chrono::steady_clock::duration took);
    void cache(CacheEvent e) { add(mine().cache[static_cast<std::size_t>(e)], 1); }
    void near(NearEvent e) { add(mine().near[static_cast<std::size_t>(e)], 1); }
    void near_bytes(std::int64_t delta) { add(mine().near_bytes, delta); }
    void backend_error(Backend b) { add(mine().backend_errors[static_cast<std::size_t>(b)], 1); }

    std::string render(const GaugeSnapshot &g) const;

private:
    struct Histogram {
        std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{}; // non-cumulative
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_ns{0};
    };
    static constexpr unsigned kMinStatus = 100, kMaxStatus = 599;
    // Threads beyond this many share shards (still exact: the counters stay atomic).
    static constexpr std::size_t kShards = 8;
    struct alignas(64) Shard {
        std::array<std::array<std::atomic<std::uint64_t>, kMaxStatus - kMinStatus + 1>, kRouteCount>
            requests{};
        std::array<Histogram, kRouteCount> durations{};
        std::array<std::atomic<std::uint64_t>, kCacheEventCount> cache{};
        std::array<std::atomic<std::uint64_t>, 2> backend_errors{};
        std::array<std::atomic<std::uint64_t>, kNearEventCount> near{};
        std::atomic<std::int64_t> near_bytes{0};
    };
    template <class T> static void add(std::atomic<T> &counter, T n) {
        counter.fetch_add(n, std::memory_order_relaxed);
    }
    static void add(std::atomic<std::uint64_t> &counter, int n) {
        add(counter, static_cast<std::uint64_t>(n));
    }
    void render_requests(Exposition &text) const;
    void render_cache_events(Exposition &text) const;
    void render_durations(Exposition &text) const;
    static void render_gauges(Exposition &text, const GaugeSnapshot &g);
    void render_backend_errors(Exposition &text) const;

    // The calling thread's shard.
    Shard &mine();
    // The sum over the shards of the counter `counter(shard)` points to.
    template <class F> auto sum(F counter) const {
        decltype(counter(shards_[0])->load()) total{};
        for (const auto &s : shards_)
            total += counter(s)->load(std::memory_order_relaxed);
        return total;
    }

    std::array<Shard, kShards> shards_{};
};

} // namespace vcon_redis::server
