// The tools/call result envelope: structuredContent + identical text, isError for ToolError, and
// the size cap. Uses a tool defined here, so no data access is involved.
#include "mcp/tools.hpp"

#include "no_data_store.hpp"
#include "run_sync.hpp"

#include <gtest/gtest.h>

namespace vconredis::server::mcp {
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

TEST(ToolResult, OverTheCapIsRefusedWithAHint) {
    json ok = call({{"n", 50}}, 100);
    EXPECT_FALSE(ok.contains("isError"));
    json big = call({{"n", 200}}, 100);
    EXPECT_EQ(big["isError"], true);
    const auto text = big["content"][0]["text"].get<std::string>();
    EXPECT_NE(text.find("result too large"), std::string::npos);
    EXPECT_NE(text.find("100-byte limit"), std::string::npos);
    EXPECT_NE(text.find("Ask for less."), std::string::npos);
}

TEST(ToolResult, DefaultCapIsOneMebibyte) { EXPECT_EQ(ToolLimits{}.max_result_bytes, 1u << 20); }

} // namespace
} // namespace vconredis::server::mcp
