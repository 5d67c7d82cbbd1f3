// Sentinel notifications (redis/sentinel_watch.hpp): the +switch-master parser, and a real
// SENTINEL FAILOVER seen through a SentinelWatch, whose subscription moves on past a dead sentinel.
#include "redis/sentinel_watch.hpp"
#include "redis/slot_map.hpp"
#include "redis_server_fixture.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

using namespace vcon_redis::redis;
using vcon_redis::testing::RedisServer;
using vcon_redis::testing::SentinelProcess;

namespace {

// A pub/sub message as hiredis builds it, from three strings.
Reply message(const std::string &kind, const std::string &channel, const std::string &payload) {
    std::string resp;
    encode_command({kind, channel, payload}, resp);
    redisReader *reader = redisReaderCreate();
    redisReaderFeed(reader, resp.data(), resp.size());
    void *raw = nullptr;
    redisReaderGetReply(reader, &raw);
    redisReaderFree(reader);
    return Reply(static_cast<redisReply *>(raw));
}

std::string sentinel_url(std::initializer_list<int> ports, const std::string &master) {
    std::string hosts;
    for (int p : ports)
        hosts += (hosts.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(p);
    return "redis+sentinel://" + hosts + "/" + master;
}

} // namespace

TEST(SentinelWatchParse, SwitchMasterPayload) {
    auto s = parse_master_switch("mymaster 127.0.0.1 6379 10.0.0.2 6380");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->master, "mymaster");
    EXPECT_EQ(s->from, (HostPort{"127.0.0.1", 6379}));
    EXPECT_EQ(s->to, (HostPort{"10.0.0.2", 6380}));
    auto v6 = parse_master_switch("m ::1 7000 fe80::1 7001");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->to, (HostPort{"fe80::1", 7001}));
}

TEST(SentinelWatchParse, RejectsMalformedPayloads) {
    for (const char *bad : {"", "m 127.0.0.1 6379 10.0.0.2", "m 127.0.0.1 6379 10.0.0.2 6380 extra",
                            "m 127.0.0.1 6379 10.0.0.2 0", "m 127.0.0.1 6379 10.0.0.2 65536",
                            "m 127.0.0.1 x 10.0.0.2 6380", "m 127.0.0.1 6379 10.0.0.2 6380 ",
                            "m  127.0.0.1 6379 10.0.0.2 6380", "m 127.0.0.1 6379 10.0.0.2 63a0"})
        EXPECT_FALSE(parse_master_switch(bad)) << '"' << bad << '"';
}

TEST(SentinelWatchParse, OnlyOurMastersSwitchMessages) {
    const std::string payload = "ours 127.0.0.1 6379 127.0.0.1 6380";
    auto ours = master_switch_for(*message("message", "+switch-master", payload), "ours");
    ASSERT_TRUE(ours);
    EXPECT_EQ(ours->to.port, 6380);
    EXPECT_FALSE(master_switch_for(*message("message", "+switch-master", payload), "other"));
    EXPECT_FALSE(master_switch_for(*message("message", "+sdown", payload), "ours"));
    EXPECT_FALSE(master_switch_for(*message("subscribe", "+switch-master", payload), "ours"));
    EXPECT_FALSE(master_switch_for(*message("message", "+switch-master", "ours garbage"), "ours"));
}

TEST(SentinelWatchParse, SentinelFirst) {
    Url url = Url::parse("redis+sentinel://a:1,b:2,c:3/m");
    Url moved = with_sentinel_first(url, HostPort{"c", 3});
    ASSERT_EQ(moved.sentinels.size(), 3u);
    EXPECT_EQ(moved.sentinels[0], (HostPort{"c", 3}));
    EXPECT_EQ(moved.sentinels[1], (HostPort{"a", 1}));
    EXPECT_EQ(moved.sentinels[2], (HostPort{"b", 2}));
    EXPECT_EQ(with_sentinel_first(url, HostPort{"d", 4}).sentinels[0], (HostPort{"a", 1}));
}

TEST(SentinelWatch, RefusesANonSentinelUrl) {
    EXPECT_THROW(SentinelWatch(Url::parse("redis://127.0.0.1:6379"), {}), std::invalid_argument);
}

// A dead first sentinel: the subscription fails, backs off and moves on to the next one, which
// then reports the switch of a real SENTINEL FAILOVER.
TEST(SentinelWatch, FollowsAFailoverPastADeadSentinel) {
    RedisServer primary;
    RedisServer replica;
    {
        Connection r(Url::parse(replica.tcp_url()), {});
        r.connect();
        r.command({"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
    }
    SentinelProcess sentinel(primary.port(), "wm");
    int dead = vcon_redis::testing::free_tcp_port();
    SentinelWatch watch(Url::parse(sentinel_url({dead, sentinel.port()}, "wm")), {});

    ASSERT_TRUE(watch.due());
    const Clock::time_point tried = Clock::now();
    EXPECT_THROW(watch.subscribe(), Error);
    EXPECT_FALSE(watch.subscribed());
    EXPECT_GE(watch.retry_at(), tried + SentinelWatch::min_backoff); // backing off
    EXPECT_LE(watch.retry_at(), Clock::now() + SentinelWatch::min_backoff);
    EXPECT_EQ(watch.sentinel().port, sentinel.port()); // the next one
    std::this_thread::sleep_for(SentinelWatch::min_backoff);
    ASSERT_TRUE(watch.due());
    watch.subscribe();
    ASSERT_TRUE(watch.subscribed());
    EXPECT_GE(watch.fd(), 0);
    EXPECT_FALSE(watch.poll()); // nothing yet, and no wait

    // The sentinel must know the replica (and it must be in sync) before it can fail over.
    Connection s(Url::parse("redis://127.0.0.1:" + std::to_string(sentinel.port())), {});
    s.connect();
    auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
        Reply r = s.command({"SENTINEL", "failover", "wm"});
        if (!is_error(*r))
            break;
        ASSERT_LT(Clock::now(), deadline) << text(*r);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::optional<MasterSwitch> sw;
    while (!sw && Clock::now() < deadline) {
        sw = watch.poll();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(sw) << "no +switch-master within 30 s";
    EXPECT_EQ(sw->master, "wm");
    EXPECT_EQ(sw->from.port, primary.port());
    EXPECT_EQ(sw->to.port, replica.port());
}

// A sentinel that goes away: poll() reports it and the watch schedules the next sentinel.
TEST(SentinelWatch, LostSubscriptionThrowsAndBacksOff) {
    RedisServer primary;
    std::optional<SentinelProcess> sentinel(std::in_place, primary.port(), "wm");
    int port = sentinel->port();
    SentinelWatch watch(Url::parse(sentinel_url({port}, "wm")), {});
    watch.subscribe();
    sentinel.reset(); // SIGKILL
    auto deadline = Clock::now() + std::chrono::seconds(5);
    bool lost = false;
    Clock::time_point lost_at{};
    while (!lost && Clock::now() < deadline) {
        try {
            watch.poll();
        } catch (const Error &) {
            lost = true;
            lost_at = Clock::now();
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(lost);
    EXPECT_FALSE(watch.subscribed());
    EXPECT_EQ(watch.fd(), -1);
    EXPECT_GT(watch.retry_at(), lost_at); // backing off before the next attempt
    EXPECT_LE(watch.retry_at(), lost_at + SentinelWatch::min_backoff);
}
