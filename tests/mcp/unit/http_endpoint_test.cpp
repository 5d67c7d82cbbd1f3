// The HTTP mapping of JSON-RPC outcomes: statuses, bodies, headers.
#include "mcp/http_endpoint.hpp"

#include "no_data_store.hpp"
#include "run_sync.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vcon_redis::server::mcp {
namespace {

using nlohmann::json;

RequestInfo headers(std::optional<std::string> version, std::optional<std::string> method = std::nullopt,
                    std::optional<std::string> name = std::nullopt) {
    RequestInfo info;
    info.protocol_version_header = std::move(version);
    info.method_header = std::move(method);
    info.name_header = std::move(name);
    return info;
}

HttpReply post(const std::string &body, std::optional<std::string> version = std::nullopt) {
    test::NoDataStore store;
    return test::run_sync(handle_http(body, headers(std::move(version)), store));
}

bool has_json_content_type(const HttpReply &r) {
    for (const auto &[k, v] : r.headers)
        if (k == "Content-Type" && v == "application/json")
            return true;
    return false;
}

TEST(HttpEndpoint, RequestGets200Json) {
    auto r = post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "2025-11-25");
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(has_json_content_type(r));
    EXPECT_EQ(json::parse(r.body), json::parse(R"({"jsonrpc":"2.0","id":1,"result":{}})"));
}

TEST(HttpEndpoint, NotificationsAndResponsesGet202EmptyBody) {
    auto n = post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    EXPECT_EQ(n.status, 202);
    EXPECT_TRUE(n.body.empty());
    auto r = post(R"({"jsonrpc":"2.0","id":3,"result":{}})");
    EXPECT_EQ(r.status, 202);
    EXPECT_TRUE(r.body.empty());
}

TEST(HttpEndpoint, MalformedGets400WithJsonRpcError) {
    auto p = post("{not json");
    EXPECT_EQ(p.status, 400);
    EXPECT_EQ(json::parse(p.body)["error"]["code"], -32700);
    EXPECT_TRUE(json::parse(p.body)["id"].is_null());
    auto b = post(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
    EXPECT_EQ(b.status, 400);
    EXPECT_EQ(json::parse(b.body)["error"]["code"], -32600);
}

TEST(HttpEndpoint, UnsupportedProtocolVersionHeaderGets400) {
    // A modern header on a request without the modern _meta: invalid params, never served as legacy.
    auto r = post(R"({"jsonrpc":"2.0","id":1,"method":"server/discover"})", "2026-07-28");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], -32602);
    auto bogus = post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", "bogus");
    EXPECT_EQ(bogus.status, 400);
    EXPECT_EQ(json::parse(bogus.body)["error"]["code"], -32600);
    // initialize carries its version in the body; a legacy header there is not consulted.
    auto init =
        post(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})",
             "2025-03-26");
    EXPECT_EQ(init.status, 200);
    for (const char *v : {"2025-11-25", "2025-06-18", "2025-03-26"})
        EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", v).status, 200) << v;
}

TEST(HttpEndpoint, MethodErrorsStay200) {
    auto r = post(R"({"jsonrpc":"2.0","id":"q","method":"nope"})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], -32601);
    EXPECT_EQ(json::parse(r.body)["id"], "q");
}

// A modern request as the v2 client sends it: _meta in the body, the metadata headers beside it.
RequestInfo modern_info(std::string method, std::optional<std::string> name = std::nullopt) {
    return headers("2026-07-28", std::move(method), std::move(name));
}

std::string modern_body(const std::string &method, json params = json::object()) {
    params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                       {"io.modelcontextprotocol/clientCapabilities", json::object()}};
    return json{{"jsonrpc", "2.0"}, {"id", 5}, {"method", method}, {"params", std::move(params)}}.dump();
}

HttpReply post_modern(const std::string &method, json params, RequestInfo info) {
    test::NoDataStore store;
    return test::run_sync(handle_http(modern_body(method, std::move(params)), std::move(info), store));
}

TEST(HttpEndpoint, ModernDiscoverIsServedStatelessly) {
    auto r = post_modern("server/discover", json::object(), modern_info("server/discover"));
    EXPECT_EQ(r.status, 200);
    auto result = json::parse(r.body)["result"];
    EXPECT_EQ(result["resultType"], "complete");
    EXPECT_EQ(result["supportedVersions"][0], "2026-07-28");
    EXPECT_EQ(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "vcon-cache-server");
    EXPECT_EQ(result["ttlMs"], 3600000);
    EXPECT_EQ(result["cacheScope"], "public");
    EXPECT_TRUE(result["capabilities"].contains("tools"));
}

TEST(HttpEndpoint, ModernCacheScopeIsPrivateBehindAToken) {
    auto info = modern_info("tools/list");
    info.token_required = true;
    auto r = post_modern("tools/list", json::object(), std::move(info));
    EXPECT_EQ(json::parse(r.body)["result"]["cacheScope"], "private");
}

TEST(HttpEndpoint, ModernUnknownOrLegacyOnlyMethodGets404) {
    for (const char *method : {"ping", "initialize", "logging/setLevel", "unknown/method"}) {
        auto r = post_modern(method, json::object(), modern_info(method));
        EXPECT_EQ(r.status, 404) << method;
        EXPECT_EQ(json::parse(r.body)["error"]["code"], -32601) << method;
        EXPECT_EQ(json::parse(r.body)["id"], 5) << method;
    }
}

TEST(HttpEndpoint, ModernHeaderRulesGet400WithHeaderMismatch) {
    auto expect_mismatch = [](const HttpReply &r) {
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(json::parse(r.body)["error"]["code"], -32020) << r.body;
        EXPECT_EQ(json::parse(r.body)["id"], 5);
    };
    expect_mismatch(post_modern("tools/list", json::object(), headers("2026-07-28")));
    expect_mismatch(post_modern("tools/list", json::object(), modern_info("prompts/list")));
    expect_mismatch(post_modern("tools/list", json::object(), headers(std::nullopt, "tools/list")));
    expect_mismatch(post_modern("tools/list", json::object(), headers("2025-11-25", "tools/list")));
    json call{{"name", "get_vcon"}, {"arguments", json::object()}};
    expect_mismatch(post_modern("tools/call", call, modern_info("tools/call")));
    expect_mismatch(post_modern("tools/call", call, modern_info("tools/call", "search_vcons")));
    // The same call with the right name goes through (and fails as a tool: isError, 200).
    auto ok = post_modern("tools/call", call, modern_info("tools/call", "=?base64?Z2V0X3Zjb24=?="));
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(json::parse(ok.body)["result"]["isError"], true);
    EXPECT_EQ(json::parse(ok.body)["result"]["resultType"], "complete");
}

TEST(HttpEndpoint, ModernUnsupportedVersionGets400WithSupportedList) {
    std::string body = modern_body("server/discover");
    const std::string from = "\"2026-07-28\"";
    body.replace(body.find(from), from.size(), "\"2099-01-01\"");
    test::NoDataStore store;
    auto r = test::run_sync(handle_http(body, headers("2099-01-01", "server/discover"), store));
    EXPECT_EQ(r.status, 400);
    auto error = json::parse(r.body)["error"];
    EXPECT_EQ(error["code"], -32022);
    EXPECT_EQ(error["data"]["requested"], "2099-01-01");
    EXPECT_EQ(error["data"]["supported"][0], "2026-07-28");
}

TEST(HttpEndpoint, ModernMissingCapabilitiesGets400InvalidParams) {
    test::NoDataStore store;
    auto body = json{{"jsonrpc", "2.0"},
                     {"id", 5},
                     {"method", "tools/list"},
                     {"params", {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}}}}}};
    auto r = test::run_sync(handle_http(body.dump(), modern_info("tools/list"), store));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], -32602);
}

} // namespace
} // namespace vcon_redis::server::mcp
