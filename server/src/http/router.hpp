// Routes one request of one io thread: access checks (Bearer token, Origin on /mcp), then /healthz,
// /metrics, /mcp, /api/v1/vcons[/{uuid}]; unknown path → 404, wrong method → 405 with Allow.
// Records vcon_http_requests_total and the latency histogram per route.
#pragma once

#include "app/metrics.hpp"
#include "http/access.hpp"
#include "http/handler.hpp"
#include "store/cached_store.hpp"

#include <functional>

namespace vconredis::server::http {

class Router final : public Handler {
public:
    Router(BearerAuth auth, OriginPolicy origins, store::CachedStore &store, Metrics &metrics,
           std::function<GaugeSnapshot()> gauges);

    boost::asio::awaitable<Response> handle(Request req) override;

private:
    boost::asio::awaitable<Response> route(Request &req, Route &which);
    Response healthz() const;
    boost::asio::awaitable<Response> mcp(Request &req);

    BearerAuth auth_;
    OriginPolicy origins_;
    store::CachedStore &store_;
    Metrics &metrics_;
    std::function<GaugeSnapshot()> gauges_;
};

} // namespace vconredis::server::http
