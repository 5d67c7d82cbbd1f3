#include "app/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>
#include <thread>

namespace vconredis::server {
namespace {

long long to_int(std::string_view name, std::string_view text, long long lo, long long hi) {
    long long v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size() || text.empty())
        throw ConfigError(std::string(name) + ": expected an integer, got '" + std::string(text) + "'");
    if (v < lo || v > hi)
        throw ConfigError(std::string(name) + ": " + std::to_string(v) + " is out of range [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto comma = text.find(',');
        auto item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

void parse_listen(Config &c, std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw ConfigError("--listen: expected [ipv6]:port, got '" + std::string(text) + "'");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            throw ConfigError("--listen: expected host:port, got '" + std::string(text) + "'");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    c.listen_host = host.empty() ? "127.0.0.1" : std::string(host);
    c.listen_port = static_cast<unsigned short>(to_int("--listen port", port, 0, 65535));
}

} // namespace

std::string usage() {
    return R"(Usage: vcon-cache-server [options]

Read-only, cache-first server for vCons stored in PostgreSQL with the vcon_redis extension.
Serves MCP (POST /mcp, Streamable HTTP) and REST (/api/v1/vcons), /healthz and /metrics.
Flags override environment variables; secrets are never logged.

Backends
  --database-url URL        libpq URI or key=value string (env DATABASE_URL; empty = libpq's PG*
                            environment defaults). A database that is down at start is not fatal:
                            the server starts, /healthz says "postgres":"down", misses get 503, and
                            every request/probe retries the connection.
  --redis-url URL           redis://[user:password@]host:port/db or unix:///path?db=N
                            (env REDIS_URL; default redis://127.0.0.1:6379/0). Redis down at start is
                            not fatal: reads bypass the cache (X-Cache: BYPASS) and the server
                            reconnects in the background with backoff.
  --expiry SECONDS          TTL of cache fills done by this server (env VCON_REDIS_EXPIRY; default
                            3600; 0 = no expiry). Should equal the extension's vcon_redis.ttl.
  --key-prefix PREFIX       Redis key prefix (default "vcon:"); must equal vcon_redis.key_prefix.
  --redis-timeout-ms MS     deadline of one Redis command (default 100); a miss of it drops the
                            connection, serves BYPASS and reconnects.
  --redis-connect-timeout-ms MS  (default 1000)
  --pg-pool-size N          PostgreSQL connections = worker threads for queries (default 4).
  --pg-connect-timeout S    libpq connect_timeout (default 3, minimum 2).
  --pg-statement-timeout-ms MS  statement_timeout of the server's sessions (default 5000).
  --lease-ms MS             lifetime of the fill lease <prefix><uuid>:lease (default 2000).

HTTP
  --listen HOST:PORT        address to listen on (default 127.0.0.1:8080; [::1]:8080 for IPv6).
  --stdio                   serve MCP over stdin/stdout (newline-delimited JSON-RPC) instead of
                            HTTP; logs go to stderr.
  --allowed-origins LIST    comma list of allowed Origin values for /mcp; "host:*" matches any port,
                            "*" allows all (default http://localhost:*,http://127.0.0.1:*). A
                            request without Origin is allowed; a disallowed one gets 403.
  --max-body-bytes N        request body limit (default 1048576); larger bodies get 413.
  --max-header-bytes N      request header limit (default 16384); larger headers get 431.
  --max-connections N       open HTTP connections at most (default 1024); more are closed at accept.
  --idle-timeout S          keep-alive connection closed after S seconds without a request (default 60).
  --request-timeout S       a request must arrive completely within S seconds of its first byte
                            (default 10; protects against slow clients).
  --threads N               io threads (default: hardware concurrency, at most 2).

Environment only
  VCON_API_TOKEN            when set, every HTTP route except /healthz needs
                            "Authorization: Bearer <token>" (401 otherwise). Environment only, so the
                            token never appears in the process list.
  VCON_TEST_FILL_DELAY_MS   tests only: sleep this long between the PostgreSQL read and the cache
                            fill of a miss, to make the stale-fill race reproducible.

  -h, --help                this text.
Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for a configuration error, 1 otherwise.
)";
}

Config parse_config(int argc, char **argv) {
    Config c;
    unsigned hw = std::thread::hardware_concurrency();
    c.threads = static_cast<int>(std::clamp(hw == 0 ? 1u : hw, 1u, 2u));

    auto env = [](const char *name) -> const char * {
        const char *v = std::getenv(name);
        return (v && *v) ? v : nullptr;
    };
    if (auto v = env("DATABASE_URL")) c.database_url = v;
    if (auto v = env("REDIS_URL")) c.redis_url = v;
    if (auto v = env("VCON_REDIS_EXPIRY")) c.expiry_s = static_cast<int>(to_int("VCON_REDIS_EXPIRY", v, 0, 1LL << 30));
    if (auto v = env("VCON_API_TOKEN")) c.api_token = v;
    if (auto v = env("VCON_TEST_FILL_DELAY_MS"))
        c.test_fill_delay_ms = static_cast<int>(to_int("VCON_TEST_FILL_DELAY_MS", v, 0, 600000));

    using Setter = std::function<void(std::string_view)>;
    auto int_into = [](int &dst, const char *name, long long lo, long long hi) {
        return Setter([&dst, name, lo, hi](std::string_view v) { dst = static_cast<int>(to_int(name, v, lo, hi)); });
    };
    auto size_into = [](std::size_t &dst, const char *name, long long lo, long long hi) {
        return Setter([&dst, name, lo, hi](std::string_view v) { dst = static_cast<std::size_t>(to_int(name, v, lo, hi)); });
    };
    std::map<std::string, Setter, std::less<>> with_value{
        {"--database-url", [&](std::string_view v) { c.database_url = v; }},
        {"--redis-url", [&](std::string_view v) { c.redis_url = v; }},
        {"--expiry", int_into(c.expiry_s, "--expiry", 0, 1LL << 30)},
        {"--key-prefix", [&](std::string_view v) { c.key_prefix = v; }},
        {"--redis-timeout-ms", int_into(c.redis_timeout_ms, "--redis-timeout-ms", 1, 60000)},
        {"--redis-connect-timeout-ms", int_into(c.redis_connect_timeout_ms, "--redis-connect-timeout-ms", 1, 60000)},
        {"--pg-pool-size", int_into(c.pg_pool_size, "--pg-pool-size", 1, 256)},
        {"--pg-connect-timeout", int_into(c.pg_connect_timeout_s, "--pg-connect-timeout", 2, 600)},
        {"--pg-statement-timeout-ms", int_into(c.pg_statement_timeout_ms, "--pg-statement-timeout-ms", 0, 3600000)},
        {"--lease-ms", int_into(c.lease_ms, "--lease-ms", 10, 600000)},
        {"--listen", [&](std::string_view v) { parse_listen(c, v); }},
        {"--allowed-origins", [&](std::string_view v) { c.allowed_origins = split_list(v); }},
        {"--max-body-bytes", size_into(c.max_body_bytes, "--max-body-bytes", 1, 1LL << 30)},
        {"--max-header-bytes", size_into(c.max_header_bytes, "--max-header-bytes", 1024, 1LL << 20)},
        {"--max-connections", int_into(c.max_connections, "--max-connections", 1, 1000000)},
        {"--idle-timeout", int_into(c.idle_timeout_s, "--idle-timeout", 1, 86400)},
        {"--request-timeout", int_into(c.request_timeout_s, "--request-timeout", 1, 3600)},
        {"--threads", int_into(c.threads, "--threads", 1, 64)},
    };

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            c.help = true;
            continue;
        }
        if (arg == "--stdio") {
            c.stdio = true;
            continue;
        }
        std::string_view name = arg, value;
        bool has_value = false;
        if (auto eq = arg.find('='); eq != std::string_view::npos && arg.starts_with("--")) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            has_value = true;
        }
        auto it = with_value.find(name);
        if (it == with_value.end())
            throw ConfigError("unknown option '" + std::string(name) + "' (see --help)");
        if (!has_value) {
            if (i + 1 >= argc) throw ConfigError(std::string(name) + ": missing value");
            value = argv[++i];
        }
        it->second(value);
    }
    if (c.key_prefix.empty()) throw ConfigError("--key-prefix must not be empty");
    return c;
}

} // namespace vconredis::server
