#include "mcp/sql_rows.hpp"

#include "mcp/tool_args.hpp"

namespace vcon_redis::server::mcp {

boost::asio::awaitable<nlohmann::json> sql_rows(VconStore &store, const std::string &call,
                                                QueryParams params) {
    // ROWS FROM … WITH ORDINALITY keeps the function's ranking order through jsonb_agg; the
    // ordinality column is dropped again from each row.
    const std::string sql = "SELECT coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), "
                            "'[]'::jsonb) FROM ROWS FROM (" +
                            call + ") WITH ORDINALITY AS t";
    QueryResult r = co_await store.query_json(sql, std::move(params));
    if (!r.ok)
        throw ToolError("database query failed: " +
                        (r.error.empty() ? std::string("database unavailable") : r.error));
    auto rows = nlohmann::json::parse(r.json, nullptr, false);
    if (rows.is_discarded() || !rows.is_array())
        throw ToolError("database returned an unexpected result");
    co_return rows;
}

} // namespace vcon_redis::server::mcp
