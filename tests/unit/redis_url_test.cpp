#include "redis/url.hpp"
#include "thrown_errors.hpp"

#include <gtest/gtest.h>

#include <string>

using vcon_redis::redis::Url;
using vcon_redis::testing::url_error;

TEST(RedisUrl, HostOnlyDefaults) {
    Url u = Url::parse("redis://localhost");
    EXPECT_EQ(u.kind, Url::Kind::Tcp);
    EXPECT_EQ(u.host, "localhost");
    EXPECT_EQ(u.port, 6379);
    EXPECT_EQ(u.db, 0);
    EXPECT_TRUE(u.user.empty());
    EXPECT_TRUE(u.password.empty());
    EXPECT_EQ(u.redacted(), "redis://localhost:6379/0");
}

TEST(RedisUrl, FullForm) {
    Url u = Url::parse("redis://alice:s3cret@cache.example:6380/5");
    EXPECT_EQ(u.host, "cache.example");
    EXPECT_EQ(u.port, 6380);
    EXPECT_EQ(u.db, 5);
    EXPECT_EQ(u.user, "alice");
    EXPECT_EQ(u.password, "s3cret");
    EXPECT_EQ(u.redacted(), "redis://alice:***@cache.example:6380/5");
}

TEST(RedisUrl, PasswordOnly) {
    Url u = Url::parse("redis://:pw@127.0.0.1");
    EXPECT_TRUE(u.user.empty());
    EXPECT_EQ(u.password, "pw");
    EXPECT_EQ(u.redacted(), "redis://:***@127.0.0.1:6379/0");
}

TEST(RedisUrl, PercentDecodingAndAtSignInPassword) {
    Url u = Url::parse("redis://us%40er:p%3Aa%2Fss%25@h:1/2");
    EXPECT_EQ(u.user, "us@er");
    EXPECT_EQ(u.password, "p:a/ss%");
    EXPECT_EQ(u.redacted(), "redis://us%40er:***@h:1/2");
    // An unencoded '@' in the password: the last '@' ends the userinfo.
    EXPECT_EQ(Url::parse("redis://:p@ss@h").password, "p@ss");
}

TEST(RedisUrl, Ipv6) {
    Url u = Url::parse("redis://[::1]:7000/3");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 7000);
    EXPECT_EQ(u.db, 3);
    EXPECT_EQ(u.redacted(), "redis://[::1]:7000/3");
    EXPECT_EQ(Url::parse("redis://[fe80::1]").port, 6379);
}

TEST(RedisUrl, TrailingSlashAndQuery) {
    EXPECT_EQ(Url::parse("redis://h/").db, 0);
    Url u = Url::parse("redis://h:1?db=4&password=x");
    EXPECT_EQ(u.db, 4);
    EXPECT_EQ(u.password, "x");
}

TEST(RedisUrl, UnixSocket) {
    Url u = Url::parse("unix:///run/redis/redis.sock");
    EXPECT_EQ(u.kind, Url::Kind::Unix);
    EXPECT_EQ(u.path, "/run/redis/redis.sock");
    EXPECT_EQ(u.db, 0);
    EXPECT_EQ(u.redacted(), "unix:///run/redis/redis.sock?db=0");
}

TEST(RedisUrl, UnixSocketWithQueryParams) {
    Url u = Url::parse("unix:///tmp/r.sock?db=2&user=bob&password=p%26w");
    EXPECT_EQ(u.path, "/tmp/r.sock");
    EXPECT_EQ(u.db, 2);
    EXPECT_EQ(u.user, "bob");
    EXPECT_EQ(u.password, "p&w");
    EXPECT_EQ(u.redacted(), "unix:///tmp/r.sock?db=2&user=bob&password=***");
    Url v = Url::parse("unix://:pw@/tmp/r.sock");
    EXPECT_EQ(v.password, "pw");
    EXPECT_EQ(v.path, "/tmp/r.sock");
}

TEST(RedisUrl, SchemeErrors) {
    EXPECT_EQ(url_error("http://h"),
              R"(redis_url: unsupported scheme "http" (use redis://, rediss://, unix://, )"
              R"(redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://))");
    EXPECT_NE(url_error("localhost:6379").find("missing scheme"), std::string::npos);
    EXPECT_NE(url_error("redis+sentinel://h").find("missing master name"), std::string::npos);
    EXPECT_NE(url_error("redis://h?tls_ca_file=x").find("need a TLS URL"), std::string::npos);
    EXPECT_NE(url_error("unix:///s?tls_verify=no").find("need a TLS URL"), std::string::npos);
    EXPECT_NE(url_error("rediss://h?tls_verify=maybe").find("invalid tls_verify"), std::string::npos);
    EXPECT_NE(url_error("rediss://h?tls_cert_file=c").find("go together"), std::string::npos);
    EXPECT_NE(url_error("rediss://h?tls_bogus=1").find("unknown query parameter \"tls_bogus\""),
              std::string::npos);
    EXPECT_NE(url_error("redis://h?sentinel_password=x").find("unknown query parameter"), std::string::npos);
    EXPECT_NE(url_error("redis+sentinel://h/m?sentinel_user=u").find("needs a sentinel_password"),
              std::string::npos);
}

TEST(RedisUrl, ComponentErrors) {
    EXPECT_NE(url_error("redis://").find("missing host"), std::string::npos);
    EXPECT_NE(url_error("redis://h:0").find("invalid port"), std::string::npos);
    EXPECT_NE(url_error("redis://h:65536").find("invalid port"), std::string::npos);
    EXPECT_NE(url_error("redis://h:").find("invalid port"), std::string::npos);
    EXPECT_NE(url_error("redis://h/x").find("invalid db"), std::string::npos);
    EXPECT_NE(url_error("redis://h/-1").find("invalid db"), std::string::npos);
    EXPECT_NE(url_error("redis://[::1").find("IPv6"), std::string::npos);
    EXPECT_NE(url_error("redis://h?foo=1").find("unknown query parameter \"foo\""), std::string::npos);
    EXPECT_NE(url_error("unix://relative.sock").find("absolute socket path"), std::string::npos);
    EXPECT_NE(url_error("unix://").find("absolute socket path"), std::string::npos);
    EXPECT_NE(url_error("redis://alice@h").find("needs a password"), std::string::npos);
    EXPECT_NE(url_error("unix:///" + std::string(120, 'x')).find("too long"), std::string::npos);
    EXPECT_EQ(Url::parse("unix:///" + std::string(106, 'x')).path.size(), 107u);
}

TEST(RedisUrl, ErrorsNeverContainThePassword) {
    const std::string secret = "Hunter2Secret";
    for (const std::string &bad :
         {"redis://u:" + secret + "@h:99999", "redis://:" + secret + "@", "redis://:" + secret + "@h/x",
          "redis://:" + secret + "%zz@h", "redis://h:" + secret, "http://u:" + secret + "@h",
          "rediss://:" + secret + "@h:0", "redis+sentinel://:" + secret + "@h:1,h:0/m",
          "redis+sentinel://h/m?sentinel_password=" + secret + "&x=1",
          "unix:///s?password=" + secret + "&bad=1", "redis://[::1]" + secret,
          "unix:///s?password=" + secret + "%", secret}) {
        std::string msg = url_error(bad);
        EXPECT_EQ(msg.find(secret), std::string::npos) << msg;
        EXPECT_EQ(msg.rfind("redis_url: ", 0), 0u) << msg;
    }
}

TEST(RedisUrl, RedactedNeverContainsThePassword) {
    for (const char *text :
         {"redis://a:TOPSECRET@h/1", "redis://:TOPSECRET@h", "unix:///s?password=TOPSECRET",
          "rediss://:TOPSECRET@h", "redis+sentinel://:TOPSECRET@h/m",
          "rediss+sentinel://h/m?sentinel_password=TOPSECRET"}) {
        std::string r = Url::parse(text).redacted();
        EXPECT_EQ(r.find("TOPSECRET"), std::string::npos) << r;
        EXPECT_NE(r.find("***"), std::string::npos) << r;
    }
}

TEST(RedisUrl, Endpoint) {
    EXPECT_EQ(Url::parse("redis://h:7").endpoint(), "h:7");
    EXPECT_EQ(Url::parse("redis://[::1]:7").endpoint(), "[::1]:7");
    EXPECT_EQ(Url::parse("unix:///a.sock").endpoint(), "/a.sock");
}

TEST(RedisUrl, Tls) {
    Url u =
        Url::parse("rediss://:pw@h:6380/2?tls_ca_file=/etc/ca%20x.crt&tls_cert_file=c.crt&tls_key_file=k.key"
                   "&tls_server_name=redis.example");
    EXPECT_EQ(u.kind, Url::Kind::Tcp);
    EXPECT_TRUE(u.tls.enabled);
    EXPECT_TRUE(u.tls.verify);
    EXPECT_EQ(u.tls.ca_file, "/etc/ca x.crt");
    EXPECT_EQ(u.tls.cert_file, "c.crt");
    EXPECT_EQ(u.tls.key_file, "k.key");
    EXPECT_EQ(u.tls.server_name, "redis.example");
    EXPECT_EQ(u.redacted(), "rediss://:***@h:6380/2");
    EXPECT_FALSE(Url::parse("rediss://h?tls_verify=no").tls.verify);
    EXPECT_EQ(Url::parse("rediss://h?tls_verify=no").redacted(), "rediss://h:6379/0?tls_verify=no");
    EXPECT_FALSE(Url::parse("redis://h").tls.enabled);
}

TEST(RedisUrl, Sentinel) {
    Url u = Url::parse("redis+sentinel://app:pw@10.0.0.1,10.0.0.2:26380,[::1]:7/mymaster/3"
                       "?sentinel_user=sen&sentinel_password=spw");
    EXPECT_EQ(u.kind, Url::Kind::Sentinel);
    ASSERT_EQ(u.sentinels.size(), 3u);
    EXPECT_EQ(u.sentinels[0].host, "10.0.0.1");
    EXPECT_EQ(u.sentinels[0].port, 26379);
    EXPECT_EQ(u.sentinels[1].port, 26380);
    EXPECT_EQ(u.sentinels[2].host, "::1");
    EXPECT_EQ(u.master, "mymaster");
    EXPECT_EQ(u.db, 3);
    EXPECT_EQ(u.user, "app");
    EXPECT_EQ(u.password, "pw");
    EXPECT_EQ(u.sentinel_user, "sen");
    EXPECT_EQ(u.sentinel_password, "spw");
    EXPECT_FALSE(u.tls.enabled);
    EXPECT_EQ(u.endpoint(), "sentinel master mymaster");
    EXPECT_EQ(u.redacted(), "redis+sentinel://app:***@10.0.0.1:26379,10.0.0.2:26380,[::1]:7/mymaster/3"
                            "?sentinel_user=sen&sentinel_password=***");

    Url node = u.node({"10.0.0.9", 6390});
    EXPECT_EQ(node.kind, Url::Kind::Tcp);
    EXPECT_EQ(node.endpoint(), "10.0.0.9:6390");
    EXPECT_EQ(node.password, "pw");
    EXPECT_EQ(node.db, 3);
    Url sen = u.sentinel(u.sentinels[1]);
    EXPECT_EQ(sen.user, "sen");
    EXPECT_EQ(sen.password, "spw");
    EXPECT_EQ(sen.db, 0);

    Url t = Url::parse("rediss+sentinel://s1/m?tls_ca_file=ca.crt");
    EXPECT_TRUE(t.tls.enabled);
    EXPECT_TRUE(t.node({"h", 1}).tls.enabled);
    EXPECT_EQ(t.sentinel(t.sentinels[0]).tls.ca_file, "ca.crt");
    EXPECT_EQ(Url::parse("redis+sentinel://s/m/").db, 0);
    EXPECT_NE(url_error("redis+sentinel://s,/m").find("missing host"), std::string::npos);
}
