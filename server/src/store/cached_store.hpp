// The cache-first VconStore of one io thread: GET <prefix><uuid> from Redis; on a miss take the
// fill lease (SET <key>:lease <token> NX PX), read PostgreSQL, and fill with the lease-checked
// `fill` script, so a fill that started before a worker write is refused (DESIGN.md §4 rule 4).
// Misses for one uuid are coalesced process-wide (SingleFlight). Redis trouble → BYPASS (read
// PostgreSQL, no fill); PostgreSQL trouble → Unavailable; hits never touch PostgreSQL.
#pragma once

#include "app/metrics.hpp"
#include "store/pg_pool.hpp"
#include "store/redis_pipe.hpp"
#include "store/single_flight.hpp"
#include "store/vcon_store.hpp"

#include <chrono>
#include <string>

namespace vconredis::server::store {

struct CacheOptions {
    std::string key_prefix = "vcon:";
    int expiry_s = 3600;
    std::chrono::milliseconds lease{2000};
    std::chrono::milliseconds test_fill_delay{0}; // VCON_TEST_FILL_DELAY_MS
    int lease_wait_polls = 5;                     // GETs while someone else fills ...
    std::chrono::milliseconds lease_wait_step{10}; // ... this far apart
};

class CachedStore final : public VconStore {
public:
    CachedStore(CacheOptions options, RedisPipe &redis, PgPool &pg, SingleFlight &flights, Metrics &metrics);

    boost::asio::awaitable<VconResult> get(std::string uuid) override;
    boost::asio::awaitable<QueryResult> query_json(std::string sql, QueryParams params) override;

    // query_json with the database's answer kind kept (REST maps Unavailable to 503, errors to 500).
    boost::asio::awaitable<PgResult> query(std::string sql, QueryParams params);

    bool redis_up() const { return redis_.up(); }
    bool postgres_up() const { return pg_.up(); }

private:
    boost::asio::awaitable<VconResult> load(std::string uuid, bool bypass);
    boost::asio::awaitable<VconResult> read_database(const std::string &uuid, CacheStatus cache);
    boost::asio::awaitable<void> fill(const std::string &uuid, const std::string &token, const std::string &doc);

    CacheOptions options_;
    RedisPipe &redis_;
    PgPool &pg_;
    SingleFlight &flights_;
    Metrics &metrics_;
};

} // namespace vconredis::server::store
