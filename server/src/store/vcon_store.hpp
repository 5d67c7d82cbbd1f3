// The read path's data access: what the HTTP/REST and MCP layers ask for, cache-first for vCons.
// Contract between server/src/store (implementation) and its callers (rest/, mcp/).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace vcon_redis::server {

enum class CacheStatus { Hit, Miss, Bypass };

const char *to_string(CacheStatus); // "HIT", "MISS", "BYPASS"

struct VconResult {
    enum class Status { Found, NotFound, Unavailable };
    Status status = Status::NotFound;
    std::string json; // compact JSON text of vcon_redis.vcon_json(uuid), exactly as cached
    CacheStatus cache = CacheStatus::Bypass;
    std::string error; // for Unavailable: a message safe to show a client (no secrets)
};

struct QueryResult {
    bool ok = false;
    std::string json;  // the single jsonb value the query returned, as compact text ("null" if SQL NULL)
    std::string error; // when !ok: a message safe to show a client
};

// Parameters are passed as text (NULL = std::nullopt) and cast in SQL ($1::uuid, $2::int, ...).
using QueryParams = std::vector<std::optional<std::string>>;

class VconStore {
public:
    virtual ~VconStore() = default;
    // uuid must already be validated (lowercase canonical 8-4-4-4-12) by the caller.
    virtual boost::asio::awaitable<VconResult> get(std::string uuid) = 0;
    // The vCons of a list, one result per uuid in the same order (uuids validated as for get; a
    // uuid may repeat). The cached store reads them with one MGET and fills the misses from one
    // PostgreSQL query; this default asks get() for each, for stores without a batch read.
    virtual boost::asio::awaitable<std::vector<VconResult>> get_many(std::vector<std::string> uuids);
    // Runs a read-only statement returning exactly one row with one jsonb column.
    virtual boost::asio::awaitable<QueryResult> query_json(std::string sql, QueryParams params) = 0;
};

} // namespace vcon_redis::server
