// Runs the SQL of a tool through VconStore::query_json: a set-returning function's rows as a JSON
// array of objects, in the function's output order, or any one-value statement (views/search_call).
#pragma once

#include "store/vcon_store.hpp"
#include "views/search_call.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace vcon_redis::server::mcp {

// The one jsonb value `call` returns. Throws ToolError when the database cannot answer.
boost::asio::awaitable<nlohmann::json> sql_value(VconStore &store, SqlCall call);

// `call` is the function call with casts, e.g. "vcon_redis.search_by_tags($1::jsonb, $2::int)"; it
// is spliced into a fixed wrapper (json_rows_sql), never built from user input (values travel as
// parameters). Throws ToolError when the database cannot answer or answers no array.
boost::asio::awaitable<nlohmann::json> sql_rows(VconStore &store, const std::string &call,
                                                QueryParams params);

} // namespace vcon_redis::server::mcp
