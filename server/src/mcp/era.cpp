#include "mcp/era.hpp"

#include "mcp/protocol.hpp"

#include <string_view>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

constexpr std::string_view version_key = "io.modelcontextprotocol/protocolVersion";
constexpr std::string_view capabilities_key = "io.modelcontextprotocol/clientCapabilities";
constexpr std::string_view client_info_key = "io.modelcontextprotocol/clientInfo";

EraDecision refuse(json error) {
    EraDecision d;
    d.refusal = std::move(error);
    return d;
}

EraDecision modern() {
    EraDecision d;
    d.era = Era::Modern;
    return d;
}

// params._meta when it is an object, else nullptr.
const json *meta_of(const Message &m) {
    auto meta = m.params.find("_meta");
    return meta != m.params.end() && meta->is_object() ? &*meta : nullptr;
}

bool is_implementation(const json &v) {
    return v.is_object() && v.contains("name") && v["name"].is_string() && v.contains("version") &&
           v["version"].is_string();
}

// What is wrong with a modern envelope, or "" (clientInfo is a SHOULD: absent is fine).
std::string envelope_problem(const json &meta) {
    auto caps = meta.find(capabilities_key);
    if (caps == meta.end())
        return std::string(capabilities_key) + " is missing";
    if (!caps->is_object())
        return std::string(capabilities_key) + " must be an object";
    auto info = meta.find(client_info_key);
    if (info != meta.end() && !is_implementation(*info))
        return std::string(client_info_key) + " must be an object with string name and version";
    return {};
}

json unsupported_version(const json &id, const std::string &requested) {
    return make_error(id, rpc_error::unsupported_protocol_version, "Unsupported protocol version",
                      json{{"supported", supported_versions()}, {"requested", requested}});
}

json unsupported_legacy_header(const json &id, const std::string &header) {
    std::string supported;
    for (auto v : supported_versions())
        supported += (supported.empty() ? "" : ", ") + v.get<std::string>();
    return make_error(id, rpc_error::invalid_request,
                      "Bad Request: unsupported MCP-Protocol-Version " + header +
                          " (supported: " + supported + ")");
}

EraDecision decide_claimed(const Message &m, const json &meta, const std::optional<std::string> &header) {
    const json &claim = meta[version_key];
    if (!claim.is_string())
        return refuse(make_error(m.id, rpc_error::invalid_params,
                                 "Invalid params: _meta " + std::string(version_key) + " must be a string"));
    const auto &version = claim.get_ref<const std::string &>();
    if (header && *header != version)
        return refuse(make_error(m.id, rpc_error::header_mismatch,
                                 "Header mismatch: MCP-Protocol-Version header " + *header +
                                     " does not match the body's _meta protocol version " + version));
    if (is_legacy_protocol_version(version))
        return {}; // a legacy request that happens to carry the key: served as legacy
    if (auto problem = envelope_problem(meta); !problem.empty())
        return refuse(make_error(m.id, rpc_error::invalid_params, "Invalid params: _meta " + problem));
    if (!is_modern_protocol_version(version))
        return refuse(unsupported_version(m.id, version));
    return modern();
}

} // namespace

EraDecision decide_era(const Message &m, const std::optional<std::string> &header) {
    if (m.kind != Message::Kind::Request) {
        if (header && !is_legacy_protocol_version(*header) && !is_modern_protocol_version(*header))
            return refuse(unsupported_legacy_header(nullptr, *header));
        return {};
    }
    const json *meta = meta_of(m);
    if (meta && meta->contains(version_key))
        return decide_claimed(m, *meta, header);

    const bool modern_header = header && names_modern_era(*header);
    if (m.method == "initialize") {
        // The legacy handshake by definition; a modern header on it is a contradiction.
        if (modern_header)
            return refuse(make_error(m.id, rpc_error::header_mismatch,
                                     "Header mismatch: initialize (the legacy handshake) was sent with "
                                     "MCP-Protocol-Version " +
                                         *header));
        return {};
    }
    if (modern_header)
        return refuse(make_error(m.id, rpc_error::invalid_params,
                                 "Invalid params: MCP-Protocol-Version " + *header +
                                     " needs params._meta with " + std::string(version_key) + " and " +
                                     std::string(capabilities_key)));
    if (header && !is_legacy_protocol_version(*header))
        return refuse(unsupported_legacy_header(m.id, *header));
    return {};
}

} // namespace vcon_redis::server::mcp
