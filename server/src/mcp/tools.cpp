#include "mcp/tools.hpp"

#include "mcp/jsonrpc.hpp"
#include "views/search_call.hpp"

#include <vector>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

const std::vector<Tool> &registry() {
    // vcon-mcp's read profile, in its order (vcon-crud, tags, contract tools).
    static const std::vector<Tool> tools{get_vcon_tool(),
                                         search_vcons_tool(),
                                         search_vcons_content_tool(),
                                         search_vcons_semantic_tool(),
                                         search_vcons_hybrid_tool(),
                                         get_tags_tool(),
                                         search_by_tags_tool(),
                                         get_unique_tags_tool(),
                                         vcon_fetch_tool(),
                                         vcon_capabilities_tool(),
                                         vcon_graph_shape_tool(),
                                         vcon_taxonomy_tool(),
                                         vcon_search_tool(),
                                         vcon_aggregate_tool(),
                                         describe_response_shape_tool(),
                                         get_schema_tool(),
                                         get_examples_tool()};
    return tools;
}

} // namespace

json read_only_annotations(const char *title) {
    return {{"title", title}, {"readOnlyHint", true}, {"openWorldHint", false}};
}

const char *no_embeddings_reason() {
    return "needs vector embeddings (pgvector in PostgreSQL and an embedding service), which this server "
           "does not have: Debian 12 packages neither, and vcon-cache-server reads only the vCon tables.";
}

json string_property(const char *description) {
    return {{"type", "string"}, {"description", description}};
}

json tags_property(const char *description) {
    return {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}, {"description", description}};
}

json search_input_schema(json properties, const SearchParameters &parameters) {
    properties["start_date"] =
        string_property("Filter by vCons created on or after this date (ISO 8601 format)");
    properties["end_date"] =
        string_property("Filter by vCons created on or before this date (ISO 8601 format)");
    properties["tags"] = tags_property("Filter by tags (key-value pairs), all must match. Example: "
                                       "{\"department\": \"sales\", \"priority\": \"high\"}");
    properties["limit"] = {{"type", "number"},
                           {"minimum", 1},
                           {"maximum", kMaxSearchLimit},
                           {"default", parameters.default_limit},
                           {"description", parameters.limit_description}};
    properties["response_format"] = {{"type", "string"},
                                     {"enum", parameters.formats},
                                     {"default", parameters.default_format},
                                     {"description", parameters.format_description}};
    properties["include_count"] = {
        {"type", "boolean"}, {"default", false}, {"description", parameters.count_description}};
    return {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
}

json search_output_schema() {
    return {
        {"type", "object"},
        {"properties",
         {{"success", {{"type", "boolean"}}},
          {"count", {{"type", "integer"}}},
          {"response_format", {{"type", "string"}}},
          {"total_count", {{"type", "integer"}}},
          {"results", {{"type", "array"}}}}},
        {"required", {"success", "count", "response_format", "results"}},
    };
}

const json &list_tools_result() {
    static const json result = [] {
        json tools = json::array();
        for (const auto &t : registry())
            tools.push_back(t.definition);
        return json{{"tools", std::move(tools)}};
    }();
    return result;
}

const Tool *find_tool(std::string_view name) {
    for (const auto &t : registry())
        if (t.definition["name"].get_ref<const std::string &>() == name)
            return &t;
    return nullptr;
}

json tool_error_result(const std::string &message) {
    return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
}

std::string too_large_message(std::size_t bytes, std::size_t limit) {
    return "Result too large: the answer would be " + std::to_string(bytes) + " bytes, over the " +
           std::to_string(limit) +
           "-byte limit of one MCP message on this server (assistants cannot take in "
           "more). Ask for less: ";
}

boost::asio::awaitable<json> call_tool(const Tool &tool, const json &arguments, VconStore &store,
                                       const ToolLimits &limits, std::size_t reserved) {
    json structured;
    std::string error;
    try {
        ToolArgs args(arguments);
        structured = co_await tool.run(args, store);
    } catch (const ToolError &e) {
        error = e.what();
    }
    json result;
    if (!error.empty()) {
        result = tool_error_result(error);
    } else if (structured.is_string()) {
        // A text-only result: one text item, no structuredContent.
        std::string text = structured.get<std::string>();
        static constexpr std::string_view text_frame = R"({"content":[{"type":"text","text":}]})";
        const std::size_t budget =
            limits.max_message_bytes > reserved ? limits.max_message_bytes - reserved : 0;
        const std::size_t size = text_frame.size() + json_string_size(text);
        if (size > budget)
            result =
                tool_error_result(too_large_message(size, limits.max_message_bytes) + tool.too_large_hint);
        else
            result = json{{"content", json::array({{{"type", "text"}, {"text", std::move(text)}}})}};
    } else {
        // The message carries the JSON twice: as structuredContent and escaped in the text item.
        static constexpr std::string_view frame =
            R"({"content":[{"type":"text","text":}],"structuredContent":})";
        const std::size_t budget =
            limits.max_message_bytes > reserved ? limits.max_message_bytes - reserved : 0;
        std::string text = to_text(structured);
        // An escaped copy is never shorter, so twice the text is a lower bound: big answers are
        // refused before the copy is made.
        std::size_t size = frame.size() + 2 * text.size() + 2;
        if (size <= budget)
            size = frame.size() + text.size() + json_string_size(text);
        if (size > budget) {
            result =
                tool_error_result(too_large_message(size, limits.max_message_bytes) + tool.too_large_hint);
        } else if (!raw_json_valid(structured)) {
            result = tool_error_result("the stored document is not a JSON object; it cannot be sent");
        } else {
            json content = json::array({{{"type", "text"}, {"text", std::move(text)}}});
            result = json{{"content", std::move(content)}, {"structuredContent", std::move(structured)}};
        }
    }
    co_return result;
}

} // namespace vcon_redis::server::mcp
