// Runs a set-returning SQL function of schema vcon_redis through VconStore::query_json and returns
// its rows as a JSON array of objects, in the function's output order.
#pragma once

#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace vcon_redis::server::mcp {

// `call` is the function call with casts, e.g. "vcon_redis.search_by_tags($1::jsonb, $2::int)"; it
// is spliced into a fixed wrapper, never built from user input (values travel as parameters).
// Throws ToolError when the database cannot answer.
boost::asio::awaitable<nlohmann::json> sql_rows(VconStore &store, const std::string &call,
                                                QueryParams params);

} // namespace vcon_redis::server::mcp
