// A small PostgreSQL pool: blocking libpq on its own threads (one connection per thread), so the
// io threads never block. Each connection is opened lazily, reopened after a failure, and runs
// with connect_timeout, statement_timeout and read-only transactions. A failed connect opens a
// short circuit breaker so a dead database costs fast 503s, not a queue of connect timeouts.
#pragma once

#include "app/metrics.hpp"
#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vcon_redis::server::store {

struct PgResult {
    enum class Kind {
        Row,         // one value in `value`
        Null,        // the single value is SQL NULL
        NoRows,      // the statement returned no row
        Unavailable, // could not reach the database, timeout, shutdown: retry later (503)
        QueryError,  // the database answered with an error for this statement
    };
    Kind kind = Kind::Unavailable;
    std::string value;
    std::string error;    // safe for clients: our words or PostgreSQL's primary message, never the URL
    std::string sqlstate; // QueryError: PostgreSQL's SQLSTATE
};

class PgPool {
public:
    struct Options {
        std::string url; // libpq URI or key=value; "" = libpq defaults from PG* variables
        int size = 4;
        int connect_timeout_s = 3;
        int statement_timeout_ms = 5000;
    };

    PgPool(Options options, Metrics &metrics);
    ~PgPool();
    PgPool(const PgPool &) = delete;
    PgPool &operator=(const PgPool &) = delete;

    // Runs a statement returning one row with one column (text format) on a pool thread and resumes
    // the caller on its own executor.
    boost::asio::awaitable<PgResult> query(std::string sql, QueryParams params);

    // Stops the probe thread and the pool threads; queued queries are dropped. Idempotent.
    void shutdown();

    int size() const { return options_.size; }
    int in_use() const { return in_use_.load(std::memory_order_relaxed); }
    bool up() const { return up_.load(std::memory_order_relaxed); }

    // Throws ConfigError-like std::invalid_argument with a message that never contains the password.
    static void validate_url(const std::string &url);

private:
    struct Conn;
    struct ConnDeleter {
        void operator()(Conn *c) const;
    };
    using ConnPtr = std::unique_ptr<Conn, ConnDeleter>;

    PgResult run(const std::string &sql, const QueryParams &params); // on a pool thread
    PgResult run_on(Conn &conn, const std::string &sql, const QueryParams &params, bool &conn_broken);
    bool ensure_connected(Conn &conn, std::string &error);
    ConnPtr acquire();
    void release(ConnPtr conn);
    void probe_loop(std::stop_token stop);
    void mark(bool up);

    Options options_;
    Metrics &metrics_;
    std::mutex mu_;
    std::vector<ConnPtr> idle_;
    std::atomic<int> in_use_{0};
    std::atomic<bool> up_{false};
    std::atomic<std::int64_t> last_result_ns_{0};
    std::atomic<std::int64_t> breaker_until_ns_{0};
    std::atomic<bool> probe_queued_{false};
    std::atomic<bool> down_logged_{false};
    boost::asio::thread_pool threads_;
    std::mutex probe_mu_;
    std::condition_variable_any probe_cv_;
    std::jthread prober_;
    bool stopped_ = false;
};

} // namespace vcon_redis::server::store
