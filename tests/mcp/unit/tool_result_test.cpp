// The tools/call result envelope: structuredContent + identical text, isError for ToolError, and
// the size cap. Uses a tool defined here, so no data access is involved.
#include "mcp/jsonrpc.hpp"
#include "mcp/tools.hpp"

#include "no_data_store.hpp"
#include "run_sync.hpp"

#include <gtest/gtest.h>

namespace vcon_redis::server::mcp {
namespace {

using nlohmann::json;

boost::asio::awaitable<json> echo_size(ToolArgs &args, VconStore &) {
    const auto n = args.integer("n", 0, 0, 1 << 20);
    args.reject_unknown();
    co_return json{{"success", true}, {"data", std::string(static_cast<std::size_t>(n), 'x')}};
}

const Tool test_tool{json{{"name", "echo_size"}}, &echo_size, "Ask for less."};

json call(json arguments, std::size_t cap) {
    test::NoDataStore store;
    return test::run_sync(call_tool(test_tool, arguments, store, ToolLimits{cap}));
}

TEST(ToolResult, StructuredContentAndSameJsonAsText) {
    json r = call({{"n", 3}}, 1000);
    EXPECT_FALSE(r.contains("isError"));
    EXPECT_EQ(r["structuredContent"], json({{"success", true}, {"data", "xxx"}}));
    ASSERT_EQ(r["content"].size(), 1u);
    EXPECT_EQ(r["content"][0]["type"], "text");
    EXPECT_EQ(json::parse(r["content"][0]["text"].get<std::string>()), r["structuredContent"]);
}

TEST(ToolResult, ToolErrorBecomesIsError) {
    json r = call({{"n", "many"}}, 1000);
    EXPECT_EQ(r["isError"], true);
    EXPECT_FALSE(r.contains("structuredContent"));
    EXPECT_NE(r["content"][0]["text"].get<std::string>().find("n must be an integer"), std::string::npos);
}

// The cap is on the whole result: structuredContent and its escaped copy in the text item.
TEST(ToolResult, OverTheCapIsRefusedWithAHint) {
    json ok = call({{"n", 50}}, 400);
    EXPECT_FALSE(ok.contains("isError"));
    EXPECT_LE(to_text(ok).size(), 400u);
    json big = call({{"n", 200}}, 400); // one copy (226 bytes) fits, two do not
    EXPECT_EQ(big["isError"], true);
    const auto text = big["content"][0]["text"].get<std::string>();
    EXPECT_NE(text.find("Result too large"), std::string::npos);
    EXPECT_NE(text.find("400-byte limit of one MCP message"), std::string::npos);
    EXPECT_NE(text.find("Ask for less: Ask for less."), std::string::npos);
}

TEST(ToolResult, TheEnvelopeCountsToo) {
    EXPECT_FALSE(call({{"n", 50}}, 400).contains("isError"));
    test::NoDataStore store;
    json r = test::run_sync(call_tool(test_tool, json{{"n", 50}}, store, ToolLimits{400}, 200));
    EXPECT_EQ(r["isError"], true);
}

TEST(ToolResult, DefaultCapFitsAssistants) {
    EXPECT_EQ(ToolLimits{}.max_message_bytes, 200000u);
}

boost::asio::awaitable<json> raw_doc(ToolArgs &args, VconStore &) {
    const auto text = args.string("text", true, 100000);
    args.reject_unknown();
    co_return json{{"success", true}, {"vcon", raw_json(*text)}};
}

const Tool raw_tool{json{{"name", "raw_doc"}}, &raw_doc, "Ask for less."};

// A stored document travels verbatim (numbers as stored, member order as stored) in both copies.
TEST(ToolResult, RawJsonIsSplicedNotReserialised) {
    test::NoDataStore store;
    const std::string doc =
        R"({"uuid":"u","z":1,"a":0.5600001000000001,"big":123456789012345678901234567890})";
    json r = test::run_sync(call_tool(raw_tool, json{{"text", doc}}, store, ToolLimits{}));
    ASSERT_FALSE(r.contains("isError")) << r.dump();
    const std::string expected = R"({"success":true,"vcon":)" + doc + "}";
    EXPECT_EQ(r["content"][0]["text"], expected);
    const std::string message = to_text(r);
    EXPECT_NE(message.find(R"("structuredContent":)" + expected), std::string::npos) << message;
}

TEST(ToolResult, InvalidRawJsonIsNotSent) {
    test::NoDataStore store;
    for (const char *bad : {R"({"uuid":"u",)", "[1]", "", "{\"a\":1} trailing"}) {
        json r = test::run_sync(call_tool(raw_tool, json{{"text", bad}}, store, ToolLimits{}));
        EXPECT_EQ(r["isError"], true) << bad;
    }
}

} // namespace
} // namespace vcon_redis::server::mcp
