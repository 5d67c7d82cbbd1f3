#include "mcp/modern_result.hpp"

#include "mcp/protocol.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

constexpr std::string_view server_info_key = "io.modelcontextprotocol/serverInfo";

} // namespace

std::optional<CacheHints> cache_hints(std::string_view method, bool token_required) {
    if (method == "resources/list" || method == "resources/read")
        return CacheHints{vcon_data_ttl_ms, true};
    if (method == "tools/list" || method == "resources/templates/list" || method == "prompts/list" ||
        method == "server/discover")
        return CacheHints{static_ttl_ms, token_required};
    return std::nullopt;
}

json modern_result_members(std::string_view method, bool token_required) {
    json members{{"resultType", "complete"}, {"_meta", {{server_info_key, server_info()}}}};
    if (auto hints = cache_hints(method, token_required)) {
        members["ttlMs"] = hints->ttl_ms;
        members["cacheScope"] = hints->is_private ? "private" : "public";
    }
    return members;
}

void add_modern_members(json &result, const json &members) {
    for (const auto &[key, value] : members.items()) {
        if (key == "_meta" && result.contains("_meta") && result["_meta"].is_object())
            result["_meta"].update(value);
        else
            result[key] = value;
    }
}

json discover_result() {
    return json{{"supportedVersions", supported_versions()},
                {"capabilities", server_capabilities()},
                {"instructions", server_instructions()}};
}

} // namespace vcon_redis::server::mcp
