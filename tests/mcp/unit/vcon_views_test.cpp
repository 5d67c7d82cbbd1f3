#include "store/uuid.hpp"
#include "mcp/vcon_views.hpp"

#include <gtest/gtest.h>

namespace vconredis::server::mcp {
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

TEST(Uuid, CanonicalLowercase) {
    EXPECT_EQ(canonical_uuid("018F0A4E-0000-4000-8000-00000000000A"), "018f0a4e-0000-4000-8000-00000000000a");
    EXPECT_EQ(canonical_uuid("not-a-uuid"), std::nullopt);
    EXPECT_EQ(canonical_uuid("018f0a4e00004000800000000000000a"), std::nullopt);
    EXPECT_EQ(canonical_uuid("018f0a4e-0000-4000-8000-00000000000g"), std::nullopt);
    EXPECT_EQ(canonical_uuid("{18f0a4e-0000-4000-8000-00000000000a}"), std::nullopt);
}

} // namespace
} // namespace vconredis::server::mcp
