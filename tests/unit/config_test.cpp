// parse_config (server/src/app/config.cpp): flags over environment variables over defaults, one
// table of settings, errors that name the setting and never its secret value.
#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "thrown_errors.hpp"

namespace vcon_redis::server {
namespace {

using vcon_redis::testing::thrown_message;

constexpr const char *kVariables[] = {"DATABASE_URL",
                                      "DATABASE_URL_FILE",
                                      "REDIS_URL",
                                      "REDIS_URL_FILE",
                                      "VCON_REDIS_EXPIRY",
                                      "VCON_ALLOWED_HOSTS",
                                      "VCON_ALLOWED_ORIGINS",
                                      "VCON_API_TOKEN",
                                      "VCON_TEST_FILL_DELAY_MS",
                                      "VCON_TEST_NEAR_DELAY_MS",
                                      "VCON_NEAR_CACHE_BYTES"};

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char *v : kVariables)
            unsetenv(v);
    }
    void TearDown() override { SetUp(); }

    static Config parse(std::initializer_list<const char *> args) {
        std::vector<std::string> owned{"vcon-cache-server"};
        owned.insert(owned.end(), args.begin(), args.end());
        std::vector<char *> argv;
        for (auto &a : owned)
            argv.push_back(a.data());
        return parse_config(static_cast<int>(argv.size()), argv.data());
    }
};

TEST_F(ConfigTest, DefaultsWithoutFlagsOrEnvironment) {
    Config c = parse({});
    EXPECT_EQ(c.redis_url, "redis://127.0.0.1:6379/0");
    EXPECT_EQ(c.expiry_s, 3600);
    EXPECT_FALSE(c.expiry_explicit);
    EXPECT_EQ(c.key_prefix, "vcon:");
    EXPECT_TRUE(c.api_token.empty());
    EXPECT_EQ(c.listen_port, 8080);
}

TEST_F(ConfigTest, FlagsOverrideTheEnvironment) {
    setenv("VCON_REDIS_EXPIRY", "60", 1);
    setenv("REDIS_URL", "redis://env:6379/1", 1);
    Config from_env = parse({});
    EXPECT_EQ(from_env.expiry_s, 60);
    EXPECT_TRUE(from_env.expiry_explicit);
    EXPECT_EQ(from_env.redis_url, "redis://env:6379/1");
    EXPECT_FALSE(from_env.redis_url_in_argv);

    Config c = parse({"--expiry", "30", "--redis-url=redis://flag:6379/2"});
    EXPECT_EQ(c.expiry_s, 30);
    EXPECT_EQ(c.redis_url, "redis://flag:6379/2");
    EXPECT_TRUE(c.redis_url_in_argv);
}

TEST_F(ConfigTest, EnvironmentOnlySettingsAreNotFlags) {
    setenv("VCON_API_TOKEN", "s3cret", 1);
    EXPECT_EQ(parse({}).api_token, "s3cret");
    std::string msg = thrown_message<ConfigError>([] { parse({"--api-token", "x"}); });
    EXPECT_NE(msg.find("unknown option '--api-token'"), std::string::npos) << msg;
}

TEST_F(ConfigTest, ErrorsNameTheSettingTheValueCameBy) {
    setenv("VCON_NEAR_CACHE_BYTES", "lots", 1);
    std::string env_msg = thrown_message<ConfigError>([] { parse({}); });
    EXPECT_NE(env_msg.find("VCON_NEAR_CACHE_BYTES: expected an integer, got 'lots'"), std::string::npos)
        << env_msg;
    unsetenv("VCON_NEAR_CACHE_BYTES");
    std::string flag_msg = thrown_message<ConfigError>([] { parse({"--threads=0"}); });
    EXPECT_NE(flag_msg.find("--threads: 0 is out of range [1, 64]"), std::string::npos) << flag_msg;
    std::string missing = thrown_message<ConfigError>([] { parse({"--lease-ms"}); });
    EXPECT_NE(missing.find("--lease-ms: missing value"), std::string::npos) << missing;
    std::string empty = thrown_message<ConfigError>([] { parse({"--key-prefix", ""}); });
    EXPECT_NE(empty.find("--key-prefix must not be empty"), std::string::npos) << empty;
}

TEST_F(ConfigTest, SecretFileErrorsNameTheFileNotItsContent) {
    std::string msg = thrown_message<ConfigError>([] { parse({"--redis-url-file", "/nonexistent/url"}); });
    EXPECT_NE(msg.find("--redis-url-file: cannot read '/nonexistent/url'"), std::string::npos) << msg;
}

TEST_F(ConfigTest, ASpecificListenAddressIsAnAllowedHost) {
    Config c = parse({"--listen", "127.0.0.2:9000", "--allowed-hosts", "example.test"});
    EXPECT_EQ(c.listen_host, "127.0.0.2");
    EXPECT_EQ(c.listen_port, 9000);
    EXPECT_EQ(c.allowed_hosts, (std::vector<std::string>{"example.test", "127.0.0.2"}));
    Config v6 = parse({"--listen", "[::1]:9000"});
    EXPECT_EQ(v6.allowed_hosts.back(), "[::1]");
    Config any = parse({"--listen", "0.0.0.0:9000", "--allowed-hosts", "a.test, b.test"});
    EXPECT_EQ(any.allowed_hosts, (std::vector<std::string>{"a.test", "b.test"}));
}

} // namespace
} // namespace vcon_redis::server
