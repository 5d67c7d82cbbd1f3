#include "http/router.hpp"

#include "mcp/http_endpoint.hpp"
#include "rest/query_string.hpp"
#include "rest/vcons.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

namespace vcon_redis::server::http {
namespace {

constexpr std::string_view kVconsPath = "/api/v1/vcons";
// The response headers a browser may read, sent to allowed origins.
constexpr std::string_view kExposeHeaders = "X-Cache, MCP-Protocol-Version, Mcp-Session-Id";

Response method_not_allowed(std::string_view allow) {
    auto res = json_error(405, "method_not_allowed", "allowed: " + std::string(allow));
    res.set(bhttp::field::allow, allow);
    return res;
}

} // namespace

Router::Router(Access access, store::CachedStore &store, Metrics &metrics,
               std::function<GaugeSnapshot()> gauges, mcp::ToolLimits mcp_limits)
    : auth_(std::move(access.auth)), origins_(std::move(access.origins)), hosts_(std::move(access.hosts)),
      store_(store), metrics_(metrics), gauges_(std::move(gauges)), mcp_limits_(mcp_limits) {}

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
                       (g.redis_up ? "up" : "down") + "\",\"cache\":\"" + g.cache_state + "\"}";
    return json_response(g.postgres_up || g.redis_up ? 200 : 503, std::move(body));
}

// One co_return at function scope (docs/internals.md, g++ 12 coroutine rule).
// g++ 12 at -O2 reports -Wmismatched-new-delete for this coroutine's frame, as for
// CachedStore::get_many (Asio's awaitable frames use their own matching operator new/delete; GCC's
// inliner loses track of the pair): a false positive, silenced for this function only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
boost::asio::awaitable<Response> Router::route(Request &req, Route &which) {
    auto [path, query] = rest::split_target(req.target());
    const auto method = req.method();
    const bool is_vcon =
        path.size() > kVconsPath.size() + 1 && path.starts_with(kVconsPath) && path[kVconsPath.size()] == '/';
    which = path == "/healthz"                               ? Route::Healthz
            : path == "/metrics"                             ? Route::Metrics
            : path == "/mcp"                                 ? Route::Mcp
            : path == kVconsPath || path == "/api/v1/vcons/" ? Route::VconsSearch
            : is_vcon                                        ? Route::Vcon
                                                             : Route::Other;
    const std::string_view origin = req[bhttp::field::origin];
    Response res;

    if (!hosts_.allows(req[bhttp::field::host])) {
        res = refused(which, "host_not_allowed", "Host not allowed (see --allowed-hosts)");
    } else if (!origins_.allows(origin)) {
        res = refused(which, "origin_not_allowed", "Origin not allowed (see --allowed-origins)");
    } else if (method == bhttp::verb::options && which != Route::Other) {
        res = preflight(req, which == Route::Mcp ? "POST" : "GET"); // before auth: browsers send no token
    } else if (which == Route::Healthz) {
        res = method == bhttp::verb::get ? healthz() : method_not_allowed("GET");
    } else if (!auth_.allows(req[bhttp::field::authorization])) {
        res = json_response(401, R"({"success":false,"error":"unauthorized"})");
        res.set(bhttp::field::www_authenticate, "Bearer");
    } else if (which == Route::Metrics) {
        if (method != bhttp::verb::get) {
            res = method_not_allowed("GET");
        } else {
            res = Response{bhttp::status::ok, 11};
            res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            res.body() = metrics_.render(gauges_());
        }
    } else if (which == Route::Mcp) {
        if (method != bhttp::verb::post)
            res = method_not_allowed("POST");
        else
            res = co_await mcp(req);
    } else if (which == Route::VconsSearch) {
        if (method != bhttp::verb::get)
            res = method_not_allowed("GET");
        else
            res = co_await rest::search_vcons(store_, query);
    } else if (which == Route::Vcon) {
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
    if (!origin.empty() && origins_.allows(origin)) {
        res.set(bhttp::field::access_control_allow_origin, origin);
        res.set(bhttp::field::vary, "Origin");
        res.set(bhttp::field::access_control_expose_headers, kExposeHeaders);
    }
    co_return res;
}
#pragma GCC diagnostic pop

// The same checks as route() in the same order (a request any of them refuses takes the general
// path, which answers the refusal), then the near cache; the head is the one route() and the session
// write for that answer, field for field (tests/integration/test_server_fast_path.py compares them).
FastAnswer Router::fast_answer(const FastGet &req, bool keep_alive,
                               std::chrono::steady_clock::time_point started, std::string &head) {
    FastAnswer answer;
    if (!hosts_.allows(req.host) || !origins_.allows(req.origin) || !auth_.allows(req.authorization))
        return answer;
    answer.doc = store_.near_hit(req.uuid, false);
    if (!answer.doc)
        return answer;
    answer.tail = rest::kVconBodyTail;
    char length[24];
    const auto printed = std::to_chars(length, length + sizeof length,
                                       rest::kVconBodyHead.size() + answer.doc->size() + answer.tail.size());
    head.assign("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Cache: ")
        .append(to_string(CacheStatus::Hit))
        .append("\r\n");
    if (!req.origin.empty())
        head.append("Access-Control-Allow-Origin: ")
            .append(req.origin)
            .append("\r\nVary: Origin\r\nAccess-Control-Expose-Headers: ")
            .append(kExposeHeaders)
            .append("\r\n");
    if (!keep_alive)
        head.append("Connection: close\r\n");
    head.append("Content-Length: ")
        .append(length, printed.ptr)
        .append("\r\n\r\n")
        .append(rest::kVconBodyHead);
    answer.answered = std::chrono::steady_clock::now();
    metrics_.request(Route::Vcon, 200, answer.answered - started);
    return answer;
}

// 403 for a request from a foreign Host or Origin; on /mcp shaped as a JSON-RPC error.
Response Router::refused(Route which, std::string_view code, std::string_view message) const {
    if (which == Route::Mcp)
        return json_response(403, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":)" +
                                      json_quote(message) + "}}");
    return json_error(403, code, message);
}

// The answer to OPTIONS: the route's methods; for a CORS preflight (an allowed Origin, checked by
// the caller) also what the browser may send. The requested headers are echoed when they are a
// plain list of header names (the origin is trusted, and clients add their own headers).
Response Router::preflight(const Request &req, std::string_view methods) const {
    Response res{bhttp::status::no_content, 11};
    res.set(bhttp::field::allow, std::string(methods) + ", OPTIONS");
    if (!req[bhttp::field::origin].empty()) {
        std::string_view asked = req[bhttp::field::access_control_request_headers];
        const bool plain = asked.size() <= 1024 && std::all_of(asked.begin(), asked.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                                      c == ',' || c == ' ';
                           });
        res.set(bhttp::field::access_control_allow_methods, std::string(methods) + ", OPTIONS");
        res.set(bhttp::field::access_control_allow_headers,
                !asked.empty() && plain
                    ? std::string(asked)
                    : std::string("Authorization, Content-Type, Accept, MCP-Protocol-Version, "
                                  "Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID"));
        res.set(bhttp::field::access_control_max_age, "600");
    }
    return res;
}

boost::asio::awaitable<Response> Router::mcp(Request &req) {
    auto header = [&req](std::string_view name) -> std::optional<std::string> {
        auto it = req.find(name);
        return it == req.end() ? std::nullopt : std::optional<std::string>(it->value());
    };
    mcp::RequestInfo info{header("MCP-Protocol-Version"), header("Mcp-Method"), header("Mcp-Name"),
                          auth_.enabled()};
    mcp::HttpReply reply =
        co_await mcp::handle_http(std::move(req.body()), std::move(info), store_, mcp_limits_);
    Response res{static_cast<bhttp::status>(reply.status), 11};
    for (auto &[name, value] : reply.headers)
        res.set(name, value);
    if (!reply.body.empty() && res.find(bhttp::field::content_type) == res.end())
        res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(reply.body);
    co_return res;
}

} // namespace vcon_redis::server::http
