// vcon-mcp's "contract" envelope, shared by vcon_fetch, vcon_search and the discovery tools:
// {ok:true, item | items+page, meta} or {ok:false, error:{code, message, …}} (a normal result, not
// isError: clients of these tools branch on `ok`), include groups, byte budgets and cursors.
#pragma once

#include "mcp/tool_args.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vcon_redis::server::mcp::contract {

inline constexpr std::int64_t kDefaultMaxResponseBytes = 250000;
inline constexpr std::int64_t kMinMaxResponseBytes = 1024;

// core, parties, summary, tags, dealer, counts, dialog, analysis, attachments
const std::vector<std::string> &include_groups();
const std::vector<std::string> &default_fetch_include();  // core, parties, summary
const std::vector<std::string> &default_search_include(); // core, summary

// `include` of vcon_fetch / vcon_search (absent or empty → `fallback`).
std::vector<std::string> include_arg(ToolArgs &args, const std::vector<std::string> &fallback);
// `max_response_bytes`: an integer >= 1024, default 250000.
std::int64_t max_response_bytes_arg(ToolArgs &args);
// `cursor`: absent → offset 0; anything but a cursor we issued is a ToolError.
std::int64_t cursor_arg(ToolArgs &args);
std::string encode_cursor(std::int64_t offset); // base64url of {"offset":N}, as vcon-mcp

nlohmann::json error(const std::string &code, const std::string &message);
// RESPONSE_TOO_LARGE with vcon-mcp's fields (approximate_bytes, max_response_bytes, suggestions).
nlohmann::json too_large(std::size_t bytes, std::int64_t max_bytes, std::vector<std::string> suggestions);
// Bytes of the compact JSON text of `value`, as vcon-mcp's estimate.
std::size_t json_bytes(const nlohmann::json &value);

// inputSchema properties of the contract tools.
nlohmann::json include_property(const char *description);
nlohmann::json max_response_bytes_property();

} // namespace vcon_redis::server::mcp::contract
