// MCP protocol constants of this server: supported revisions, identity, capabilities.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <string_view>

namespace vconredis::server::mcp {

// Newest first. Only legacy-lifecycle (initialize handshake) revisions: 2026-07-28 is stateless and
// would need server/discover and per-request _meta; clients still default to the legacy handshake.
inline constexpr std::array<std::string_view, 3> supported_protocol_versions{"2025-11-25", "2025-06-18",
                                                                             "2025-03-26"};
inline constexpr std::string_view latest_protocol_version = supported_protocol_versions[0];

bool is_supported_protocol_version(std::string_view version);

// Version negotiation (basic/lifecycle): echo a supported requested version, else offer our latest;
// the client decides whether it can use it.
std::string_view negotiate_protocol_version(std::string_view requested);

inline constexpr std::string_view server_name = "vcon-cache-server";
std::string_view server_version();

// The `initialize` result for a negotiated version.
nlohmann::json initialize_result(std::string_view protocol_version);

} // namespace vconredis::server::mcp
