#include "mcp/http_endpoint.hpp"

#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/protocol.hpp"

namespace vconredis::server::mcp {

namespace {

HttpReply json_reply(int status, const nlohmann::json &message, const ToolLimits &limits = {}) {
    HttpReply reply;
    reply.status = status;
    reply.body = response_text(message, limits);
    reply.headers.emplace_back("Content-Type", "application/json");
    return reply;
}

HttpReply accepted() {
    HttpReply reply;
    reply.status = 202;
    return reply;
}

} // namespace

boost::asio::awaitable<HttpReply> handle_http(std::string body, RequestInfo info, VconStore &store,
                                              const ToolLimits &limits) {
    Message m = parse_message(body);
    std::string().swap(body);
    if (m.kind == Message::Kind::Invalid) // malformed at the transport level: the TS SDK uses 400 too
        co_return json_reply(400, m.error);

    // After initialize, clients send the negotiated revision on every request. A revision we do not
    // speak (e.g. a 2026-07-28 `server/discover` probe) gets 400 with a plain JSON-RPC error, which
    // also lets the v2 client's auto mode fall back to initialize.
    if (info.protocol_version_header && m.method != "initialize" &&
        !is_supported_protocol_version(*info.protocol_version_header)) {
        std::string supported;
        for (auto v : supported_protocol_versions)
            supported += (supported.empty() ? "" : ", ") + std::string(v);
        co_return json_reply(
            400,
            make_error(m.kind == Message::Kind::Request ? m.id : nlohmann::json(), rpc_error::invalid_request,
                       "Bad Request: unsupported MCP-Protocol-Version " + *info.protocol_version_header +
                           " (supported: " + supported + ")"));
    }

    if (m.kind != Message::Kind::Request) // notifications and client responses: accepted, no body
        co_return accepted();
    co_return json_reply(200, co_await dispatch_request(std::move(m), store, limits), limits);
}

} // namespace vconredis::server::mcp
