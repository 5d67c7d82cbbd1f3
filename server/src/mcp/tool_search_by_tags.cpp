// search_by_tags: vCons whose tags contain every given key/value pair.
#include "mcp/jsonrpc.hpp"
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    json tags = *args.object("tags", true);
    const auto limit = args.integer("limit", 50, 1, 100);
    args.reject_unknown();
    if (tags.empty())
        throw ToolError("tags must contain at least one key/value pair, e.g. {\"department\": \"sales\"}");
    for (const auto &[key, value] : tags.items()) {
        // Tags are stored as "key:value" strings, so a key cannot be empty or contain ':'.
        if (key.empty() || key.find(':') != std::string::npos)
            throw ToolError("tag keys must be non-empty and must not contain ':' (tag \"" + key + "\")");
        if (!value.is_string())
            throw ToolError("tags values must be strings (tag \"" + key + "\")");
    }

    // Named, not a temporary: g++ 12 miscompiles array temporaries inside a co_await expression.
    static const std::string call = "vcon_redis.search_by_tags($1::jsonb, $2::int)";
    QueryParams params{to_text(tags), std::to_string(limit)};
    json rows = co_await sql_rows(store, call, std::move(params));
    json uuids = json::array();
    for (const auto &row : rows)
        if (row.is_object() && row.contains("vcon_id"))
            uuids.push_back(row["vcon_id"]);
    co_return json{{"success", true},
                   {"count", uuids.size()},
                   {"tags_searched", std::move(tags)},
                   {"vcon_uuids", std::move(uuids)}};
}

} // namespace

Tool search_by_tags_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"tags",
           {{"type", "object"},
            {"additionalProperties", {{"type", "string"}}},
            {"minProperties", 1},
            {"description", "Tag key/value pairs that must all match, e.g. {\"department\": \"sales\"}"}}},
          {"limit",
           {{"type", "integer"},
            {"minimum", 1},
            {"maximum", 100},
            {"default", 50},
            {"description", "Maximum number of vCons"}}}}},
        {"required", {"tags"}},
        {"additionalProperties", false},
    };
    json output = {
        {"type", "object"},
        {"properties",
         {{"success", {{"type", "boolean"}}},
          {"count", {{"type", "integer"}}},
          {"tags_searched", {{"type", "object"}}},
          {"vcon_uuids", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
        {"required", {"success", "count", "vcon_uuids"}},
    };
    return Tool{
        json{{"name", "search_by_tags"},
             {"title", "Search vCons by tags"},
             {"description", "Find vCons by tags (key/value pairs stored in the vCon's tags attachment); "
                             "every given pair must match. Returns the matching vCon UUIDs, most "
                             "recently tagged first; read them with get_vcon."},
             {"inputSchema", std::move(input)},
             {"outputSchema", std::move(output)},
             {"annotations", read_only_annotations("Search vCons by tags")}},
        &run,
        "Add tags to narrow the match or lower limit.",
    };
}

} // namespace vconredis::server::mcp
