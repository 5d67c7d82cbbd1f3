#include "mcp/protocol.hpp"

#include <algorithm>
#include <cctype>

// The build may inject the project version; the fallback keeps stand-alone builds (fuzzer) working.
#ifndef VCON_REDIS_VERSION
#define VCON_REDIS_VERSION "0.1.0"
#endif

namespace vcon_redis::server::mcp {

namespace {

template <std::size_t N> bool listed(const std::array<std::string_view, N> &versions, std::string_view v) {
    return std::find(versions.begin(), versions.end(), v) != versions.end();
}

// YYYY-MM-DD: revision identifiers are dates, which compare as strings.
bool is_revision_date(std::string_view v) {
    if (v.size() != 10 || v[4] != '-' || v[7] != '-')
        return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (!std::isdigit(static_cast<unsigned char>(v[i])))
            return false;
    return true;
}

} // namespace

bool is_legacy_protocol_version(std::string_view version) {
    return listed(legacy_protocol_versions, version);
}

bool is_modern_protocol_version(std::string_view version) {
    return listed(modern_protocol_versions, version);
}

bool names_modern_era(std::string_view version) {
    return is_revision_date(version) && version >= modern_protocol_versions.back();
}

nlohmann::json supported_versions() {
    auto list = nlohmann::json::array();
    for (auto v : modern_protocol_versions)
        list.push_back(v);
    for (auto v : legacy_protocol_versions)
        list.push_back(v);
    return list;
}

std::string_view negotiate_protocol_version(std::string_view requested) {
    return is_legacy_protocol_version(requested) ? requested : latest_legacy_protocol_version;
}

std::string_view server_version() {
    return VCON_REDIS_VERSION;
}

nlohmann::json server_info() {
    return {{"name", server_name}, {"title", "vCon cache server"}, {"version", server_version()}};
}

nlohmann::json server_capabilities() {
    // Declare only what is implemented: tools, resources and prompts, all static (no list changes,
    // no subscriptions), so no notifications are ever sent.
    return {{"tools", {{"listChanged", false}}},
            {"resources", nlohmann::json::object()},
            {"prompts", {{"listChanged", false}}}};
}

std::string_view server_instructions() {
    return "Read-only access to vCons (IETF virtual conversations) stored in PostgreSQL and cached in "
           "Redis, with vcon-mcp's read tools. Use search_vcons (metadata filters: subject, party, "
           "dates, tags), search_vcons_content (full-text search over subjects, parties, dialog and "
           "analysis), search_by_tags or vcon_search (cursor pages) to find vCons, get_tags and "
           "get_unique_tags for tags, then get_vcon (response_format full, summary or metadata), "
           "vcon_fetch or the resource vcon://v1/vcons/{uuid} to read one. Prefer response_format "
           "metadata or ids_only and small limits; large results are refused, so narrow the search "
           "rather than raising limit. Semantic and hybrid search are not available here.";
}

nlohmann::json initialize_result(std::string_view protocol_version) {
    return {
        {"protocolVersion", protocol_version},
        {"capabilities", server_capabilities()},
        {"serverInfo", server_info()},
        {"instructions", server_instructions()},
    };
}

} // namespace vcon_redis::server::mcp
