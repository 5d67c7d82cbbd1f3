#include "mcp/sql_rows.hpp"

#include "mcp/tool_args.hpp"

namespace vcon_redis::server::mcp {

// One co_return at function scope (docs/internals.md, g++ 12 coroutine rule).
boost::asio::awaitable<nlohmann::json> sql_value(VconStore &store, SqlCall call) {
    QueryResult r = co_await store.query_json(std::move(call.sql), std::move(call.params));
    if (!r.ok)
        throw ToolError("database query failed: " +
                        (r.error.empty() ? std::string("database unavailable") : r.error));
    auto value = nlohmann::json::parse(r.json, nullptr, false);
    if (value.is_discarded())
        throw ToolError("database returned an unexpected result");
    co_return value;
}

boost::asio::awaitable<nlohmann::json> sql_rows(VconStore &store, const std::string &call,
                                                QueryParams params) {
    SqlCall rows_call{json_rows_sql(call), std::move(params)}; // named before the co_await
    nlohmann::json rows = co_await sql_value(store, std::move(rows_call));
    if (!rows.is_array())
        throw ToolError("database returned an unexpected result");
    co_return rows;
}

} // namespace vcon_redis::server::mcp
