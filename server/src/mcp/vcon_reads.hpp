// Reading vCon documents for the tools: one by uuid, or a list (one batch read through the cache:
// VconStore::get_many, one MGET). Failures the model should hear about are ToolErrors.
#pragma once

#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vcon_redis::server::mcp {

// The cached text of one vCon; `uuid` is any spelling canonical_uuid accepts, `what` names the
// argument in errors. Not found and store trouble are ToolErrors.
boost::asio::awaitable<VconResult> read_vcon(const std::string &uuid, const char *what, VconStore &store);

// The parsed documents of `uuids` (canonical), in order; vCons that no longer exist are left out
// (a search row can outlive its vCon by a moment). Store trouble is a ToolError.
boost::asio::awaitable<nlohmann::json> read_vcons(std::vector<std::string> uuids, VconStore &store);

// The document text parsed as an object; a ToolError naming the uuid when it is not one.
nlohmann::json parse_vcon(const std::string &text, const std::string &uuid);

// The error text for an Unavailable result.
std::string unavailable_message(const VconResult &r);

} // namespace vcon_redis::server::mcp
