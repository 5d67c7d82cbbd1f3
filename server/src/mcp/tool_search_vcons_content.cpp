// search_vcons_content: PostgreSQL full-text search over subjects, parties, dialog and analysis.
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    QueryParams params{args.string("query", true), args.timestamp("start_date"), args.timestamp("end_date")};
    const auto limit = args.integer("limit", 50, 1, 100);
    args.reject_unknown();
    params.push_back(std::to_string(limit));

    // Named, not a temporary: g++ 12 miscompiles array temporaries inside a co_await expression.
    static const std::string call =
        "vcon_redis.search_vcons_content($1::text, $2::timestamptz, $3::timestamptz, $4::int)";
    json rows = co_await sql_rows(store, call, std::move(params));
    co_return json{{"success", true}, {"count", rows.size()}, {"results", std::move(rows)}};
}

} // namespace

Tool search_vcons_content_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"query",
           {{"type", "string"},
            {"minLength", 1},
            {"description", "Words to search for (web-search syntax: quotes for phrases, OR, -word)"}}},
          {"start_date",
           {{"type", "string"}, {"description", "Created at or after this ISO 8601 date/date-time"}}},
          {"end_date",
           {{"type", "string"}, {"description", "Created at or before this ISO 8601 date/date-time"}}},
          {"limit",
           {{"type", "integer"},
            {"minimum", 1},
            {"maximum", 100},
            {"default", 50},
            {"description", "Maximum number of matches"}}}}},
        {"required", {"query"}},
        {"additionalProperties", false},
    };
    json row = {
        {"type", "object"},
        {"properties",
         {{"vcon_id", {{"type", "string"}}},
          {"content_type", {{"type", "string"}}},
          {"content_index", {{"type", {"integer", "null"}}}},
          {"relevance_score", {{"type", "number"}}},
          {"snippet", {{"type", {"string", "null"}}}}}},
        {"required", {"vcon_id"}},
    };
    json output = {
        {"type", "object"},
        {"properties",
         {{"success", {{"type", "boolean"}}},
          {"count", {{"type", "integer"}}},
          {"results", {{"type", "array"}, {"items", std::move(row)}}}}},
        {"required", {"success", "count", "results"}},
    };
    return Tool{
        json{{"name", "search_vcons_content"},
             {"title", "Search vCon content"},
             {"description", "Full-text search in vCon subjects, parties, dialog (transcripts, messages) "
                             "and analysis. Returns one row per matching field: vcon_id, content_type "
                             "(subject, party, dialog, analysis), content_index, relevance_score and a "
                             "snippet, best matches first; a vCon can appear more than once."},
             {"inputSchema", std::move(input)},
             {"outputSchema", std::move(output)},
             {"annotations", read_only_annotations("Search vCon content")}},
        &run,
        "Use more specific words, a date range, or a lower limit.",
    };
}

} // namespace vconredis::server::mcp
