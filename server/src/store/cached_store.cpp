#include "store/cached_store.hpp"

#include "json/compact.hpp"
#include "redis/keys.hpp"
#include "redis/scripts.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace asio = boost::asio;

namespace vconredis::server::store {
namespace {

constexpr const char *kVconSql = "SELECT vcon_redis.vcon_json($1::uuid)::text";

// 128 random bits as hex: a lease token nobody else holds.
std::string lease_token() {
    thread_local std::mt19937_64 rng{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string t;
    t.reserve(32);
    for (int w = 0; w < 2; ++w) {
        auto v = rng();
        for (int i = 0; i < 16; ++i, v >>= 4) t.push_back(hex[v & 0xf]);
    }
    return t;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace

CachedStore::CachedStore(CacheOptions options, RedisPipe &redis, PgPool &pg, SingleFlight &flights, Metrics &metrics)
    : options_(std::move(options)), redis_(redis), pg_(pg), flights_(flights), metrics_(metrics) {}

// Coroutine style note: g++ 12 mis-destroys objects of nested scopes that end in co_return after a
// co_await (double free). The coroutines here keep their objects at function scope and return once.
asio::awaitable<VconResult> CachedStore::get(std::string uuid) {
    const std::string key = redis::doc_key(options_.key_prefix, uuid);
    const redis::Command cmd{std::string_view("GET"), std::string_view(key)};
    redis::Reply r;
    if (redis_.up()) r = co_await redis_.exec(cmd);
    VconResult result;
    if (r && r->type == REDIS_REPLY_STRING) {
        metrics_.cache(CacheEvent::Hit);
        result.status = VconResult::Status::Found;
        result.cache = CacheStatus::Hit;
        result.json.assign(r->str, r->len);
    } else {
        const bool bypass = !(r && r->type == REDIS_REPLY_NIL);
        metrics_.cache(bypass ? CacheEvent::Bypass : CacheEvent::Miss);
        SingleFlight::Work work = [this, uuid, bypass]() { return load(uuid, bypass); };
        result = co_await flights_.run(uuid, std::move(work));
    }
    co_return result;
}

asio::awaitable<VconResult> CachedStore::load(std::string uuid, bool bypass) {
    const std::string key = redis::doc_key(options_.key_prefix, uuid);
    const std::string lease = redis::lease_key(options_.key_prefix, uuid);
    const std::string token = lease_token();
    const std::string px = std::to_string(options_.lease.count());
    const redis::Command set_lease{std::string_view("SET"), std::string_view(lease), std::string_view(token),
                                   std::string_view("NX"), std::string_view("PX"), std::string_view(px)};
    const redis::Command get_doc{std::string_view("GET"), std::string_view(key)};
    VconResult result;
    redis::Reply got;
    if (!bypass) got = co_await redis_.exec(set_lease);
    const bool have_lease = got && got->type == REDIS_REPLY_STATUS;
    const bool other_fills = got && redis::is_nil(*got);
    bool done = false;

    if (other_fills) {
        // Someone else (another server, or a worker write racing us) holds the lease: wait briefly
        // for their fill, then read the database without filling.
        for (int i = 0; i < options_.lease_wait_polls && !done; ++i) {
            co_await sleep_for(options_.lease_wait_step);
            redis::Reply polled = co_await redis_.exec(get_doc);
            if (!polled) break;
            if (polled->type == REDIS_REPLY_STRING) {
                result.status = VconResult::Status::Found;
                result.cache = CacheStatus::Miss;
                result.json.assign(polled->str, polled->len);
                done = true;
            }
        }
    }
    if (!done) {
        // No lease (Redis trouble → BYPASS; someone else's lease → MISS without a fill) or our lease.
        const CacheStatus cache = (have_lease || other_fills) ? CacheStatus::Miss : CacheStatus::Bypass;
        result = co_await read_database(uuid, cache);
        if (have_lease && result.status == VconResult::Status::Found) {
            if (options_.test_fill_delay.count() > 0) co_await sleep_for(options_.test_fill_delay);
            co_await fill(uuid, token, result.json);
        }
        // NotFound/Unavailable: the lease simply expires (a negative entry would go stale on insert).
    }
    co_return result;
}

asio::awaitable<VconResult> CachedStore::read_database(const std::string &uuid, CacheStatus cache) {
    QueryParams params;
    params.emplace_back(uuid);
    PgResult r = co_await pg_.query(kVconSql, std::move(params));
    VconResult out;
    out.cache = cache;
    switch (r.kind) {
    case PgResult::Kind::Row:
        out.status = VconResult::Status::Found;
        out.json = json::compact_json(r.value);
        break;
    case PgResult::Kind::Null:
    case PgResult::Kind::NoRows:
        out.status = VconResult::Status::NotFound;
        break;
    case PgResult::Kind::Unavailable:
        out.status = VconResult::Status::Unavailable;
        out.error = r.error.empty() ? "database unavailable" : r.error;
        break;
    case PgResult::Kind::QueryError:
        out.status = VconResult::Status::Unavailable;
        out.error = "database error: " + r.error;
        break;
    }
    co_return out;
}

asio::awaitable<void> CachedStore::fill(const std::string &uuid, const std::string &token, const std::string &doc) {
    redis::ScriptCall call = redis::fill_call(options_.key_prefix, uuid, token, doc, options_.expiry_s);
    std::string numkeys;
    const redis::Command by_sha = redis::script_command(call, true, numkeys);
    redis::Reply r = co_await redis_.exec(by_sha);
    if (r && redis::is_noscript(*r)) {
        const redis::Command by_source = redis::script_command(call, false, numkeys);
        r = co_await redis_.exec(by_source);
    }
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        metrics_.backend_error(Backend::Redis);
        co_return;
    }
    metrics_.cache(r->integer == 1 ? CacheEvent::Fill : CacheEvent::FillRefused);
}

asio::awaitable<PgResult> CachedStore::query(std::string sql, QueryParams params) {
    co_return co_await pg_.query(std::move(sql), std::move(params));
}

asio::awaitable<QueryResult> CachedStore::query_json(std::string sql, QueryParams params) {
    PgResult r = co_await pg_.query(std::move(sql), std::move(params));
    QueryResult out;
    switch (r.kind) {
    case PgResult::Kind::Row:
        out.ok = true;
        out.json = json::compact_json(r.value);
        break;
    case PgResult::Kind::Null:
    case PgResult::Kind::NoRows:
        out.ok = true;
        out.json = "null";
        break;
    case PgResult::Kind::Unavailable:
        out.error = r.error.empty() ? "database unavailable" : r.error;
        break;
    case PgResult::Kind::QueryError:
        out.error = "database error: " + r.error;
        break;
    }
    co_return out;
}

} // namespace vconredis::server::store
