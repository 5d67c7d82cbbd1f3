#include "app/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string_view>
#include <thread>

namespace vcon_redis::server {
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
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (!item.empty())
            out.emplace_back(item);
        if (comma == std::string_view::npos)
            break;
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

// The first line of a secret file (DATABASE_URL_FILE, REDIS_URL_FILE), without its line end and
// surrounding blanks. Errors name the file, never its content.
std::string read_secret_file(std::string_view setting, const std::string &path) {
    std::ifstream in(path);
    if (!in)
        throw ConfigError(std::string(setting) + ": cannot read '" + path + "'");
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
    std::size_t start = line.find_first_not_of(" \t");
    line.erase(0, start == std::string::npos ? line.size() : start);
    if (line.empty())
        throw ConfigError(std::string(setting) + ": '" + path + "' is empty");
    return line;
}

// An allow-list entry must be matchable: no blanks or slashes (it is a host, not a URL).
void check_hosts(const std::vector<std::string> &hosts) {
    if (hosts.empty())
        throw ConfigError("--allowed-hosts must not be empty (use \"*\" to allow any Host)");
    for (const auto &h : hosts)
        if (h.find_first_of(" /\t") != std::string::npos)
            throw ConfigError("--allowed-hosts: '" + h + "' is not a host name, IP address or host:port");
}

// How a setting stores a value: `name` is the flag or variable it came by (for errors), `in_argv`
// says it came on the command line.
using Store = std::function<void(std::string_view name, std::string_view value, bool in_argv)>;

// One setting: its flag, its environment variable (either may be absent) and how its value is
// checked and stored. The environment is applied first, in this order, then the command line.
struct Setting {
    std::string_view flag; // "" = environment only
    const char *env;       // nullptr = flag only
    Store store;
};

Store int_into(int &dst, long long lo, long long hi) {
    return [&dst, lo, hi](std::string_view name, std::string_view v, bool) {
        dst = static_cast<int>(to_int(name, v, lo, hi));
    };
}

Store size_into(std::size_t &dst, long long lo, long long hi) {
    return [&dst, lo, hi](std::string_view name, std::string_view v, bool) {
        dst = static_cast<std::size_t>(to_int(name, v, lo, hi));
    };
}

Store list_into(std::vector<std::string> &dst) {
    return [&dst](std::string_view, std::string_view v, bool) { dst = split_list(v); };
}

// A URL that may carry a password: remembered as given in argv (main warns and masks it).
Store url_into(std::string &dst, bool &in_argv) {
    return [&dst, &in_argv](std::string_view, std::string_view v, bool argv) {
        dst = v;
        in_argv = argv;
    };
}

Store url_file_into(std::string &dst, bool &in_argv) {
    return [&dst, &in_argv](std::string_view name, std::string_view v, bool) {
        dst = read_secret_file(name, std::string(v));
        in_argv = false;
    };
}

std::vector<Setting> settings_of(Config &c) {
    return {
        {"--database-url", "DATABASE_URL", url_into(c.database_url, c.database_url_in_argv)},
        {"--database-url-file", "DATABASE_URL_FILE", url_file_into(c.database_url, c.database_url_in_argv)},
        {"--redis-url", "REDIS_URL", url_into(c.redis_url, c.redis_url_in_argv)},
        {"--redis-url-file", "REDIS_URL_FILE", url_file_into(c.redis_url, c.redis_url_in_argv)},
        {"--expiry", "VCON_REDIS_EXPIRY",
         [&c](std::string_view name, std::string_view v, bool) {
             c.expiry_s = static_cast<int>(to_int(name, v, 0, 1LL << 30));
             c.expiry_explicit = true;
         }},
        {"--key-prefix", nullptr,
         [&c](std::string_view, std::string_view v, bool) {
             c.key_prefix = v;
             c.key_prefix_explicit = true;
         }},
        {"--allowed-hosts", "VCON_ALLOWED_HOSTS", list_into(c.allowed_hosts)},
        {"--allowed-origins", "VCON_ALLOWED_ORIGINS", list_into(c.allowed_origins)},
        {"", "VCON_API_TOKEN", [&c](std::string_view, std::string_view v, bool) { c.api_token = v; }},
        {"", "VCON_TEST_FILL_DELAY_MS", int_into(c.test_fill_delay_ms, 0, 600000)},
        {"", "VCON_TEST_NEAR_DELAY_MS", int_into(c.test_near_delay_ms, 0, 600000)},
        {"--near-cache-bytes", "VCON_NEAR_CACHE_BYTES", size_into(c.near_cache_bytes, 0, 1LL << 40)},
        {"--settings-check-interval", nullptr, int_into(c.settings_check_interval_s, 1, 3600)},
        {"--redis-timeout-ms", nullptr, int_into(c.redis_timeout_ms, 1, 60000)},
        {"--redis-connect-timeout-ms", nullptr, int_into(c.redis_connect_timeout_ms, 1, 60000)},
        {"--pg-pool-size", nullptr, int_into(c.pg_pool_size, 1, 256)},
        {"--pg-connect-timeout", nullptr, int_into(c.pg_connect_timeout_s, 2, 600)},
        {"--pg-statement-timeout-ms", nullptr, int_into(c.pg_statement_timeout_ms, 0, 3600000)},
        {"--lease-ms", nullptr, int_into(c.lease_ms, 10, 600000)},
        {"--listen", nullptr, [&c](std::string_view, std::string_view v, bool) { parse_listen(c, v); }},
        {"--max-body-bytes", nullptr, size_into(c.max_body_bytes, 1, 1LL << 30)},
        {"--max-mcp-message-bytes", nullptr, size_into(c.max_mcp_message_bytes, 4096, 1LL << 30)},
        {"--max-header-bytes", nullptr, size_into(c.max_header_bytes, 1024, 1LL << 20)},
        {"--max-connections", nullptr, int_into(c.max_connections, 1, 1000000)},
        {"--idle-timeout", nullptr, int_into(c.idle_timeout_s, 1, 86400)},
        {"--request-timeout", nullptr, int_into(c.request_timeout_s, 1, 3600)},
        {"--threads", nullptr, int_into(c.threads, 1, 64)},
    };
}

void apply_environment(const std::vector<Setting> &settings) {
    for (const auto &s : settings) {
        if (s.env == nullptr)
            continue;
        const char *v = std::getenv(s.env);
        if (v != nullptr && *v != '\0')
            s.store(s.env, v, false);
    }
}

// --flag value, --flag=value, and the two flags without a value (--stdio, -h/--help).
void apply_arguments(Config &c, const std::vector<Setting> &settings, int argc, char **argv) {
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
        auto it = std::find_if(settings.begin(), settings.end(),
                               [&](const Setting &s) { return !s.flag.empty() && s.flag == name; });
        if (it == settings.end())
            throw ConfigError("unknown option '" + std::string(name) + "' (see --help)");
        if (!has_value) {
            if (i + 1 >= argc)
                throw ConfigError(std::string(name) + ": missing value");
            value = argv[++i];
        }
        it->store(name, value, true);
    }
}

// What holds across settings, checked once all are in.
void check_and_complete(Config &c) {
    if (c.key_prefix.empty())
        throw ConfigError("--key-prefix must not be empty");
    check_hosts(c.allowed_hosts);
    // Clients that reach a specific listen address by its IP send it as Host: allow it. An IP
    // literal cannot be rebound, so this opens nothing to web pages.
    if (c.listen_host != "0.0.0.0" && c.listen_host != "::") {
        std::string self =
            c.listen_host.find(':') != std::string::npos ? "[" + c.listen_host + "]" : c.listen_host;
        if (std::find(c.allowed_hosts.begin(), c.allowed_hosts.end(), self) == c.allowed_hosts.end())
            c.allowed_hosts.push_back(std::move(self));
    }
}

} // namespace

Config parse_config(int argc, char **argv) {
    Config c;
    unsigned hw = std::thread::hardware_concurrency();
    c.threads = static_cast<int>(std::clamp(hw == 0 ? 1u : hw, 1u, 2u));
    const auto settings = settings_of(c);
    apply_environment(settings);
    apply_arguments(c, settings, argc, argv);
    check_and_complete(c);
    return c;
}

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
  --database-url-file FILE  read the URL from the first line of FILE (env DATABASE_URL_FILE). A
                            password given with --database-url is visible to every local user in
                            ps: the server warns (and masks it in its own argv); prefer the
                            environment, this file form, or libpq's PGPASSFILE.
  --redis-url URL           redis://[user:password@]host:port/db, unix:///path?db=N, rediss://... (TLS:
                            chain and host name verified; ?tls_ca_file=, tls_cert_file=, tls_key_file=,
                            tls_server_name=, tls_verify=no for tests only), or
                            redis+sentinel://[user:password@]h1:p1,h2:p2/<master>[/db] (rediss+sentinel://
                            for TLS; ?sentinel_user=, sentinel_password=); README "Redis URLs, TLS and
                            failover" (env REDIS_URL; default redis://127.0.0.1:6379/0). Redis down at start is
                            not fatal: reads bypass the cache (X-Cache: BYPASS) and the server
                            reconnects in the background with backoff.
  --redis-url-file FILE     read the Redis URL from the first line of FILE (env REDIS_URL_FILE);
                            same warning as --database-url for a password on the command line.
  --expiry SECONDS          TTL of cache fills done by this server (env VCON_REDIS_EXPIRY; default:
                            the extension's vcon_redis.ttl, read from the database, else 3600;
                            0 = no expiry). A value that differs from vcon_redis.ttl is warned about.
  --key-prefix PREFIX       Redis key prefix (default: the extension's vcon_redis.key_prefix, read
                            from the database, else "vcon:"). A different value than the
                            extension's means nobody maintains the keys: the cache is not used.
  --settings-check-interval S  how often the extension's settings (cache_mode, key_prefix, ttl,
                            worker state) are read again from the database (default 5). While
                            nobody maintains the cache (cache_mode off, a different key prefix,
                            no worker for this database, vcon_redis not attached) every read is
                            served from PostgreSQL (X-Cache: BYPASS) and nothing is filled.
  --redis-timeout-ms MS     deadline of one Redis command (default 100); a miss of it drops the
                            connection, serves BYPASS and reconnects.
  --redis-connect-timeout-ms MS  (default 1000)
  --pg-pool-size N          PostgreSQL connections = worker threads for queries (default 4).
  --pg-connect-timeout S    libpq connect_timeout (default 3, minimum 2).
  --pg-statement-timeout-ms MS  statement_timeout of the server's sessions (default 5000).
  --near-cache-bytes N      in-process near cache of hot documents, kept coherent by Redis client
                            tracking, split evenly among the io threads (default 67108864 = 64 MiB;
                            0 = off; off with a Redis Cluster). Env VCON_NEAR_CACHE_BYTES.
  --lease-ms MS             lifetime of the fill lease <prefix><uuid>:lease (default 2000).

HTTP
  --listen HOST:PORT        address to listen on (default 127.0.0.1:8080; [::1]:8080 for IPv6).
  --stdio                   serve MCP over stdin/stdout (newline-delimited JSON-RPC) instead of
                            HTTP; logs go to stderr.
  --allowed-hosts LIST      comma list of Host header values every route accepts (env
                            VCON_ALLOWED_HOSTS; default localhost,127.0.0.1,[::1] with any port,
                            plus the --listen address when it is a specific IP). "name" matches
                            any port, "name:port" one port, "*" any Host. A request naming another
                            host gets 403: a web page that rebinds its DNS name to this machine
                            cannot read the API. A request without Host is allowed.
  --allowed-origins LIST    comma list of allowed Origin values of every route (env
                            VCON_ALLOWED_ORIGINS); "scheme://host:*" matches any port, "*" allows
                            all (default http://localhost:*,http://127.0.0.1:*,http://[::1]:*). A
                            request without Origin is allowed; a disallowed one gets 403. Allowed
                            origins get CORS headers and answers to preflight (OPTIONS) requests.
  --max-body-bytes N        request body limit, and the longest stdio line (default 65536); larger
                            bodies get 413.
  --max-mcp-message-bytes N one MCP response at most (default 200000 bytes, about 25 000 tokens
                            for each of the two copies a tool result carries); a larger tool
                            result or resource is refused with a message saying how to ask for less.
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
  VCON_TEST_NEAR_DELAY_MS   tests only: sleep this long between a Redis GET's reply and storing its
                            value in the near cache, to make the invalidation race reproducible.

  -h, --help                this text.
Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for a configuration error, 1 otherwise.
)";
}

} // namespace vcon_redis::server
