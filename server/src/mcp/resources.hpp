// MCP resources: one vCon per URI, vcon://v1/vcons/{uuid} (vcon-mcp's namespace).
#pragma once

#include "mcp/tools.hpp"
#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace vconredis::server::mcp {

// {"resources":[]}: vCons are addressed through the template, not enumerated (there may be millions;
// search tools find them).
nlohmann::json list_resources_result();

// {"resourceTemplates":[vcon://v1/vcons/{uuid}]}
nlohmann::json list_resource_templates_result();

// Outcome of resources/read: either a result or a JSON-RPC error (code, message, data).
struct ReadOutcome {
    nlohmann::json result; // set on success
    int error_code = 0;    // non-zero on failure
    std::string error_message;
    nlohmann::json error_data;
};

// Reads vcon://v1/vcons/<uuid>: contents [{uri, mimeType:"application/json", text: the cached
// document}], byte-for-byte as cached. Unknown URI or absent vCon → -32002 with data {uri};
// store unavailable → -32603; a document that would make the message exceed
// limits.max_message_bytes (`reserved`: the envelope) → -32602 saying how to read less, with data
// {uri, bytes, limit}.
boost::asio::awaitable<ReadOutcome> read_resource(const std::string &uri, VconStore &store,
                                                  const ToolLimits &limits = {}, std::size_t reserved = 0);

} // namespace vconredis::server::mcp
