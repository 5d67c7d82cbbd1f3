// The near cache's coherence bookkeeping and byte budget (server/src/store/near_cache.hpp), without
// I/O: every interleaving of "GET sent", "invalidation received" and "GET reply received" that the
// io thread can see is played here in order.
#include "store/near_cache.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using vcon_redis::server::Metrics;
using vcon_redis::server::store::NearCache;

namespace {

constexpr std::size_t kBig = 1 << 20;

struct Live {
    Metrics metrics;
    NearCache cache;
    explicit Live(std::size_t budget = kBig) : cache(budget, metrics) { cache.set_live(true); }
    std::shared_ptr<const std::string> find(const std::string &k) { return cache.find(k); }
};

std::shared_ptr<const std::string> bytes(std::string value) {
    return std::make_shared<const std::string>(std::move(value));
}

} // namespace

TEST(NearCache, StoresAReplyWhenNothingHappenedInFlight) {
    Live t;
    auto r = t.cache.begin("vcon:a");
    EXPECT_TRUE(t.cache.finish(r, bytes("A1")));
    ASSERT_NE(t.find("vcon:a"), nullptr);
    EXPECT_EQ(*t.find("vcon:a"), "A1");
}

TEST(NearCache, AnInvalidationWhileTheGetIsInFlightWins) {
    Live t;
    auto r = t.cache.begin("vcon:a"); // GET sent
    t.cache.invalidate("vcon:a");     // the invalidation arrives before the reply
    EXPECT_FALSE(t.cache.finish(r, bytes("A-old")));
    EXPECT_EQ(t.find("vcon:a"), nullptr);
}

TEST(NearCache, AnInvalidationOfAnotherKeyDoesNotRefuse) {
    Live t;
    auto r = t.cache.begin("vcon:a");
    t.cache.invalidate("vcon:b");
    EXPECT_TRUE(t.cache.finish(r, bytes("A1")));
}

TEST(NearCache, AGetSentAfterTheInvalidationStores) {
    Live t;
    auto first = t.cache.begin("vcon:a");
    t.cache.invalidate("vcon:a");
    auto second = t.cache.begin("vcon:a"); // sent after the write: reads the new value
    EXPECT_FALSE(t.cache.finish(first, bytes("A-old")));
    EXPECT_TRUE(t.cache.finish(second, bytes("A-new")));
    EXPECT_EQ(*t.find("vcon:a"), "A-new");
}

TEST(NearCache, TheOrderOfRepliesOfOverlappingGetsDoesNotMatter) {
    Live t;
    auto first = t.cache.begin("vcon:a");
    t.cache.invalidate("vcon:a");
    auto second = t.cache.begin("vcon:a");
    EXPECT_TRUE(t.cache.finish(second, bytes("A-new")));
    EXPECT_FALSE(t.cache.finish(first, bytes("A-old"))); // a late old reply never overwrites
    EXPECT_EQ(*t.find("vcon:a"), "A-new");
}

TEST(NearCache, AnInvalidationAfterTheStoreErases) {
    Live t;
    auto r = t.cache.begin("vcon:a");
    t.cache.finish(r, bytes("A1"));
    t.cache.invalidate("vcon:a");
    EXPECT_EQ(t.find("vcon:a"), nullptr);
    EXPECT_EQ(t.cache.bytes(), 0u);
}

TEST(NearCache, AFlushWhileInFlightRefusesAndEmpties) {
    Live t;
    auto stored = t.cache.begin("vcon:b");
    t.cache.finish(stored, bytes("B1"));
    auto r = t.cache.begin("vcon:a");
    t.cache.flush();
    EXPECT_FALSE(t.cache.finish(r, bytes("A1")));
    EXPECT_EQ(t.find("vcon:b"), nullptr);
    EXPECT_EQ(t.cache.entries(), 0u);
}

TEST(NearCache, LosingTrackingWhileInFlightRefusesEvenAfterItComesBack) {
    Live t;
    auto r = t.cache.begin("vcon:a");
    t.cache.set_live(false);
    t.cache.set_live(true);
    EXPECT_FALSE(t.cache.finish(r, bytes("A1")));
}

TEST(NearCache, NothingIsStoredOrServedWhileNotLive) {
    Metrics m;
    NearCache c(kBig, m);
    auto r = c.begin("vcon:a");
    EXPECT_FALSE(c.finish(r, bytes("A1")));
    c.set_live(true);
    auto s = c.begin("vcon:a");
    c.finish(s, bytes("A1"));
    c.set_live(false);
    EXPECT_EQ(c.find("vcon:a"), nullptr);
    EXPECT_EQ(c.bytes(), 0u);
}

TEST(NearCache, AnAbandonedReadingForgetsItsFlight) {
    Live t;
    { auto r = t.cache.begin("vcon:a"); } // the request went away (Redis down, not a hit)
    auto r = t.cache.begin("vcon:a");
    EXPECT_TRUE(t.cache.finish(r, bytes("A1")));
}

TEST(NearCache, EvictsTheLeastRecentlyUsedWithinTheByteBudget) {
    const std::string value(1000, 'x');
    const std::size_t each = 6 + value.size() + NearCache::kEntryOverhead;
    Live t(3 * each);
    for (const char *k : {"vcon:1", "vcon:2", "vcon:3"}) {
        auto r = t.cache.begin(k);
        ASSERT_TRUE(t.cache.finish(r, bytes(value)));
    }
    EXPECT_EQ(t.cache.bytes(), 3 * each);
    ASSERT_NE(t.find("vcon:1"), nullptr); // 1 is now the most recently used
    auto r = t.cache.begin("vcon:4");
    ASSERT_TRUE(t.cache.finish(r, bytes(value)));
    EXPECT_LE(t.cache.bytes(), 3 * each);
    EXPECT_EQ(t.find("vcon:2"), nullptr); // the least recently used went
    EXPECT_NE(t.find("vcon:1"), nullptr);
    EXPECT_NE(t.find("vcon:3"), nullptr);
    EXPECT_NE(t.find("vcon:4"), nullptr);
}

TEST(NearCache, AValueLargerThanTheBudgetIsNotStored) {
    Live t(1000);
    auto r = t.cache.begin("vcon:a");
    EXPECT_FALSE(t.cache.finish(r, bytes(std::string(1000, 'x'))));
    EXPECT_EQ(t.cache.bytes(), 0u);
}

TEST(NearCache, ReplacingAValueKeepsTheByteCountExact) {
    Live t;
    auto r = t.cache.begin("vcon:a");
    t.cache.finish(r, bytes(std::string(100, 'x')));
    auto s = t.cache.begin("vcon:a");
    t.cache.finish(s, bytes(std::string(10, 'y')));
    EXPECT_EQ(t.cache.bytes(), 6 + 10 + NearCache::kEntryOverhead);
    EXPECT_EQ(t.cache.entries(), 1u);
}

TEST(NearCache, BytesFoundStayAliveAndUnchangedAfterTheirEntryGoes) {
    // A response borrows the value it sends (no copy) while its write is pending; an invalidation,
    // a replacement or a flush meanwhile must not free or change those bytes.
    Live t;
    auto r = t.cache.begin("vcon:a");
    t.cache.finish(r, bytes("A1"));
    const auto sent = t.find("vcon:a");
    ASSERT_NE(sent, nullptr);
    t.cache.invalidate("vcon:a");
    auto s = t.cache.begin("vcon:a");
    ASSERT_TRUE(t.cache.finish(s, bytes("A2")));
    EXPECT_EQ(*sent, "A1");
    EXPECT_EQ(*t.find("vcon:a"), "A2");
    t.cache.flush();
    EXPECT_EQ(*sent, "A1");
    EXPECT_EQ(t.find("vcon:a"), nullptr);
}
