#include "mcp/protocol.hpp"

#include <algorithm>

// The build may inject the project version; the fallback keeps stand-alone builds (fuzzer) working.
#ifndef VCON_REDIS_VERSION
#define VCON_REDIS_VERSION "0.1.0"
#endif

namespace vconredis::server::mcp {

bool is_supported_protocol_version(std::string_view version) {
    return std::find(supported_protocol_versions.begin(), supported_protocol_versions.end(), version) !=
           supported_protocol_versions.end();
}

std::string_view negotiate_protocol_version(std::string_view requested) {
    return is_supported_protocol_version(requested) ? requested : latest_protocol_version;
}

std::string_view server_version() {
    return VCON_REDIS_VERSION;
}

nlohmann::json initialize_result(std::string_view protocol_version) {
    return {
        {"protocolVersion", protocol_version},
        // Declare only what is implemented: tools, resources and prompts, all static (no list changes,
        // no subscriptions), so no notifications are ever sent.
        {"capabilities",
         {{"tools", {{"listChanged", false}}},
          {"resources", nlohmann::json::object()},
          {"prompts", {{"listChanged", false}}}}},
        {"serverInfo",
         {{"name", server_name}, {"title", "vCon cache server"}, {"version", server_version()}}},
        {"instructions",
         "Read-only access to vCons (IETF virtual conversations) stored in PostgreSQL and cached in "
         "Redis. Use search_vcons (metadata filters: subject, party, dates), search_vcons_content "
         "(full-text search over subjects, parties, dialog and analysis) or search_by_tags to find "
         "vCons, then get_vcon (response_format full, summary or metadata) or the resource "
         "vcon://v1/vcons/{uuid} to read one. Page with limit/offset; large results are refused, so "
         "narrow the search rather than raising limit."},
    };
}

} // namespace vconredis::server::mcp
