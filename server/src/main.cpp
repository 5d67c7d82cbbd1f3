// vcon-cache-server: configuration, start-up checks, threads, signals and the shutdown order.
#include "app/config.hpp"
#include "app/log.hpp"
#include "app/metrics.hpp"
#include "app/secrets.hpp"
#include "io_thread.hpp"
#include "http/server.hpp"
#include "mcp/stdio.hpp"
#include "redis/url.hpp"
#include "store/pg_pool.hpp"
#include "store/settings_watch.hpp"
#include "store/single_flight.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace vcon_redis;
using namespace vcon_redis::server;

namespace {

// host/port/dbname/user of a libpq connection string, for the start-up log (no password).
std::string describe_database(const std::string &url) {
    char *err = nullptr;
    PQconninfoOption *opts = PQconninfoParse(url.empty() ? "" : url.c_str(), &err);
    if (err)
        PQfreemem(err);
    if (!opts)
        return "(unparsable)";
    std::string out;
    for (auto *o = opts; o->keyword; ++o) {
        std::string_view k = o->keyword;
        if (o->val && *o->val &&
            (k == "host" || k == "hostaddr" || k == "port" || k == "dbname" || k == "user"))
            out += std::string(out.empty() ? "" : " ") + o->keyword + "=" + o->val;
    }
    PQconninfoFree(opts);
    return out.empty() ? "(libpq defaults)" : out;
}

// A password given as a command-line value is visible to every local user (ps, /proc/*/cmdline):
// warn, and overwrite it in our own argv so at least later readers do not see it.
void guard_argv_secrets(int argc, char **argv, const Config &config) {
    struct Flag {
        const char *name;
        bool given;
        const char *instead;
    };
    for (const Flag &f :
         {Flag{"--database-url", config.database_url_in_argv, "DATABASE_URL or --database-url-file"},
          Flag{"--redis-url", config.redis_url_in_argv, "REDIS_URL or --redis-url-file"}}) {
        if (!f.given)
            continue;
        const std::string_view name = f.name;
        bool masked = false;
        for (int i = 1; i < argc; ++i) {
            std::string_view arg = argv[i];
            char *value = nullptr;
            if (arg == name && i + 1 < argc)
                value = argv[i + 1];
            else if (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=')
                value = argv[i] + name.size() + 1;
            if (!value)
                continue;
            for (auto [offset, length] : password_spans(value)) {
                std::fill_n(value + offset, length, '*');
                masked = true;
            }
        }
        if (masked)
            log::warn(std::string(f.name) +
                      " carries a password, which other local users can read in the process "
                      "list; use " +
                      f.instead + " instead (masked in this process's arguments now)");
    }
}

void raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

// Reads the configuration and checks both URLs: -1 to go on, else the exit code (0 after --help;
// 2, with the reason on stderr, for a bad flag or URL).
int read_config(int argc, char **argv, Config &config, redis::Url &redis_url) {
    try {
        config = parse_config(argc, argv);
        if (config.help) {
            std::cout << usage();
            return 0;
        }
        try {
            redis_url = redis::Url::parse(config.redis_url);
        } catch (const redis::UrlError &e) {
            throw ConfigError(std::string("REDIS_URL/--redis-url: ") + e.what());
        }
        try {
            store::PgPool::validate_url(config.database_url);
        } catch (const std::invalid_argument &e) {
            throw ConfigError(e.what());
        }
    } catch (const ConfigError &e) {
        std::cerr << "vcon-cache-server: " << e.what() << "\n";
        return 2;
    }
    return -1;
}

void log_start(const Config &config, const redis::Url &redis_url) {
    log::info("vcon-cache-server starting: " +
              (config.stdio ? std::string("MCP over stdio")
                            : "listen " + config.listen_host + ":" + std::to_string(config.listen_port)) +
              ", redis " + redis_url.redacted() + ", postgres " + describe_database(config.database_url) +
              ", key prefix '" + config.key_prefix + (config.key_prefix_explicit ? "'" : "' (until learnt)") +
              ", expiry " + std::to_string(config.expiry_s) +
              (config.expiry_explicit ? " s" : " s (until learnt)") +
              (config.api_token.empty() ? ", no API token" : ", API token required") +
              (config.test_fill_delay_ms > 0
                   ? ", TEST fill delay " + std::to_string(config.test_fill_delay_ms) + " ms"
                   : std::string()));
}

// What the cache uses until the extension's settings say otherwise (store/settings_watch.hpp).
store::CacheDefaults cache_defaults(const Config &config, const redis::Url &redis_url) {
    store::CacheDefaults defaults;
    defaults.key_prefix = config.key_prefix;
    defaults.key_prefix_explicit = config.key_prefix_explicit;
    defaults.expiry_s = config.expiry_s;
    defaults.expiry_explicit = config.expiry_explicit;
    defaults.redis_endpoint = redis_url.endpoint() + "/" + std::to_string(redis_url.db);
    return defaults;
}

// Reads the extension's settings once before serving, then every `interval` on a thread of their own.
void start_settings_watch(store::SettingsWatch &watch, asio::io_context &watch_ioc,
                          std::jthread &watch_thread, std::chrono::seconds interval) {
    auto first = asio::co_spawn(watch_ioc, watch.check(), asio::use_future);
    watch_ioc.run();
    first.get();
    watch_ioc.restart();
    asio::co_spawn(watch_ioc, watch.run(interval), asio::detached);
    watch_thread = std::jthread([&watch_ioc] { watch_ioc.run(); });
}

// MCP over stdin/stdout on the one io thread, until EOF or SIGINT/SIGTERM; the exit code.
int serve_stdio(IoThread &w, const Config &config) {
    asio::signal_set signals(w.ioc(), SIGINT, SIGTERM);
    signals.async_wait([&w](boost::system::error_code ec, int) {
        if (!ec) {
            log::info("signal received, stopping");
            w.ioc().stop();
        }
    });
    return mcp::run_stdio(w.store(), w.ioc(), IoThread::mcp_limits(config), config.max_body_bytes);
}

http::Limits http_limits(const Config &config) {
    http::Limits limits;
    limits.max_body_bytes = config.max_body_bytes;
    limits.max_header_bytes = config.max_header_bytes;
    limits.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
    limits.request_timeout = std::chrono::seconds(config.request_timeout_s);
    limits.max_connections = config.max_connections;
    return limits;
}

void wait_for_stop_signal() {
    asio::io_context main_ioc;
    asio::signal_set signals(main_ioc, SIGINT, SIGTERM);
    signals.async_wait([](boost::system::error_code, int sig) {
        log::info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
    });
    main_ioc.run();
}

// Stop accepting, close idle connections, let in-flight requests finish (at most 10 s).
void drain_connections(http::Server &server) {
    server.stop();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server.connections() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (server.connections() > 0)
        log::warn(std::to_string(server.connections()) + " connection(s) still open after 10 s; closing");
}

// HTTP on the io threads until SIGINT/SIGTERM, then the drain; 1 when the port cannot be bound.
int serve_http(const Config &config, std::vector<std::unique_ptr<IoThread>> &workers, Metrics &metrics,
               std::unique_ptr<http::Server> &server) {
    std::vector<http::IoThreadSlot> slots;
    for (auto &w : workers)
        slots.push_back(http::IoThreadSlot{w->ioc(), w->router(), w->sessions()});
    server = std::make_unique<http::Server>(std::move(slots), http_limits(config), metrics);
    try {
        server->listen(config.listen_host, config.listen_port);
    } catch (const std::exception &e) {
        log::error(e.what());
        return 1;
    }
    server->start();

    std::vector<std::jthread> threads;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto &w : workers) {
        guards.push_back(asio::make_work_guard(w->ioc()));
        threads.emplace_back([&ioc = w->ioc()] { ioc.run(); });
    }
    log::info("listening on " + config.listen_host + ":" + std::to_string(server->local_endpoint().port()) +
              " with " + std::to_string(workers.size()) + " io thread(s)");
    wait_for_stop_signal();
    drain_connections(*server);
    for (auto &w : workers)
        asio::post(w->ioc(), [&w] {
            w->redis().shutdown();
            w->ioc().stop();
        });
    guards.clear();
    threads.clear(); // joins
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    std::signal(SIGPIPE, SIG_IGN);
    // Configuration is read once at start; a SIGHUP (a closed terminal, a reload sent to every
    // process of a service) must not kill the server.
    std::signal(SIGHUP, SIG_IGN);

    Config config;
    redis::Url redis_url;
    if (int rc = read_config(argc, argv, config, redis_url); rc >= 0)
        return rc;
    raise_fd_limit();
    guard_argv_secrets(argc, argv, config);
    log_start(config, redis_url);

    Metrics metrics;
    store::SingleFlight flights;
    auto pg = std::make_unique<store::PgPool>(store::PgPool::Options{config.database_url, config.pg_pool_size,
                                                                     config.pg_connect_timeout_s,
                                                                     config.pg_statement_timeout_ms},
                                              metrics);
    auto connector = std::make_unique<asio::thread_pool>(1);

    std::vector<std::unique_ptr<IoThread>> workers;
    std::unique_ptr<http::Server> server;
    store::SettingsWatch watch(*pg, cache_defaults(config, redis_url),
                               [&workers](const store::CachePolicy &p) {
                                   for (auto &w : workers)
                                       asio::post(w->ioc(), [&s = w->store(), p] { s.set_policy(p); });
                               });
    asio::io_context watch_ioc;
    std::jthread watch_thread;
    auto gauges = [&]() {
        GaugeSnapshot g;
        g.pg_pool_size = pg ? pg->size() : 0;
        g.pg_pool_in_use = pg ? pg->in_use() : 0;
        g.postgres_up = pg && pg->up();
        g.redis_up = !workers.empty();
        for (auto &w : workers)
            g.redis_up = g.redis_up && w->redis().up();
        g.http_connections = server ? server->connections() : 0;
        g.cache_state = store::to_string(watch.state());
        return g;
    };
    const int nthreads = config.stdio ? 1 : config.threads;
    for (int i = 0; i < nthreads; ++i)
        workers.push_back(
            std::make_unique<IoThread>(config, redis_url, *pg, flights, metrics, *connector, gauges));
    for (auto &w : workers)
        asio::post(w->ioc(), [&r = w->redis()] { r.start(); });
    start_settings_watch(watch, watch_ioc, watch_thread,
                         std::chrono::seconds(config.settings_check_interval_s));

    const int rc =
        config.stdio ? serve_stdio(*workers.front(), config) : serve_http(config, workers, metrics, server);

    // Threads that may still hold completion handlers of the io threads go first, then the workers.
    watch_ioc.stop();
    if (watch_thread.joinable())
        watch_thread.join();
    connector->stop();
    connector->join();
    pg->shutdown();
    server.reset();
    connector.reset();
    pg.reset();
    workers.clear();
    log::info("stopped");
    return rc;
}
