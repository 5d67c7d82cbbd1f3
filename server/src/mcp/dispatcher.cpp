#include "mcp/dispatcher.hpp"

#include "mcp/prompts.hpp"
#include "mcp/protocol.hpp"
#include "mcp/resources.hpp"

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

json invalid_params(const json &id, std::string message) {
    return make_error(id, rpc_error::invalid_params, "Invalid params: " + std::move(message));
}

json initialize(const Message &m) {
    auto version = m.params.find("protocolVersion");
    if (version == m.params.end() || !version->is_string())
        return make_error(m.id, rpc_error::invalid_params, "Invalid params: protocolVersion must be a string",
                          json{{"supported", supported_protocol_versions}});
    return make_result(
        m.id, initialize_result(negotiate_protocol_version(version->get_ref<const std::string &>())));
}

// Every list is a single page; a cursor can only be one we never issued.
std::optional<json> reject_cursor(const Message &m) {
    if (m.params.contains("cursor") && !m.params["cursor"].is_null())
        return invalid_params(m.id, "unknown cursor (results are never paginated)");
    return std::nullopt;
}

// Bytes of a result message outside its result: {"id":…,"jsonrpc":"2.0","result":…}.
std::size_t envelope_size(const json &id) {
    return to_text(make_result(id, nullptr)).size() - 4;
}

boost::asio::awaitable<json> tools_call(Message &m, VconStore &store, const ToolLimits &limits) {
    auto name = m.params.find("name");
    if (name == m.params.end() || !name->is_string())
        co_return invalid_params(m.id, "name must be a string");
    const Tool *tool = find_tool(name->get_ref<const std::string &>());
    if (!tool)
        co_return invalid_params(m.id, "Unknown tool: " + name->get<std::string>());
    json arguments = json::object();
    if (auto a = m.params.find("arguments"); a != m.params.end() && !a->is_null()) {
        if (!a->is_object())
            co_return invalid_params(m.id, "arguments must be an object");
        arguments = std::move(*a);
    }
    m.params = json(); // the rest of the request is not kept while the tool waits for the store
    co_return make_result(m.id, co_await call_tool(*tool, arguments, store, limits, envelope_size(m.id)));
}

boost::asio::awaitable<json> resources_read(Message &m, VconStore &store, const ToolLimits &limits) {
    auto uri = m.params.find("uri");
    if (uri == m.params.end() || !uri->is_string())
        co_return invalid_params(m.id, "uri must be a string");
    std::string text = uri->get<std::string>();
    m.params = json();
    ReadOutcome out = co_await read_resource(text, store, limits, envelope_size(m.id));
    if (out.error_code != 0)
        co_return make_error(m.id, out.error_code, std::move(out.error_message), std::move(out.error_data));
    co_return make_result(m.id, std::move(out.result));
}

boost::asio::awaitable<json> dispatch(Message &m, VconStore &store, const ToolLimits &limits) {
    const std::string &method = m.method;
    if (method == "initialize")
        co_return initialize(m);
    if (method == "ping")
        co_return make_result(m.id, json::object());
    if (method == "tools/list") {
        if (auto e = reject_cursor(m))
            co_return *e;
        co_return make_result(m.id, list_tools_result());
    }
    if (method == "tools/call")
        co_return co_await tools_call(m, store, limits);
    if (method == "resources/list") {
        if (auto e = reject_cursor(m))
            co_return *e;
        co_return make_result(m.id, list_resources_result());
    }
    if (method == "resources/templates/list") {
        if (auto e = reject_cursor(m))
            co_return *e;
        co_return make_result(m.id, list_resource_templates_result());
    }
    if (method == "resources/read")
        co_return co_await resources_read(m, store, limits);
    if (method == "prompts/list") {
        if (auto e = reject_cursor(m))
            co_return *e;
        co_return make_result(m.id, list_prompts_result());
    }
    if (method == "prompts/get") {
        auto name = m.params.find("name");
        if (name == m.params.end() || !name->is_string())
            co_return invalid_params(m.id, "name must be a string");
        std::string error;
        auto prompt = get_prompt(name->get<std::string>(), m.params.value("arguments", json()), error);
        if (!prompt)
            co_return invalid_params(m.id, error);
        co_return make_result(m.id, std::move(*prompt));
    }
    // Everything else (logging/setLevel, completion/complete, server/discover, …) is not
    // offered; answering at once, also before initialize, lets probing clients move on.
    co_return make_error(m.id, rpc_error::method_not_found, "Method not found: " + method);
}

} // namespace

boost::asio::awaitable<json> dispatch_request(Message request, VconStore &store, const ToolLimits &limits) {
    std::string what = "unexpected failure";
    try {
        co_return co_await dispatch(request, store, limits);
    } catch (const std::exception &e) {
        what = e.what(); // co_await is not allowed in a handler: answer after it
    }
    co_return make_error(request.id, rpc_error::internal_error, "Internal error: " + what);
}

boost::asio::awaitable<std::optional<json>> handle_message(std::string text, VconStore &store,
                                                           const ToolLimits &limits) {
    Message m = parse_message(text);
    std::string().swap(text);
    switch (m.kind) {
    case Message::Kind::Invalid:
        co_return std::move(m.error);
    case Message::Kind::Notification:
    case Message::Kind::Response:
        co_return std::nullopt;
    case Message::Kind::Request:
        break;
    }
    co_return co_await dispatch_request(std::move(m), store, limits);
}

std::string response_text(const json &response, const ToolLimits &limits) {
    std::string text = to_text(response);
    if (text.size() > limits.max_message_bytes) {
        const json id = response.is_object() && response.contains("id") ? response["id"] : json();
        text = to_text(make_error(id, rpc_error::internal_error,
                                  "Internal error: the response would be " + std::to_string(text.size()) +
                                      " bytes, over the " + std::to_string(limits.max_message_bytes) +
                                      "-byte limit of one MCP message"));
    }
    return text;
}

} // namespace vconredis::server::mcp
