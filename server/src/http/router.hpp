// Routes one request of one io thread: access checks on every route (Host and Origin allow-lists →
// 403; CORS preflight answered for allowed origins; Bearer token except /healthz and preflight),
// then /healthz, /metrics, /mcp, /api/v1/vcons[/{uuid}]; unknown path → 404, wrong method → 405
// with Allow. Records vcon_http_requests_total and the latency histogram per route.
#pragma once

#include "app/metrics.hpp"
#include "http/access.hpp"
#include "http/handler.hpp"
#include "mcp/tools.hpp"
#include "store/cached_store.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace vcon_redis::server::http {

// Who may call, checked on every request.
struct Access {
    BearerAuth auth;
    OriginPolicy origins;
    HostPolicy hosts;
};

class Router final : public Handler {
public:
    Router(Access access, store::CachedStore &store, Metrics &metrics, std::function<GaugeSnapshot()> gauges,
           mcp::ToolLimits mcp_limits);

    boost::asio::awaitable<Response> handle(Request req) override;
    FastAnswer fast_answer(const FastGet &req, bool keep_alive, std::chrono::steady_clock::time_point started,
                           std::string &head) override;

private:
    boost::asio::awaitable<Response> route(Request &req, Route &which);
    Response healthz() const;
    Response refused(Route which, std::string_view code, std::string_view message) const;
    Response preflight(const Request &req, std::string_view methods) const;
    boost::asio::awaitable<Response> mcp(Request &req);

    BearerAuth auth_;
    OriginPolicy origins_;
    HostPolicy hosts_;
    store::CachedStore &store_;
    Metrics &metrics_;
    std::function<GaugeSnapshot()> gauges_;
    mcp::ToolLimits mcp_limits_;
};

} // namespace vcon_redis::server::http
