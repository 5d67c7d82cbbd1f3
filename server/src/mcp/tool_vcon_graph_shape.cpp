// vcon_graph_shape: vcon-mcp's corpus shape graph (vcon_redis.shape_graph) as {ok, item}; the same
// payload as the resource vcon://v1/graph/shape.
#include "mcp/contract.hpp"
#include "mcp/tool.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    args.reject_unknown();
    static const std::string sql = "SELECT vcon_redis.shape_graph()";
    QueryParams none;
    QueryResult r = co_await store.query_json(sql, std::move(none));
    json out;
    if (!r.ok)
        out = contract::error("SHAPE_GRAPH_FAILED", r.error);
    else
        out = {{"ok", true}, {"item", json::parse(r.json, nullptr, false)}};
    co_return out;
}

} // namespace

Tool vcon_graph_shape_tool() {
    return Tool{
        json{{"name", "vcon_graph_shape"},
             {"title", "vCon shape graph"},
             {"description",
              "Return the corpus shape graph: nodes for analysis types, attachment purposes, legacy "
              "attachment "
              "types (when purpose is absent) and tag keys, each with its vCon count, plus co-occurrence "
              "edges "
              "between analysis types and attachment purposes. Same payload as the resource "
              "vcon://v1/graph/shape (prefer the resource when the client supports resources)."},
             {"inputSchema",
              {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}}},
             {"annotations", read_only_annotations("vCon shape graph")}},
        &run,
        "read the resource vcon://v1/graph/shape instead.",
    };
}

} // namespace vcon_redis::server::mcp
