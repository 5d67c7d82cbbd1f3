// vcon_taxonomy: domain guidance for client builders in vcon-mcp's {ok, item} shape. vcon-mcp ships
// one dataset's fixed guidance; here it is read from this database: the values of the `portal` tag,
// the most common tag keys, and coverage counts.
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    args.reject_unknown();
    static const std::string portal_call = "vcon_redis.unique_tags($1::text, $2::int)";
    static const std::string shape_sql = "SELECT vcon_redis.shape_graph()";
    static const std::string coverage_sql = "SELECT vcon_redis.coverage()";
    QueryParams portal_params{std::string("portal"), std::string("1")};
    json portal_rows = co_await sql_rows(store, portal_call, std::move(portal_params));
    QueryParams none1, none2;
    QueryResult shape = co_await store.query_json(shape_sql, std::move(none1));
    QueryResult coverage = co_await store.query_json(coverage_sql, std::move(none2));
    if (!shape.ok || !coverage.ok)
        throw ToolError("database query failed: " + (shape.ok ? coverage.error : shape.error));

    json portal_values = json::array();
    for (const auto &row : portal_rows)
        if (row.value("key", "") == "portal")
            portal_values.push_back(
                {{"value", row.value("value", "")}, {"vcon_count", row.value("vcon_count", json(0))}});
    json common_tags = json::array();
    json attachment_purposes = json::array();
    const json graph = json::parse(shape.json, nullptr, false);
    if (graph.is_object() && graph.contains("nodes"))
        for (const auto &node : graph["nodes"]) {
            const std::string kind = node.value("kind", "");
            if (kind == "tag_key" && common_tags.size() < 20)
                common_tags.push_back(
                    {{"key", node.value("label", "")}, {"vcon_count", node.value("vcon_count", json(0))}});
            else if (kind == "attachment_purpose" || kind == "attachment_type_legacy")
                attachment_purposes.push_back({{"value", node.value("label", "")},
                                               {"source", kind == "attachment_purpose" ? "purpose" : "type"},
                                               {"vcon_count", node.value("vcon_count", json(0))}});
        }
    json item = {
        {"dataset", "this database"},
        {"portal_values", std::move(portal_values)},
        {"common_tags", std::move(common_tags)},
        {"attachment_kinds", std::move(attachment_purposes)},
        {"preferred_sources",
         {{{"need", "summary text"},
           {"source", "analysis:type=summary"},
           {"fields", {"body", "vendor", "product"}}},
          {{"need", "tags"}, {"source", "attachment:purpose=tags"}, {"fields", {"key:value pairs"}}},
          {{"need", "dealer info"},
           {"source", "attachment:strolid_dealer"},
           {"fields", {"id", "name", "outboundPhoneNumber", "team"}}}}},
        {"query_recipes",
         {{{"goal", "Browse by category"},
           {"recommendation", "Filter on tags (get_unique_tags lists them), then vcon_fetch with "
                              "include=[\"core\",\"summary\"]."}},
          {{"goal", "Find conversations about a topic"},
           {"recommendation", "vcon_search mode=\"keyword\" (full-text), then read summaries."}},
          {{"goal", "Rates per dealer"},
           {"recommendation",
            "vcon_aggregate with the tags filter as numerator and having.min_count as floor."}}}},
        {"coverage", json::parse(coverage.json, nullptr, false)},
    };
    co_return json{{"ok", true}, {"item", std::move(item)}};
}

} // namespace

Tool vcon_taxonomy_tool() {
    return Tool{
        json{{"name", "vcon_taxonomy"},
             {"title", "vCon taxonomy"},
             {"description",
              "Domain guidance for building vCon clients against this database: the values of the "
              "portal tag, the most common tag keys, attachment purposes/types, preferred sources "
              "for common needs, query recipes, and coverage counts."},
             {"inputSchema",
              {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}}},
             {"annotations", read_only_annotations("vCon taxonomy")}},
        &run,
        "",
    };
}

} // namespace vcon_redis::server::mcp
