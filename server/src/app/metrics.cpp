#include "app/metrics.hpp"

#include <array>
#include <cstdio>
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

// Prometheus's text exposition format: each family's HELP and TYPE lines, then its samples.
class Exposition {
public:
    explicit Exposition(std::string &out) : out_(out) {}

    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    }
    // labels: the text between the braces (label_pair), empty for none.
    void sample(std::string_view name, std::string_view labels, std::string_view value) {
        out_.append(name);
        if (!labels.empty())
            out_.append("{").append(labels).append("}");
        out_.append(" ").append(value).append("\n");
    }
    template <class Integer> void sample(std::string_view name, std::string_view labels, Integer value) {
        sample(name, labels, std::string_view(std::to_string(value)));
    }

private:
    std::string &out_;
};

namespace {

std::string label_pair(std::string_view key, std::string_view value) {
    return std::string(key) + "=\"" + std::string(value) + "\"";
}

std::string fmt_double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

constexpr std::array<const char *, kCacheEventCount> kCacheNames = {
    "hit",          "miss",    "bypass",     "fill",          "fill_refused",
    "unmaintained", "foreign", "wrong_type", "lease_released"};
constexpr std::array<const char *, kNearEventCount> kNearNames = {
    "hit", "miss", "store", "stale_refused", "invalidation", "eviction", "flush"};

int cache_maintained(std::string_view state) {
    if (state == "maintained")
        return 1;
    return state == "unmaintained" ? 0 : -1;
}

} // namespace

std::string Metrics::render(const GaugeSnapshot &g) const {
    std::string out;
    out.reserve(8192);
    Exposition text(out);
    render_requests(text);
    render_cache_events(text);
    render_durations(text);
    render_gauges(text, g);
    render_backend_errors(text);
    return out;
}

void Metrics::render_requests(Exposition &text) const {
    text.family("vcon_http_requests_total", "counter", "HTTP requests by route and status.");
    for (std::size_t r = 0; r < kRouteCount; ++r)
        for (unsigned s = kMinStatus; s <= kMaxStatus; ++s) {
            auto n = sum([r, s](const Shard &x) { return &x.requests[r][s - kMinStatus]; });
            if (n != 0)
                text.sample("vcon_http_requests_total",
                            label_pair("route", to_string(static_cast<Route>(r))) + "," +
                                label_pair("status", std::to_string(s)),
                            n);
        }
}

void Metrics::render_cache_events(Exposition &text) const {
    text.family("vcon_cache_total", "counter",
                "Cache lookups (hit/miss/bypass/unmaintained/foreign/wrong_type) and miss work "
                "(fill/fill_refused/lease_released).");
    for (std::size_t i = 0; i < kCacheEventCount; ++i)
        text.sample("vcon_cache_total", label_pair("result", kCacheNames[i]),
                    sum([i](const Shard &x) { return &x.cache[i]; }));

    text.family("vcon_near_cache_total", "counter",
                "In-process near cache: lookups (hit/miss), stores, values refused because their key was "
                "invalidated while the GET was in flight (stale_refused), keys invalidated by Redis, LRU "
                "evictions, and flushes (everything dropped).");
    for (std::size_t i = 0; i < kNearEventCount; ++i)
        text.sample("vcon_near_cache_total", label_pair("event", kNearNames[i]),
                    sum([i](const Shard &x) { return &x.near[i]; }));
    text.family("vcon_near_cache_bytes", "gauge", "Bytes charged to the near cache (all io threads).");
    text.sample("vcon_near_cache_bytes", "", sum([](const Shard &x) { return &x.near_bytes; }));
}

void Metrics::render_durations(Exposition &text) const {
    static constexpr std::string_view kName = "vcon_http_request_duration_seconds";
    text.family(kName, "histogram", "Time from a complete request to its response.");
    const std::string bucket_name = std::string(kName) + "_bucket", sum_name = std::string(kName) + "_sum",
                      count_name = std::string(kName) + "_count";
    for (std::size_t r = 0; r < kRouteCount; ++r) {
        const std::string route = label_pair("route", to_string(static_cast<Route>(r)));
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            cumulative += sum([r, i](const Shard &x) { return &x.durations[r].buckets[i]; });
            text.sample(bucket_name, route + "," + label_pair("le", fmt_double(kBuckets[i])), cumulative);
        }
        const auto count = sum([r](const Shard &x) { return &x.durations[r].count; });
        const auto sum_ns = sum([r](const Shard &x) { return &x.durations[r].sum_ns; });
        text.sample(bucket_name, route + "," + label_pair("le", "+Inf"), count);
        text.sample(sum_name, route, std::string_view(fmt_double(static_cast<double>(sum_ns) / 1e9)));
        text.sample(count_name, route, count);
    }
}

void Metrics::render_gauges(Exposition &text, const GaugeSnapshot &g) {
    text.family("vcon_pg_pool_size", "gauge", "PostgreSQL connections in the pool.");
    text.sample("vcon_pg_pool_size", "", g.pg_pool_size);
    text.family("vcon_pg_pool_in_use", "gauge", "PostgreSQL connections running a query.");
    text.sample("vcon_pg_pool_in_use", "", g.pg_pool_in_use);
    text.family("vcon_pg_up", "gauge", "Whether PostgreSQL answered the last attempt.");
    text.sample("vcon_pg_up", "", g.postgres_up ? 1 : 0);
    text.family("vcon_redis_up", "gauge", "Whether every Redis connection of the server is up.");
    text.sample("vcon_redis_up", "", g.redis_up ? 1 : 0);
    text.family("vcon_cache_maintained", "gauge",
                "Whether the extension maintains the cache this server reads (1), nobody does (0), or it is "
                "not known yet (-1).");
    text.sample("vcon_cache_maintained", "", cache_maintained(g.cache_state));
    text.family("vcon_http_connections", "gauge", "Open HTTP connections.");
    text.sample("vcon_http_connections", "", g.http_connections);
}

void Metrics::render_backend_errors(Exposition &text) const {
    text.family("vcon_backend_errors_total", "counter",
                "Failed backend operations (connect, I/O, timeout, query).");
    text.sample("vcon_backend_errors_total", label_pair("backend", "postgres"),
                sum([](const Shard &x) { return &x.backend_errors[0]; }));
    text.sample("vcon_backend_errors_total", label_pair("backend", "redis"),
                sum([](const Shard &x) { return &x.backend_errors[1]; }));
}

} // namespace vcon_redis::server
