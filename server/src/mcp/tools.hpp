// The tool registry and the tools/call result envelope.
#pragma once

#include "mcp/tool.hpp"

#include <cstddef>
#include <string_view>

namespace vcon_redis::server::mcp {

struct ToolLimits {
    // Cap on one serialized MCP response (envelope, structuredContent and its escaped copy in the
    // text item). Assistants refuse larger tool results (Claude Code: ~25 000 tokens), so the model
    // is told how to ask for less instead. Resources are capped the same way.
    std::size_t max_message_bytes = 200000;
};

// {"tools":[…]} in a fixed order (deterministic, one page).
const nlohmann::json &list_tools_result();

// nullptr for an unknown name (the caller answers JSON-RPC -32602).
const Tool *find_tool(std::string_view name);

// Runs a tool and builds the CallToolResult: structuredContent plus one text item with the same
// JSON, or isError:true with a message. `reserved`: bytes of the message outside the result (the
// JSON-RPC envelope and id). Never throws for tool failures.
boost::asio::awaitable<nlohmann::json> call_tool(const Tool &tool, const nlohmann::json &arguments,
                                                 VconStore &store, const ToolLimits &limits,
                                                 std::size_t reserved = 0);

// "The answer would be N bytes, over the M-byte limit of one MCP message …": the start of every
// size refusal (tools and resources), so the assistant reads the same advice everywhere.
std::string too_large_message(std::size_t bytes, std::size_t limit);

// The isError result for a message.
nlohmann::json tool_error_result(const std::string &message);

} // namespace vcon_redis::server::mcp
