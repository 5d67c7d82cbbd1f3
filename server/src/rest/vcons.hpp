// REST routes under /api/v1 (vcon-mcp's REST shape):
//   GET /api/v1/vcons/{uuid}[?format=full|metadata|summary] → {"success":true,"vcon":…} + X-Cache
//   GET /api/v1/vcons?subject=&party_name=&party_email=&party_tel=&start_date=&end_date=&limit=&offset=
//       → {"success":true,"data":[…],"pagination":{"limit","offset","total","has_more"}}
#pragma once

#include "http/message.hpp"
#include "store/cached_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <string_view>

namespace vcon_redis::server::rest {

// The body of a format=full answer: kVconBodyHead, the cached document, kVconBodyTail (the fast
// path of a near hit, http/server.cpp, sends the same bytes).
inline constexpr std::string_view kVconBodyHead = "{\"success\":true,\"vcon\":";
inline constexpr std::string_view kVconBodyTail = "}";

boost::asio::awaitable<http::Response> get_vcon(store::CachedStore &store, std::string_view uuid_text,
                                                std::string_view query);

boost::asio::awaitable<http::Response> search_vcons(store::CachedStore &store, std::string_view query);

} // namespace vcon_redis::server::rest
