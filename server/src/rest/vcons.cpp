#include "rest/vcons.hpp"

#include "store/uuid.hpp"
#include "views/vcon_views.hpp"
#include "rest/query_string.hpp"
#include "store/text_param.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

namespace vcon_redis::server::rest {
namespace {

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 1000;

// The page and the number of all matches. search_vcons() returns no row (hence no count) when
// the offset is past the end; the count then comes from a one-row call at offset 0.
constexpr const char *kSearchSql = R"sql(
WITH page AS (
    SELECT s.*
    FROM vcon_redis.search_vcons($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7::int, $8::int)
         WITH ORDINALITY AS s(uuid, subject, created_at, parties_count, dialog_count, analysis_count,
                              attachments_count, total_count, n))
SELECT jsonb_build_object(
    'data', coalesce((SELECT jsonb_agg(to_jsonb(page) - 'total_count' - 'n' ORDER BY n) FROM page), '[]'::jsonb),
    'total', coalesce((SELECT max(total_count) FROM page),
                      CASE WHEN $8::int > 0 THEN (SELECT max(total_count)
                          FROM vcon_redis.search_vcons($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, 1, 0)) END,
                      0))::text
)sql";

bool digits(std::string_view s, std::size_t n) {
    if (s.size() < n)
        return false;
    for (std::size_t i = 0; i < n; ++i)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

std::optional<long long> parse_int(const std::string &s) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}

http::Response bad_request(std::string_view message) {
    return http::json_error(400, "invalid_parameter", message);
}

http::Response vcon_response(const VconResult &r, const std::string &uuid, const std::string &format) {
    switch (r.status) {
    case VconResult::Status::Found: {
        if (format == "full") {
            std::string body;
            body.reserve(r.json.size() + 32);
            body.append("{\"success\":true,\"vcon\":").append(r.json).append("}");
            return http::json_response(200, std::move(body));
        }
        auto doc = nlohmann::json::parse(r.json, nullptr, false);
        if (doc.is_discarded())
            return http::json_error(500, "internal_error", "cached document is not valid JSON");
        return http::json_response(
            200, "{\"success\":true,\"vcon\":" + vcon_view(std::move(doc), format).dump() + "}");
    }
    case VconResult::Status::NotFound:
        return http::json_error(404, "not_found", "vCon " + uuid + " not found");
    case VconResult::Status::Unavailable:
        break;
    }
    auto res = http::json_error(503, "unavailable", r.error.empty() ? "database unavailable" : r.error);
    res.set(http::bhttp::field::retry_after, "1");
    return res;
}

} // namespace

bool valid_timestamp(std::string_view t) {
    // date
    if (!digits(t, 4) || t.size() < 10 || t[4] != '-' || !digits(t.substr(5), 2) || t[7] != '-' ||
        !digits(t.substr(8), 2))
        return false;
    int month = (t[5] - '0') * 10 + (t[6] - '0'), day = (t[8] - '0') * 10 + (t[9] - '0');
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    t.remove_prefix(10);
    if (t.empty())
        return true;
    if (t[0] != 'T' && t[0] != 't' && t[0] != ' ')
        return false;
    t.remove_prefix(1);
    if (!digits(t, 2) || t.size() < 5 || t[2] != ':' || !digits(t.substr(3), 2))
        return false;
    if ((t[0] - '0') * 10 + (t[1] - '0') > 23 || (t[3] - '0') * 10 + (t[4] - '0') > 59)
        return false;
    t.remove_prefix(5);
    if (!t.empty() && t[0] == ':') {
        if (!digits(t.substr(1), 2) || (t[1] - '0') * 10 + (t[2] - '0') > 60)
            return false;
        t.remove_prefix(3);
        if (!t.empty() && t[0] == '.') {
            t.remove_prefix(1);
            std::size_t n = 0;
            while (n < t.size() && t[n] >= '0' && t[n] <= '9')
                ++n;
            if (n == 0 || n > 9)
                return false;
            t.remove_prefix(n);
        }
    }
    if (t.empty())
        return true;
    if (t == "Z" || t == "z")
        return true;
    if (t[0] != '+' && t[0] != '-')
        return false;
    t.remove_prefix(1);
    if (!digits(t, 2))
        return false;
    t.remove_prefix(2);
    if (t.empty())
        return true;
    if (t[0] == ':')
        t.remove_prefix(1);
    return t.size() == 2 && digits(t, 2);
}

// One co_return at function scope (see the g++ 12 note in store/cached_store.cpp).
boost::asio::awaitable<http::Response> get_vcon(store::CachedStore &store, std::string_view uuid_text,
                                                std::string_view query) {
    const auto uuid = canonical_uuid(uuid_text);
    const QueryString qs(query);
    const std::string format = qs.get("format").value_or("full");
    http::Response res;
    VconResult r;
    if (!uuid) {
        res = bad_request("malformed uuid: expected 8-4-4-4-12 hexadecimal digits");
    } else if (format != "full" && format != "metadata" && format != "summary") {
        res = bad_request("format must be full, metadata or summary");
    } else {
        r = co_await store.get(*uuid);
        res = vcon_response(r, *uuid, format);
        res.set("X-Cache", to_string(r.cache));
    }
    co_return res;
}

// The validated parameters of a search, or the 400 to answer.
static std::optional<http::Response> search_params(const QueryString &qs, QueryParams &params,
                                                   long long &limit, long long &offset) {
    limit = kDefaultLimit;
    offset = 0;
    if (auto v = qs.get("limit")) {
        auto n = parse_int(*v);
        if (!n || *n < 1 || *n > kMaxLimit)
            return bad_request("limit must be an integer from 1 to " + std::to_string(kMaxLimit));
        limit = *n;
    }
    if (auto v = qs.get("offset")) {
        auto n = parse_int(*v);
        if (!n || *n < 0 || *n > 2147483647)
            return bad_request("offset must be a non-negative integer");
        offset = *n;
    }
    for (const char *name : {"subject", "party_name", "party_email", "party_tel"}) {
        auto v = qs.get(name);
        if (v)
            if (auto problem = text_param_problem(*v); !problem.empty())
                return bad_request(std::string(name) + " " + problem);
        params.push_back(v && !v->empty() ? v : std::nullopt);
    }
    for (const char *name : {"start_date", "end_date"}) {
        auto v = qs.get(name);
        if (v && !v->empty() && !valid_timestamp(*v))
            return bad_request(std::string(name) + " must be an ISO 8601 date or date-time");
        params.push_back(v && !v->empty() ? v : std::nullopt);
    }
    params.push_back(std::to_string(limit));
    params.push_back(std::to_string(offset));
    return std::nullopt;
}

static http::Response search_response(const store::PgResult &r, long long limit, long long offset) {
    if (r.kind == store::PgResult::Kind::Unavailable) {
        auto res = http::json_error(503, "unavailable", r.error.empty() ? "database unavailable" : r.error);
        res.set(http::bhttp::field::retry_after, "1");
        return res;
    }
    // Inputs are validated, so an error is a server-side problem (e.g. the extension is not attached).
    if (r.kind == store::PgResult::Kind::QueryError)
        return http::json_error(500, "database_error", r.error);
    auto doc = nlohmann::json::parse(r.kind == store::PgResult::Kind::Row ? r.value : std::string("{}"),
                                     nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return http::json_error(500, "internal_error", "bad search result");
    const nlohmann::json data = doc.contains("data") ? doc["data"] : nlohmann::json::array();
    const long long total = doc.value("total", 0LL);
    const long long count = data.is_array() ? static_cast<long long>(data.size()) : 0;
    std::string body = "{\"success\":true,\"data\":" + data.dump() +
                       ",\"pagination\":{\"limit\":" + std::to_string(limit) +
                       ",\"offset\":" + std::to_string(offset) + ",\"total\":" + std::to_string(total) +
                       ",\"has_more\":" + (offset + count < total ? "true" : "false") + "}}";
    return http::json_response(200, std::move(body));
}

boost::asio::awaitable<http::Response> search_vcons(store::CachedStore &store, std::string_view query) {
    const QueryString qs(query);
    QueryParams params;
    long long limit = 0, offset = 0;
    std::optional<http::Response> invalid = search_params(qs, params, limit, offset);
    http::Response res;
    if (invalid) {
        res = std::move(*invalid);
    } else {
        store::PgResult r = co_await store.query(kSearchSql, std::move(params));
        res = search_response(r, limit, offset);
    }
    co_return res;
}

} // namespace vcon_redis::server::rest
