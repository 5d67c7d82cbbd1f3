// Dispatch decisions that need no data: lifecycle, lists, protocol errors and argument validation
// (which must be reported before the store is asked anything).
#include "mcp/dispatcher.hpp"
#include "mcp/protocol.hpp"

#include "no_data_store.hpp"
#include "run_sync.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace vcon_redis::server::mcp {
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
    EXPECT_EQ(
        r["capabilities"],
        json::parse(R"({"tools":{"listChanged":false},"resources":{},"prompts":{"listChanged":false}})"));
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
    EXPECT_EQ(code(request("logging/setLevel", {{"level", "info"}})), rpc_error::method_not_found);
}

// vcon-mcp's read profile (MCP_TOOLS_PROFILE=readonly: categories read and schema): 17 tools.
TEST(Dispatch, ToolsListIsVconMcpsReadProfile) {
    auto tools = request("tools/list")["result"]["tools"];
    std::set<std::string> names;
    for (const auto &t : tools) {
        names.insert(t["name"]);
        EXPECT_EQ(t["inputSchema"]["type"], "object");
        EXPECT_EQ(t["inputSchema"]["additionalProperties"], false) << t["name"];
        EXPECT_TRUE(t["description"].is_string());
        EXPECT_EQ(t["annotations"]["readOnlyHint"], true);
        EXPECT_EQ(t["annotations"]["openWorldHint"], false);
    }
    EXPECT_EQ(names, (std::set<std::string>{
                         "get_vcon", "search_vcons", "search_vcons_content", "search_vcons_semantic",
                         "search_vcons_hybrid", "get_tags", "search_by_tags", "get_unique_tags", "vcon_fetch",
                         "vcon_capabilities", "vcon_graph_shape", "vcon_taxonomy", "vcon_search",
                         "vcon_aggregate", "describe_response_shape", "get_schema", "get_examples"}));
    EXPECT_EQ(tools.size(), 17u);
    EXPECT_EQ(code(request("tools/list", {{"cursor", "abc"}})), rpc_error::invalid_params);
}

TEST(Dispatch, ResourcesListAndTemplates) {
    std::set<std::string> uris;
    const json listed = request("resources/list");
    for (const auto &r : listed["result"]["resources"])
        uris.insert(r["uri"]);
    EXPECT_EQ(uris, (std::set<std::string>{"vcon://v1/vcons/recent", "vcon://v1/vcons/recent/ids",
                                           "vcon://v1/vcons/ids", "vcon://v1/discovery/attachments/types",
                                           "vcon://v1/discovery/attachments/purposes",
                                           "vcon://v1/discovery/analysis/types", "vcon://v1/graph/shape"}));
    auto t = request("resources/templates/list")["result"]["resourceTemplates"];
    ASSERT_EQ(t.size(), 12u); // with the 7 above: vcon-mcp's 19
    EXPECT_EQ(t[0]["uriTemplate"], "vcon://v1/vcons/{uuid}");
}

TEST(Dispatch, ResourceReadRejectsForeignAndMalformedUris) {
    for (const char *uri :
         {"file:///etc/passwd", "vcon://v1/vcons/nope", "vcon://v1/vcons/", "vcon://v1/vcons/recent/0",
          "vcon://v1/vcons/recent/x", "vcon://v1/vcons/ids/10/after/",
          "vcon://v1/vcons/ids/10/after/2025-01-01,nope",
          "vcon://v1/vcons/018f0a4e-0000-4000-8000-000000000001/nothing",
          "vcon://v1/vcons/018f0a4e-0000-4000-8000-000000000001/attachments/type/", "vcon://v1/discovery"}) {
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
    EXPECT_NE(error_text(tool("search_vcons", {{"tag", {{"a", "b"}}}})).find("unknown argument"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons", {{"tags", {{"a:b", "c"}}}})).find("':'"), std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons", {{"response_format", "snippets"}})).find("response_format"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons", {{"include_count", "yes"}})).find("include_count"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons_content", json::object())).find("query is required"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons_content", {{"query", "x"}, {"limit", 1001}})).find("limit"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_vcons_content", {{"query", "x"}, {"response_format", "ids"}}))
                  .find("response_format"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_by_tags", json::object())).find("tags is required"), std::string::npos);
    EXPECT_NE(error_text(tool("search_by_tags", {{"tags", json::object()}})).find("at least one"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_by_tags", {{"tags", {{"a", {{"b", 1}}}}}})).find("strings"),
              std::string::npos);
    EXPECT_NE(error_text(tool("search_by_tags", {{"tags", {{"a", "b"}}}, {"max_full_vcons", 51}}))
                  .find("max_full_vcons"),
              std::string::npos);
    EXPECT_NE(error_text(tool("get_tags", json::object())).find("vcon_uuid is required"), std::string::npos);
    EXPECT_NE(error_text(tool("get_tags", {{"vcon_uuid", "018f0a4e-0000-4000-8000-000000000001"},
                                           {"default_value", json::array()}}))
                  .find("default_value"),
              std::string::npos);
    EXPECT_NE(error_text(tool("get_unique_tags", {{"min_count", 0}})).find("min_count"), std::string::npos);
    EXPECT_NE(error_text(tool("get_examples", {{"example_type", "fax"}})).find("example_type"),
              std::string::npos);
    EXPECT_NE(error_text(tool("get_schema", {{"format", "xsd"}})).find("format"), std::string::npos);
}

// Semantic and hybrid search are listed (as in vcon-mcp) but always refused, saying why; their
// arguments are still checked first.
TEST(Dispatch, SemanticAndHybridExplainWhyTheyAreUnavailable) {
    for (const char *name : {"search_vcons_semantic", "search_vcons_hybrid"}) {
        const std::string text = error_text(tool(name, {{"query", "angry customers"}}));
        EXPECT_NE(text.find("pgvector"), std::string::npos) << text;
        EXPECT_NE(text.find("search_vcons_content"), std::string::npos) << text;
        EXPECT_NE(error_text(tool(name, {{"query", "x"}, {"limit", 0}})).find("limit"), std::string::npos);
    }
    EXPECT_NE(error_text(tool("vcon_search", {{"mode", "semantic"}, {"query", "x"}})).find("pgvector"),
              std::string::npos);
    EXPECT_NE(error_text(tool("vcon_search", {{"mode", "hybrid"}, {"query", "x"}})).find("pgvector"),
              std::string::npos);
}

json tool_json(const json &reply) {
    EXPECT_FALSE(reply.at("result").value("isError", false)) << reply.dump();
    return json::parse(reply.at("result").at("content").at(0).at("text").get<std::string>());
}

// The contract tools answer bad arguments with vcon-mcp's {ok:false, error:{code:"INVALID_ARGUMENT"}}
// (a result, not isError), before any data access.
TEST(Dispatch, ContractToolsReportInvalidArgumentsInTheirEnvelope) {
    for (const json &args :
         {json{{"id", "x"}},
          json{{"id", "018f0a4e-0000-4000-8000-000000000001"}, {"include", {"everything"}}},
          json{{"id", "018f0a4e-0000-4000-8000-000000000001"}, {"max_response_bytes", 100}}}) {
        auto out = tool_json(tool("vcon_fetch", args));
        EXPECT_EQ(out["ok"], false) << args;
        EXPECT_EQ(out["error"]["code"], "INVALID_ARGUMENT") << args;
    }
    for (const json &args : {json{{"cursor", "not-a-cursor"}}, json{{"mode", "keyword"}},
                             json{{"filters", {{"dealer_id", "7"}}}}, json{{"filters", {{"colour", "red"}}}},
                             json{{"limit", 101}}, json{{"include", "core"}}}) {
        auto out = tool_json(tool("vcon_search", args));
        EXPECT_EQ(out["ok"], false) << args;
        EXPECT_EQ(out["error"]["code"], "INVALID_ARGUMENT") << args;
    }
    auto agg = tool_json(tool("vcon_aggregate", {{"group_by", "team"}}));
    EXPECT_EQ(agg["error"]["code"], "INVALID_ARGUMENT");
}

TEST(Dispatch, StaticToolsNeedNoData) {
    auto caps = tool_json(tool("vcon_capabilities", json::object()));
    EXPECT_EQ(caps["ok"], true);
    EXPECT_EQ(caps["item"]["search"]["modes"], json::array({"metadata", "keyword"}));
    auto list = tool_json(tool("describe_response_shape", json::object()));
    EXPECT_EQ(list["page"]["count"], list["items"].size());
    auto shape = tool_json(
        tool("describe_response_shape", {{"tool_name", "vcon_search"}, {"include_example", false}}));
    EXPECT_EQ(shape["item"]["response_schema"]["required"], json::array({"ok", "items", "page"}));
    EXPECT_FALSE(shape["item"].contains("example"));
    EXPECT_EQ(tool_json(tool("describe_response_shape", {{"tool_name", "nope"}}))["error"]["code"],
              "UNKNOWN_TOOL");
    auto schema = tool_json(tool("get_schema", json::object()));
    EXPECT_EQ(schema["$ref"], "#/definitions/VCon");
    auto ts = tool("get_schema", {{"format", "typescript"}})["result"];
    EXPECT_FALSE(ts.contains("structuredContent"));
    EXPECT_NE(ts["content"][0]["text"].get<std::string>().find("export interface VCon"), std::string::npos);
    for (const char *type : {"minimal", "phone_call", "chat", "email", "video", "full_featured"}) {
        auto doc = tool_json(tool("get_examples", {{"example_type", type}}));
        EXPECT_TRUE(doc["uuid"].is_string()) << type;
        EXPECT_FALSE(doc["parties"].empty()) << type;
        auto yaml = tool("get_examples",
                         {{"example_type", type}, {"format", "yaml"}})["result"]["content"][0]["text"];
        EXPECT_NE(yaml.get<std::string>().find("parties:\n  -\n"), std::string::npos) << yaml;
    }
}

TEST(Dispatch, PromptsListAndGet) {
    auto prompts = request("prompts/list")["result"]["prompts"];
    ASSERT_EQ(prompts.size(), 8u);
    for (const auto &p : prompts) {
        EXPECT_TRUE(p["name"].is_string());
        EXPECT_TRUE(p["arguments"].is_array());
    }
    auto got = request("prompts/get",
                       {{"name", "find_by_customer"}, {"arguments", {{"party_identifier", "a@b.example"}}}});
    auto text = got["result"]["messages"][0]["content"]["text"].get<std::string>();
    EXPECT_EQ(got["result"]["messages"][0]["role"], "user");
    EXPECT_NE(text.find("a@b.example"), std::string::npos);
    EXPECT_NE(text.find("search_vcons"), std::string::npos);
    EXPECT_EQ(code(request("prompts/get", {{"name", "find_by_customer"}})), rpc_error::invalid_params);
    EXPECT_EQ(code(request("prompts/get", {{"name", "find_by_semantic_search"},
                                           {"arguments", {{"search_description", "x"}}}})),
              rpc_error::invalid_params);
    EXPECT_EQ(
        code(request("prompts/get", {{"name", "help_me_search"}, {"arguments", {{"what_you_want", 1}}}})),
        rpc_error::invalid_params);
    EXPECT_EQ(code(request("prompts/get", {{"name", "help_me_search"},
                                           {"arguments", {{"what_you_want", "x"}, {"extra", "y"}}}})),
              rpc_error::invalid_params);
    EXPECT_EQ(code(request("prompts/list", {{"cursor", "x"}})), rpc_error::invalid_params);
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
} // namespace vcon_redis::server::mcp
