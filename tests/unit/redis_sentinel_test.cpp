// Sentinel discovery in Connection::connect() against real redis-server processes: the primary
// named by a sentinel, confirmed by ROLE; dead or ignorant sentinels skipped; a node that is not a
// primary refused with a message saying so.
#include "redis/connection.hpp"
#include "redis_server_fixture.hpp"
#include "thrown_errors.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace vcon_redis::redis;
using vcon_redis::testing::connect_error;
using vcon_redis::testing::RedisServer;
using vcon_redis::testing::SentinelProcess;

namespace {

std::string sentinel_url(std::initializer_list<int> ports, const std::string &master, int db = 0) {
    std::string hosts;
    for (int p : ports)
        hosts += (hosts.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(p);
    return "redis+sentinel://" + hosts + "/" + master + "/" + std::to_string(db);
}

} // namespace

TEST(RedisSentinel, FindsThePrimarySkippingDeadAndIgnorantSentinels) {
    RedisServer primary;
    SentinelProcess sentinel(primary.port(), "m1");
    SentinelProcess other(primary.port(), "other");
    int dead = vcon_redis::testing::free_tcp_port();
    Connection c(Url::parse(sentinel_url({dead, other.port(), sentinel.port()}, "m1", 2)), {});
    c.connect();
    EXPECT_EQ(c.address(), "127.0.0.1:" + std::to_string(primary.port()));
    c.command({"SET", "k", "v"});
    // db 2 of the primary, as the URL says.
    Connection direct(Url::parse(primary.tcp_url(2)), {});
    direct.connect();
    EXPECT_EQ(text(*direct.command({"GET", "k"})), "v");
}

TEST(RedisSentinel, NoSentinelKnowsTheMaster) {
    RedisServer primary;
    SentinelProcess sentinel(primary.port(), "m1");
    Error e = connect_error(sentinel_url({sentinel.port()}, "nope"));
    EXPECT_EQ(e.kind(), Error::Kind::sentinel);
    EXPECT_NE(std::string(e.what()).find("does not know master nope"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("redis: no primary found for sentinel master nope"),
              std::string::npos);
}

TEST(RedisSentinel, AllSentinelsDownIsAConnectionError) {
    int dead = vcon_redis::testing::free_tcp_port();
    Error e = connect_error(sentinel_url({dead}, "m1"));
    EXPECT_EQ(e.kind(), Error::Kind::connect);
    EXPECT_TRUE(e.transient());
}

TEST(RedisSentinel, ANodeThatIsNotAPrimaryIsRefused) {
    RedisServer primary;
    RedisServer replica(
        RedisServer::Config{.extra_args = {"--replicaof", "127.0.0.1", std::to_string(primary.port())}});
    SentinelProcess wrong(replica.port(), "m1"); // told the replica is the master
    Error e = connect_error(sentinel_url({wrong.port()}, "m1"));
    EXPECT_EQ(e.kind(), Error::Kind::sentinel);
    EXPECT_NE(std::string(e.what()).find("but its ROLE is slave (failover in progress?)"), std::string::npos)
        << e.what();
}
