// MCP method dispatch for one JSON-RPC request, transport-independent and stateless: nothing is
// remembered between messages, so `initialize` is not a gate (clients that skip
// notifications/initialized, or probe with other methods first, get normal answers), and a
// legacy session and modern stateless requests can be served side by side (mcp/era.hpp decides
// which a request is).
#pragma once

#include "mcp/era.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/tools.hpp"
#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace vcon_redis::server::mcp {

struct DispatchContext {
    Era era = Era::Legacy;
    // The server requires a bearer token: modern results then say cacheScope "private".
    bool token_required = false;
};

// The JSON-RPC response (result or error) to a Message of kind Request, in the given era:
//   legacy: initialize, ping, tools/*, resources/*; a missing resource is -32002;
//   modern: server/discover, tools/*, resources/* (no initialize, no ping); every result gets
//   resultType, _meta serverInfo and, where cacheable, ttlMs/cacheScope (mcp/modern_result.hpp);
//   a missing resource is -32602.
// Never throws: an unexpected exception becomes -32603. The request is taken by value: what the
// method needs is moved out and the rest released before the store is awaited.
boost::asio::awaitable<nlohmann::json> dispatch_request(Message request, VconStore &store,
                                                        const ToolLimits &limits = {},
                                                        DispatchContext context = {});

// Parse + era + dispatch for transports without headers (stdio, fuzzer): the response to send, or
// nullopt when the message must not be answered (notification, client response). The text is
// released once parsed.
boost::asio::awaitable<std::optional<nlohmann::json>> handle_message(std::string text, VconStore &store,
                                                                     const ToolLimits &limits = {});

// The text to send for a response: to_text(), or, should it exceed limits.max_message_bytes (a
// method without its own cap), a -32603 error with the same id that says so.
std::string response_text(const nlohmann::json &response, const ToolLimits &limits);

} // namespace vcon_redis::server::mcp
