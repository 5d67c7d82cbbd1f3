// The cache-first VconStore of one io thread: GET <prefix><uuid> from Redis; on a miss take the
// fill lease (SET <key>:lease <token> NX PX), read PostgreSQL, and fill with the lease-checked
// `fill` script, so a fill that started before a worker write is refused; a miss that finds
// nothing or fails gives its lease back at once (`release`). Misses for one uuid are coalesced
// process-wide (SingleFlight). Redis trouble → BYPASS (read PostgreSQL, no fill); PostgreSQL
// trouble → Unavailable; hits never touch PostgreSQL.
//
// What is served as a hit is checked: a string that is not a JSON object naming this uuid (another
// writer's value, an empty string) is a miss (counted `foreign`, logged once, overwritten by the
// fill); a key of another type (WRONGTYPE: a hash, a RedisJSON document) is read from PostgreSQL
// without a fill (counted `wrong_type`, logged once). The CachePolicy (store/cache_policy.hpp)
// decides whether Redis is used at all and with which prefix and fill TTL. With a near cache
// (store/near_cache_tracking.hpp) a hit found in process memory is served as HIT without Redis.
#pragma once

#include "app/metrics.hpp"
#include "redis/scripts.hpp"
#include "store/cache_policy.hpp"
#include "store/near_cache_tracking.hpp"
#include "store/pg_pool.hpp"
#include "store/redis_router.hpp"
#include "store/single_flight.hpp"
#include "store/vcon_store.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vcon_redis::server::store {

struct CacheOptions {
    std::chrono::milliseconds lease{2000};
    std::chrono::milliseconds test_fill_delay{0};  // VCON_TEST_FILL_DELAY_MS
    std::chrono::milliseconds test_near_delay{0};  // VCON_TEST_NEAR_DELAY_MS: GET reply → near store
    int lease_wait_polls = 5;                      // GETs while someone else fills ...
    std::chrono::milliseconds lease_wait_step{10}; // ... this far apart
};

class CachedStore final : public VconStore {
public:
    // `near`: the io thread's near cache, or nullptr for none. Hits found there are served without
    // Redis; values of Redis GET/MGET hits are stored there (only those: never a fill's value).
    CachedStore(CacheOptions options, CachePolicy initial, RedisRouter &redis, PgPool &pg,
                SingleFlight &flights, Metrics &metrics, NearCacheTracking *near = nullptr);

    boost::asio::awaitable<VconResult> get(std::string uuid) override;
    // The near cache's bytes for a validated uuid, refcounted and not copied, counted as a HIT; nullptr
    // when the near cache does not hold it (or the cache is not used): then ask get(). get() serves
    // its near hits through this, so both follow the same rules. A near miss is counted unless
    // `count_miss` is false (the fast path's lookup: the general path then counts it).
    std::shared_ptr<const std::string> near_hit(std::string_view uuid, bool count_miss = true);
    // One MGET for all keys; the misses are read with ONE vcon_json_many query and filled under
    // the same rules as get(): a lease per miss (SET NX PX), the lease-checked fill, release when
    // nothing was found; foreign values are misses; keys of another type (MGET answers nil for
    // them, EXISTS tells them apart) are read without a fill; Redis trouble → BYPASS for all;
    // an unmaintained cache is not touched. Misses of a batch are not coalesced with concurrent
    // get()s (one query reads them all). A refused MGET (a cluster's CROSSSLOT) falls back to
    // get() per uuid.
    boost::asio::awaitable<std::vector<VconResult>> get_many(std::vector<std::string> uuids) override;
    boost::asio::awaitable<QueryResult> query_json(std::string sql, QueryParams params) override;

    // query_json with the database's answer kind kept (REST maps Unavailable to 503, errors to 500).
    boost::asio::awaitable<PgResult> query(std::string sql, QueryParams params);

    // Call on this store's io thread (SettingsWatch posts it there).
    void set_policy(CachePolicy policy);
    const CachePolicy &policy() const { return policy_; }

    bool redis_up() const { return redis_.up(); }
    bool postgres_up() const { return pg_.up(); }

private:
    enum class Miss { Fill, NoFill, Bypass };
    // get_many's steps, over its state (cached_store.cpp).
    struct Batch;
    boost::asio::awaitable<void> read_cache_many(Batch &b);
    boost::asio::awaitable<void> classify_absent(Batch &b);
    boost::asio::awaitable<void> take_leases(Batch &b);
    boost::asio::awaitable<void> read_misses(Batch &b);
    boost::asio::awaitable<VconResult> load(std::string uuid, Miss how);
    boost::asio::awaitable<VconResult> read_database(const std::string &uuid, CacheStatus cache);
    // vcon_json_many for `uuids`: uuid → compact document (absent ones missing); false + error when
    // the database could not answer.
    boost::asio::awaitable<bool> read_database_many(const std::vector<std::string> &uuids,
                                                    std::map<std::string, std::string> &docs,
                                                    std::string &error);
    void note_foreign(const std::string &key, std::size_t bytes);
    void note_wrong_type(const std::string &key);
    boost::asio::awaitable<redis::Reply> run_script(const redis::ScriptCall &call);
    boost::asio::awaitable<void> fill(const std::string &uuid, const std::string &token,
                                      const std::string &doc);
    boost::asio::awaitable<void> release(const std::string &uuid, const std::string &token);

    CacheOptions options_;
    CachePolicy policy_;
    RedisRouter &redis_;
    PgPool &pg_;
    SingleFlight &flights_;
    Metrics &metrics_;
    NearCacheTracking *near_;
    std::string near_key_; // near_hit()'s key, built here so that a hit allocates nothing
};

// True when a cached value is what the worker or a fill writes for `uuid`: a JSON object text that
// contains "uuid":"<uuid>". A structural check (no parse), cheap enough for every hit.
bool is_cached_vcon(std::string_view value, std::string_view uuid);

} // namespace vcon_redis::server::store
