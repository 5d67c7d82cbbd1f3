#include "mcp/dispatcher.hpp"

#include "mcp/modern_result.hpp"
#include "mcp/prompts.hpp"
#include "mcp/protocol.hpp"
#include "mcp/resources.hpp"

namespace vcon_redis::server::mcp {

// Coroutines here follow the g++ 12 coroutine rule (docs/internals.md).

namespace {

using nlohmann::json;

json invalid_params(const json &id, std::string message) {
    return make_error(id, rpc_error::invalid_params, "Invalid params: " + std::move(message));
}

json initialize(const Message &m) {
    auto version = m.params.find("protocolVersion");
    if (version == m.params.end() || !version->is_string())
        return make_error(m.id, rpc_error::invalid_params, "Invalid params: protocolVersion must be a string",
                          json{{"supported", legacy_protocol_versions}});
    return make_result(
        m.id, initialize_result(negotiate_protocol_version(version->get_ref<const std::string &>())));
}

// Every list is a single page; a cursor can only be one we never issued.
json one_page(const Message &m, json result) {
    if (m.params.contains("cursor") && !m.params["cursor"].is_null())
        return invalid_params(m.id, "unknown cursor (results are never paginated)");
    return make_result(m.id, std::move(result));
}

// Bytes of a result message outside what the method returns: {"id":…,"jsonrpc":"2.0","result":…}
// and the modern members added to the result.
std::size_t envelope_size(const json &id, const json &members) {
    std::size_t size = to_text(make_result(id, nullptr)).size() - 4;
    if (members.is_object() && !members.empty())
        size += to_text(members).size() - 2 + 1; // without its braces, with a comma
    return size;
}

// The methods answered without data. What exists depends on the era: `initialize` and `ping` are
// legacy only, `server/discover` modern only.
json prompts_get(const Message &m) {
    auto name = m.params.find("name");
    if (name == m.params.end() || !name->is_string())
        return invalid_params(m.id, "name must be a string");
    std::string error;
    auto prompt = get_prompt(name->get<std::string>(), m.params.value("arguments", json()), error);
    if (!prompt)
        return invalid_params(m.id, error);
    return make_result(m.id, std::move(*prompt));
}

json answer_now(const Message &m, Era era) {
    const std::string &method = m.method;
    const bool modern = era == Era::Modern;
    if (method == "initialize" && !modern)
        return initialize(m);
    if (method == "ping" && !modern)
        return make_result(m.id, json::object());
    if (method == "server/discover" && modern)
        return make_result(m.id, discover_result());
    if (method == "tools/list")
        return one_page(m, list_tools_result());
    if (method == "resources/list")
        return one_page(m, list_resources_result());
    if (method == "resources/templates/list")
        return one_page(m, list_resource_templates_result());
    if (method == "prompts/list")
        return one_page(m, list_prompts_result());
    if (method == "prompts/get")
        return prompts_get(m);
    // Everything else (logging/setLevel, completion/complete, …) is not offered; answering at
    // once, also before initialize, lets probing clients move on.
    return make_error(m.id, rpc_error::method_not_found, "Method not found: " + method);
}

boost::asio::awaitable<json> tools_call(Message &m, VconStore &store, const ToolLimits &limits,
                                        std::size_t reserved) {
    json response;
    const Tool *tool = nullptr;
    json arguments = json::object();
    auto name = m.params.find("name");
    auto given = m.params.find("arguments");
    const bool has_arguments = given != m.params.end() && !given->is_null();
    if (name == m.params.end() || !name->is_string())
        response = invalid_params(m.id, "name must be a string");
    else if (tool = find_tool(name->get_ref<const std::string &>()); !tool)
        response = invalid_params(m.id, "Unknown tool: " + name->get<std::string>());
    else if (has_arguments && !given->is_object())
        response = invalid_params(m.id, "arguments must be an object");
    else if (has_arguments)
        arguments = std::move(*given);
    if (response.is_null()) {
        m.params = json(); // the rest of the request is not kept while the tool waits for the store
        json result = co_await call_tool(*tool, arguments, store, limits, reserved);
        response = make_result(m.id, std::move(result));
    }
    co_return response;
}

boost::asio::awaitable<json> resources_read(Message &m, VconStore &store, const ToolLimits &limits,
                                            std::size_t reserved, Era era) {
    json response;
    auto uri = m.params.find("uri");
    if (uri == m.params.end() || !uri->is_string()) {
        response = invalid_params(m.id, "uri must be a string");
    } else {
        std::string text = uri->get<std::string>();
        m.params = json();
        ReadOutcome out = co_await read_resource(text, store, limits, reserved);
        int code = out.error_code;
        if (code == rpc_error::resource_not_found && era == Era::Modern)
            code = rpc_error::invalid_params; // 2026-07-28 (SEP-2164)
        response = code != 0 ? make_error(m.id, code, std::move(out.error_message), std::move(out.error_data))
                             : make_result(m.id, std::move(out.result));
    }
    co_return response;
}

boost::asio::awaitable<json> dispatch(Message &m, VconStore &store, const ToolLimits &limits,
                                      DispatchContext context) {
    const bool modern = context.era == Era::Modern;
    const json members = modern ? modern_result_members(m.method, context.token_required) : json();
    const std::size_t reserved = envelope_size(m.id, members);
    json response;
    if (m.method == "tools/call")
        response = co_await tools_call(m, store, limits, reserved);
    else if (m.method == "resources/read")
        response = co_await resources_read(m, store, limits, reserved, context.era);
    else
        response = answer_now(m, context.era);
    if (modern && response.contains("result") && response["result"].is_object())
        add_modern_members(response["result"], members);
    co_return response;
}

} // namespace

boost::asio::awaitable<json> dispatch_request(Message request, VconStore &store, const ToolLimits &limits,
                                              DispatchContext context) {
    json response;
    std::string failure = "unexpected failure";
    try {
        response = co_await dispatch(request, store, limits, context);
    } catch (const std::exception &e) {
        failure = e.what(); // co_await is not allowed in a handler: answer after it
    } catch (...) {
    }
    if (response.is_null())
        response = make_error(request.id, rpc_error::internal_error, "Internal error: " + failure);
    co_return response;
}

boost::asio::awaitable<std::optional<json>> handle_message(std::string text, VconStore &store,
                                                           const ToolLimits &limits) {
    std::optional<json> reply;
    Message m = parse_message(text);
    std::string().swap(text);
    if (m.kind == Message::Kind::Invalid) {
        reply = std::move(m.error);
    } else if (m.kind == Message::Kind::Request) { // notifications and client responses: no answer
        EraDecision era = decide_era(m, std::nullopt);
        if (era.refusal) {
            reply = std::move(*era.refusal);
        } else {
            json response = co_await dispatch_request(std::move(m), store, limits, DispatchContext{era.era});
            reply = std::move(response);
        }
    }
    co_return reply;
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

} // namespace vcon_redis::server::mcp
