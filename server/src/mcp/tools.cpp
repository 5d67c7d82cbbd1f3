#include "mcp/tools.hpp"

#include "mcp/jsonrpc.hpp"

#include <vector>

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

const std::vector<Tool> &registry() {
    static const std::vector<Tool> tools{get_vcon_tool(), search_vcons_tool(), search_vcons_content_tool(),
                                         search_by_tags_tool()};
    return tools;
}

} // namespace

json read_only_annotations(const char *title) {
    return {{"title", title}, {"readOnlyHint", true}, {"openWorldHint", false}};
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

boost::asio::awaitable<json> call_tool(const Tool &tool, const json &arguments, VconStore &store,
                                       const ToolLimits &limits) {
    json structured;
    try {
        ToolArgs args(arguments);
        structured = co_await tool.run(args, store);
    } catch (const ToolError &e) {
        co_return tool_error_result(e.what());
    }
    std::string text = to_text(structured);
    if (text.size() > limits.max_result_bytes) {
        co_return tool_error_result("result too large: " + std::to_string(text.size()) + " bytes, over the " +
                                    std::to_string(limits.max_result_bytes) +
                                    "-byte limit. " + tool.too_large_hint);
    }
    json content = json::array({{{"type", "text"}, {"text", std::move(text)}}});
    co_return json{{"content", std::move(content)}, {"structuredContent", std::move(structured)}};
}

} // namespace vconredis::server::mcp
