// Era decision and the modern HTTP request metadata headers: what is decided from the message and
// its headers alone, before any dispatch.
#include "mcp/era.hpp"
#include "mcp/standard_headers.hpp"

#include <gtest/gtest.h>

namespace vcon_redis::server::mcp {
namespace {

using nlohmann::json;

const json modern_meta = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                          {"io.modelcontextprotocol/clientCapabilities", json::object()},
                          {"io.modelcontextprotocol/clientInfo", {{"name", "t"}, {"version", "1"}}}};

Message request(const std::string &method, json params = json::object()) {
    return parse_message(
        json{{"jsonrpc", "2.0"}, {"id", 7}, {"method", method}, {"params", std::move(params)}}.dump());
}

Message modern(const std::string &method, json params = json::object()) {
    params["_meta"] = modern_meta;
    return request(method, std::move(params));
}

int refusal_code(const EraDecision &d) {
    EXPECT_TRUE(d.refusal) << "expected a refusal";
    return d.refusal ? (*d.refusal)["error"]["code"].get<int>() : 0;
}

const std::optional<std::string> none;

TEST(Era, MetaClaimSelectsModernOnEveryTransport) {
    for (const auto &header : {none, std::optional<std::string>("2026-07-28")}) {
        auto d = decide_era(modern("tools/list"), header);
        EXPECT_EQ(d.era, Era::Modern);
        EXPECT_FALSE(d.refusal);
    }
    // clientInfo is a SHOULD: its absence is served.
    json meta = modern_meta;
    meta.erase("io.modelcontextprotocol/clientInfo");
    EXPECT_EQ(decide_era(request("server/discover", {{"_meta", meta}}), none).era, Era::Modern);
    // initialize with a modern claim is a modern request (which has no initialize).
    EXPECT_EQ(decide_era(modern("initialize"), none).era, Era::Modern);
}

TEST(Era, WithoutClaimIsLegacy) {
    for (const char *method : {"initialize", "ping", "tools/list", "server/discover"}) {
        auto d = decide_era(request(method), none);
        EXPECT_EQ(d.era, Era::Legacy) << method;
        EXPECT_FALSE(d.refusal) << method;
    }
    for (const char *v : {"2025-11-25", "2025-06-18", "2025-03-26"})
        EXPECT_FALSE(decide_era(request("tools/list"), std::string(v)).refusal) << v;
    // A claim naming a legacy revision is a legacy request carrying an extra key.
    json meta = modern_meta;
    meta["io.modelcontextprotocol/protocolVersion"] = "2025-11-25";
    EXPECT_EQ(decide_era(request("ping", {{"_meta", meta}}), none).era, Era::Legacy);
}

TEST(Era, MalformedEnvelopeIsInvalidParams) {
    json no_caps = modern_meta;
    no_caps.erase("io.modelcontextprotocol/clientCapabilities");
    EXPECT_EQ(refusal_code(decide_era(request("tools/list", {{"_meta", no_caps}}), none)), -32602);
    json bad_caps = modern_meta;
    bad_caps["io.modelcontextprotocol/clientCapabilities"] = "all";
    EXPECT_EQ(refusal_code(decide_era(request("tools/list", {{"_meta", bad_caps}}), none)), -32602);
    json bad_info = modern_meta;
    bad_info["io.modelcontextprotocol/clientInfo"] = {{"name", "t"}};
    EXPECT_EQ(refusal_code(decide_era(request("tools/list", {{"_meta", bad_info}}), none)), -32602);
    json bad_version = modern_meta;
    bad_version["io.modelcontextprotocol/protocolVersion"] = 20260728;
    EXPECT_EQ(refusal_code(decide_era(request("tools/list", {{"_meta", bad_version}}), none)), -32602);
    // A modern header on a request without the envelope (no _meta, or _meta without the version).
    const std::optional<std::string> modern_header("2026-07-28");
    EXPECT_EQ(refusal_code(decide_era(request("server/discover"), modern_header)), -32602);
    json no_version = modern_meta;
    no_version.erase("io.modelcontextprotocol/protocolVersion");
    EXPECT_EQ(refusal_code(decide_era(request("server/discover", {{"_meta", no_version}}), modern_header)),
              -32602);
    auto d = decide_era(request("tools/list"), modern_header);
    EXPECT_EQ((*d.refusal)["id"], 7);
}

TEST(Era, UnsupportedRevisionListsWhatIsServed) {
    for (const char *v : {"2099-01-01", "v999.0.0", "2024-11-05"}) {
        json meta = modern_meta;
        meta["io.modelcontextprotocol/protocolVersion"] = v;
        auto d = decide_era(request("server/discover", {{"_meta", meta}}), std::string(v));
        EXPECT_EQ(refusal_code(d), -32022) << v;
        EXPECT_EQ((*d.refusal)["error"]["data"]["requested"], v);
        EXPECT_EQ((*d.refusal)["error"]["data"]["supported"],
                  json::parse(R"(["2026-07-28","2025-11-25","2025-06-18","2025-03-26"])"));
    }
    // Without a claim, an unknown legacy header stays a plain bad request.
    EXPECT_EQ(refusal_code(decide_era(request("tools/list"), std::string("1.0.0"))), -32600);
    EXPECT_EQ(refusal_code(decide_era(request("tools/list"), std::string("bogus"))), -32600);
}

TEST(Era, HeaderDisagreeingWithBodyIsHeaderMismatch) {
    EXPECT_EQ(refusal_code(decide_era(modern("tools/list"), std::string("2025-11-25"))), -32020);
    json meta = modern_meta;
    meta["io.modelcontextprotocol/protocolVersion"] = "v999.0.0";
    EXPECT_EQ(
        refusal_code(decide_era(request("server/discover", {{"_meta", meta}}), std::string("2026-07-28"))),
        -32020);
    // initialize is the legacy handshake: a modern header on it is a contradiction.
    EXPECT_EQ(refusal_code(decide_era(request("initialize", {{"protocolVersion", "2025-11-25"}}),
                                      std::string("2026-07-28"))),
              -32020);
}

TEST(Era, NotificationsAreRefusedOnlyForAnUnknownHeader) {
    auto n = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    EXPECT_FALSE(decide_era(n, none).refusal);
    EXPECT_FALSE(decide_era(n, std::string("2026-07-28")).refusal);
    EXPECT_FALSE(decide_era(n, std::string("2025-06-18")).refusal);
    auto d = decide_era(n, std::string("1.0.0"));
    EXPECT_EQ(refusal_code(d), -32600);
    EXPECT_TRUE((*d.refusal)["id"].is_null());
}

TEST(StandardHeaders, OwsAndBase64Sentinel) {
    EXPECT_EQ(strip_ows("  get_vcon\t "), "get_vcon");
    EXPECT_EQ(strip_ows(" \t "), "");
    EXPECT_EQ(decode_header_value("plain"), "plain");
    EXPECT_EQ(decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?="), "Hello, \xe4\xb8\x96\xe7\x95\x8c");
    EXPECT_EQ(decode_header_value("=?base64?IHBhZGRlZCA=?="), " padded ");
    EXPECT_EQ(decode_header_value("=?base64?"
                                  "?="),
              "");                                                          // empty value
    EXPECT_FALSE(decode_header_value("=?base64?SGVsbG8?="));                // no padding
    EXPECT_FALSE(decode_header_value("=?base64?SGVs!!!bG8=?="));            // not the alphabet
    EXPECT_FALSE(decode_header_value("=?base64?SGVsbG9=?="));               // bits after the last byte
    EXPECT_EQ(decode_header_value("=?base64?SGVsbG8"), "=?base64?SGVsbG8"); // no suffix: literal
}

StandardHeaders headers(std::optional<std::string> method, std::optional<std::string> name = std::nullopt) {
    return StandardHeaders{"2026-07-28", std::move(method), std::move(name)};
}

TEST(StandardHeaders, MustMirrorTheBody) {
    auto list = modern("tools/list");
    EXPECT_FALSE(header_mismatch(headers("tools/list"), list));
    EXPECT_FALSE(header_mismatch(headers(" tools/list "), list));
    EXPECT_TRUE(header_mismatch(headers(std::nullopt), list));
    EXPECT_TRUE(header_mismatch(headers("prompts/list"), list));
    EXPECT_TRUE(header_mismatch(headers("TOOLS/LIST"), list)); // values are case-sensitive
    EXPECT_TRUE(header_mismatch(StandardHeaders{std::nullopt, "tools/list", std::nullopt}, list));

    auto call = modern("tools/call", {{"name", "get_vcon"}, {"arguments", json::object()}});
    EXPECT_FALSE(header_mismatch(headers("tools/call", "get_vcon"), call));
    EXPECT_FALSE(header_mismatch(headers("tools/call", "  get_vcon  "), call));
    EXPECT_FALSE(header_mismatch(headers("tools/call", "=?base64?Z2V0X3Zjb24=?="), call));
    EXPECT_TRUE(header_mismatch(headers("tools/call"), call));
    EXPECT_TRUE(header_mismatch(headers("tools/call", "search_vcons"), call));
    EXPECT_TRUE(header_mismatch(headers("tools/call", "=?base64?Z2V0X3Zjb24?="), call));

    const std::string uri = "vcon://v1/vcons/0190b5a4-6e2f-7c3a-8a1b-2c3d4e5f6a7b";
    auto read = modern("resources/read", {{"uri", uri}});
    EXPECT_FALSE(header_mismatch(headers("resources/read", uri), read));
    EXPECT_TRUE(header_mismatch(headers("resources/read"), read));
    EXPECT_TRUE(header_mismatch(headers("resources/read", "vcon://v1/vcons/other"), read));
    auto prompt = modern("prompts/get", {{"name", "summarize"}});
    EXPECT_TRUE(header_mismatch(headers("prompts/get"), prompt));
    EXPECT_FALSE(header_mismatch(headers("prompts/get", "summarize"), prompt));
    // Without the body value there is nothing to mirror: the method's own validation answers.
    EXPECT_FALSE(header_mismatch(headers("tools/call"), modern("tools/call")));
}

} // namespace
} // namespace vcon_redis::server::mcp
