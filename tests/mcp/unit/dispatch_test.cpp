// Dispatch decisions that need no data: lifecycle, lists, protocol errors and argument validation
// (which must be reported before the store is asked anything).
#include "mcp/dispatcher.hpp"
#include "mcp/protocol.hpp"

#include "no_data_store.hpp"
#include "run_sync.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace vconredis::server::mcp {
namespace {

using nlohmann::json;
using test::NoDataStore;
using test::run_sync;

json call(const json &message) {
    NoDataStore store;
    auto reply = run_sync(handle_message(message.dump(), store));
    return reply ? *reply : json();
}

json request(const std::string &method, json params = json::object()) {
    return call({{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}});
}

json tool(const std::string &name, json arguments) {
    return request("tools/call", {{"name", name}, {"arguments", std::move(arguments)}});
}

int code(const json &reply) {
    return reply.at("error").at("code").get<int>();
}

std::string error_text(const json &reply) {
    EXPECT_EQ(reply.at("result").value("isError", false), true) << reply.dump();
    return reply.at("result").at("content").at(0).at("text").get<std::string>();
}

TEST(Dispatch, InitializeNegotiatesVersion) {
    for (const char *v : {"2025-11-25", "2025-06-18", "2025-03-26"}) {
        auto r = request("initialize", {{"protocolVersion", v},
                                        {"capabilities", json::object()},
                                        {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
        EXPECT_EQ(r["result"]["protocolVersion"], v);
    }
    for (const char *v : {"2024-11-05", "2026-07-28", "garbage"}) {
        auto r = request("initialize", {{"protocolVersion", v}});
        EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25") << v;
    }
    auto r = request("initialize", {{"protocolVersion", "2025-11-25"}})["result"];
    EXPECT_EQ(r["serverInfo"]["name"], "vcon-cache-server");
    EXPECT_TRUE(r["serverInfo"]["version"].is_string());
    EXPECT_EQ(r["capabilities"], json::parse(R"({"tools":{"listChanged":false},"resources":{}})"));
    EXPECT_TRUE(r["instructions"].is_string());
    EXPECT_EQ(code(request("initialize", json::object())), rpc_error::invalid_params);
}

TEST(Dispatch, PingAndNotifications) {
    EXPECT_EQ(request("ping")["result"], json::object());
    EXPECT_TRUE(call({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}).is_null());
    EXPECT_TRUE(
        call({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 1}}}})
            .is_null());
}

TEST(Dispatch, UnknownMethodAnsweredEvenBeforeInitialize) {
    EXPECT_EQ(code(request("server/discover")), rpc_error::method_not_found);
    EXPECT_EQ(code(request("prompts/list")), rpc_error::method_not_found);
}

TEST(Dispatch, ToolsListHasFourReadOnlyTools) {
    auto tools = request("tools/list")["result"]["tools"];
    ASSERT_EQ(tools.size(), 4u);
    std::set<std::string> names;
    for (const auto &t : tools) {
        names.insert(t["name"]);
        EXPECT_EQ(t["inputSchema"]["type"], "object");
        EXPECT_EQ(t["outputSchema"]["type"], "object");
        EXPECT_TRUE(t["description"].is_string());
        EXPECT_EQ(t["annotations"]["readOnlyHint"], true);
        EXPECT_EQ(t["annotations"]["openWorldHint"], false);
    }
    EXPECT_EQ(names,
              (std::set<std::string>{"get_vcon", "search_vcons", "search_vcons_content", "search_by_tags"}));
    EXPECT_EQ(code(request("tools/list", {{"cursor", "abc"}})), rpc_error::invalid_params);
}

TEST(Dispatch, ResourcesListAndTemplates) {
    EXPECT_EQ(request("resources/list")["result"]["resources"], json::array());
    auto t = request("resources/templates/list")["result"]["resourceTemplates"];
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0]["uriTemplate"], "vcon://v1/vcons/{uuid}");
}

TEST(Dispatch, ResourceReadRejectsForeignAndMalformedUris) {
    for (const char *uri : {"file:///etc/passwd", "vcon://v1/vcons/nope", "vcon://v1/vcons/"}) {
        auto r = request("resources/read", {{"uri", uri}});
        EXPECT_EQ(code(r), rpc_error::resource_not_found) << uri;
        EXPECT_EQ(r["error"]["data"]["uri"], uri);
    }
    EXPECT_EQ(code(request("resources/read", json::object())), rpc_error::invalid_params);
}

TEST(Dispatch, UnknownToolIsProtocolError) {
    EXPECT_EQ(code(tool("drop_everything", json::object())), rpc_error::invalid_params);
    EXPECT_EQ(code(request("tools/call", json::object())), rpc_error::invalid_params);
    EXPECT_EQ(code(request("tools/call", {{"name", "get_vcon"}, {"arguments", 5}})),
              rpc_error::invalid_params);
}

TEST(Dispatch, ValidationErrorsAreToolExecutionErrors) {
    EXPECT_EQ(error_text(tool("get_vcon", {{"uuid", "x"}})).rfind("uuid must be a UUID", 0), 0u);
    EXPECT_NE(error_text(tool("get_vcon", json::object())).find("uuid is required"), std::string::npos);
    EXPECT_NE(error_text(tool("get_vcon",
                              {{"uuid", "018f0a4e-0000-4000-8000-000000000001"}, {"response_format", "xml"}}))
                  .find("response_format"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons", {{"limit", 1001}})).find("limit"), std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons", {{"start_date", "last week"}})).find("start_date"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons", {{"tags", {{"a", "b"}}}})).find("unknown argument"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons_content", json::object())).find("query is required"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons_content", {{"query", "x"}, {"limit", 101}})).find("limit"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_by_tags", json::object())).find("tags is required"), std::string::npos);
    EXPECT_NE(error_text(tool("search_by_tags", {{"tags", json::object()}})).find("at least one"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_by_tags", {{"tags", {{"a", 1}}}})).find("strings"), std::string::npos);
}

// The modern era over a transport without headers (stdio): _meta alone selects it.
json modern(const std::string &method, json params = json::object()) {
    params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                       {"io.modelcontextprotocol/clientCapabilities", json::object()},
                       {"io.modelcontextprotocol/clientInfo", {{"name", "t"}, {"version", "1"}}}};
    return request(method, std::move(params));
}

TEST(Dispatch, ModernResultsCarryResultTypeServerInfoAndCacheHints) {
    struct Expect {
        const char *method;
        std::optional<int> ttl;
        const char *scope;
    };
    for (const Expect &e :
         {Expect{"server/discover", 3600000, "public"}, Expect{"tools/list", 3600000, "public"},
          Expect{"resources/templates/list", 3600000, "public"}, Expect{"resources/list", 0, "private"}}) {
        auto result = modern(e.method)["result"];
        EXPECT_EQ(result["resultType"], "complete") << e.method;
        EXPECT_EQ(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "vcon-cache-server");
        EXPECT_EQ(result["ttlMs"], *e.ttl) << e.method;
        EXPECT_EQ(result["cacheScope"], e.scope) << e.method;
    }
    // Not cacheable: no hints, but resultType and serverInfo all the same.
    auto call = modern("tools/call", {{"name", "get_vcon"}, {"arguments", json::object()}})["result"];
    EXPECT_EQ(call["resultType"], "complete");
    EXPECT_EQ(call["isError"], true);
    EXPECT_FALSE(call.contains("ttlMs"));
    EXPECT_TRUE(call["_meta"].contains("io.modelcontextprotocol/serverInfo"));
    // Legacy results stay as they were.
    EXPECT_FALSE(request("tools/list")["result"].contains("resultType"));
    EXPECT_FALSE(request("tools/list")["result"].contains("ttlMs"));
}

TEST(Dispatch, ModernEraHasNoInitializeNorPingButDiscover) {
    EXPECT_EQ(code(modern("ping")), rpc_error::method_not_found);
    EXPECT_EQ(code(modern("initialize", {{"protocolVersion", "2025-11-25"}})), rpc_error::method_not_found);
    auto d = modern("server/discover")["result"];
    EXPECT_EQ(d["supportedVersions"],
              json::parse(R"(["2026-07-28","2025-11-25","2025-06-18","2025-03-26"])"));
    EXPECT_EQ(d["capabilities"],
              request("initialize", {{"protocolVersion", "2025-11-25"}})["result"]["capabilities"]);
    EXPECT_TRUE(d["instructions"].is_string());
}

TEST(Dispatch, ModernResourceNotFoundIsInvalidParams) {
    auto r = modern("resources/read", {{"uri", "vcon://v1/vcons/nope"}});
    EXPECT_EQ(code(r), rpc_error::invalid_params);
    EXPECT_EQ(r["error"]["data"]["uri"], "vcon://v1/vcons/nope");
}

TEST(Dispatch, ModernEnvelopeErrorsOverStdio) {
    auto r = request("tools/list", {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}}}});
    EXPECT_EQ(code(r), rpc_error::invalid_params);
    auto v = request("server/discover", {{"_meta",
                                          {{"io.modelcontextprotocol/protocolVersion", "2099-01-01"},
                                           {"io.modelcontextprotocol/clientCapabilities", json::object()}}}});
    EXPECT_EQ(code(v), rpc_error::unsupported_protocol_version);
    EXPECT_EQ(v["error"]["data"]["requested"], "2099-01-01");
}

} // namespace
} // namespace vconredis::server::mcp
