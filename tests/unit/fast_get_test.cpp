// The fast path's request parser (server/src/http/fast_get.hpp): what it takes, what it leaves to the
// general path (hostile and unusual input included), and, on many mutated requests, that whatever it
// takes Beast's parser reads the same way (same length, fields, keep-alive; no body).
#include "http/fast_get.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using vcon_redis::server::http::FastGet;
using vcon_redis::server::http::kFastHeadMax;
using vcon_redis::server::http::parse_fast_get;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::size_t kLimit = 16384;
const std::string kUuid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const std::string kWrk = "GET /api/v1/vcons/" + kUuid + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

std::optional<FastGet> parse(const std::string &text, std::size_t limit = kLimit) {
    return parse_fast_get(text, limit);
}

std::string with_fields(const std::string &fields) {
    return "GET /api/v1/vcons/" + kUuid + " HTTP/1.1\r\n" + fields + "\r\n";
}

} // namespace

TEST(FastGet, TakesWrksRequest) {
    const auto r = parse(kWrk);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->uuid, kUuid);
    EXPECT_EQ(r->host, "127.0.0.1:8080");
    EXPECT_EQ(r->origin, "");
    EXPECT_EQ(r->authorization, "");
    EXPECT_TRUE(r->keep_alive);
    EXPECT_EQ(r->head_bytes, kWrk.size());
}

TEST(FastGet, ReadsTheFieldsTheChecksNeed) {
    const std::string text =
        with_fields("hOsT:  a.example  \r\nOrigin: https://b.example\r\n"
                    "Authorization: Bearer s3cret\r\nAccept: */*\r\nConnection: close\r\n");
    const auto r = parse(text); // views into text
    ASSERT_TRUE(r);
    EXPECT_EQ(r->host, "a.example");
    EXPECT_EQ(r->origin, "https://b.example");
    EXPECT_EQ(r->authorization, "Bearer s3cret");
    EXPECT_FALSE(r->keep_alive);
    EXPECT_TRUE(parse(with_fields("Connection: Keep-Alive\r\n"))->keep_alive);
}

TEST(FastGet, PipelinedRequestsAreTakenOneAtATime) {
    const std::string two = kWrk + kWrk;
    const auto r = parse(two);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->head_bytes, kWrk.size());
    EXPECT_TRUE(parse(two.substr(r->head_bytes)));
}

TEST(FastGet, ASplitRequestWaitsForItsLastByte) {
    for (std::size_t n = 0; n < kWrk.size(); ++n)
        EXPECT_FALSE(parse(kWrk.substr(0, n))) << n;
}

TEST(FastGet, LeavesEveryOtherShapeToTheGeneralPath) {
    const std::string u = kUuid;
    const std::vector<std::string> declined = {
        "GET /api/v1/vcons/" + u + " HTTP/1.0\r\n\r\n",
        "POST /api/v1/vcons/" + u + " HTTP/1.1\r\n\r\n",
        "get /api/v1/vcons/" + u + " HTTP/1.1\r\n\r\n",
        "GET /api/v1/vcons/" + u + "?format=metadata HTTP/1.1\r\n\r\n",
        "GET /api/v1/vcons/" + u + "/x HTTP/1.1\r\n\r\n",
        "GET /api/v1/vcons/0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D HTTP/1.1\r\n\r\n",
        "GET /api/v1/vcons/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g HTTP/1.1\r\n\r\n",
        "GET /api/v1/vcons/0a1b2c3d04e5f-4a6b-8c7d-9e0f1a2b3c4d HTTP/1.1\r\n\r\n",
        "GET  /api/v1/vcons/" + u + " HTTP/1.1\r\n\r\n",
        "\r\nGET /api/v1/vcons/" + u + " HTTP/1.1\r\n\r\n",
        "GET /api/v1/vcons/" + u + " HTTP/1.1\n\n",
        with_fields("Content-Length: 0\r\n"),
        with_fields("content-length: 5\r\n") + "hello",
        with_fields("Transfer-Encoding: chunked\r\n") + "0\r\n\r\n",
        with_fields("Expect: 100-continue\r\n"),
        with_fields("Upgrade: websocket\r\nConnection: Upgrade\r\n"),
        with_fields("TE: trailers\r\n"),
        with_fields("Connection: keep-alive, close\r\n"),
        with_fields("Connection: close\r\nConnection: keep-alive\r\n"),
        with_fields("Host: good.example\r\nHost: evil.example\r\n"),
        with_fields("Origin: https://a\r\nOrigin: https://b\r\n"),
        with_fields("Authorization: Bearer a\r\nauthorization: Bearer b\r\n"),
        with_fields("Host: good.example\r\n evil.example\r\n"), // obs-fold
        with_fields("Host : good.example\r\n"),
        with_fields(": no-name\r\n"),
        with_fields("No-Colon\r\n"),
        with_fields("Host: a\nX: b\r\n"),     // bare LF
        with_fields("Host: a\rX: b\r\n"),     // bare CR
        with_fields("Host: a\x01\r\n"),       // control byte
        with_fields("Host: caf\xc3\xa9\r\n"), // obs-text
        with_fields(std::string("Host: a\0b\r\n", 11)),
        with_fields("X-Big: " + std::string(kFastHeadMax, 'x') + "\r\n"),
    };
    for (const auto &text : declined)
        EXPECT_FALSE(parse(text)) << text;
}

TEST(FastGet, TakesNoHeadOverHalfTheHeaderLimit) {
    const std::string text = with_fields("X-Pad: " + std::string(200, 'x') + "\r\n");
    EXPECT_TRUE(parse(text, 2 * text.size()));
    EXPECT_FALSE(parse(text, 2 * text.size() - 2));
    EXPECT_FALSE(parse(kWrk, 0));
}

// Beast's reading of what the fast path took: complete, no body, same length, fields and keep-alive.
void expect_beast_agrees(const std::string &text, const FastGet &fast) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kLimit);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(text), ec);
    ASSERT_FALSE(ec) << ec.message() << "\n" << text;
    ASSERT_TRUE(parser.is_done()) << text;
    EXPECT_EQ(used, fast.head_bytes) << text;
    const auto &req = parser.get();
    EXPECT_EQ(req.method(), bhttp::verb::get);
    EXPECT_EQ(req.target(), "/api/v1/vcons/" + std::string(fast.uuid));
    EXPECT_EQ(req.version(), 11u);
    EXPECT_EQ(req.keep_alive(), fast.keep_alive) << text;
    EXPECT_EQ(req[bhttp::field::host], fast.host) << text;
    EXPECT_EQ(req[bhttp::field::origin], fast.origin) << text;
    EXPECT_EQ(req[bhttp::field::authorization], fast.authorization) << text;
    EXPECT_EQ(req.body(), "");
}

TEST(FastGet, WhateverItTakesBeastReadsTheSameWay) {
    const std::vector<std::string> seeds = {
        kWrk,
        with_fields("Host: a.example\r\nOrigin: https://b.example\r\nAuthorization: Bearer t\r\n"
                    "Connection: close\r\nAccept: */*\r\n"),
        with_fields("Host:x\r\nConnection:keep-alive\r\nX-A: \t v \t\r\n"),
    };
    static constexpr char kBytes[] = "\r\n\t :,;-\"'aAxX0\x7f\x80\xff\0"; // the NUL included
    const std::string alphabet = std::string(kBytes, sizeof kBytes - 1) + "HostOriginConnection";
    std::mt19937 rng(20261130);
    std::size_t taken = 0;
    for (int i = 0; i < 200000; ++i) {
        std::string text = seeds[rng() % seeds.size()];
        for (int edits = 1 + rng() % 3; edits > 0; --edits) {
            const std::size_t at = rng() % (text.size() + 1);
            const char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 3) {
            case 0:
                text.insert(text.begin() + at, c);
                break;
            case 1:
                if (at < text.size())
                    text[at] = c;
                break;
            default:
                if (at < text.size())
                    text.erase(at, 1);
            }
        }
        if (const auto fast = parse(text)) {
            ++taken;
            expect_beast_agrees(text.substr(0, fast->head_bytes), *fast);
            if (::testing::Test::HasFailure())
                return;
        }
    }
    EXPECT_GT(taken, 1000u); // the mutations did reach requests the fast path takes
}
