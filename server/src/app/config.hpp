// vcon-cache-server configuration: command-line flags over environment variables over defaults
// (docs/design.md, "Names that are contracts"). parse_config() never logs a secret; its errors say which
// setting is wrong.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace vcon_redis::server {

// A bad flag, environment value or URL: main prints it and exits with status 2.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Config {
    std::string database_url; // DATABASE_URL[_FILE] / --database-url[-file]; libpq URI or key=value
    std::string redis_url = "redis://127.0.0.1:6379/0"; // REDIS_URL[_FILE] / --redis-url[-file]
    // Which of the two URLs arrived as a command-line value (visible in ps: main warns and masks).
    bool database_url_in_argv = false;
    bool redis_url_in_argv = false;
    int expiry_s = 3600;          // VCON_REDIS_EXPIRY / --expiry: TTL of the server's fills, 0 = none
    bool expiry_explicit = false; // given: kept even when vcon_redis.ttl differs (warned); else learnt
    std::string api_token;        // VCON_API_TOKEN (environment only): Bearer token for HTTP
    std::string listen_host = "127.0.0.1";
    unsigned short listen_port = 8080;
    bool stdio = false; // --stdio: MCP over stdin/stdout, no HTTP
    std::vector<std::string> allowed_origins{"http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"};
    // Host header allow-list of every route (DNS rebinding); the --listen address is added when
    // it is a specific IP. Entries: name or IP (any port), name:port, [v6], [v6]:port, "*".
    std::vector<std::string> allowed_hosts{"localhost", "127.0.0.1", "[::1]"};
    std::string key_prefix = "vcon:";
    bool key_prefix_explicit = false;  // given: a different vcon_redis.key_prefix disables the cache
    int settings_check_interval_s = 5; // how often the extension's settings are read again
    int redis_timeout_ms = 100;        // deadline of one Redis command
    int redis_connect_timeout_ms = 1000;
    int pg_pool_size = 4;
    int pg_connect_timeout_s = 3;
    int pg_statement_timeout_ms = 5000;
    std::size_t max_body_bytes = 64u << 10;     // HTTP request body, stdio line
    std::size_t max_mcp_message_bytes = 200000; // one serialized MCP response
    std::size_t max_header_bytes = 16u << 10;
    int max_connections = 1024;
    int threads = 0;            // io threads; 0 = hardware_concurrency capped at 2
    int idle_timeout_s = 60;    // keep-alive connection without a request
    int request_timeout_s = 10; // from the first byte of a request to its last
    int lease_ms = 2000;        // PX of <prefix><uuid>:lease
    int test_fill_delay_ms = 0; // VCON_TEST_FILL_DELAY_MS (tests only): sleep between PG read and fill
    // VCON_NEAR_CACHE_BYTES / --near-cache-bytes: in-process near cache of hot documents, split
    // evenly among the io threads; 0 = off.
    std::size_t near_cache_bytes = 64u << 20;
    int test_near_delay_ms =
        0; // VCON_TEST_NEAR_DELAY_MS (tests only): sleep between GET reply and near store
    bool help = false;
};

// argv as given to main; env lookups go through std::getenv. Throws ConfigError.
Config parse_config(int argc, char **argv);

// The --help text.
std::string usage();

} // namespace vcon_redis::server
