// What every result of the modern era carries besides the method's own members (2026-07-28):
// `resultType: "complete"`, the server's identity in `_meta`, and the caching hints `ttlMs` and
// `cacheScope` (server/utilities/caching) on the cacheable methods. Decided per method here, so it
// holds for every tool, resource and prompt whatever the method handlers return.
//
// What the hints promise, and why:
//   - tools/list, resources/templates/list, prompts/list and server/discover change only when the
//     server binary is upgraded: fresh for an hour (static_ttl_ms), which bounds how long a client
//     keeps using a list after an upgrade.
//   - resources/list and resources/read carry vCon data (today every resource is a vCon or a list
//     of vCons). A commit that changes or deletes a vCon invalidates the Redis copy at once (the
//     extension's trigger), so the next read here is current; a client copy would not be, and no
//     notification ever tells the client (no subscriptions are offered). So ttlMs is 0: re-read
//     every time.
//   - cacheScope is "private" when the server requires a bearer token (every answer was given to
//     an authorized caller, and a shared cache must not hand it to others) and always for vCon
//     data (personal conversations; the server cannot see authorization done by a proxy in front
//     of it, and with ttlMs 0 nothing is lost); "public" for the static lists of a token-less
//     server (the same for every caller).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace vcon_redis::server::mcp {

inline constexpr std::int64_t static_ttl_ms = 3'600'000;
inline constexpr std::int64_t vcon_data_ttl_ms = 0;

struct CacheHints {
    std::int64_t ttl_ms;
    bool is_private;
};

// The hints of a method's result, nullopt for a method whose results are not cacheable
// (tools/call, prompts/get, …). `token_required`: the server requires a bearer token.
std::optional<CacheHints> cache_hints(std::string_view method, bool token_required);

// The members a modern result of `method` gets besides its own (merged into it by
// add_modern_members): {"resultType":"complete","_meta":{serverInfo},["ttlMs","cacheScope"]}.
nlohmann::json modern_result_members(std::string_view method, bool token_required);

// Adds `members` to `result` (an object); `_meta` members are merged into a `_meta` it already has.
void add_modern_members(nlohmann::json &result, const nlohmann::json &members);

// The server/discover result before add_modern_members: supportedVersions, capabilities,
// instructions.
nlohmann::json discover_result();

} // namespace vcon_redis::server::mcp
