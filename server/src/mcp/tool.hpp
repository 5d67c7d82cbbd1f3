// One MCP tool: its tools/list definition and the coroutine that runs it. The tools themselves are
// in tool_*.cpp; tools.cpp is the registry.
#pragma once

#include "mcp/tool_args.hpp"
#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vcon_redis::server::mcp {

struct Tool {
    // The entry of the tools/list result: name, title, description, inputSchema, outputSchema,
    // annotations.
    nlohmann::json definition;
    // Returns the structuredContent object (which must conform to outputSchema), or a JSON string
    // for a result that is text only (get_schema's TypeScript, get_examples' YAML); throws ToolError
    // for anything the model should be told (bad arguments, not found, database unavailable).
    boost::asio::awaitable<nlohmann::json> (*run)(ToolArgs &args, VconStore &store);
    // Told to the model when the result exceeds the size cap: how to ask for less with this tool.
    const char *too_large_hint;
};

Tool get_vcon_tool();
Tool search_vcons_tool();
Tool search_vcons_content_tool();
Tool search_by_tags_tool();
Tool get_tags_tool();
Tool get_unique_tags_tool();
Tool vcon_fetch_tool();
Tool vcon_search_tool();
Tool search_vcons_semantic_tool();
Tool search_vcons_hybrid_tool();
Tool vcon_capabilities_tool();
Tool vcon_graph_shape_tool();
Tool vcon_taxonomy_tool();
Tool vcon_aggregate_tool();
Tool describe_response_shape_tool();
Tool get_schema_tool();
Tool get_examples_tool();

// Annotations shared by every tool: they only read our own database.
nlohmann::json read_only_annotations(const char *title);

// Why semantic and hybrid search are refused: "needs …" (a sentence, for isError messages).
const char *no_embeddings_reason();

// An inputSchema property that is a string.
nlohmann::json string_property(const char *description);

// The inputSchema property of vcon-mcp's `tags` filters: an object of string values.
nlohmann::json tags_property(const char *description);

// What vcon-mcp's two search tools, search_vcons and search_vcons_content, say differently about
// the parameters they share.
struct SearchParameters {
    int default_limit;
    const char *limit_description;
    std::vector<std::string> formats; // of response_format
    const char *default_format;
    const char *format_description;
    const char *count_description; // of include_count
};

// The inputSchema of a search tool: its own `properties` and the shared ones (start_date,
// end_date, tags, limit 1..kMaxSearchLimit, response_format, include_count); no other property accepted.
nlohmann::json search_input_schema(nlohmann::json properties, const SearchParameters &parameters);

// The outputSchema of search_vcons and search_vcons_content (vcon-mcp's search result shape):
// success, count, response_format, total_count (when asked for), results.
nlohmann::json search_output_schema();

} // namespace vcon_redis::server::mcp
