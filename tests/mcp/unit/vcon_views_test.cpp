#include "store/uuid.hpp"
#include "views/vcon_views.hpp"

#include <gtest/gtest.h>

namespace vcon_redis::server {
namespace {

using nlohmann::json;

const json doc = json::parse(R"({
  "vcon":"0.3.0","uuid":"018f0a4e-0000-4000-8000-000000000001","created_at":"2025-01-01T00:00:00Z",
  "subject":"s","parties":[{"name":"A"}],"dialog":[{"type":"text","body":"hi"}],
  "analysis":[{"type":"summary","body":"short"},{"type":"transcript","body":"long"}],
  "attachments":[{"purpose":"tags","body":"[]"}]})");

TEST(VconViews, FullIsTheDocument) {
    EXPECT_EQ(vcon_view(doc, "full"), doc);
}

TEST(VconViews, MetadataKeepsPresentTopLevelMembersOnly) {
    json v = vcon_view(doc, "metadata");
    EXPECT_EQ(v.size(), 5u); // vcon, uuid, created_at, subject, parties (updated_at etc. absent)
    EXPECT_FALSE(v.contains("dialog"));
    EXPECT_FALSE(v.contains("analysis"));
    EXPECT_EQ(v["parties"], doc["parties"]);
}

TEST(VconViews, SummaryAddsOnlySummaryAnalysis) {
    json v = vcon_view(doc, "summary");
    ASSERT_EQ(v["analysis"].size(), 1u);
    EXPECT_EQ(v["analysis"][0]["body"], "short");
    EXPECT_FALSE(v.contains("dialog"));
}

// Tags read as the SQL filter reads them (vcon_redis._tag_array): arrays of "k:v" (first colon),
// objects of strings, double-encoded bodies, purpose or type "tags", several attachments.
TEST(VconViews, TagsOfEveryBodyForm) {
    json d = json::parse(R"({"attachments":[
      {"purpose":"tags","body":"[\"dealer:7\",\"url:https://x.example/a:b\",\"flag\",\":nokey\",3]"},
      {"type":"tags","body":"\"[\\\"team:red\\\"]\""},
      {"purpose":"tags","body":{"tier":"gold","n":1}},
      {"purpose":"tags","body":"not json"},
      {"purpose":"other","body":"[\"ignored:yes\"]"}]})");
    EXPECT_EQ(vcon_tags(d), (json{{"dealer", "7"},
                                  {"url", "https://x.example/a:b"},
                                  {"flag", ""},
                                  {"team", "red"},
                                  {"tier", "gold"}}));
    EXPECT_EQ(vcon_tags(json::object()), json::object());
}

// vcon-mcp's contract item: core members (absent ones stay absent), then the groups asked for.
TEST(VconViews, ContractItemGroups) {
    json core = contract_item(doc, {"core"});
    EXPECT_EQ(core, (json{{"id", doc["uuid"]},
                          {"vcon_version", "0.3.0"},
                          {"created_at", doc["created_at"]},
                          {"subject", "s"}}));
    json all = contract_item(
        doc, {"core", "parties", "summary", "tags", "dealer", "counts", "dialog", "analysis", "attachments"});
    EXPECT_EQ(all["parties"], doc["parties"]);
    EXPECT_EQ(all["summary"], json::parse(R"([{"type":"summary","body":"short"}])"));
    EXPECT_EQ(all["tags"], json::object());
    EXPECT_TRUE(all["dealer"].is_null());
    EXPECT_EQ(all["counts"], (json{{"parties", 1}, {"dialog", 1}, {"analysis", 2}, {"attachments", 1}}));
    json dealer_doc = doc;
    dealer_doc["attachments"].push_back(
        {{"type", "strolid_dealer"}, {"body", R"({"id":1174,"name":"Example Motors","team":{"id":8}})"}});
    EXPECT_EQ(contract_item(dealer_doc, {"dealer"})["dealer"], (json{{"id", "1174"},
                                                                     {"name", "Example Motors"},
                                                                     {"outboundPhoneNumber", nullptr},
                                                                     {"team", {{"id", 8}}}}));
}

TEST(Uuid, CanonicalLowercase) {
    EXPECT_EQ(canonical_uuid("018F0A4E-0000-4000-8000-00000000000A"), "018f0a4e-0000-4000-8000-00000000000a");
    EXPECT_EQ(canonical_uuid("not-a-uuid"), std::nullopt);
    EXPECT_EQ(canonical_uuid("018f0a4e00004000800000000000000a"), std::nullopt);
    EXPECT_EQ(canonical_uuid("018f0a4e-0000-4000-8000-00000000000g"), std::nullopt);
    EXPECT_EQ(canonical_uuid("{18f0a4e-0000-4000-8000-00000000000a}"), std::nullopt);
}

} // namespace
} // namespace vcon_redis::server
