// vcon_capabilities: what the contract tools (vcon_fetch, vcon_search, …) support on this server,
// in vcon-mcp's {ok, item} shape. Static: it describes this build.
#include "mcp/contract.hpp"
#include "mcp/tool.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &) {
    args.reject_unknown();
    static const json item = {
        {"tools",
         {"vcon_fetch", "vcon_capabilities", "vcon_graph_shape", "vcon_search", "vcon_taxonomy",
          "vcon_aggregate", "describe_response_shape"}},
        {"shape_graph",
         {{"resource_uri", "vcon://v1/graph/shape"},
          {"tool", "vcon_graph_shape"},
          {"json_schema_id", "https://vcon.dev/mcp/shape-graph/1-0-0"},
          {"description", "Corpus-level graph from vCon structure only (analysis types, attachment purposes, "
                          "legacy attachment types without purpose, tag keys, co-occurrence)."}}},
        {"response_budgeting",
         {{"default_max_response_bytes", contract::kDefaultMaxResponseBytes},
          {"minimum_max_response_bytes", contract::kMinMaxResponseBytes},
          {"failure_code", "RESPONSE_TOO_LARGE"},
          {"notes",
           {"The tool returns a structured error instead of truncating oversized payloads.",
            "Successful responses include meta.approximate_bytes so callers can calibrate future requests.",
            "Independently, this server refuses any MCP message over its own size limit with isError and "
            "advice."}}}},
        {"fetch",
         {{"identifier_field", "id"},
          {"default_include", contract::default_fetch_include()},
          {"supported_include", contract::include_groups()},
          {"recommended_lightweight_include", {"core", "summary", "dealer"}}}},
        {"search",
         {{"modes", {"metadata", "keyword"}},
          {"unavailable_modes", {"semantic", "hybrid"}},
          {"unavailable_reason", no_embeddings_reason()},
          {"default_mode", "metadata"},
          {"default_include", contract::default_search_include()},
          {"supported_include", contract::include_groups()},
          {"default_limit", 25},
          {"max_limit", 100},
          {"unsupported_filters", {"dealer_id", "dealer_name"}}}},
        {"pagination",
         {{"strategy", "opaque cursor"},
          {"request_field", "cursor"},
          {"response_field", "page.next_cursor"},
          {"semantics", "Pass page.next_cursor back unchanged; do not interpret or edit it."},
          {"total_semantics",
           "page.total is the database count for the same filters. Keyword mode ranks the best 100 matching "
           "fields; when more vCons match than that window holds, page.iterable_total says how many the "
           "cursor "
           "can reach."}}},
        {"migration",
         {{"get_vcon", "vcon_fetch"},
          {"search_vcons", "vcon_search(mode=\"metadata\")"},
          {"search_vcons_content", "vcon_search(mode=\"keyword\")"}}},
    };
    co_return json{{"ok", true}, {"item", item}};
}

} // namespace

Tool vcon_capabilities_tool() {
    return Tool{
        json{{"name", "vcon_capabilities"},
             {"title", "vCon contract capabilities"},
             {"description",
              "Describe the vcon_fetch / vcon_search contract on this server: supported include "
              "groups, search modes, pagination semantics, byte-budget defaults and migration "
              "hints from the legacy tools."},
             {"inputSchema",
              {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}}},
             {"annotations", read_only_annotations("vCon contract capabilities")}},
        &run,
        "",
    };
}

} // namespace vcon_redis::server::mcp
