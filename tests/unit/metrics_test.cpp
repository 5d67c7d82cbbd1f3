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

// Prometheus's text format: each family's HELP line, then its TYPE line, then only its own samples
// (a histogram's carry the _bucket/_sum/_count suffixes), every line ending with a newline.
TEST(Metrics, EveryFamilyIsDeclaredBeforeItsSamples) {
    Metrics m;
    m.request(Route::Mcp, 404, std::chrono::milliseconds(3));
    m.backend_error(vcon_redis::server::Backend::Redis);
    const std::string text = m.render(GaugeSnapshot{});
    ASSERT_FALSE(text.empty());
    ASSERT_EQ(text.back(), '\n');
    std::string family, type, pending_help;
    int families = 0, samples = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        if (line.rfind("# HELP ", 0) == 0) {
            pending_help = line.substr(7, line.find(' ', 7) - 7);
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
            type = line.substr(line.rfind(' ') + 1);
            EXPECT_EQ(family, pending_help) << "TYPE without its HELP: " << line;
            ++families;
            continue;
        }
        const std::string name = line.substr(0, line.find_first_of("{ "));
        const bool own =
            name == family || (type == "histogram" && (name == family + "_bucket" ||
                                                       name == family + "_sum" || name == family + "_count"));
        EXPECT_TRUE(own) << "sample " << name << " under family " << family;
        ++samples;
    }
    EXPECT_EQ(families, 12);
    EXPECT_GT(samples, families);
}
