// vcon-cache-server: configuration, start-up checks, threads, signals and the shutdown order.
#include "app/config.hpp"
#include "app/log.hpp"
#include "app/metrics.hpp"
#include "app/worker.hpp"
#include "http/server.hpp"
#include "mcp/stdio.hpp"
#include "redis/url.hpp"
#include "store/pg_pool.hpp"
#include "store/single_flight.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <libpq-fe.h>
#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace vconredis;
using namespace vconredis::server;

namespace {

// host/port/dbname/user of a libpq connection string, for the start-up log (no password).
std::string describe_database(const std::string &url) {
    char *err = nullptr;
    PQconninfoOption *opts = PQconninfoParse(url.empty() ? "" : url.c_str(), &err);
    if (err) PQfreemem(err);
    if (!opts) return "(unparsable)";
    std::string out;
    for (auto *o = opts; o->keyword; ++o) {
        std::string_view k = o->keyword;
        if (o->val && *o->val && (k == "host" || k == "hostaddr" || k == "port" || k == "dbname" || k == "user"))
            out += std::string(out.empty() ? "" : " ") + o->keyword + "=" + o->val;
    }
    PQconninfoFree(opts);
    return out.empty() ? "(libpq defaults)" : out;
}

void raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

} // namespace

int main(int argc, char **argv) {
    std::signal(SIGPIPE, SIG_IGN);
    // Configuration is read once at start; a SIGHUP (a closed terminal, a reload sent to every
    // process of a service) must not kill the server.
    std::signal(SIGHUP, SIG_IGN);

    Config config;
    redis::Url redis_url;
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
    raise_fd_limit();

    log::info("vcon-cache-server starting: " +
              (config.stdio ? std::string("MCP over stdio")
                            : "listen " + config.listen_host + ":" + std::to_string(config.listen_port)) +
              ", redis " + redis_url.redacted() + ", postgres " + describe_database(config.database_url) +
              ", key prefix '" + config.key_prefix + "', expiry " + std::to_string(config.expiry_s) + " s" +
              (config.api_token.empty() ? ", no API token" : ", API token required") +
              (config.test_fill_delay_ms > 0 ? ", TEST fill delay " + std::to_string(config.test_fill_delay_ms) + " ms"
                                             : std::string()));

    Metrics metrics;
    store::SingleFlight flights;
    auto pg = std::make_unique<store::PgPool>(
        store::PgPool::Options{config.database_url, config.pg_pool_size, config.pg_connect_timeout_s,
                               config.pg_statement_timeout_ms},
        metrics);
    auto connector = std::make_unique<asio::thread_pool>(1);

    std::vector<std::unique_ptr<Worker>> workers;
    std::unique_ptr<http::Server> server;
    auto gauges = [&]() {
        GaugeSnapshot g;
        g.pg_pool_size = pg ? pg->size() : 0;
        g.pg_pool_in_use = pg ? pg->in_use() : 0;
        g.postgres_up = pg && pg->up();
        g.redis_up = !workers.empty();
        for (auto &w : workers) g.redis_up = g.redis_up && w->redis().up();
        g.http_connections = server ? server->connections() : 0;
        return g;
    };
    const int nthreads = config.stdio ? 1 : config.threads;
    for (int i = 0; i < nthreads; ++i)
        workers.push_back(std::make_unique<Worker>(config, redis_url, *pg, flights, metrics, *connector, gauges));
    for (auto &w : workers) asio::post(w->ioc(), [&r = w->redis()] { r.start(); });

    int rc = 0;
    if (config.stdio) {
        Worker &w = *workers.front();
        asio::signal_set signals(w.ioc(), SIGINT, SIGTERM);
        signals.async_wait([&w](boost::system::error_code ec, int) {
            if (!ec) {
                log::info("signal received, stopping");
                w.ioc().stop();
            }
        });
        rc = mcp::run_stdio(w.store(), w.ioc());
    } else {
        std::vector<http::WorkerSlot> slots;
        for (auto &w : workers) slots.push_back(http::WorkerSlot{w->ioc(), w->router(), w->sessions()});
        http::Limits limits;
        limits.max_body_bytes = config.max_body_bytes;
        limits.max_header_bytes = config.max_header_bytes;
        limits.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
        limits.request_timeout = std::chrono::seconds(config.request_timeout_s);
        limits.max_connections = config.max_connections;
        server = std::make_unique<http::Server>(std::move(slots), limits, metrics);
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
                  " with " + std::to_string(nthreads) + " io thread(s)");

        asio::io_context main_ioc;
        asio::signal_set signals(main_ioc, SIGINT, SIGTERM);
        signals.async_wait([](boost::system::error_code, int sig) {
            log::info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
        });
        main_ioc.run();

        // Stop accepting, close idle connections, let in-flight requests finish (at most 10 s).
        server->stop();
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (server->connections() > 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (server->connections() > 0)
            log::warn(std::to_string(server->connections()) + " connection(s) still open after 10 s; closing");
        for (auto &w : workers)
            asio::post(w->ioc(), [&w] {
                w->redis().shutdown();
                w->ioc().stop();
            });
        guards.clear();
        threads.clear(); // joins
    }

    // Threads that may still hold completion handlers of the io threads go first, then the workers.
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
