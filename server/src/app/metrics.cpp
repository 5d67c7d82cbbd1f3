#include "app/metrics.hpp"

#include <cstdio>
#include <iterator>
#include <string_view>

namespace vcon_redis::server {

const char *to_string(Route r) {
    switch (r) {
    case Route::Vcon:
        return "vcon";
    case Route::VconsSearch:
        return "vcons_search";
    case Route::Mcp:
        return "mcp";
    case Route::Healthz:
        return "healthz";
    case Route::Metrics:
        return "metrics";
    case Route::Other:
        return "other";
    }
    return "other";
}

Metrics::Shard &Metrics::mine() {
    static std::atomic<std::size_t> threads{0};
    thread_local const std::size_t index = threads.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shards_[index];
}

void Metrics::request(Route route, unsigned status, std::chrono::steady_clock::duration took) {
    auto r = static_cast<std::size_t>(route);
    if (status < kMinStatus || status > kMaxStatus)
        status = 500;
    Shard &shard = mine();
    add(shard.requests[r][status - kMinStatus], 1);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count();
    double s = static_cast<double>(ns) / 1e9;
    auto &h = shard.durations[r];
    std::size_t i = 0;
    while (i < kBuckets.size() && s > kBuckets[i])
        ++i;
    if (i < kBuckets.size())
        add(h.buckets[i], 1);
    add(h.count, 1);
    add(h.sum_ns, static_cast<std::uint64_t>(ns < 0 ? 0 : ns));
}

namespace {
std::string fmt_double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}
} // namespace

std::string Metrics::render(const GaugeSnapshot &g) const {
    std::string out;
    out.reserve(8192);
    out += "# HELP vcon_http_requests_total HTTP requests by route and status.\n"
           "# TYPE vcon_http_requests_total counter\n";
    for (std::size_t r = 0; r < kRouteCount; ++r)
        for (unsigned s = kMinStatus; s <= kMaxStatus; ++s) {
            auto n = sum([r, s](const Shard &x) { return &x.requests[r][s - kMinStatus]; });
            if (n == 0)
                continue;
            out += "vcon_http_requests_total{route=\"";
            out += to_string(static_cast<Route>(r));
            out += "\",status=\"" + std::to_string(s) + "\"} " + std::to_string(n) + "\n";
        }

    static constexpr const char *cache_names[] = {"hit",     "miss",         "bypass",
                                                  "fill",    "fill_refused", "unmaintained",
                                                  "foreign", "wrong_type",   "lease_released"};
    static_assert(std::size(cache_names) == kCacheEventCount);
    out += "# HELP vcon_cache_total Cache lookups (hit/miss/bypass/unmaintained/foreign/wrong_type) and miss "
           "work (fill/fill_refused/lease_released).\n"
           "# TYPE vcon_cache_total counter\n";
    for (std::size_t i = 0; i < kCacheEventCount; ++i)
        out += std::string("vcon_cache_total{result=\"") + cache_names[i] + "\"} " +
               std::to_string(sum([i](const Shard &x) { return &x.cache[i]; })) + "\n";

    static constexpr const char *near_names[] = {"hit",          "miss",     "store", "stale_refused",
                                                 "invalidation", "eviction", "flush"};
    static_assert(std::size(near_names) == kNearEventCount);
    out += "# HELP vcon_near_cache_total In-process near cache: lookups (hit/miss), stores, values refused "
           "because their key was invalidated while the GET was in flight (stale_refused), keys invalidated "
           "by Redis, LRU evictions, and flushes (everything dropped).\n"
           "# TYPE vcon_near_cache_total counter\n";
    for (std::size_t i = 0; i < kNearEventCount; ++i)
        out += std::string("vcon_near_cache_total{event=\"") + near_names[i] + "\"} " +
               std::to_string(sum([i](const Shard &x) { return &x.near[i]; })) + "\n";
    out += "# HELP vcon_near_cache_bytes Bytes charged to the near cache (all io threads).\n"
           "# TYPE vcon_near_cache_bytes gauge\n";
    out +=
        "vcon_near_cache_bytes " + std::to_string(sum([](const Shard &x) { return &x.near_bytes; })) + "\n";

    out += "# HELP vcon_http_request_duration_seconds Time from a complete request to its response.\n"
           "# TYPE vcon_http_request_duration_seconds histogram\n";
    for (std::size_t r = 0; r < kRouteCount; ++r) {
        std::string route = to_string(static_cast<Route>(r));
        std::uint64_t cum = 0;
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            cum += sum([r, i](const Shard &x) { return &x.durations[r].buckets[i]; });
            out += "vcon_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" +
                   fmt_double(kBuckets[i]) + "\"} " + std::to_string(cum) + "\n";
        }
        auto count = sum([r](const Shard &x) { return &x.durations[r].count; });
        out += "vcon_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"+Inf\"} " +
               std::to_string(count) + "\n";
        out += "vcon_http_request_duration_seconds_sum{route=\"" + route + "\"} " +
               fmt_double(static_cast<double>(sum([r](const Shard &x) { return &x.durations[r].sum_ns; })) /
                          1e9) +
               "\n";
        out += "vcon_http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(count) +
               "\n";
    }

    out += "# HELP vcon_pg_pool_size PostgreSQL connections in the pool.\n# TYPE vcon_pg_pool_size gauge\n";
    out += "vcon_pg_pool_size " + std::to_string(g.pg_pool_size) + "\n";
    out += "# HELP vcon_pg_pool_in_use PostgreSQL connections running a query.\n# TYPE vcon_pg_pool_in_use "
           "gauge\n";
    out += "vcon_pg_pool_in_use " + std::to_string(g.pg_pool_in_use) + "\n";
    out += "# HELP vcon_pg_up Whether PostgreSQL answered the last attempt.\n# TYPE vcon_pg_up gauge\n";
    out += std::string("vcon_pg_up ") + (g.postgres_up ? "1" : "0") + "\n";
    out += "# HELP vcon_redis_up Whether every Redis connection of the server is up.\n# TYPE vcon_redis_up "
           "gauge\n";
    out += std::string("vcon_redis_up ") + (g.redis_up ? "1" : "0") + "\n";
    out += "# HELP vcon_cache_maintained Whether the extension maintains the cache this server reads (1), "
           "nobody does (0), or it is not known yet (-1).\n# TYPE vcon_cache_maintained gauge\n";
    out += std::string("vcon_cache_maintained ") +
           (std::string_view(g.cache_state) == "maintained"     ? "1"
            : std::string_view(g.cache_state) == "unmaintained" ? "0"
                                                                : "-1") +
           "\n";
    out += "# HELP vcon_http_connections Open HTTP connections.\n# TYPE vcon_http_connections gauge\n";
    out += "vcon_http_connections " + std::to_string(g.http_connections) + "\n";
    out += "# HELP vcon_backend_errors_total Failed backend operations (connect, I/O, timeout, query).\n"
           "# TYPE vcon_backend_errors_total counter\n";
    out += "vcon_backend_errors_total{backend=\"postgres\"} " +
           std::to_string(sum([](const Shard &x) { return &x.backend_errors[0]; })) + "\n";
    out += "vcon_backend_errors_total{backend=\"redis\"} " +
           std::to_string(sum([](const Shard &x) { return &x.backend_errors[1]; })) + "\n";
    return out;
}

} // namespace vcon_redis::server
