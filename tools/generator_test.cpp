// Unit tests of the vCon generator (tools/vcon/generator.hpp): determinism, size targets, valid shapes.
#include "vcon/generator.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

using namespace vcon_redis::vcon;
using nlohmann::json;

namespace {

const std::regex kUuidV8("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex kUuidAny("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
const std::regex kDate(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$)");
const std::regex kHash("^sha512-[A-Za-z0-9_-]{86}$");
const std::regex kTag("^[a-z]+:[a-z0-9-]+$");

// (Not std::regex: libstdc++'s recursive matcher overflows the stack on megabyte strings.)
bool is_base64url(const std::string &s) {
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return false;
    return s.size() % 4 != 1;
}

bool is_index(const json &v, std::size_t n) {
    return v.is_number_unsigned() && v.get<std::size_t>() < n;
}

// Checks everything the generator promises; returns "" or the first problem.
// The shape checks below return "" when the part is as the generator promises, else what is wrong.
std::string check_parties(const json &parties) {
    if (!parties.is_array() || parties.size() < 2 || parties.size() > 6)
        return "parties count";
    for (const auto &p : parties) {
        if (!p.contains("name") || !p["name"].is_string())
            return "party name";
        if (p.contains("tel") && p["tel"].get<std::string>().rfind("+1555", 0) != 0)
            return "party tel";
        if (p.contains("uuid") && !std::regex_match(p["uuid"].get<std::string>(), kUuidAny))
            return "party uuid";
    }
    return "";
}

std::string check_recording(const json &g) {
    if (g.value("mediatype", "").rfind("audio/", 0) != 0)
        return "recording mediatype";
    const bool ext = g.contains("url");
    const bool inl = g.contains("body");
    if (ext == inl)
        return "recording needs exactly one of url/body";
    if (ext) {
        if (g["url"].get<std::string>().rfind("https://", 0) != 0)
            return "recording url";
        if (!std::regex_match(g.value("content_hash", ""), kHash))
            return "content_hash";
    } else if (g.value("encoding", "") != "base64url" || !is_base64url(g["body"].get<std::string>()) ||
               g["body"].get<std::string>().size() < 60) {
        return "inline recording";
    }
    return "";
}

// One dialog of a vCon with np parties.
std::string check_dialog(const json &g, std::size_t np) {
    if (!std::regex_match(g.value("start", ""), kDate))
        return "dialog start";
    if (!g.at("parties").is_array() || g["parties"].empty())
        return "dialog parties";
    for (const auto &i : g["parties"])
        if (!is_index(i, np))
            return "dialog party index";
    if (!g.contains("duration") || !g["duration"].is_number() || g["duration"].get<double>() < 0) {
        if (g["type"] == "recording")
            return "recording duration";
    }
    const std::string type = g.value("type", "");
    if (type == "recording")
        return check_recording(g);
    if (type != "text")
        return "dialog type " + type;
    if (g.value("mediatype", "") != "text/plain" || g.value("encoding", "") != "none" ||
        !g.at("body").is_string() || g["body"].get<std::string>().empty())
        return "text dialog";
    return "";
}

std::string check_transcript(const json &a, const json &d, std::size_t np) {
    if (a.value("encoding", "") != "json" || !a.at("body").is_array() || a["body"].empty())
        return "transcript";
    if (d["dialog"][a.at("dialog").get<std::size_t>()]["type"] != "recording")
        return "transcript of a non-recording";
    double last = -1;
    for (const auto &e : a["body"]) {
        if (!is_index(e.at("speaker"), np) || !e.at("text").is_string() || !e.at("start").is_number())
            return "transcript entry";
        if (e["start"].get<double>() < last)
            return "transcript start order";
        last = e["start"].get<double>();
    }
    return "";
}

// One analysis of the vCon d, with np parties and nd dialogs.
std::string check_analysis(const json &a, const json &d, std::size_t np, std::size_t nd) {
    const std::string type = a.value("type", "");
    if (a.value("vendor", "").empty())
        return "analysis vendor";
    const auto &di = a.at("dialog");
    if (di.is_array()) {
        for (const auto &i : di)
            if (!is_index(i, nd))
                return "analysis dialog index";
    } else if (!is_index(di, nd)) {
        return "analysis dialog index";
    }
    if (type == "transcript")
        return check_transcript(a, d, np);
    if (type == "summary")
        return a.value("encoding", "") != "none" || !a.at("body").is_string() ? "summary" : "";
    if (type == "sentiment")
        return a.value("encoding", "") != "json" || !a.at("body").is_object() ? "sentiment" : "";
    return "analysis type " + type;
}

std::string check_attachments(const json &att, std::size_t np, std::size_t nd) {
    if (att.size() != 1)
        return "attachments";
    const auto &t = att[0];
    if (t.value("purpose", "") != "tags" || t.value("encoding", "") != "json" || !t.at("body").is_array() ||
        !is_index(t.at("party"), np) || !is_index(t.at("dialog"), nd) ||
        !std::regex_match(t.value("start", ""), kDate))
        return "tags attachment";
    bool customer = false;
    for (const auto &tag : t["body"]) {
        if (!tag.is_string() || !std::regex_match(tag.get<std::string>(), kTag))
            return "tag " + tag.dump();
        customer = customer || tag.get<std::string>().rfind("customer:", 0) == 0;
    }
    return customer ? "" : "no customer tag";
}

// A whole generated vCon.
std::string check_shape(const json &d) {
    if (!d.is_object())
        return "not an object";
    if (d.value("vcon", "") != "0.4.0")
        return "vcon";
    if (!d.contains("uuid") || !std::regex_match(d["uuid"].get<std::string>(), kUuidV8))
        return "uuid";
    if (!std::regex_match(d.value("created_at", ""), kDate))
        return "created_at";
    if (d.value("subject", "").size() < 10)
        return "subject";
    if (auto problem = check_parties(d.at("parties")); !problem.empty())
        return problem;
    const std::size_t np = d["parties"].size();
    const auto &dialogs = d.at("dialog");
    if (!dialogs.is_array() || dialogs.empty())
        return "dialog";
    for (const auto &g : dialogs)
        if (auto problem = check_dialog(g, np); !problem.empty())
            return problem;
    const std::size_t nd = dialogs.size();
    std::set<std::string> types;
    for (const auto &a : d.at("analysis")) {
        types.insert(a.value("type", ""));
        if (auto problem = check_analysis(a, d, np, nd); !problem.empty())
            return problem;
    }
    if (!types.count("summary"))
        return "no summary";
    return check_attachments(d.at("attachments"), np, nd);
}

GeneratorOptions opts_for(SizeClass c, std::uint64_t seed = 1, std::size_t bytes = 0) {
    GeneratorOptions o;
    o.seed = seed;
    o.size = c;
    o.target_bytes = bytes;
    return o;
}

} // namespace

TEST(Generator, SameInputsGiveIdenticalBytes) {
    for (auto c : {SizeClass::Small, SizeClass::Medium, SizeClass::Large, SizeClass::Mixed}) {
        const auto o = opts_for(c, 42);
        for (std::uint64_t i : {0ULL, 1ULL, 77ULL, 123456789ULL}) {
            const auto a = generate_text(i, o);
            const auto b = generate_text(i, o);
            ASSERT_EQ(a, b) << size_class_name(c) << " index " << i;
            EXPECT_EQ(a, generate(i, o).dump()) << "generate_text is the compact dump of generate";
        }
    }
}

TEST(Generator, DifferentSeedsOrIndicesDiffer) {
    const auto o1 = opts_for(SizeClass::Small, 1), o2 = opts_for(SizeClass::Small, 2);
    EXPECT_NE(generate_text(5, o1), generate_text(5, o2));
    EXPECT_NE(generate_text(5, o1), generate_text(6, o1));
    EXPECT_NE(uuid_for(1, 5), uuid_for(2, 5));
}

TEST(Generator, IdentityDependsOnSeedAndIndexOnly) {
    for (auto c : {SizeClass::Small, SizeClass::Large}) {
        const auto d = generate(9, opts_for(c, 7));
        EXPECT_EQ(d["uuid"], uuid_for(7, 9));
        EXPECT_EQ(d["created_at"], created_at_for(7, 9));
    }
    const auto d = generate(9, opts_for(SizeClass::Medium, 7, 50000));
    EXPECT_EQ(d["uuid"], uuid_for(7, 9));
}

TEST(Generator, UuidsAreV8AndUnique) {
    std::set<std::string> seen;
    for (std::uint64_t i = 0; i < 20000; ++i) {
        const auto u = uuid_for(3, i);
        ASSERT_TRUE(std::regex_match(u, kUuidV8)) << u;
        ASSERT_TRUE(seen.insert(u).second) << "duplicate " << u;
    }
    // The first 48 bits are created_at's Unix milliseconds, so uuids sort by creation time.
    EXPECT_LT(uuid_for(3, 100), uuid_for(3, 101));
}

TEST(Generator, ShapesAreValid) {
    for (auto c : {SizeClass::Small, SizeClass::Medium, SizeClass::Mixed}) {
        const auto o = opts_for(c, 11);
        for (std::uint64_t i = 0; i < (c == SizeClass::Mixed ? 120u : 250u); ++i) {
            const auto text = generate_text(i, o);
            const auto d = json::parse(text);
            ASSERT_EQ(check_shape(d), "")
                << size_class_name(c) << " index " << i << ": " << text.substr(0, 400);
        }
    }
    const auto o = opts_for(SizeClass::Large, 11);
    for (std::uint64_t i = 0; i < 4; ++i)
        ASSERT_EQ(check_shape(json::parse(generate_text(i, o))), "") << "large index " << i;
}

TEST(Generator, SizeClassesHaveTheirRanges) {
    struct Case {
        SizeClass c;
        std::size_t lo, hi;
    } cases[] = {
        {SizeClass::Small, 800, 3750}, {SizeClass::Medium, 3000, 20000}, {SizeClass::Large, 75000, 500000}};
    for (const auto &k : cases) {
        const auto o = opts_for(k.c, 5);
        for (std::uint64_t i = 0; i < (k.c == SizeClass::Large ? 4u : 200u); ++i) {
            const auto n = generate_text(i, o).size();
            EXPECT_GE(n, k.lo) << size_class_name(k.c) << " " << i;
            EXPECT_LE(n, k.hi) << size_class_name(k.c) << " " << i;
        }
    }
}

// --bytes targets: every document within ±25 % of the target, from 1 KB to 1 MB.
class SizeTarget : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SizeTarget, WithinTwentyFivePercent) {
    const std::size_t target = GetParam();
    const auto o = opts_for(SizeClass::Medium, 9, target);
    const std::uint64_t n = target >= 100000 ? 4 : target >= 16384 ? 40 : 200;
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto text = generate_text(i, o);
        EXPECT_GE(text.size(), target * 3 / 4) << "index " << i;
        EXPECT_LE(text.size(), target * 5 / 4) << "index " << i;
        ASSERT_EQ(check_shape(json::parse(text)), "") << "index " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Generator, SizeTarget,
                         ::testing::Values(1024, 1500, 2048, 2600, 4096, 8192, 16384, 65536, 262144,
                                           1048576));

TEST(Generator, SqlLiteralDoublesQuotes) {
    std::string out;
    append_sql_literal(R"({"name":"Liam O'Brien","x":"a\\b"})", out);
    EXPECT_EQ(out, R"('{"name":"Liam O''Brien","x":"a\\b"}')");
}

TEST(Generator, CopyFieldEscapes) {
    std::string out;
    append_copy_field("a\\b\tc\nd\re\x01", out);
    EXPECT_EQ(out, "a\\\\b\\tc\\nd\\re\\001");
    // A generated document has JSON escapes ("\n" inside chat bodies): their backslashes are doubled.
    const auto doc = generate_text(0, opts_for(SizeClass::Medium, 1, 4096));
    std::string copy;
    append_copy_field(doc, copy);
    EXPECT_EQ(copy.find('\n'), std::string::npos);
    EXPECT_EQ(copy.find('\t'), std::string::npos);
}

TEST(Generator, Base64urlVectors) {
    auto enc = [](std::string_view s) {
        return base64url(reinterpret_cast<const std::uint8_t *>(s.data()), s.size());
    };
    EXPECT_EQ(enc(""), "");
    EXPECT_EQ(enc("f"), "Zg");
    EXPECT_EQ(enc("fo"), "Zm8");
    EXPECT_EQ(enc("foo"), "Zm9v");
    EXPECT_EQ(enc("foob"), "Zm9vYg");
    EXPECT_EQ(enc("\xfb\xff"), "-_8");
}

TEST(Generator, ParseSizeClass) {
    EXPECT_EQ(parse_size_class("small"), SizeClass::Small);
    EXPECT_EQ(parse_size_class("mixed"), SizeClass::Mixed);
    EXPECT_FALSE(parse_size_class("huge").has_value());
}
