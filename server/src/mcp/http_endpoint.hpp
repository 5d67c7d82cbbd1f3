// MCP Streamable HTTP, both eras on one endpoint, JSON responses only, no sessions:
//   - legacy (2025-11-25 / 2025-06-18 / 2025-03-26): `initialize`, then requests without _meta;
//   - modern (2026-07-28): every request carries its revision in params._meta and the request
//     metadata headers (mcp/standard_headers.hpp), and is served statelessly.
// The HTTP layer (server/src/http) owns the socket and calls handle_http() for every `POST /mcp`
// that passed its own checks:
//   - auth (401 + `WWW-Authenticate: Bearer`), Origin/Host allow-list (403), `GET /mcp` and
//     `DELETE /mcp` (405, in both eras: no GET stream, no sessions), body size (413) are decided
//     before this call; `Mcp-Session-Id` and `Last-Event-ID` are never read;
//   - when rejecting early, drain or close: an unread body would be parsed as the next request on
//     the keep-alive connection.
// Everything about JSON-RPC and MCP (parse errors, batches, notifications → 202, the era, header
// checks → 400, a modern unknown method → 404) is decided here, so the HTTP layer never looks
// inside the body.
#pragma once

#include "mcp/standard_headers.hpp"
#include "mcp/tools.hpp"
#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vcon_redis::server::mcp {

// What handle_http needs from the HTTP request besides the body.
struct RequestInfo {
    // Value of the `MCP-Protocol-Version` request header, if present (header names are
    // case-insensitive; pass the value as received). An unsupported value yields 400.
    std::optional<std::string> protocol_version_header;
    // Values of `Mcp-Method` and `Mcp-Name`, if present (checked on modern requests only).
    std::optional<std::string> method_header;
    std::optional<std::string> name_header;
    // The server requires a bearer token (modern results are then cacheScope "private").
    bool token_required = false;
};

struct HttpReply {
    int status = 200; // 200, 202 (notification/response accepted), 400, 404 (modern unknown method)
    std::string body; // one compact JSON object; empty for 202
    // Headers to send as given (e.g. `Content-Type: application/json` when body is non-empty).
    std::vector<std::pair<std::string, std::string>> headers;
};

// Handles one POST body. Never throws: internal failures become JSON-RPC errors (-32603).
// Runs on the caller's executor; all data access goes through `store`. The body is released once
// parsed; the response stays within limits.max_message_bytes.
boost::asio::awaitable<HttpReply> handle_http(std::string body, RequestInfo info, VconStore &store,
                                              const ToolLimits &limits = {});

} // namespace vcon_redis::server::mcp
