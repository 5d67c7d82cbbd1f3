#include "mcp/tool_args.hpp"

#include <gtest/gtest.h>

namespace vconredis::server::mcp {
namespace {

using nlohmann::json;

TEST(ToolArgs, StringsRequiredAndTyped) {
    json a = {{"s", "x"}, {"n", 1}, {"e", ""}};
    ToolArgs args(a);
    EXPECT_EQ(args.string("s"), "x");
    EXPECT_EQ(args.string("missing"), std::nullopt);
    EXPECT_THROW(args.string("missing2", true), ToolError);
    EXPECT_THROW(args.string("n"), ToolError);
    EXPECT_THROW(args.string("e", true), ToolError);
}

// Strings become query parameters: bounded, no NUL (libpq would cut them), valid UTF-8.
TEST(ToolArgs, StringsAreBoundedQueryText) {
    json a = {{"long", std::string(1025, 'q')},
              {"max", std::string(1024, 'q')},
              {"nul", std::string("a\0b", 3)},
              {"latin1", "caf\xe9"},
              {"ok", "caf\xc3\xa9"}};
    ToolArgs args(a);
    EXPECT_EQ(args.string("max")->size(), 1024u);
    try {
        args.string("long");
        ADD_FAILURE() << "a 1025-byte string was accepted";
    } catch (const ToolError &e) {
        EXPECT_STREQ(e.what(), "long is 1025 bytes long (at most 1024)");
    }
    EXPECT_THROW(args.string("nul"), ToolError);
    EXPECT_THROW(args.string("latin1"), ToolError);
    EXPECT_EQ(args.string("ok"), "caf\xc3\xa9");
    EXPECT_EQ(args.string("long", false, 2000)->size(), 1025u);
}

TEST(ToolArgs, ObjectsAreBounded) {
    json big = json::object();
    for (int i = 0; i < 400; ++i)
        big["key" + std::to_string(i)] = "value";
    json a = {{"small", {{"k", "v"}}}, {"big", big}};
    ToolArgs args(a);
    EXPECT_TRUE(args.object("small").has_value());
    EXPECT_THROW(args.object("big"), ToolError);
}

TEST(ToolArgs, IntegersWithinRange) {
    json a = {{"ok", 5},
              {"f", 7.0},
              {"frac", 1.5},
              {"big", 5000},
              {"neg", -1},
              {"str", "5"},
              {"huge", 18446744073709551615ull}};
    ToolArgs args(a);
    EXPECT_EQ(args.integer("ok", 1, 1, 10), 5);
    EXPECT_EQ(args.integer("f", 1, 1, 10), 7);
    EXPECT_EQ(args.integer("absent", 3, 1, 10), 3);
    EXPECT_THROW(args.integer("frac", 1, 1, 10), ToolError);
    EXPECT_THROW(args.integer("big", 1, 1, 1000), ToolError);
    EXPECT_THROW(args.integer("neg", 1, 0, 10), ToolError);
    EXPECT_THROW(args.integer("str", 1, 1, 10), ToolError);
    EXPECT_THROW(args.integer("huge", 1, 1, 10), ToolError);
}

TEST(ToolArgs, Timestamps) {
    for (const char *ok :
         {"2025-01-31", "2025-01-31T12:00:00Z", "2025-01-31T12:00Z", "2025-01-31 12:00:00.123+02:00",
          "2025-01-31T12:00:00-0500", "2025-01-31T12:00:00+01"}) {
        json a = {{"d", ok}};
        ToolArgs args(a);
        EXPECT_EQ(args.timestamp("d"), ok) << ok;
    }
    for (const char *bad : {"yesterday", "2025-1-31", "2025-01-31T", "2025-01-31T12", "2025-01-31T12:00:00.Z",
                            "2025-01-31; DROP TABLE x", "2025-01-31T12:00:00+1"}) {
        json a = {{"d", bad}};
        ToolArgs args(a);
        EXPECT_THROW(args.timestamp("d"), ToolError) << bad;
    }
}

TEST(ToolArgs, ChoiceAndObject) {
    json a = {{"f", "summary"}, {"g", "nope"}, {"o", {{"k", "v"}}}, {"x", 1}};
    ToolArgs args(a);
    EXPECT_EQ(args.choice("f", {"full", "summary"}, "full"), "summary");
    EXPECT_EQ(args.choice("absent", {"full", "summary"}, "full"), "full");
    EXPECT_THROW(args.choice("g", {"full", "summary"}, "full"), ToolError);
    EXPECT_EQ(args.object("o")->at("k"), "v");
    EXPECT_THROW(args.object("x"), ToolError);
    EXPECT_THROW(args.object("absent", true), ToolError);
}

TEST(ToolArgs, UnknownArgumentsAreReported) {
    json a = {{"uuid", "u"}, {"tagz", {}}};
    ToolArgs args(a);
    (void)args.string("uuid");
    try {
        args.reject_unknown();
        FAIL() << "expected ToolError";
    } catch (const ToolError &e) {
        EXPECT_NE(std::string(e.what()).find("tagz"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("uuid"), std::string::npos);
    }
}

} // namespace
} // namespace vconredis::server::mcp
