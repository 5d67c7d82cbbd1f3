#include "mcp/tool_args.hpp"
#include "views/date_param.hpp"

#include <gtest/gtest.h>

namespace vcon_redis::server::mcp {
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
        EXPECT_EQ(args.timestamp("d"), vcon_redis::server::date_param_utc(ok)) << ok;
    }
    for (const char *bad : {"yesterday", "2025-1-31", "2025-01-31T", "2025-01-31T12", "2025-01-31T12:00:00.Z",
                            "2025-01-31; DROP TABLE x", "2025-01-31T12:00:00+1", "2025-02-29"}) {
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

// vcon-mcp's tags filter: string values (numbers and booleans written as text), keys without ':'.
TEST(ToolArgs, TagsAreKeyValueStrings) {
    json a = {{"t", {{"dept", "sales"}, {"n", 7}, {"b", true}}},
              {"empty", json::object()},
              {"colon", {{"a:b", "c"}}},
              {"blank", {{"", "c"}}},
              {"nested", {{"a", {{"b", "c"}}}}},
              {"arr", {{"a", json::array()}}},
              {"nul", {{"a", nullptr}}},
              {"notobj", "dept:sales"}};
    ToolArgs args(a);
    EXPECT_EQ(*args.tags("t"), (json{{"dept", "sales"}, {"n", "7"}, {"b", "true"}}));
    EXPECT_EQ(*args.tags("empty"), json::object());
    EXPECT_THROW(args.tags("empty", true), ToolError);
    for (const char *bad : {"colon", "blank", "nested", "arr", "nul", "notobj"})
        EXPECT_THROW(args.tags(bad), ToolError) << bad;
    EXPECT_EQ(args.tags("absent"), std::nullopt);
    EXPECT_THROW(args.tags("absent2", true), ToolError);
}

TEST(ToolArgs, BooleansNumbersScalarsAndGiven) {
    json a = {{"yes", true}, {"str", "true"},       {"x", 0.5},       {"big", 2}, {"s", "v"},
              {"n", 3},      {"o", json::object()}, {"null", nullptr}};
    ToolArgs args(a);
    EXPECT_TRUE(args.boolean("yes", false));
    EXPECT_FALSE(args.boolean("absent", false));
    EXPECT_THROW(args.boolean("str", false), ToolError);
    EXPECT_EQ(args.number("x", 0.7, 0, 1), 0.5);
    EXPECT_EQ(args.number("absent", 0.7, 0, 1), 0.7);
    EXPECT_THROW(args.number("big", 0.7, 0, 1), ToolError);
    EXPECT_EQ(*args.scalar("s"), "v");
    EXPECT_EQ(*args.scalar("n"), 3);
    EXPECT_THROW(args.scalar("o"), ToolError);
    EXPECT_EQ(args.scalar("null"), std::nullopt);
    EXPECT_TRUE(args.given("yes"));
    EXPECT_FALSE(args.given("null"));
    EXPECT_FALSE(args.given("absent"));
}

TEST(ToolArgs, ChoicesAndNumberArrays) {
    json a = {{"inc", {"core", "summary", "core"}},
              {"bad", {"core", "everything"}},
              {"str", "core"},
              {"none", json::array()},
              {"emb", {0.1, 2, -3}},
              {"emb_bad", {0.1, "x"}}};
    ToolArgs args(a);
    const std::vector<std::string> groups{"core", "summary", "tags"};
    EXPECT_EQ(*args.choices("inc", groups), (std::vector<std::string>{"core", "summary"}));
    EXPECT_THROW(args.choices("bad", groups), ToolError);
    EXPECT_THROW(args.choices("str", groups), ToolError);
    EXPECT_EQ(args.choices("none", groups), std::nullopt);
    EXPECT_EQ(args.numbers("emb", 3)->size(), 3u);
    EXPECT_THROW(args.numbers("emb", 2), ToolError);
    EXPECT_THROW(args.numbers("emb_bad", 4), ToolError);
}

// A nested object (vcon_search's filters) has its own known names, and messages name the path.
TEST(ToolArgs, NestedObjectsNameTheirPath) {
    json a = {{"filters", {{"subject", "x"}, {"start_date", "yesterday"}, {"colour", "red"}}}, {"bad", 5}};
    ToolArgs args(a);
    ToolArgs filters = args.nested("filters");
    EXPECT_EQ(filters.string("subject"), "x");
    try {
        filters.timestamp("start_date");
        FAIL() << "expected ToolError";
    } catch (const ToolError &e) {
        EXPECT_EQ(std::string(e.what()).rfind("filters.start_date must be", 0), 0u) << e.what();
    }
    try {
        filters.reject_unknown();
        FAIL() << "expected ToolError";
    } catch (const ToolError &e) {
        EXPECT_NE(std::string(e.what()).find("in filters: colour"), std::string::npos) << e.what();
    }
    EXPECT_THROW(args.nested("bad"), ToolError);
    ToolArgs absent = args.nested("absent");
    EXPECT_EQ(absent.string("subject"), std::nullopt);
    EXPECT_NO_THROW(absent.reject_unknown());
}

} // namespace
} // namespace vcon_redis::server::mcp
