#include "mcp/http_endpoint.hpp"

#include "mcp/dispatcher.hpp"
#include "mcp/era.hpp"
#include "mcp/jsonrpc.hpp"

namespace vcon_redis::server::mcp {

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

std::optional<std::string> stripped(const std::optional<std::string> &value) {
    if (!value)
        return std::nullopt;
    return std::string(strip_ows(*value));
}

// A modern server answers a method it does not implement with 404 (the JSON-RPC body tells it from
// a server without the endpoint); every other response to a request is 200.
int response_status(const nlohmann::json &response, Era era) {
    const bool not_found =
        response.contains("error") && response["error"].value("code", 0) == rpc_error::method_not_found;
    return era == Era::Modern && not_found ? 404 : 200;
}

} // namespace

// One co_return at function scope (docs/internals.md, g++ 12 coroutine rule).
boost::asio::awaitable<HttpReply> handle_http(std::string body, RequestInfo info, VconStore &store,
                                              const ToolLimits &limits) {
    HttpReply reply;
    Message m = parse_message(body);
    std::string().swap(body);
    const StandardHeaders headers{stripped(info.protocol_version_header), stripped(info.method_header),
                                  info.name_header};
    EraDecision era;
    std::optional<std::string> mismatch;
    if (m.kind != Message::Kind::Invalid)
        era = decide_era(m, headers.protocol_version);
    if (m.kind == Message::Kind::Request && !era.refusal && era.era == Era::Modern)
        mismatch = header_mismatch(headers, m);

    if (m.kind == Message::Kind::Invalid) { // malformed at the transport level: the TS SDK uses 400 too
        reply = json_reply(400, m.error);
    } else if (era.refusal) {
        reply = json_reply(400, *era.refusal);
    } else if (mismatch) {
        reply =
            json_reply(400, make_error(m.id, rpc_error::header_mismatch, "Header mismatch: " + *mismatch));
    } else if (m.kind != Message::Kind::Request) { // notifications and client responses: accepted
        reply = accepted();
    } else {
        const DispatchContext context{era.era, info.token_required};
        nlohmann::json response = co_await dispatch_request(std::move(m), store, limits, context);
        reply = json_reply(response_status(response, era.era), response, limits);
    }
    co_return reply;
}

} // namespace vcon_redis::server::mcp
