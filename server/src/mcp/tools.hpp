// The tool registry and the tools/call result envelope.
#pragma once

#include "mcp/tool.hpp"

#include <cstddef>
#include <string_view>

namespace vconredis::server::mcp {

struct ToolLimits {
    // Cap on the text of one tool result (the JSON of structuredContent). Larger answers would flood
    // the model's context and the transport; the model is told to narrow the search instead.
    std::size_t max_result_bytes = std::size_t{1} << 20;
};

// {"tools":[…]} in a fixed order (deterministic, one page).
const nlohmann::json &list_tools_result();

// nullptr for an unknown name (the caller answers JSON-RPC -32602).
const Tool *find_tool(std::string_view name);

// Runs a tool and builds the CallToolResult: structuredContent plus one text item with the same
// JSON, or isError:true with a message. Never throws for tool failures.
boost::asio::awaitable<nlohmann::json> call_tool(const Tool &tool, const nlohmann::json &arguments,
                                                 VconStore &store, const ToolLimits &limits);

// The isError result for a message.
nlohmann::json tool_error_result(const std::string &message);

} // namespace vconredis::server::mcp
