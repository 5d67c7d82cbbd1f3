#include "store/cached_store.hpp"

#include "app/log.hpp"
#include "json/compact.hpp"
#include "redis/keys.hpp"
#include "redis/scripts.hpp"
#include "store/near_cache.hpp"
#include "store/random_token.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>

namespace asio = boost::asio;

namespace vcon_redis::server::store {
namespace {

constexpr const char *kVconSql = "SELECT vcon_redis.vcon_json($1::uuid)::text";
// One line "<uuid> <document>" per vCon found: jsonb text never holds a raw newline.
constexpr const char *kVconsSql = "SELECT string_agg(m.uuid::text || ' ' || m.doc::text, E'\\n') FROM "
                                  "vcon_redis.vcon_json_many($1::uuid[]) m";

// Each kind of unexpected value is logged once per process; the metrics count every one.
std::atomic<bool> foreign_logged{false};
std::atomic<bool> wrong_type_logged{false};

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace

CachedStore::CachedStore(CacheOptions options, CachePolicy initial, RedisRouter &redis, PgPool &pg,
                         SingleFlight &flights, Metrics &metrics, NearCacheTracking *near)
    : options_(std::move(options)), policy_(std::move(initial)), redis_(redis), pg_(pg), flights_(flights),
      metrics_(metrics), near_(near) {}

void CachedStore::set_policy(CachePolicy policy) {
    policy_ = std::move(policy);
    if (near_)
        near_->set_policy(policy_);
}

bool is_cached_vcon(std::string_view value, std::string_view uuid) {
    if (value.size() < 2 || value.front() != '{' || value.back() != '}')
        return false;
    char needle[64];
    const int n =
        std::snprintf(needle, sizeof needle, "\"uuid\":\"%.*s\"", static_cast<int>(uuid.size()), uuid.data());
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof needle)
        return false;
    return ::memmem(value.data(), value.size(), needle, static_cast<std::size_t>(n)) != nullptr;
}

void CachedStore::note_foreign(const std::string &key, std::size_t bytes) {
    metrics_.cache(CacheEvent::Foreign);
    if (!foreign_logged.exchange(true))
        log::warn("redis: " + key + " holds a " + std::to_string(bytes) +
                  "-byte string that is not the vCon's JSON (another writer?); served from PostgreSQL "
                  "as a miss and replaced by the fill. Further ones are only counted in "
                  "vcon_cache_total{result=\"foreign\"}");
}

void CachedStore::note_wrong_type(const std::string &key) {
    metrics_.cache(CacheEvent::WrongType);
    if (!wrong_type_logged.exchange(true))
        log::warn("redis: " + key +
                  " is not a string (WRONGTYPE); served from PostgreSQL and left alone. "
                  "Further ones are only counted in vcon_cache_total{result=\"wrong_type\"}");
}

std::shared_ptr<const std::string> CachedStore::near_hit(std::string_view uuid, bool count_miss) {
    if (!near_ || policy_.state == CachePolicy::State::Unmaintained)
        return nullptr;
    redis::doc_key(near_key_, policy_.key_prefix, uuid);
    std::shared_ptr<const std::string> value = near_->cache().find(near_key_, count_miss);
    if (value)
        metrics_.cache(CacheEvent::Hit);
    return value;
}

// The coroutines here follow the g++ 12 coroutine rule (docs/internals.md).
asio::awaitable<VconResult> CachedStore::get(std::string uuid) {
    const CachePolicy policy = policy_; // a copy: the policy may change while this request waits
    const std::string key = redis::doc_key(policy.key_prefix, uuid);
    redis::Command cmd; // GET key, built only when Redis is asked
    const bool use_cache = policy.state != CachePolicy::State::Unmaintained;
    const bool may_fill = policy.state == CachePolicy::State::Maintained;
    NearCache *near = near_ && use_cache ? &near_->cache() : nullptr;
    const std::shared_ptr<const std::string> near_value = near_hit(uuid);
    VconResult result;
    NearCache::Reading reading; // taken before the GET is sent: an invalidation meanwhile wins
    redis::Reply r;
    Miss how = Miss::Bypass;
    bool hit = false;
    if (near_value) {
        result.status = VconResult::Status::Found;
        result.cache = CacheStatus::Hit;
        result.json = *near_value;
    } else {
        if (near)
            reading = near->begin(key);
        cmd = {std::string_view("GET"), std::string_view(key)};
        if (use_cache && redis_.up())
            r = co_await redis_.exec(cmd);
        if (!use_cache) {
            metrics_.cache(CacheEvent::Unmaintained);
        } else if (r && r->type == REDIS_REPLY_STRING && is_cached_vcon({r->str, r->len}, uuid)) {
            hit = true;
        } else if (r && r->type == REDIS_REPLY_STRING) {
            note_foreign(key, r->len);
            how = may_fill ? Miss::Fill : Miss::NoFill;
        } else if (r && redis::is_error(*r) && redis::text(*r).starts_with("WRONGTYPE")) {
            note_wrong_type(key);
            how = Miss::NoFill;
        } else if (r && redis::is_nil(*r)) {
            metrics_.cache(CacheEvent::Miss);
            how = may_fill ? Miss::Fill : Miss::NoFill;
        } else {
            metrics_.cache(CacheEvent::Bypass);
        }
        if (hit) {
            metrics_.cache(CacheEvent::Hit);
            result.status = VconResult::Status::Found;
            result.cache = CacheStatus::Hit;
            result.json.assign(r->str, r->len);
            r.reset();
            if (near && options_.test_near_delay.count() > 0)
                co_await sleep_for(options_.test_near_delay);
            if (near)
                near->finish(reading, std::make_shared<const std::string>(result.json));
        } else {
            r.reset(); // a foreign value may be large: not kept while PostgreSQL is read
            SingleFlight::Work work = [this, uuid, how]() { return load(uuid, how); };
            result = co_await flights_.run(uuid, std::move(work));
        }
    }
    co_return result;
}

asio::awaitable<VconResult> CachedStore::load(std::string uuid, Miss how) {
    const std::string key = redis::doc_key(policy_.key_prefix, uuid);
    const std::string lease = redis::lease_key(policy_.key_prefix, uuid);
    const std::string token = random_token();
    const std::string px = std::to_string(options_.lease.count());
    const redis::Command set_lease{std::string_view("SET"), std::string_view(lease), std::string_view(token),
                                   std::string_view("NX"),  std::string_view("PX"),  std::string_view(px)};
    const redis::Command get_doc{std::string_view("GET"), std::string_view(key)};
    VconResult result;
    redis::Reply got;
    if (how == Miss::Fill)
        got = co_await redis_.exec(set_lease);
    const bool have_lease = got && got->type == REDIS_REPLY_STATUS;
    const bool other_fills = got && redis::is_nil(*got);
    bool done = false;

    if (other_fills) {
        // Someone else (another server, or a worker write racing us) holds the lease: wait briefly
        // for their fill, then read the database without filling.
        for (int i = 0; i < options_.lease_wait_polls && !done; ++i) {
            co_await sleep_for(options_.lease_wait_step);
            redis::Reply polled = co_await redis_.exec(get_doc);
            if (!polled)
                break;
            if (polled->type == REDIS_REPLY_STRING && is_cached_vcon({polled->str, polled->len}, uuid)) {
                result.status = VconResult::Status::Found;
                result.cache = CacheStatus::Miss;
                result.json.assign(polled->str, polled->len);
                done = true;
            }
        }
    }
    if (!done) {
        // No lease (Redis trouble → BYPASS; someone else's lease, or a miss that must not fill →
        // MISS without a fill) or our lease.
        const CacheStatus cache = how == Miss::Bypass ? CacheStatus::Bypass : CacheStatus::Miss;
        result = co_await read_database(uuid, cache);
        if (have_lease && result.status == VconResult::Status::Found) {
            if (options_.test_fill_delay.count() > 0)
                co_await sleep_for(options_.test_fill_delay);
            co_await fill(uuid, token, result.json);
        } else if (have_lease) {
            // Nothing to fill (absent: a negative entry would go stale on insert; or the database
            // failed): give the lease back so the next request does not wait for it.
            co_await release(uuid, token);
        }
    }
    co_return result;
}

// g++ 12 at -O2 reports -Wmismatched-new-delete for this coroutine's frame, as for
// SettingsWatch::read (Asio's awaitable frames use their own matching operator new/delete; GCC's
// inliner loses track of the pair): a false positive, silenced for this function only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
// get_many's state, one slot per uuid in the order asked.
struct CachedStore::Batch {
    CachePolicy policy; // a copy: the policy may change while this request waits
    bool use_cache = false;
    bool may_fill = false;
    std::vector<std::string> uuids;
    std::vector<std::string> keys;
    std::vector<VconResult> results;
    std::vector<Miss> how;
    std::vector<bool> pending;       // still to read from PostgreSQL
    std::vector<std::size_t> absent; // nil elements: absent keys, or keys of another type
    std::vector<std::string> tokens; // non-empty: we hold that uuid's lease
};

asio::awaitable<std::vector<VconResult>> CachedStore::get_many(std::vector<std::string> uuids) {
    Batch b;
    b.policy = policy_;
    b.use_cache = b.policy.state != CachePolicy::State::Unmaintained;
    b.may_fill = b.policy.state == CachePolicy::State::Maintained;
    const std::size_t n = uuids.size();
    b.keys.reserve(n);
    for (const auto &uuid : uuids)
        b.keys.push_back(redis::doc_key(b.policy.key_prefix, uuid));
    b.uuids = std::move(uuids);
    b.results.resize(n);
    b.how.assign(n, Miss::Bypass);
    b.pending.assign(n, true);
    b.tokens.resize(n);

    co_await read_cache_many(b);
    co_await classify_absent(b);
    co_await take_leases(b);
    co_await read_misses(b);
    co_return std::move(b.results);
}

// The near cache first, then one MGET standalone (in a cluster, one pipelined batch of GETs per
// primary: RedisRouter) for the rest; each answer is a hit, a foreign value, a nil (absent or of
// another type: classify_absent) or trouble (BYPASS).
asio::awaitable<void> CachedStore::read_cache_many(Batch &b) {
    const std::size_t n = b.uuids.size();
    // A Reading for each key asked of Redis, taken before the MGET is sent.
    NearCache *near = near_ && b.use_cache ? &near_->cache() : nullptr;
    std::vector<NearCache::Reading> readings(near ? n : 0);
    std::vector<std::size_t> remote; // indexes asked of Redis
    std::vector<std::string> remote_keys;
    for (std::size_t i = 0; i < n; ++i) {
        const std::shared_ptr<const std::string> v = near ? near_hit(b.uuids[i]) : nullptr;
        if (v) {
            b.results[i].status = VconResult::Status::Found;
            b.results[i].cache = CacheStatus::Hit;
            b.results[i].json = *v;
            b.pending[i] = false;
        } else {
            if (near)
                readings[i] = near->begin(b.keys[i]);
            remote.push_back(i);
            remote_keys.push_back(b.keys[i]);
        }
    }

    // the replies live only in this step: no foreign value is kept while PostgreSQL is read
    std::vector<redis::Reply> fetched, got(n);
    if (b.use_cache && redis_.up() && !remote.empty())
        fetched = co_await redis_.get_many(remote_keys);
    for (std::size_t j = 0; j < fetched.size() && j < remote.size(); ++j)
        got[remote[j]] = std::move(fetched[j]);
    fetched.clear();

    for (std::size_t i = 0; i < n; ++i) {
        const redisReply *e = got[i].get();
        if (!b.pending[i]) {
            continue; // a near hit
        } else if (!b.use_cache) {
            metrics_.cache(CacheEvent::Unmaintained);
        } else if (!e) {
            metrics_.cache(CacheEvent::Bypass);
        } else if (e->type == REDIS_REPLY_STRING && is_cached_vcon({e->str, e->len}, b.uuids[i])) {
            metrics_.cache(CacheEvent::Hit);
            b.results[i].status = VconResult::Status::Found;
            b.results[i].cache = CacheStatus::Hit;
            b.results[i].json.assign(e->str, e->len);
            b.pending[i] = false;
            if (near)
                near->finish(readings[i], std::make_shared<const std::string>(b.results[i].json));
        } else if (e->type == REDIS_REPLY_STRING) {
            note_foreign(b.keys[i], e->len);
            b.how[i] = b.may_fill ? Miss::Fill : Miss::NoFill;
        } else if (redis::is_nil(*e)) {
            b.absent.push_back(i);
        } else if (redis::is_error(*e) && redis::text(*e).starts_with("WRONGTYPE")) {
            note_wrong_type(b.keys[i]); // (a cluster's GET says so; MGET answers nil, below)
            b.how[i] = Miss::NoFill;
        } else {
            metrics_.cache(CacheEvent::Bypass);
        }
    }
}

// MGET answers nil for a key of another type as well: one EXISTS over the nil keys tells whether
// any of them exists at all (rarely), and TYPE then which.
asio::awaitable<void> CachedStore::classify_absent(Batch &b) {
    std::int64_t existing = 0;
    bool exists_failed = false;
    if (!b.absent.empty()) {
        redis::Command exists{std::string_view("EXISTS")};
        for (std::size_t i : b.absent)
            exists.emplace_back(b.keys[i]);
        redis::Reply counted = co_await redis_.exec(exists);
        exists_failed = !counted || counted->type != REDIS_REPLY_INTEGER;
        existing = exists_failed ? 0 : counted->integer;
    }
    for (std::size_t i : b.absent) {
        bool other_type = false;
        if (existing > 0) {
            const redis::Command type{std::string_view("TYPE"), std::string_view(b.keys[i])};
            redis::Reply t = co_await redis_.exec(type);
            other_type = t && t->type == REDIS_REPLY_STATUS && redis::text(*t) != "none" &&
                         redis::text(*t) != "string";
        }
        if (exists_failed) {
            metrics_.cache(CacheEvent::Bypass);
        } else if (other_type) {
            note_wrong_type(b.keys[i]);
            b.how[i] = Miss::NoFill;
        } else {
            metrics_.cache(CacheEvent::Miss);
            b.how[i] = b.may_fill ? Miss::Fill : Miss::NoFill;
        }
    }
}

// A lease per miss that may fill, as load() takes it.
asio::awaitable<void> CachedStore::take_leases(Batch &b) {
    const std::string px = std::to_string(options_.lease.count());
    for (std::size_t i = 0; i < b.uuids.size(); ++i) {
        if (!b.pending[i] || b.how[i] != Miss::Fill)
            continue;
        const std::string lease = redis::lease_key(b.policy.key_prefix, b.uuids[i]);
        std::string token = random_token();
        const redis::Command set_lease{std::string_view("SET"), std::string_view(lease),
                                       std::string_view(token), std::string_view("NX"),
                                       std::string_view("PX"),  std::string_view(px)};
        redis::Reply leased = co_await redis_.exec(set_lease);
        if (leased && leased->type == REDIS_REPLY_STATUS)
            b.tokens[i] = std::move(token);
    }
}

// The misses with ONE vcon_json_many query; each found one is filled under its lease, a lease
// whose vCon was not found is given back at once.
asio::awaitable<void> CachedStore::read_misses(Batch &b) {
    std::vector<std::string> wanted;
    for (std::size_t i = 0; i < b.uuids.size(); ++i)
        if (b.pending[i])
            wanted.push_back(b.uuids[i]);
    std::map<std::string, std::string> docs;
    std::string error;
    bool read_ok = true;
    if (!wanted.empty())
        read_ok = co_await read_database_many(wanted, docs, error);

    bool delayed = false;
    for (std::size_t i = 0; i < b.uuids.size(); ++i) {
        if (!b.pending[i])
            continue;
        VconResult &r = b.results[i];
        r.cache = b.how[i] == Miss::Bypass ? CacheStatus::Bypass : CacheStatus::Miss;
        auto doc = docs.find(b.uuids[i]);
        if (!read_ok) {
            r.status = VconResult::Status::Unavailable;
            r.error = error;
        } else if (doc != docs.end()) {
            r.status = VconResult::Status::Found;
            r.json = doc->second;
        } else {
            r.status = VconResult::Status::NotFound;
        }
        if (b.tokens[i].empty())
            continue;
        if (r.status == VconResult::Status::Found) {
            if (options_.test_fill_delay.count() > 0 && !delayed) {
                delayed = true;
                co_await sleep_for(options_.test_fill_delay);
            }
            co_await fill(b.uuids[i], b.tokens[i], r.json);
        } else {
            // Nothing to fill: give the lease back so the next request does not wait for it.
            co_await release(b.uuids[i], b.tokens[i]);
        }
    }
}
#pragma GCC diagnostic pop

asio::awaitable<bool> CachedStore::read_database_many(const std::vector<std::string> &uuids,
                                                      std::map<std::string, std::string> &docs,
                                                      std::string &error) {
    std::string array = "{";
    for (const auto &uuid : uuids)
        array.append(array.size() > 1 ? "," : "").append(uuid);
    array.push_back('}');
    QueryParams params;
    params.emplace_back(std::move(array));
    PgResult r = co_await pg_.query(kVconsSql, std::move(params));
    bool ok = true;
    switch (r.kind) {
    case PgResult::Kind::Row: {
        std::string_view rest(r.value);
        while (!rest.empty()) {
            const auto eol = rest.find('\n');
            const std::string_view line = rest.substr(0, eol);
            rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
            const auto space = line.find(' ');
            if (space != std::string_view::npos)
                docs.emplace(std::string(line.substr(0, space)), json::compact_json(line.substr(space + 1)));
        }
        break;
    }
    case PgResult::Kind::Null:
    case PgResult::Kind::NoRows:
        break;
    case PgResult::Kind::Unavailable:
        ok = false;
        error = r.error.empty() ? "database unavailable" : r.error;
        break;
    case PgResult::Kind::QueryError:
        ok = false;
        error = "database error: " + r.error;
        break;
    }
    co_return ok;
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

// EVALSHA, and EVAL when Redis lost the script (restart, SCRIPT FLUSH). An empty Reply: Redis trouble.
asio::awaitable<redis::Reply> CachedStore::run_script(const redis::ScriptCall &call) {
    std::string numkeys;
    const redis::Command by_sha = redis::script_command(call, true, numkeys);
    redis::Reply r = co_await redis_.exec(by_sha);
    if (r && redis::is_noscript(*r)) {
        const redis::Command by_source = redis::script_command(call, false, numkeys);
        r = co_await redis_.exec(by_source);
    }
    co_return r;
}

asio::awaitable<void> CachedStore::fill(const std::string &uuid, const std::string &token,
                                        const std::string &doc) {
    redis::ScriptCall call = redis::fill_call(policy_.key_prefix, uuid, token, doc, policy_.expiry_s);
    redis::Reply r = co_await run_script(call);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        metrics_.backend_error(Backend::Redis);
    else
        metrics_.cache(r->integer == 1 ? CacheEvent::Fill : CacheEvent::FillRefused);
}

asio::awaitable<void> CachedStore::release(const std::string &uuid, const std::string &token) {
    redis::ScriptCall call = redis::release_call(policy_.key_prefix, uuid, token);
    redis::Reply r = co_await run_script(call);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        metrics_.backend_error(Backend::Redis);
    else if (r->integer == 1)
        metrics_.cache(CacheEvent::LeaseReleased);
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

} // namespace vcon_redis::server::store
