// Redis Cluster building blocks without a server: CRC16 and hash tags (values as Redis computes
// them: CLUSTER KEYSLOT), the key layout's co-location, CLUSTER SLOTS parsing, MOVED/ASK parsing,
// command routing keys, and cluster URLs (node lists, redis+cluster://, TLS, masking).
#include "redis/keys.hpp"
#include "redis/redirect.hpp"
#include "redis/slot.hpp"
#include "redis/slot_map.hpp"
#include "redis/url.hpp"
#include "thrown_errors.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace vcon_redis::redis;
using vcon_redis::testing::url_error;

namespace {

// A reply parsed by hiredis from RESP text, as the client would receive it.
Reply parse_resp(const std::string &resp) {
    redisReader *reader = redisReaderCreate();
    EXPECT_EQ(redisReaderFeed(reader, resp.data(), resp.size()), REDIS_OK);
    void *raw = nullptr;
    EXPECT_EQ(redisReaderGetReply(reader, &raw), REDIS_OK);
    redisReaderFree(reader);
    return Reply(static_cast<redisReply *>(raw));
}

std::string bulk(const std::string &s) {
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// One CLUSTER SLOTS range: [start, end, [host, port, id]]
std::string range(int start, int end, const std::string &host, int port) {
    return "*3\r\n:" + std::to_string(start) + "\r\n:" + std::to_string(end) + "\r\n*3\r\n" + bulk(host) +
           ":" + std::to_string(port) + "\r\n" + bulk("0123456789abcdef");
}

} // namespace

TEST(RedisSlots, Crc16KnownVector) {
    EXPECT_EQ(crc16("123456789"), 0x31C3);
    EXPECT_EQ(crc16(""), 0);
}

TEST(RedisSlots, KeySlotsAsRedisComputesThem) {
    EXPECT_EQ(key_slot("foo"), 12182);
    EXPECT_EQ(key_slot("bar"), 5061);
    EXPECT_EQ(key_slot("somekey"), 11058);
    EXPECT_EQ(key_slot("hello"), 866);
}

TEST(RedisSlots, HashTags) {
    EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
    EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
    EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}"); // an empty tag: the whole key
    EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");    // the first '{' and the first '}' after it
    EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");
    EXPECT_EQ(hash_tag("no-tag"), "no-tag");
    EXPECT_EQ(hash_tag("open{only"), "open{only");
    EXPECT_FALSE(has_hash_tag("vcon:abc"));
    EXPECT_TRUE(has_hash_tag("{t}vcon:abc"));
}

TEST(RedisSlots, KeyLayoutKeepsEachScriptInOneSlot) {
    const std::string uuid = "0190a8e4-9f0b-7d3c-8a51-4c6f1e2d3b4a";
    // (A prefix holding '}' without a hash tag, "a{}b:", cannot be co-located: keys.hpp.)
    for (std::string prefix : {"vcon:", "", "{tenant}vcon:", "x{"}) {
        EXPECT_EQ(key_slot(lease_key(prefix, uuid)), key_slot(doc_key(prefix, uuid))) << prefix;
        EXPECT_NE(lease_key(prefix, uuid), doc_key(prefix, uuid));
    }
    EXPECT_EQ(doc_key("vcon:", uuid), "vcon:" + uuid); // what vcon-mcp and the conserver read
    EXPECT_EQ(lease_key("vcon:", "u1"), "{vcon:u1}:lease");
    EXPECT_EQ(lease_key("{t}vcon:", "u1"), "{t}vcon:u1:lease");
    for (std::string list : {"ingress", "a{b}c", "q:1"})
        EXPECT_EQ(key_slot(push_guard_key(list, "42")), key_slot(list)) << list;
    EXPECT_EQ(push_guard_key("ingress", "42"), "{ingress}:push:42");
    EXPECT_EQ(push_guard_key("a{b}c", "42"), "a{b}c:push:42");
}

TEST(RedisSlots, CommandRoutingKey) {
    EXPECT_EQ(command_slot({"GET", "foo"}), key_slot("foo"));
    EXPECT_EQ(command_slot({"set", "bar", "v"}), key_slot("bar"));
    EXPECT_EQ(command_slot({"EVALSHA", "abc", "2", "foo", "{foo}:lease", "arg"}), key_slot("foo"));
    EXPECT_EQ(command_slot({"EVAL", "return 1", "0"}), -1);
    EXPECT_EQ(command_slot({"WAIT", "1", "100"}), -1);
    EXPECT_EQ(command_slot({"PING"}), -1);
    EXPECT_EQ(command_slot({"CLUSTER", "SLOTS"}), -1);
}

TEST(RedisSlotMap, ParsesClusterSlots) {
    Reply r = parse_resp("*3\r\n" + range(0, 5460, "127.0.0.1", 7000) +
                         range(5461, 10922, "127.0.0.1", 7001) + range(10923, 16383, "", 7002));
    SlotMap map = SlotMap::parse(*r, "10.0.0.9");
    ASSERT_EQ(map.nodes().size(), 3u);
    EXPECT_EQ(map.uncovered(), 0);
    EXPECT_EQ(map.node_for(0)->port, 7000);
    EXPECT_EQ(map.node_for(5460)->port, 7000);
    EXPECT_EQ(map.node_for(5461)->port, 7001);
    EXPECT_EQ(map.node_for(16383)->port, 7002);
    EXPECT_EQ(map.node_for(16383)->host, "10.0.0.9"); // an unknown endpoint: the host asked
    EXPECT_FALSE(map.node_for(16384).has_value());
    map.assign(0, HostPort{"10.0.0.9", 7002}); // a MOVED
    EXPECT_EQ(map.node_for(0)->port, 7002);
    EXPECT_EQ(map.nodes().size(), 3u);
}

TEST(RedisSlotMap, SeveralRangesPerNodeAndHoles) {
    Reply r = parse_resp("*2\r\n" + range(0, 99, "h", 1) + range(200, 299, "h", 1));
    SlotMap map = SlotMap::parse(*r, "x");
    EXPECT_EQ(map.nodes().size(), 1u);
    EXPECT_EQ(map.uncovered(), slot_count - 200);
    EXPECT_FALSE(map.node_for(150).has_value());
    EXPECT_TRUE(map.node_for(250).has_value());
}

TEST(RedisSlotMap, RefusesErrorsAndMalformedReplies) {
    EXPECT_THROW(SlotMap::parse(*parse_resp("-ERR This instance has cluster support disabled\r\n"), "h"),
                 Error);
    EXPECT_THROW(SlotMap::parse(*parse_resp(":1\r\n"), "h"), Error);
    EXPECT_THROW(SlotMap::parse(*parse_resp("*1\r\n" + range(10, 5, "h", 1)), "h"), Error);
    EXPECT_THROW(SlotMap::parse(*parse_resp("*1\r\n" + range(0, 16384, "h", 1)), "h"), Error);
    EXPECT_THROW(SlotMap::parse(*parse_resp("*1\r\n*2\r\n:0\r\n:1\r\n"), "h"), Error);
    EXPECT_THROW(SlotMap::parse(*parse_resp("*1\r\n" + range(0, 1, "h", 0)), "h"), Error);
}

TEST(RedisRedirect, MovedAndAsk) {
    auto m = parse_redirect(*parse_resp("-MOVED 3999 127.0.0.1:6381\r\n"), "x");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, Redirect::Kind::moved);
    EXPECT_EQ(m->slot, 3999);
    EXPECT_EQ(m->to.host, "127.0.0.1");
    EXPECT_EQ(m->to.port, 6381);
    auto a = parse_redirect("ASK 12 ::1:7000", "x");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, Redirect::Kind::ask);
    EXPECT_EQ(a->to.host, "::1");
    EXPECT_EQ(a->to.port, 7000);
    auto same_host = parse_redirect("MOVED 1 :7001", "10.1.1.1");
    ASSERT_TRUE(same_host);
    EXPECT_EQ(same_host->to.host, "10.1.1.1");
    EXPECT_FALSE(parse_redirect("MOVEDX 1 h:1", "x"));
    EXPECT_FALSE(parse_redirect("MOVED 16384 h:1", "x"));
    EXPECT_FALSE(parse_redirect("MOVED 1 h", "x"));
    EXPECT_FALSE(parse_redirect("ERR wrong", "x"));
    EXPECT_FALSE(parse_redirect(*parse_resp("+MOVED 1 h:1\r\n"), "x")); // a status, not an error
}

TEST(RedisRedirect, TopologyErrorsAreTransient) {
    for (std::string e :
         {"MOVED 1 h:1", "ASK 1 h:1", "TRYAGAIN Multiple keys request during rehashing of slot",
          "CLUSTERDOWN The cluster is down"}) {
        Reply r = parse_resp("-" + e + "\r\n");
        EXPECT_TRUE(is_cluster_redirect_or_reshard(*r)) << e;
        EXPECT_TRUE(is_transient_error(*r)) << e;
    }
    Reply crossslot = parse_resp("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    EXPECT_FALSE(is_cluster_redirect_or_reshard(*crossslot));
    EXPECT_FALSE(is_transient_error(*crossslot)); // a key layout error: retrying cannot help
}

TEST(RedisClusterUrl, NodeListIsACluster) {
    Url u = Url::parse("redis://n1:6379,n2:6380,[::1]:7000");
    EXPECT_EQ(u.kind, Url::Kind::Cluster);
    ASSERT_EQ(u.seeds.size(), 3u);
    EXPECT_EQ(u.seeds[0].host, "n1");
    EXPECT_EQ(u.seeds[1].port, 6380);
    EXPECT_EQ(u.seeds[2].host, "::1");
    EXPECT_FALSE(u.tls.enabled);
    EXPECT_EQ(u.redacted(), "redis+cluster://n1:6379,n2:6380,[::1]:7000/0");
    EXPECT_EQ(u.endpoint(), "cluster n1:6379,n2:6380,[::1]:7000");
}

TEST(RedisClusterUrl, ExplicitSchemeTlsAndCredentials) {
    Url one = Url::parse("redis+cluster://n1");
    EXPECT_EQ(one.kind, Url::Kind::Cluster);
    ASSERT_EQ(one.seeds.size(), 1u);
    EXPECT_EQ(one.seeds[0].port, 6379);

    Url t = Url::parse("rediss://app:s3cret@n1:7000,n2:7001?tls_ca_file=/ca.pem&tls_server_name=redis.test");
    EXPECT_EQ(t.kind, Url::Kind::Cluster);
    EXPECT_TRUE(t.tls.enabled);
    EXPECT_EQ(t.tls.ca_file, "/ca.pem");
    EXPECT_EQ(t.user, "app");
    EXPECT_EQ(t.password, "s3cret");
    EXPECT_EQ(t.redacted(), "rediss+cluster://app:***@n1:7000,n2:7001/0");
    Url node = t.node(t.seeds[1]);
    EXPECT_EQ(node.kind, Url::Kind::Tcp);
    EXPECT_EQ(node.port, 7001);
    EXPECT_EQ(node.password, "s3cret");
    EXPECT_TRUE(node.tls.enabled);
    EXPECT_EQ(node.tls.server_name, "redis.test");

    EXPECT_EQ(Url::parse("rediss+cluster://h:1").kind, Url::Kind::Cluster);
    EXPECT_TRUE(Url::parse("rediss+cluster://h:1").tls.enabled);
}

TEST(RedisClusterUrl, ErrorsAreClearAndNeverQuoteSecrets) {
    EXPECT_NE(url_error("redis://n1,n2/3").find("only db 0"), std::string::npos);
    EXPECT_NE(url_error("redis+cluster://n1?db=2").find("only db 0"), std::string::npos);
    EXPECT_NE(url_error("redis://:hunter2@n1,:9").find("missing host"), std::string::npos);
    EXPECT_EQ(url_error("redis://:hunter2@n1,:9").find("hunter2"), std::string::npos);
    EXPECT_NE(url_error("redis://n1:0,n2").find("port"), std::string::npos);
    EXPECT_NE(url_error("redis+cluster://n1?tls_verify=no").find("TLS URL"), std::string::npos);
}

TEST(RedisClusterUrl, PasswordsMaskedInNodeLists) {
    std::string line = "worker connects to rediss://app:p@ss,w0rd@n1:7000,n2:7001?password=second&db=0 now";
    mask_credentials(line.data());
    line.resize(std::strlen(line.c_str()));
    EXPECT_EQ(line.find("p@ss"), std::string::npos);
    EXPECT_EQ(line.find("w0rd"), std::string::npos);
    EXPECT_EQ(line.find("second"), std::string::npos);
    EXPECT_NE(line.find("n2:7001"), std::string::npos);
    EXPECT_TRUE(has_credentials("redis+cluster://:pw@n1,n2"));
}
