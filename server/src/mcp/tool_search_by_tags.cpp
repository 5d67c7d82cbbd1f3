// search_by_tags: vCons whose tags contain every given key/value pair, as vcon-mcp's search_by_tags
// (return_full_vcons, max_full_vcons).
#include "mcp/jsonrpc.hpp"
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"
#include "mcp/vcon_reads.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

// vcon-mcp returns full vCons by default only for result sets up to this size.
constexpr std::size_t kFullByDefault = 20;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    json tags = *args.tags("tags", true);
    const auto limit = args.integer("limit", 50, 1, 100);
    const bool full_asked = args.boolean("return_full_vcons", false);
    const bool full_given = args.given("return_full_vcons");
    const auto max_full = args.integer("max_full_vcons", 20, 1, 50);
    args.reject_unknown();

    // Named, not a temporary (docs/internals.md, g++ 12 coroutine rule).
    static const std::string call = "vcon_redis.search_by_tags($1::jsonb, $2::int)";
    QueryParams params{to_text(tags), std::to_string(limit)};
    json rows = co_await sql_rows(store, call, std::move(params));
    std::vector<std::string> uuids;
    for (const auto &row : rows)
        uuids.push_back(row.value("vcon_id", ""));
    const bool want_full = full_given ? full_asked : uuids.size() <= kFullByDefault;
    const std::size_t n_full = want_full ? std::min<std::size_t>(uuids.size(), max_full) : 0;
    json out{{"success", true}, {"count", uuids.size()}, {"tags_searched", tags}, {"vcon_uuids", uuids}};
    if (n_full > 0) {
        std::vector<std::string> first(uuids.begin(), uuids.begin() + static_cast<std::ptrdiff_t>(n_full));
        out["vcons"] = co_await read_vcons(std::move(first), store);
        if (n_full < uuids.size())
            out["message"] = "Returned " + std::to_string(n_full) + " full vCon objects (out of " +
                             std::to_string(uuids.size()) +
                             " total matches). Use get_vcon to fetch individual vCons by UUID.";
    } else {
        out["message"] = "Found " + std::to_string(uuids.size()) +
                         " matching vCons. Use get_vcon to fetch individual vCons by UUID, or set "
                         "return_full_vcons=true to get full objects (limited to " +
                         std::to_string(max_full) + " for large result sets).";
    }
    co_return out;
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
            {"description", "REQUIRED: tag key-value pairs that must all match, e.g. {\"department\": "
                            "\"sales\"} or {\"priority\": \"high\", \"status\": \"resolved\"}"}}},
          {"limit",
           {{"type", "number"},
            {"minimum", 1},
            {"maximum", 100},
            {"default", 50},
            {"description", "Maximum number of UUIDs to return (default: 50)"}}},
          {"return_full_vcons",
           {{"type", "boolean"},
            {"default", false},
            {"description", "Return the full vCon objects too (at most max_full_vcons). When omitted, they "
                            "are returned for result sets of 20 or fewer."}}},
          {"max_full_vcons",
           {{"type", "number"},
            {"minimum", 1},
            {"maximum", 50},
            {"default", 20},
            {"description", "Maximum number of full vCon objects to return (default: 20)"}}}}},
        {"required", {"tags"}},
        {"additionalProperties", false},
    };
    json output = {
        {"type", "object"},
        {"properties",
         {{"success", {{"type", "boolean"}}},
          {"count", {{"type", "integer"}}},
          {"tags_searched", {{"type", "object"}}},
          {"vcon_uuids", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"vcons", {{"type", "array"}, {"items", {{"type", "object"}}}}},
          {"message", {{"type", "string"}}}}},
        {"required", {"success", "count", "vcon_uuids"}},
    };
    return Tool{
        json{{"name", "search_by_tags"},
             {"title", "Search vCons by tags"},
             {"description", "Search for vCons that have specific tag values (key/value pairs stored in the "
                             "vCon's tags attachment); every given pair must match. Returns the matching "
                             "vCon UUIDs, newest first, and the full vCons for small result sets "
                             "(return_full_vcons, max_full_vcons)."},
             {"inputSchema", std::move(input)},
             {"outputSchema", std::move(output)},
             {"annotations", read_only_annotations("Search vCons by tags")}},
        &run,
        "return_full_vcons=false (UUIDs only), a lower max_full_vcons or limit, or more tags.",
    };
}

} // namespace vcon_redis::server::mcp
