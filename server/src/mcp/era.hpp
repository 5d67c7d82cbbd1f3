// Which MCP era a message belongs to, decided per message and statelessly, the same way on every
// transport (basic/versioning, "Backward Compatibility"):
//   - a request whose params._meta carries "io.modelcontextprotocol/protocolVersion" naming a
//     modern revision is served statelessly by that revision (the envelope is checked first);
//   - everything else is legacy traffic: `initialize` and the requests of a legacy session.
// On HTTP the `MCP-Protocol-Version` header is a cross-check only: it never changes the era the
// body names, and a disagreement is refused.
#pragma once

#include "mcp/jsonrpc.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace vcon_redis::server::mcp {

enum class Era { Legacy, Modern };

struct EraDecision {
    Era era = Era::Legacy;
    // Set when the message must be refused before dispatch: a complete JSON-RPC error response
    // (on HTTP always sent with status 400): -32602 missing or malformed _meta, -32020 header and
    // body disagree, -32022 a revision we do not serve, -32600 an unsupported legacy header.
    std::optional<nlohmann::json> refusal;
};

// `version_header`: the MCP-Protocol-Version header as received (HTTP), nullopt on stdio.
// Notifications and client responses are never refused for their body; only an unsupported header
// refuses them (with id null), as a legacy server does.
EraDecision decide_era(const Message &m, const std::optional<std::string> &version_header);

} // namespace vcon_redis::server::mcp
