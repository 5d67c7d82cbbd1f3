// get_unique_tags: every tag key and its values across all vCons (vcon_redis.unique_tags).
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    const bool include_counts = args.boolean("include_counts", false);
    auto key_filter = args.string("key_filter");
    const auto min_count = args.integer("min_count", 1, 1, 1'000'000'000);
    args.reject_unknown();
    const bool filtered = key_filter && !key_filter->empty();

    // Named, not temporaries (docs/internals.md, g++ 12 coroutine rule).
    static const std::string call = "vcon_redis.unique_tags($1::text, $2::int)";
    static const std::string total_sql = "SELECT to_jsonb(vcon_redis.tagged_vcon_count())";
    QueryParams params{filtered ? key_filter : std::nullopt, std::to_string(min_count)};
    json rows = co_await sql_rows(store, call, std::move(params));
    QueryParams no_params;
    QueryResult total = co_await store.query_json(total_sql, std::move(no_params));
    if (!total.ok)
        throw ToolError("database query failed: " + total.error);

    json keys = json::array();
    json by_key = json::object();
    json counts = json::object();
    for (const auto &row : rows) { // ordered by key, value
        const std::string key = row.value("key", "");
        if (!by_key.contains(key)) {
            keys.push_back(key);
            by_key[key] = json::array();
        }
        by_key[key].push_back(row.value("value", ""));
        if (include_counts)
            counts[key][row.value("value", "")] = row.value("vcon_count", json(0));
    }
    const json tagged = json::parse(total.json, nullptr, false);
    json out{{"success", true},
             {"unique_keys", keys},
             {"unique_key_count", keys.size()},
             {"tags_by_key", std::move(by_key)},
             {"total_vcons_with_tags", tagged},
             {"summary",
              {{"total_unique_keys", keys.size()},
               {"total_vcons", tagged},
               {"filter_applied", filtered},
               {"min_count_filter", min_count}}}};
    if (include_counts)
        out["counts_per_value"] = std::move(counts);
    co_return out;
}

} // namespace

Tool get_unique_tags_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"include_counts",
           {{"type", "boolean"},
            {"default", false},
            {"description", "Include count of vCons for each tag value (default: false)"}}},
          {"key_filter",
           {{"type", "string"},
            {"description", "Only return tags with keys containing this text (case-insensitive substring "
                            "match)"}}},
          {"min_count",
           {{"type", "number"},
            {"minimum", 1},
            {"default", 1},
            {"description",
             "Only return tag values that appear on at least this many vCons (default: 1)"}}}}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "get_unique_tags"},
             {"title", "Get unique tags"},
             {"description",
              "Get a list of all unique tag keys and their possible values across all vCons. "
              "Useful for discovering available tags (then search_by_tags or the tags filter of "
              "the searches), building tag selection UIs, and analytics."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Get unique tags")}},
        &run,
        "key_filter to narrow the keys, a higher min_count, or include_counts=false.",
    };
}

} // namespace vcon_redis::server::mcp
