// The SQL of the searches REST and MCP share, built once: which function, which casts, and how a
// page's matches and their count come back. Each statement returns one row with one jsonb value,
// so it runs through VconStore::query_json (MCP) or CachedStore::query (REST) alike; values always
// travel as parameters.
#pragma once

#include "store/vcon_store.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vcon_redis::server {

// The most rows one search asks for (REST `limit`, the MCP search tools' `limit`): search_vcons's
// cap, which SQL writes once as vcon_redis.search_vcons_max_lim() (test_search_params.py checks that
// the two agree).
constexpr std::int64_t kMaxSearchLimit = 1000;

struct SqlCall {
    std::string sql;
    QueryParams params;
};

// search_vcons's filters (NULL = not filtered); dates already checked (views/date_param.hpp), tags
// the JSON text of a {"key":"value"} object.
struct MetadataFilter {
    std::optional<std::string> subject, party_name, party_email, party_tel, start_date, end_date, tags;
};

// One page of vcon_redis.search_vcons → {"rows":[{uuid, subject, created_at, *_count}…], "total":n,
// "has_more":b}.
// `total` counts every match, also when `offset` is past the last one (the function then returns
// no row, so the count comes from a one-row call at offset 0). Without `with_count` the count of
// all matches is not run (it reads every match: most of a common substring's time) and `total` is
// null unless the page itself is the last one; `has_more` (rows after this page) is exact either way.
SqlCall metadata_search_call(const MetadataFilter &filter, std::int64_t limit, std::int64_t offset,
                             bool with_count = true);

// The rows and the count of a metadata_search_call's answer (a discarded parse included); nullopt
// when it is not one. total: nullopt when not counted.
struct MetadataPage {
    nlohmann::json rows = nlohmann::json::array();
    std::optional<std::int64_t> total;
    bool has_more = false;
};
std::optional<MetadataPage> metadata_page(nlohmann::json answer);

// search_vcons_content's filters; `query` is the web-search text.
struct ContentFilter {
    std::optional<std::string> query, start_date, end_date, tags;
};

// vcon_redis.search_vcons_content, at most `limit` rows, best first → [{vcon_id, …}…].
SqlCall content_search_call(const ContentFilter &filter, std::int64_t limit);

// vcon_redis.search_vcons_content_count: the number of distinct vCons that match → n.
SqlCall content_count_call(const ContentFilter &filter);

// A statement returning the rows of the set-returning `call` (with casts, e.g.
// "vcon_redis.vcon_ids($1::int)"; fixed text, never user input) as one jsonb array of objects, in
// the function's output order.
std::string json_rows_sql(std::string_view call);

} // namespace vcon_redis::server
