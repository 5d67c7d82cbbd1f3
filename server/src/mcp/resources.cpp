#include "mcp/resources.hpp"

#include "mcp/jsonrpc.hpp"
#include "store/uuid.hpp"

#include <string_view>

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

constexpr std::string_view uri_prefix = "vcon://v1/vcons/";

ReadOutcome not_found(const std::string &uri, std::string message) {
    ReadOutcome out;
    out.error_code = rpc_error::resource_not_found;
    out.error_message = std::move(message);
    out.error_data = json{{"uri", uri}};
    return out;
}

} // namespace

json list_resources_result() {
    return json{{"resources", json::array()}};
}

json list_resource_templates_result() {
    return json{{"resourceTemplates",
                 json::array({{{"uriTemplate", "vcon://v1/vcons/{uuid}"},
                               {"name", "vcon"},
                               {"title", "vCon by UUID"},
                               {"description", "A whole vCon document (JSON), served from the Redis cache "
                                               "when possible"},
                               {"mimeType", "application/json"}}})}};
}

boost::asio::awaitable<ReadOutcome> read_resource(const std::string &uri, VconStore &store,
                                                  const ToolLimits &limits, std::size_t reserved) {
    std::string_view view(uri);
    if (!view.starts_with(uri_prefix))
        co_return not_found(uri, "Resource not found: only vcon://v1/vcons/{uuid} is served");
    auto uuid = canonical_uuid(view.substr(uri_prefix.size()));
    if (!uuid)
        co_return not_found(uri, "Resource not found: " + uri + " (the last segment must be a vCon UUID)");

    VconResult r = co_await store.get(*uuid);
    switch (r.status) {
    case VconResult::Status::Found:
        break;
    case VconResult::Status::NotFound:
        co_return not_found(uri, "Resource not found: vCon " + *uuid + " does not exist");
    case VconResult::Status::Unavailable: {
        ReadOutcome out;
        out.error_code = rpc_error::internal_error;
        out.error_message =
            "vCon store unavailable: " + (r.error.empty() ? std::string("try again later") : r.error);
        co_return out;
    }
    }
    ReadOutcome out;
    static constexpr std::string_view frame =
        R"({"contents":[{"mimeType":"application/json","text":,"uri":}]})";
    const std::size_t size =
        reserved + frame.size() + json_string_size(uri) +
        (2 * r.json.size() + 2 < limits.max_message_bytes ? json_string_size(r.json) : 2 * r.json.size() + 2);
    if (size > limits.max_message_bytes) {
        out.error_code = rpc_error::invalid_params;
        out.error_message = too_large_message(size, limits.max_message_bytes) +
                            "read it with the get_vcon tool and response_format \"metadata\" or \"summary\".";
        out.error_data = json{{"uri", uri}, {"bytes", size}, {"limit", limits.max_message_bytes}};
    } else {
        out.result = json{
            {"contents",
             json::array({{{"uri", uri}, {"mimeType", "application/json"}, {"text", std::move(r.json)}}})}};
    }
    co_return out;
}

} // namespace vconredis::server::mcp
