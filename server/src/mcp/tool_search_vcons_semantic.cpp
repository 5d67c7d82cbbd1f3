// search_vcons_semantic and search_vcons_hybrid: listed as vcon-mcp lists them, so agents see the
// same surface, but answered with isError: they need embeddings this server does not have.
#include "mcp/tool.hpp"
#include "views/search_call.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

const json &response_format_property() {
    static const json p = {{"type", "string"},
                           {"enum", {"full", "metadata", "ids_only"}},
                           {"default", "metadata"},
                           {"description", "Response format: \"full\", \"metadata\", \"ids_only\""}};
    return p;
}

void refuse(ToolArgs &args, const char *tool) {
    args.reject_unknown();
    throw ToolError(std::string(tool) + " " + no_embeddings_reason() +
                    " Use search_vcons_content (full-text) or vcon_search with mode \"keyword\" instead.");
}

boost::asio::awaitable<json> run_semantic(ToolArgs &args, VconStore &) {
    args.string("query");
    args.numbers("embedding", 4096);
    args.tags("tags");
    args.number("threshold", 0.7, 0, 1);
    args.integer("limit", 50, 1, kMaxSearchLimit);
    args.choice("response_format", {"full", "metadata", "ids_only"}, "metadata");
    args.boolean("include_count", false);
    refuse(args, "search_vcons_semantic");
    co_return json();
}

boost::asio::awaitable<json> run_hybrid(ToolArgs &args, VconStore &) {
    args.string("query", true);
    args.numbers("embedding", 4096);
    args.tags("tags");
    args.number("semantic_weight", 0.6, 0, 1);
    args.integer("limit", 50, 1, kMaxSearchLimit);
    args.choice("response_format", {"full", "metadata", "ids_only"}, "metadata");
    args.boolean("include_count", false);
    refuse(args, "search_vcons_hybrid");
    co_return json();
}

json common_properties() {
    return {
        {"query", {{"type", "string"}, {"description", "Search query text"}}},
        {"embedding",
         {{"type", "array"},
          {"items", {{"type", "number"}}},
          {"description", "Pre-computed embedding vector (384 dimensions)"}}},
        {"tags", tags_property("Filter by tags (key-value pairs)")},
        {"limit",
         {{"type", "number"},
          {"minimum", 1},
          {"maximum", kMaxSearchLimit},
          {"default", 50},
          {"description", "Maximum number of results to return (default: 50)"}}},
        {"response_format", response_format_property()},
        {"include_count", {{"type", "boolean"}, {"default", false}, {"description", "Include total count"}}}};
}

} // namespace

Tool search_vcons_semantic_tool() {
    json properties = common_properties();
    properties["threshold"] = {{"type", "number"},
                               {"minimum", 0},
                               {"maximum", 1},
                               {"default", 0.7},
                               {"description", "Minimum similarity threshold (0-1, default: 0.7)"}};
    return Tool{
        json{{"name", "search_vcons_semantic"},
             {"title", "Semantic search (unavailable)"},
             {"description", "Semantic search using AI embeddings. NOT AVAILABLE on this server: it needs "
                             "pgvector and an embedding service; every call returns an error saying so. Use "
                             "search_vcons_content for full-text search."},
             {"inputSchema",
              {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}}},
             {"annotations", read_only_annotations("Semantic search (unavailable)")}},
        &run_semantic,
        "",
    };
}

Tool search_vcons_hybrid_tool() {
    json properties = common_properties();
    properties["semantic_weight"] = {{"type", "number"},
                                     {"minimum", 0},
                                     {"maximum", 1},
                                     {"default", 0.6},
                                     {"description", "Weight for semantic vs keyword (0-1, default: 0.6)"}};
    return Tool{
        json{{"name", "search_vcons_hybrid"},
             {"title", "Hybrid search (unavailable)"},
             {"description",
              "Hybrid keyword + semantic search. NOT AVAILABLE on this server: it needs pgvector "
              "and an embedding service; every call returns an error saying so. Use "
              "search_vcons_content for full-text search."},
             {"inputSchema",
              {{"type", "object"},
               {"properties", std::move(properties)},
               {"required", {"query"}},
               {"additionalProperties", false}}},
             {"annotations", read_only_annotations("Hybrid search (unavailable)")}},
        &run_hybrid,
        "",
    };
}

} // namespace vcon_redis::server::mcp
