#include "http/router.hpp"

#include "mcp/http_endpoint.hpp"
#include "rest/query_string.hpp"
#include "rest/vcons.hpp"

#include <chrono>

namespace vconredis::server::http {
namespace {

constexpr std::string_view kVconsPath = "/api/v1/vcons";

Response method_not_allowed(std::string_view allow) {
    auto res = json_error(405, "method_not_allowed", "allowed: " + std::string(allow));
    res.set(bhttp::field::allow, allow);
    return res;
}

} // namespace

Router::Router(BearerAuth auth, OriginPolicy origins, store::CachedStore &store, Metrics &metrics,
               std::function<GaugeSnapshot()> gauges)
    : auth_(std::move(auth)), origins_(std::move(origins)), store_(store), metrics_(metrics),
      gauges_(std::move(gauges)) {}

boost::asio::awaitable<Response> Router::handle(Request req) {
    auto start = std::chrono::steady_clock::now();
    Route which = Route::Other;
    Response res = co_await route(req, which);
    metrics_.request(which, res.result_int(), std::chrono::steady_clock::now() - start);
    co_return res;
}

Response Router::healthz() const {
    GaugeSnapshot g = gauges_();
    std::string body = std::string("{\"status\":\"") + (g.postgres_up || g.redis_up ? "ok" : "unavailable") +
                       "\",\"postgres\":\"" + (g.postgres_up ? "up" : "down") + "\",\"redis\":\"" +
                       (g.redis_up ? "up" : "down") + "\"}";
    return json_response(g.postgres_up || g.redis_up ? 200 : 503, std::move(body));
}

// One co_return at function scope (see the g++ 12 note in store/cached_store.cpp).
boost::asio::awaitable<Response> Router::route(Request &req, Route &which) {
    auto [path, query] = rest::split_target(req.target());
    const auto method = req.method();
    const bool is_vcon = path.size() > kVconsPath.size() + 1 && path.starts_with(kVconsPath) &&
                         path[kVconsPath.size()] == '/';
    Response res;

    if (path == "/healthz") {
        which = Route::Healthz;
        res = method == bhttp::verb::get ? healthz() : method_not_allowed("GET");
    } else if (!auth_.allows(req[bhttp::field::authorization])) {
        res = json_response(401, R"({"success":false,"error":"unauthorized"})");
        res.set(bhttp::field::www_authenticate, "Bearer");
    } else if (path == "/metrics") {
        which = Route::Metrics;
        if (method != bhttp::verb::get) {
            res = method_not_allowed("GET");
        } else {
            res = Response{bhttp::status::ok, 11};
            res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            res.body() = metrics_.render(gauges_());
        }
    } else if (path == "/mcp") {
        which = Route::Mcp;
        if (!origins_.allows(req[bhttp::field::origin]))
            res = json_response(403,
                                R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Origin not allowed"}})");
        else if (method != bhttp::verb::post)
            res = method_not_allowed("POST");
        else
            res = co_await mcp(req);
    } else if (path == kVconsPath || path == "/api/v1/vcons/") {
        which = Route::VconsSearch;
        if (method != bhttp::verb::get)
            res = method_not_allowed("GET");
        else
            res = co_await rest::search_vcons(store_, query);
    } else if (is_vcon) {
        which = Route::Vcon;
        std::string_view id = path.substr(kVconsPath.size() + 1);
        if (id.find('/') != std::string_view::npos)
            res = json_error(404, "not_found", "no such route");
        else if (method != bhttp::verb::get)
            res = method_not_allowed("GET");
        else
            res = co_await rest::get_vcon(store_, id, query);
    } else {
        res = json_error(404, "not_found", "no such route");
    }
    co_return res;
}

boost::asio::awaitable<Response> Router::mcp(Request &req) {
    mcp::RequestInfo info;
    if (auto it = req.find("MCP-Protocol-Version"); it != req.end()) info.protocol_version_header = std::string(it->value());
    mcp::HttpReply reply = co_await mcp::handle_http(std::move(req.body()), std::move(info), store_);
    Response res{static_cast<bhttp::status>(reply.status), 11};
    for (auto &[name, value] : reply.headers) res.set(name, value);
    if (!reply.body.empty() && res.find(bhttp::field::content_type) == res.end())
        res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(reply.body);
    co_return res;
}

} // namespace vconredis::server::http
