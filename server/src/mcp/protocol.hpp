// MCP protocol constants of this server: the revisions of both eras, identity, capabilities.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <string_view>

namespace vcon_redis::server::mcp {

// Legacy revisions (initialize handshake, then a session), newest first.
inline constexpr std::array<std::string_view, 3> legacy_protocol_versions{"2025-11-25", "2025-06-18",
                                                                          "2025-03-26"};
inline constexpr std::string_view latest_legacy_protocol_version = legacy_protocol_versions[0];

// Modern revisions (stateless: every request carries its revision in params._meta), newest first.
inline constexpr std::array<std::string_view, 1> modern_protocol_versions{"2026-07-28"};

bool is_legacy_protocol_version(std::string_view version);
bool is_modern_protocol_version(std::string_view version);

// Whether `version` is a revision date (YYYY-MM-DD) of the modern era, 2026-07-28 or later, whether
// we serve it or not: such a request must carry its _meta, and is never served as legacy.
bool names_modern_era(std::string_view version);

// Every revision we serve, modern first: server/discover's supportedVersions and the `supported`
// list of an UnsupportedProtocolVersion error.
nlohmann::json supported_versions();

// Version negotiation of a legacy `initialize` (basic/lifecycle): echo a supported requested legacy
// version, else offer our latest legacy one; the client decides whether it can use it.
std::string_view negotiate_protocol_version(std::string_view requested);

inline constexpr std::string_view server_name = "vcon-cache-server";
std::string_view server_version();

// {name, title, version}: `serverInfo` of initialize, and `_meta` serverInfo of every modern result.
nlohmann::json server_info();

// The same in both eras: tools and resources, both static (no list changes, no subscriptions).
nlohmann::json server_capabilities();

// How to use this server, for the model (initialize and server/discover).
std::string_view server_instructions();

// The `initialize` result for a negotiated legacy version.
nlohmann::json initialize_result(std::string_view protocol_version);

} // namespace vcon_redis::server::mcp
