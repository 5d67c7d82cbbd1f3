// search_vcons: metadata search (subject, party, creation date), newest first, paged.
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    QueryParams params{args.string("subject"),   args.string("party_name"),    args.string("party_email"),
                       args.string("party_tel"), args.timestamp("start_date"), args.timestamp("end_date")};
    const auto limit = args.integer("limit", 10, 1, 1000);
    const auto offset = args.integer("offset", 0, 0, 1'000'000'000);
    args.reject_unknown();
    params.push_back(std::to_string(limit));
    params.push_back(std::to_string(offset));

    // Named, not a temporary: g++ 12 miscompiles array temporaries inside a co_await expression.
    static const std::string call = "vcon_redis.search_vcons($1::text, $2::text, $3::text, $4::text, "
                                    "$5::timestamptz, $6::timestamptz, $7::int, $8::int)";
    json rows = co_await sql_rows(store, call, std::move(params));
    // total_count repeats on every row (a window count); report it once.
    json total = nullptr;
    for (auto &row : rows) {
        if (!row.is_object())
            continue;
        if (auto it = row.find("total_count"); it != row.end()) {
            if (total.is_null())
                total = *it;
            row.erase(it);
        }
    }
    json out{{"success", true}, {"count", rows.size()}, {"limit", limit}, {"offset", offset}};
    if (total.is_number())
        out["total_count"] = total;
    else if (offset == 0 && rows.empty())
        out["total_count"] = 0;
    out["results"] = std::move(rows);
    co_return out;
}

json string_property(const char *description) {
    return {{"type", "string"}, {"description", description}};
}

} // namespace

Tool search_vcons_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"subject", string_property("Text the subject contains (case-insensitive)")},
          {"party_name", string_property("Text a party's name contains (case-insensitive)")},
          {"party_email", string_property("Text a party's mailto contains (case-insensitive)")},
          {"party_tel", string_property("Text a party's tel contains")},
          {"start_date", string_property("Created at or after this ISO 8601 date/date-time")},
          {"end_date", string_property("Created at or before this ISO 8601 date/date-time")},
          {"limit",
           {{"type", "integer"},
            {"minimum", 1},
            {"maximum", 1000},
            {"default", 10},
            {"description", "Maximum number of results"}}},
          {"offset",
           {{"type", "integer"},
            {"minimum", 0},
            {"default", 0},
            {"description", "Number of results to skip (paging)"}}}}},
        {"additionalProperties", false},
    };
    json nullable_string = {{"type", {"string", "null"}}};
    json row = {
        {"type", "object"},
        {"properties",
         {{"uuid", {{"type", "string"}}},
          {"subject", nullable_string},
          {"created_at", nullable_string},
          {"parties_count", {{"type", "integer"}}},
          {"dialog_count", {{"type", "integer"}}},
          {"analysis_count", {{"type", "integer"}}},
          {"attachments_count", {{"type", "integer"}}}}},
        {"required", {"uuid"}},
    };
    json output = {
        {"type", "object"},
        {"properties",
         {{"success", {{"type", "boolean"}}},
          {"count", {{"type", "integer"}}},
          {"total_count", {{"type", "integer"}}},
          {"limit", {{"type", "integer"}}},
          {"offset", {{"type", "integer"}}},
          {"results", {{"type", "array"}, {"items", std::move(row)}}}}},
        {"required", {"success", "count", "results"}},
    };
    return Tool{
        json{{"name", "search_vcons"},
             {"title", "Search vCons"},
             {"description", "Find vCons by metadata: subject, party name/email/phone, creation date "
                             "range. All filters are optional and combined with AND; newest first. "
                             "Returns uuid, subject, created_at and member counts per vCon, and "
                             "total_count for paging with offset."},
             {"inputSchema", std::move(input)},
             {"outputSchema", std::move(output)},
             {"annotations", read_only_annotations("Search vCons")}},
        &run,
        "Add filters (subject, party, a date range), lower limit, or page with offset.",
    };
}

} // namespace vconredis::server::mcp
