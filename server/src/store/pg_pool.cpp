#include "store/pg_pool.hpp"

#include "app/log.hpp"
#include "app/secrets.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <libpq-fe.h>

#include <stdexcept>
#include <unordered_map>

namespace asio = boost::asio;

namespace vcon_redis::server::store {

struct PgPool::Conn {
    PGconn *pg = nullptr;                                  // owned; closed by reset()/~Conn
    std::unordered_map<std::string, std::string> prepared; // sql -> statement name
    unsigned long next_name = 0;                           // names are never reused on a session
    void reset() {
        if (pg)
            PQfinish(pg);
        pg = nullptr;
        prepared.clear();
        next_name = 0;
    }
    ~Conn() { reset(); }
};

void PgPool::ConnDeleter::operator()(Conn *c) const {
    delete c;
}

namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct ResultDeleter {
    void operator()(PGresult *r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// SQLSTATEs that mean "the database is not there right now" rather than "this statement is wrong".
bool unavailable_state(const char *state) {
    if (!state)
        return true;
    std::string_view s(state);
    return s.starts_with("08") || s.starts_with("53") || s.starts_with("57") || s.starts_with("58") ||
           s == "25006" /* read_only_sql_transaction: a standby that we cannot use */;
}

// SQLSTATEs after which a prepared statement should be prepared again: its plan or the objects it
// names changed (feature_not_supported "cached plan must not change result type", undefined
// function/table/object/schema, invalid statement name).
bool stale_statement_state(std::string_view s) {
    return s == "0A000" || s == "42883" || s == "42P01" || s == "42704" || s == "3F000" || s == "26000";
}

std::string first_line(const char *msg) {
    std::string m = msg ? msg : "";
    if (auto nl = m.find('\n'); nl != std::string::npos)
        m.resize(nl);
    return m;
}

} // namespace

void PgPool::validate_url(const std::string &url) {
    if (url.empty())
        return;
    char *err = nullptr;
    PQconninfoOption *opts = PQconninfoParse(url.c_str(), &err);
    if (!opts) {
        std::string msg = err ? first_line(err) : "out of memory";
        if (err)
            PQfreemem(err);
        throw std::invalid_argument("DATABASE_URL is not a valid libpq connection string: " +
                                    redact_passwords(msg, url));
    }
    PQconninfoFree(opts);
}

PgPool::PgPool(Options options, Metrics &metrics)
    : options_(std::move(options)), metrics_(metrics), threads_(static_cast<std::size_t>(options_.size)) {
    for (int i = 0; i < options_.size; ++i)
        idle_.push_back(ConnPtr(new Conn));
    prober_ = std::jthread([this](std::stop_token st) { probe_loop(st); });
}

PgPool::~PgPool() {
    shutdown();
}

void PgPool::shutdown() {
    {
        std::lock_guard lock(probe_mu_);
        if (stopped_)
            return;
        stopped_ = true;
    }
    prober_.request_stop();
    probe_cv_.notify_all();
    if (prober_.joinable())
        prober_.join();
    threads_.stop();
    threads_.join();
}

void PgPool::mark(bool up) {
    last_result_ns_.store(now_ns(), std::memory_order_relaxed);
    bool was = up_.exchange(up, std::memory_order_relaxed);
    if (up && !was) {
        down_logged_.store(false);
        log::info("postgres: connected");
    } else if (!up && was) {
        log::warn("postgres: unavailable");
    }
}

PgPool::ConnPtr PgPool::acquire() {
    std::lock_guard lock(mu_);
    if (idle_.empty())
        return ConnPtr(new Conn); // not reached: one connection per pool thread
    ConnPtr c = std::move(idle_.back());
    idle_.pop_back();
    return c;
}

void PgPool::release(ConnPtr conn) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
}

bool PgPool::ensure_connected(Conn &conn, std::string &error) {
    if (conn.pg && PQstatus(conn.pg) == CONNECTION_OK)
        return true;
    conn.reset();
    if (now_ns() < breaker_until_ns_.load(std::memory_order_relaxed)) {
        error = "database unavailable";
        return false;
    }
    std::string timeout = std::to_string(options_.connect_timeout_s);
    std::string opts = "-c statement_timeout=" + std::to_string(options_.statement_timeout_ms) +
                       " -c default_transaction_read_only=on";
    // Our defaults first: values in the URL (processed last) win.
    std::vector<const char *> keys{"connect_timeout", "options", "application_name"};
    std::vector<const char *> vals{timeout.c_str(), opts.c_str(), "vcon-cache-server"};
    if (!options_.url.empty()) {
        keys.push_back("dbname");
        vals.push_back(options_.url.c_str());
    }
    keys.push_back(nullptr);
    vals.push_back(nullptr);
    conn.pg = PQconnectdbParams(keys.data(), vals.data(), 1);
    if (!conn.pg || PQstatus(conn.pg) != CONNECTION_OK) {
        std::string why = conn.pg ? first_line(PQerrorMessage(conn.pg)) : "out of memory";
        conn.reset();
        breaker_until_ns_.store(now_ns() + 500'000'000, std::memory_order_relaxed);
        if (!down_logged_.exchange(true))
            log::warn("postgres: cannot connect: " + redact_passwords(why, options_.url));
        metrics_.backend_error(Backend::Postgres);
        mark(false);
        error = "database unavailable";
        return false;
    }
    return true;
}

PgResult PgPool::run_on(Conn &conn, const std::string &sql, const QueryParams &params, bool &conn_broken) {
    conn_broken = false;
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &p : params)
        values.push_back(p ? p->c_str() : nullptr);
    const int n = static_cast<int>(values.size());

    ResultPtr r;
    auto it = conn.prepared.find(sql);
    if (it == conn.prepared.end()) {
        std::string name = "s" + std::to_string(conn.next_name++);
        ResultPtr prep(PQprepare(conn.pg, name.c_str(), sql.c_str(), 0, nullptr));
        if (prep && PQresultStatus(prep.get()) == PGRES_COMMAND_OK)
            it = conn.prepared.emplace(sql, std::move(name)).first;
    }
    if (it != conn.prepared.end())
        r.reset(PQexecPrepared(conn.pg, it->second.c_str(), n, values.data(), nullptr, nullptr, 0));
    else // preparing failed: the plain call reports the error precisely
        r.reset(PQexecParams(conn.pg, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0));

    PgResult out;
    if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK) {
        if (PQntuples(r.get()) == 0 || PQnfields(r.get()) == 0)
            out.kind = PgResult::Kind::NoRows;
        else if (PQgetisnull(r.get(), 0, 0))
            out.kind = PgResult::Kind::Null;
        else {
            out.kind = PgResult::Kind::Row;
            out.value.assign(PQgetvalue(r.get(), 0, 0), static_cast<std::size_t>(PQgetlength(r.get(), 0, 0)));
        }
        return out;
    }
    const char *state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (PQstatus(conn.pg) != CONNECTION_OK || unavailable_state(state)) {
        conn_broken = PQstatus(conn.pg) != CONNECTION_OK;
        out.kind = PgResult::Kind::Unavailable;
        out.error =
            (state && std::string_view(state) == "57014") ? "database timeout" : "database unavailable";
    } else {
        out.kind = PgResult::Kind::QueryError;
        out.error = first_line(r ? PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY) : "query failed");
        out.sqlstate = state ? state : "";
        // A prepared statement may be stale (e.g. the extension was re-created): forget that one
        // statement, and only for such errors; bad input (22xxx) must not cost the others.
        if (it != conn.prepared.end() && stale_statement_state(out.sqlstate)) {
            ResultPtr d(PQexec(conn.pg, ("DEALLOCATE " + it->second).c_str()));
            conn.prepared.erase(it);
        }
    }
    return out;
}

PgResult PgPool::run(const std::string &sql, const QueryParams &params) {
    in_use_.fetch_add(1, std::memory_order_relaxed);
    ConnPtr conn = acquire();
    PgResult out;
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::string error;
        if (!ensure_connected(*conn, error)) {
            out = PgResult{PgResult::Kind::Unavailable, {}, error, {}};
            break;
        }
        bool broken = false;
        out = run_on(*conn, sql, params, broken);
        if (out.kind == PgResult::Kind::Unavailable) {
            metrics_.backend_error(Backend::Postgres);
            if (broken) {
                conn->reset();
                if (attempt == 0)
                    continue; // a stale connection (the server restarted): retry once
                mark(false);
            } else {
                mark(true); // it answered (statement timeout, too many connections, ...)
            }
        } else {
            if (out.kind == PgResult::Kind::QueryError)
                metrics_.backend_error(Backend::Postgres);
            mark(true);
        }
        break;
    }
    release(std::move(conn));
    in_use_.fetch_sub(1, std::memory_order_relaxed);
    return out;
}

asio::awaitable<PgResult> PgPool::query(std::string sql, QueryParams params) {
    auto initiate = [this](auto handler, std::string q, QueryParams p) {
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        asio::post(threads_, [this, q = std::move(q), p = std::move(p), handler = std::move(handler),
                              work = std::move(work)]() mutable {
            PgResult r = run(q, p);
            auto ex = work.get_executor();
            asio::post(ex, [handler = std::move(handler), r = std::move(r)]() mutable {
                std::move(handler)(std::move(r));
            });
        });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(PgResult)>(
        initiate, asio::use_awaitable, std::move(sql), std::move(params));
}

void PgPool::probe_loop(std::stop_token stop) {
    // Keeps /healthz honest when no traffic reaches the database: a SELECT 1 every 2 s of silence.
    bool first = true;
    while (!stop.stop_requested()) {
        auto since = now_ns() - last_result_ns_.load(std::memory_order_relaxed);
        if (first || since > 2'000'000'000LL) {
            if (!probe_queued_.exchange(true))
                asio::post(threads_, [this] {
                    run("SELECT 1", {});
                    probe_queued_.store(false);
                });
        }
        first = false;
        std::unique_lock lock(probe_mu_);
        probe_cv_.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
    }
}

} // namespace vcon_redis::server::store
