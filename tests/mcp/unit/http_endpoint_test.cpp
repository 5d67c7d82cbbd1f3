// The HTTP mapping of JSON-RPC outcomes: statuses, bodies, headers.
#include "mcp/http_endpoint.hpp"

#include "no_data_store.hpp"
#include "run_sync.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vconredis::server::mcp {
namespace {

using nlohmann::json;

HttpReply post(const std::string &body, std::optional<std::string> version = std::nullopt) {
    test::NoDataStore store;
    return test::run_sync(handle_http(body, RequestInfo{std::move(version)}, store));
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
    auto r = post(R"({"jsonrpc":"2.0","id":1,"method":"server/discover"})", "2026-07-28");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], -32600);
    EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", "bogus").status, 400);
    // initialize carries its version in the body; the header is not consulted there.
    auto init =
        post(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})",
             "2026-07-28");
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

} // namespace
} // namespace vconredis::server::mcp
