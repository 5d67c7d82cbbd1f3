// The request metadata headers of the modern Streamable HTTP transport (2026-07-28,
// basic/transports/streamable-http "Request Metadata"): `MCP-Protocol-Version`, `Mcp-Method` on
// every request, `Mcp-Name` for tools/call and prompts/get (params.name) and resources/read
// (params.uri). They mirror the body so intermediaries can route without parsing it; a server that
// reads the body must refuse a request whose headers are missing or disagree with it (-32020).
#pragma once

#include "mcp/jsonrpc.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace vcon_redis::server::mcp {

struct StandardHeaders {
    std::optional<std::string> protocol_version; // MCP-Protocol-Version
    std::optional<std::string> method;           // Mcp-Method
    std::optional<std::string> name;             // Mcp-Name, plain or =?base64?…?= encoded
};

// A header value without the optional whitespace (SP / HTAB) around it (RFC 9110 §5.5).
std::string_view strip_ows(std::string_view value);

// The value of an `=?base64?…?=` sentinel (standard alphabet, padded), the value itself when it is
// not one, nullopt for a sentinel whose content is not valid Base64.
std::optional<std::string> decode_header_value(std::string_view value);

// Why the headers of a modern request do not match its body, or nullopt when they do. The body's
// protocol version has been compared with the header already (decide_era); here its presence.
std::optional<std::string> header_mismatch(const StandardHeaders &headers, const Message &request);

} // namespace vcon_redis::server::mcp
