// The metrics are counted per thread and summed by render() (server/src/app/metrics.hpp): counts
// from many threads at once must all show, none lost or counted twice.
#include "app/metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

using vcon_redis::server::CacheEvent;
using vcon_redis::server::GaugeSnapshot;
using vcon_redis::server::Metrics;
using vcon_redis::server::NearEvent;
using vcon_redis::server::Route;

namespace {

bool has_line(const std::string &text, const std::string &line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

} // namespace

TEST(Metrics, CountsFromManyThreadsAreSummed) {
    Metrics m;
    constexpr int kThreads = 12; // more than the shards: some threads share one
    constexpr int kEach = 5000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&m] {
            for (int i = 0; i < kEach; ++i) {
                m.request(Route::Vcon, 200, std::chrono::microseconds(50));
                m.cache(CacheEvent::Hit);
                m.near(NearEvent::Hit);
                m.near_bytes(2);
            }
            m.near_bytes(-kEach);
        });
    for (auto &t : threads)
        t.join();
    const std::string text = m.render(GaugeSnapshot{});
    const std::string n = std::to_string(kThreads * kEach);
    EXPECT_TRUE(has_line(text, "vcon_http_requests_total{route=\"vcon\",status=\"200\"} " + n)) << text;
    EXPECT_TRUE(has_line(text, "vcon_cache_total{result=\"hit\"} " + n));
    EXPECT_TRUE(has_line(text, "vcon_near_cache_total{event=\"hit\"} " + n));
    EXPECT_TRUE(has_line(text, "vcon_near_cache_bytes " + n));
    EXPECT_TRUE(
        has_line(text, "vcon_http_request_duration_seconds_bucket{route=\"vcon\",le=\"0.0001\"} " + n));
    EXPECT_TRUE(has_line(text, "vcon_http_request_duration_seconds_count{route=\"vcon\"} " + n));
    EXPECT_TRUE(has_line(text, "vcon_http_request_duration_seconds_sum{route=\"vcon\"} 3"));
}
