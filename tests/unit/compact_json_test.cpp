#include "json/compact.hpp"

#include <gtest/gtest.h>

#include <string>

using vcon_redis::json::compact_json;
using vcon_redis::json::compact_json_append;

namespace {

// A deliberately naive reference: char by char, tracking strings and escapes.
std::string reference_compact(const std::string &s) {
    std::string out;
    bool in_string = false, escaped = false;
    for (char c : s) {
        if (in_string) {
            out.push_back(c);
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            out.push_back(c);
            in_string = c == '"';
        }
    }
    return out;
}

} // namespace

TEST(CompactJson, RemovesPostgresJsonbSpacing) {
    EXPECT_EQ(compact_json(R"({"a": 1, "b": [1, 2]})"), R"({"a":1,"b":[1,2]})");
    EXPECT_EQ(compact_json(R"({"x": {"y": null, "z": [true, false, -1.5e3]}})"),
              R"({"x":{"y":null,"z":[true,false,-1.5e3]}})");
}

TEST(CompactJson, KeepsWhitespaceInsideStrings) {
    EXPECT_EQ(compact_json(R"({"a b": "c, d: e"})"), R"({"a b":"c, d: e"})");
    EXPECT_EQ(compact_json("[\"\t tab \"]"), "[\"\t tab \"]");
}

TEST(CompactJson, EscapesDoNotEndStrings) {
    EXPECT_EQ(compact_json(R"(["a\" b", "c"])"), R"(["a\" b","c"])");
    EXPECT_EQ(compact_json(R"(["a\\", "b c"])"), R"(["a\\","b c"])");
    EXPECT_EQ(compact_json(R"(["\\\" x", 1])"), R"(["\\\" x",1])");
    EXPECT_EQ(compact_json(R"(["\u00e9 \n", 2])"), R"(["\u00e9 \n",2])");
}

TEST(CompactJson, AllWhitespaceKindsOutsideStrings) {
    EXPECT_EQ(compact_json(" {\n\t\"a\" :\r\n 1 } \n"), R"({"a":1})");
}

TEST(CompactJson, EmptyAndScalars) {
    EXPECT_EQ(compact_json(""), "");
    EXPECT_EQ(compact_json("   "), "");
    EXPECT_EQ(compact_json("42"), "42");
    EXPECT_EQ(compact_json(R"("")"), R"("")");
    EXPECT_EQ(compact_json("{}"), "{}");
}

TEST(CompactJson, Utf8PassesThrough) {
    EXPECT_EQ(compact_json("{\"name\": \"Jos\xC3\xA9 \xF0\x9F\x98\x80\"}"),
              "{\"name\":\"Jos\xC3\xA9 \xF0\x9F\x98\x80\"}");
}

TEST(CompactJson, MalformedInputDoesNotCrash) {
    EXPECT_EQ(compact_json(R"({"a": "unterminated )"), R"({"a":"unterminated )");
    EXPECT_EQ(compact_json(R"(["ends with backslash\)"), R"(["ends with backslash\)");
}

TEST(CompactJson, AppendKeepsPrefixAndIsIdempotent) {
    std::string out = "prefix:";
    compact_json_append(R"({"a": [1, 2]})", out);
    EXPECT_EQ(out, R"(prefix:{"a":[1,2]})");
    std::string once = compact_json(R"({"a": "x y", "b": [1, {"c": 2}]})");
    EXPECT_EQ(compact_json(once), once);
}

TEST(CompactJson, LargeDocumentMatchesReference) {
    std::string doc = "{\"items\": [";
    for (int i = 0; doc.size() < (1 << 20); ++i) {
        if (i > 0)
            doc += ", ";
        doc += "{\"id\": " + std::to_string(i) + ", \"text\": \"line " + std::to_string(i) +
               ", with \\\"quotes\\\" and \\\\ slashes: \\n\", \"ok\": true}";
    }
    doc += "]}";
    std::string got = compact_json(doc);
    EXPECT_EQ(got, reference_compact(doc));
    EXPECT_LT(got.size(), doc.size());
}
