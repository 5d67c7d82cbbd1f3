// mask_credentials (common/redis/url.cpp) against the URL parser: every password the parser
// accepts, whatever characters it holds, is masked wherever the URL stands in free text.
#include "redis/url.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <utility>
#include <vector>

using vcon_redis::redis::has_credentials;
using vcon_redis::redis::mask_credentials;
using vcon_redis::redis::Url;

namespace {

std::string masked(std::string text) {
    mask_credentials(text.data());
    text.resize(std::char_traits<char>::length(text.c_str()));
    return text;
}

// Percent-encodes the characters of s found in special (the ones the parser cannot take raw there).
std::string encode(const std::string &s, const std::string &special) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (special.find(static_cast<char>(c)) == std::string::npos) {
            out.push_back(static_cast<char>(c));
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string sql_literal_body(const std::string &s) {
    std::string out;
    for (char c : s) {
        out += c;
        if (c == '\'')
            out += '\'';
    }
    return out;
}

} // namespace

TEST(UrlMask, EveryPasswordTheParserAcceptsIsMaskedInAnyText) {
    // Where a URL stands in log lines: alone, quoted by PostgreSQL, inside a statement, followed by
    // text holding the grammar's own delimiters.
    const std::vector<std::pair<std::string, std::string>> around = {
        {"", ""},
        {"parameter \"vcon_redis.redis_url\" changed to \"", "\""},
        {"ALTER SYSTEM SET vcon_redis.redis_url = '", "'"},
        {"invalid input syntax for type integer: \"", "\""},
        {"connect to ", ", then retry; see admin@example.com"},
        {"(", ")\nDETAIL: next line"},
        {"x ", " y/z?w"},
    };
    int checked = 0;
    for (int c = 0x20; c < 0x7f; ++c) {
        if (std::isalnum(c))
            continue;
        const std::string ch(1, static_cast<char>(c));
        const std::string password = ch + "Pw" + ch + "Zq" + ch;
        const std::string in_userinfo = encode(password, "/?%");
        const std::string in_query = encode(password, "&%");
        const std::vector<std::string> urls = {
            "redis://worker:" + in_userinfo + "@127.0.0.1:6380/2",
            "redis://:" + in_userinfo + "@[::1]:6380",
            "redis://u:" + in_userinfo + "@h",
            "unix://u:" + in_userinfo + "@/tmp/r.sock?db=1",
            "redis://h:1/0?db=3&password=" + in_query,
            "unix:///tmp/r.sock?password=" + in_query + "&db=0",
            "rediss://w:" + in_userinfo + "@h:6380/1?tls_ca_file=/etc/ca.crt",
            "redis+sentinel://:" + in_userinfo + "@s1:26379,s2/mymaster/1",
            "rediss+sentinel://s1,s2:7/m?password=" + in_query + "&tls_verify=no",
        };
        for (const std::string &url : urls) {
            ASSERT_EQ(Url::parse(url).password, password) << url;
            for (const auto &[before, after] : around) {
                std::string text =
                    before + (before.starts_with("ALTER") ? sql_literal_body(url) : url) + after;
                EXPECT_TRUE(has_credentials(text)) << text;
                std::string out = masked(text);
                EXPECT_EQ(out.find("Pw"), std::string::npos) << text << "\n -> " << out;
                EXPECT_EQ(out.find("Zq"), std::string::npos) << text << "\n -> " << out;
                EXPECT_NE(out.find("***"), std::string::npos) << out;
                EXPECT_EQ(masked(out), out) << "masking twice changes " << out;
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 1000);
}

TEST(UrlMask, KeepsWhatIsNotAPassword) {
    EXPECT_EQ(masked("parameter \"vcon_redis.redis_url\" changed to \"redis://w:a b#c\"d@h:6379/0\""),
              "parameter \"vcon_redis.redis_url\" changed to \"redis://w:***@h:6379/0\"");
    EXPECT_EQ(masked("redis://127.0.0.1:6379/0 is down"), "redis://127.0.0.1:6379/0 is down");
    EXPECT_EQ(masked("see https://example.com/x, mail bob@example.com"),
              "see https://example.com/x, mail bob@example.com");
    EXPECT_FALSE(has_credentials("redis://127.0.0.1:6379/0 and https://example.com/a?b=c"));
    // the parser's own redacted forms are left as they are
    for (const char *redacted : {"redis://alice:***@cache.example:6380/5", "redis://:***@127.0.0.1:6379/0",
                                 "unix:///tmp/r.sock?db=2&user=bob&password=***"})
        EXPECT_EQ(masked(redacted), redacted);
    // the sentinels' own password is a query value like the others
    EXPECT_EQ(masked("redis+sentinel://s1,s2/m/0?sentinel_password=Sp1&db=0 failed"),
              "redis+sentinel://s1,s2/m/0?sentinel_password=***&db=0 failed");
    for (const char *redacted :
         {"rediss://:***@h:6380/0?tls_verify=no",
          "redis+sentinel://app:***@s1:26379,s2:26380/m/3?sentinel_user=sen&sentinel_password=***"})
        EXPECT_EQ(masked(redacted), redacted);
    // a userinfo without ':' may be a password written without it
    EXPECT_EQ(masked("redis://s3cret@h:1/0"), "redis://***@h:1/0");
}

TEST(UrlMask, LibpqKeywordValues) {
    EXPECT_EQ(masked("host=h password=s3cr;et dbname=x"), "host=h password=*** dbname=x");
    EXPECT_EQ(masked("host=h PASSWORD='a b\\'c' dbname=x"), "host=h PASSWORD=*** dbname=x");
    EXPECT_EQ(masked("password="), "password=");
    EXPECT_EQ(masked("password=ab"), "password=**");
}
