#include "mcp/jsonrpc.hpp"

#include <gtest/gtest.h>

namespace vcon_redis::server::mcp {
namespace {

using nlohmann::json;
using Kind = Message::Kind;

int error_code(const Message &m) {
    return m.error.at("error").at("code").get<int>();
}

TEST(JsonRpc, ClassifiesRequestNotificationAndResponse) {
    auto req = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"ping"})");
    EXPECT_EQ(req.kind, Kind::Request);
    EXPECT_EQ(req.id, 7);
    EXPECT_EQ(req.method, "ping");
    EXPECT_TRUE(req.params.is_object());

    auto note = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    EXPECT_EQ(note.kind, Kind::Notification);

    auto resp = parse_message(R"({"jsonrpc":"2.0","id":"a","result":{}})");
    EXPECT_EQ(resp.kind, Kind::Response);
}

TEST(JsonRpc, RawJsonIsSplicedAsAnObjectMemberValue) {
    json m = {{"id", 1}, {"result", {{"doc", raw_json(R"({"b":1,"a":2.50})")}, {"n", 1}}}};
    EXPECT_EQ(to_text(m), R"({"id":1,"result":{"doc":{"b":1,"a":2.50},"n":1}})");
    EXPECT_TRUE(raw_json_valid(m));
    EXPECT_FALSE(raw_json_valid(json{{"doc", raw_json("{oops")}}));
    EXPECT_FALSE(raw_json_valid(json{{"doc", raw_json("[]")}}));
    EXPECT_EQ(to_text(json{{"s", "a\"b\n\x01"}}), R"({"s":"a\"b\n\u0001"})");
}

TEST(JsonRpc, JsonStringSizeMatchesTheSerialisation) {
    for (std::string s : {std::string("plain"), std::string("q\"b\\s\n\t\x01\x1f"),
                          std::string("caf\xc3\xa9"), std::string()})
        EXPECT_EQ(json_string_size(s), json(s).dump().size()) << s;
}

TEST(JsonRpc, ParseErrorHasNullId) {
    auto m = parse_message(R"({"jsonrpc":"2.0","id":1,"method":)");
    ASSERT_EQ(m.kind, Kind::Invalid);
    EXPECT_EQ(error_code(m), rpc_error::parse_error);
    EXPECT_TRUE(m.error.at("id").is_null());
}

TEST(JsonRpc, BatchIsInvalidRequest) {
    auto m = parse_message(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
    ASSERT_EQ(m.kind, Kind::Invalid);
    EXPECT_EQ(error_code(m), rpc_error::invalid_request);
}

TEST(JsonRpc, RejectsWrongVersionBadIdAndNonObjects) {
    EXPECT_EQ(error_code(parse_message(R"({"jsonrpc":"1.0","id":1,"method":"ping"})")),
              rpc_error::invalid_request);
    EXPECT_EQ(error_code(parse_message(R"({"id":1,"method":"ping"})")), rpc_error::invalid_request);
    EXPECT_EQ(error_code(parse_message(R"({"jsonrpc":"2.0","id":null,"method":"ping"})")),
              rpc_error::invalid_request);
    EXPECT_EQ(error_code(parse_message(R"({"jsonrpc":"2.0","id":{},"method":"ping"})")),
              rpc_error::invalid_request);
    EXPECT_EQ(error_code(parse_message(R"({"jsonrpc":"2.0","id":1,"method":5})")),
              rpc_error::invalid_request);
    EXPECT_EQ(error_code(parse_message(R"("ping")")), rpc_error::invalid_request);
}

TEST(JsonRpc, EchoesAUsableIdInErrors) {
    auto m = parse_message(R"({"jsonrpc":"2.0","id":"x1","method":"ping","params":[1]})");
    ASSERT_EQ(m.kind, Kind::Invalid);
    EXPECT_EQ(error_code(m), rpc_error::invalid_params);
    EXPECT_EQ(m.error.at("id"), "x1");
}

TEST(JsonRpc, MalformedNotificationIsStillNeverAnswered) {
    EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","method":"notifications/x","params":7})").kind,
              Kind::Notification);
}

TEST(JsonRpc, DeepNestingRejectedBeforeParsing) {
    std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":)" +
                       std::string(100000, '[') + std::string(100000, ']') + "}}";
    auto m = parse_message(deep);
    ASSERT_EQ(m.kind, Kind::Invalid);
    EXPECT_EQ(error_code(m), rpc_error::invalid_request);
    // Brackets inside strings do not count.
    auto s = parse_message(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":")" +
                           std::string(1000, '[') + "\"}}");
    EXPECT_EQ(s.kind, Kind::Request);
}

TEST(JsonRpc, ToTextNeverThrowsOnInvalidUtf8) {
    json j = {{"s", std::string("\xff\xfe", 2)}};
    EXPECT_NO_THROW((void)to_text(j));
}

} // namespace
} // namespace vcon_redis::server::mcp
