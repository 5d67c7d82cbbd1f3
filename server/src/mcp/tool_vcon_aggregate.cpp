// vcon_aggregate: vCons grouped by strolid_dealer attachment, tag-filtered and baseline counts
// (vcon_redis.aggregate_by_dealer), in vcon-mcp's {ok, item:{group_by, rows}} envelope.
#include "mcp/contract.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    std::string invalid;
    QueryParams params;
    try {
        args.choice("group_by", {"dealer"}, "dealer");
        auto tags = args.tags("tags");
        ToolArgs filters = args.nested("filters");
        auto start = filters.timestamp("start_date");
        auto end = filters.timestamp("end_date");
        filters.reject_unknown();
        ToolArgs having = args.nested("having");
        const auto min_count = having.integer("min_count", 1, 1, 1'000'000'000);
        having.reject_unknown();
        const auto limit = args.integer("limit", 20, 1, 500);
        args.reject_unknown();
        params = {tags ? std::optional<std::string>(to_text(*tags)) : std::nullopt, start, end,
                  std::to_string(min_count), std::to_string(limit)};
    } catch (const ToolError &e) {
        invalid = e.what();
    }
    json out;
    if (!invalid.empty()) {
        out = contract::error("INVALID_ARGUMENT", invalid);
    } else {
        static const std::string call =
            "vcon_redis.aggregate_by_dealer($1::jsonb, $2::timestamptz, $3::timestamptz, $4::int, $5::int)";
        json rows = co_await sql_rows(store, call, std::move(params));
        out = {{"ok", true}, {"item", {{"group_by", "dealer"}, {"rows", std::move(rows)}}}};
    }
    co_return out;
}

} // namespace

Tool vcon_aggregate_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"group_by",
           {{"type", "string"},
            {"enum", {"dealer"}},
            {"default", "dealer"},
            {"description", "Only \"dealer\" (the strolid_dealer attachment's id) is supported."}}},
          {"tags",
           tags_property("Tag filter for the numerator (filtered_count). Pass {} or omit for baseline-only "
                         "ranking.")},
          {"filters",
           {{"type", "object"},
            {"description", "Optional created_at window."},
            {"properties", {{"start_date", {{"type", "string"}}}, {"end_date", {{"type", "string"}}}}}}},
          {"having",
           {{"type", "object"},
            {"description", "Optional floor on baseline_count per dealer."},
            {"properties", {{"min_count", {{"type", "number"}, {"minimum", 1}, {"default", 1}}}}}}},
          {"limit",
           {{"type", "number"},
            {"minimum", 1},
            {"maximum", 500},
            {"default", 20},
            {"description", "Maximum number of dealer rows to return. Default 20, max 500."}}}}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "vcon_aggregate"},
             {"title", "Aggregate vCons by dealer"},
             {"description",
              "Server-side rollup: vCons that carry a strolid_dealer attachment grouped by dealer id, with "
              "filtered_count (vCons matching tags) and baseline_count (all vCons of the dealer), so a rate "
              "is "
              "one division; highest rate first."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Aggregate vCons by dealer")}},
        &run,
        "a lower limit or a higher having.min_count.",
    };
}

} // namespace vcon_redis::server::mcp
