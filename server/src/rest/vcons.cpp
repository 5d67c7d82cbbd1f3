#include "rest/vcons.hpp"

#include "store/uuid.hpp"
#include "views/date_param.hpp"
#include "views/search_call.hpp"
#include "views/vcon_views.hpp"
#include "rest/query_string.hpp"
#include "store/text_param.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <memory>

namespace vcon_redis::server::rest {
namespace {

constexpr int kDefaultLimit = 50;

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

// A near hit's format=full answer: the near cache's bytes are sent as they are, not copied.
http::Response near_hit_response(std::shared_ptr<const std::string> doc) {
    http::Response res = http::json_response(200, std::string(kVconBodyHead));
    res.borrowed = std::move(doc);
    res.tail = kVconBodyTail;
    res.set("X-Cache", to_string(CacheStatus::Hit));
    return res;
}

http::Response vcon_response(const VconResult &r, const std::string &uuid, const std::string &format) {
    switch (r.status) {
    case VconResult::Status::Found: {
        if (format == "full") {
            std::string body;
            body.reserve(kVconBodyHead.size() + r.json.size() + kVconBodyTail.size());
            body.append(kVconBodyHead).append(r.json).append(kVconBodyTail);
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

// One co_return at function scope (docs/internals.md, g++ 12 coroutine rule).
boost::asio::awaitable<http::Response> get_vcon(store::CachedStore &store, std::string_view uuid_text,
                                                std::string_view query) {
    const auto uuid = canonical_uuid(uuid_text);
    const QueryString qs(query);
    const std::string format = qs.get("format").value_or("full");
    http::Response res;
    VconResult r;
    std::shared_ptr<const std::string> near;
    if (!uuid) {
        res = bad_request("malformed uuid: expected 8-4-4-4-12 hexadecimal digits");
    } else if (format != "full" && format != "metadata" && format != "summary") {
        res = bad_request("format must be full, metadata or summary");
    } else if (format == "full" && (near = store.near_hit(*uuid))) {
        res = near_hit_response(std::move(near));
    } else {
        r = co_await store.get(*uuid);
        res = vcon_response(r, *uuid, format);
        res.set("X-Cache", to_string(r.cache));
    }
    co_return res;
}

// The validated filter, page and include_count of a search, or the 400 to answer.
static std::optional<http::Response> search_params(const QueryString &qs, MetadataFilter &filter,
                                                   long long &limit, long long &offset, bool &with_count) {
    limit = kDefaultLimit;
    offset = 0;
    with_count = false;
    if (auto v = qs.get("include_count")) {
        if (*v != "true" && *v != "false")
            return bad_request("include_count must be true or false");
        with_count = *v == "true";
    }
    if (auto v = qs.get("limit")) {
        auto n = parse_int(*v);
        if (!n || *n < 1 || *n > kMaxSearchLimit)
            return bad_request("limit must be an integer from 1 to " + std::to_string(kMaxSearchLimit));
        limit = *n;
    }
    if (auto v = qs.get("offset")) {
        auto n = parse_int(*v);
        if (!n || *n < 0 || *n > 2147483647)
            return bad_request("offset must be a non-negative integer");
        offset = *n;
    }
    for (auto [name, field] :
         {std::pair{"subject", &filter.subject}, std::pair{"party_name", &filter.party_name},
          std::pair{"party_email", &filter.party_email}, std::pair{"party_tel", &filter.party_tel}}) {
        auto v = qs.get(name);
        if (v)
            if (auto problem = text_param_problem(*v); !problem.empty())
                return bad_request(std::string(name) + " " + problem);
        *field = v && !v->empty() ? v : std::nullopt;
    }
    for (auto [name, field] :
         {std::pair{"start_date", &filter.start_date}, std::pair{"end_date", &filter.end_date}}) {
        auto v = qs.get(name);
        if (!v || v->empty())
            continue;
        if (auto problem = date_param_problem(*v); !problem.empty())
            return bad_request(std::string(name) + " " + problem);
        *field = date_param_utc(*v);
    }
    return std::nullopt;
}

static http::Response search_response(const store::PgResult &r, long long limit, long long offset,
                                      bool with_count) {
    if (r.kind == store::PgResult::Kind::Unavailable) {
        auto res = http::json_error(503, "unavailable", r.error.empty() ? "database unavailable" : r.error);
        res.set(http::bhttp::field::retry_after, "1");
        return res;
    }
    // Inputs are validated, so an error is a server-side problem (e.g. the extension is not attached).
    if (r.kind == store::PgResult::Kind::QueryError)
        return http::json_error(500, "database_error", r.error);
    const auto page = metadata_page(nlohmann::json::parse(
        r.kind == store::PgResult::Kind::Row ? r.value : std::string(), nullptr, false));
    if (!page || (with_count && !page->total))
        return http::json_error(500, "internal_error", "bad search result");
    // total only when counted (include_count=true): the count reads every match.
    const std::string total = with_count ? ",\"total\":" + std::to_string(*page->total) : std::string();
    std::string body = "{\"success\":true,\"data\":" + page->rows.dump() +
                       ",\"pagination\":{\"limit\":" + std::to_string(limit) +
                       ",\"offset\":" + std::to_string(offset) + total +
                       ",\"has_more\":" + (page->has_more ? "true" : "false") + "}}";
    return http::json_response(200, std::move(body));
}

boost::asio::awaitable<http::Response> search_vcons(store::CachedStore &store, std::string_view query) {
    const QueryString qs(query);
    MetadataFilter filter;
    long long limit = 0, offset = 0;
    bool with_count = false;
    std::optional<http::Response> invalid = search_params(qs, filter, limit, offset, with_count);
    http::Response res;
    if (invalid) {
        res = std::move(*invalid);
    } else {
        SqlCall call = metadata_search_call(filter, limit, offset, with_count);
        store::PgResult r = co_await store.query(std::move(call.sql), std::move(call.params));
        res = search_response(r, limit, offset, with_count);
    }
    co_return res;
}

} // namespace vcon_redis::server::rest
