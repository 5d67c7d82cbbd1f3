#include "mcp/resources.hpp"

#include "mcp/jsonrpc.hpp"
#include "mcp/sql_rows.hpp"
#include "mcp/vcon_reads.hpp"
#include "views/vcon_views.hpp"
#include "store/uuid.hpp"
#include "text/percent.hpp"

#include <array>
#include <charconv>
#include <string_view>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

constexpr std::string_view kVcons = "vcon://v1/vcons/";

json resource(const char *uri, const char *name, const char *description) {
    return {{"uri", uri}, {"name", name}, {"description", description}, {"mimeType", "application/json"}};
}

json resource_template(const char *uri, const char *name, const char *description) {
    return {
        {"uriTemplate", uri}, {"name", name}, {"description", description}, {"mimeType", "application/json"}};
}

// Decimal digits only, no sign, no leading '+'.
std::optional<long> number(std::string_view s) {
    long n = 0;
    if (s.empty() || s.size() > 9)
        return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return n;
}

std::string percent_decoded(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const int b = text::percent_escape_byte(s, i);
        if (b >= 0) {
            out.push_back(static_cast<char>(b));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// "[/N]" at the end of a list URI: N clamped to `max` (as vcon-mcp), default `fallback`.
std::optional<int> list_limit(std::string_view rest, int fallback, int max) {
    if (rest.empty())
        return fallback;
    if (rest.front() != '/')
        return std::nullopt;
    auto n = number(rest.substr(1));
    if (!n || *n < 1)
        return std::nullopt;
    return static_cast<int>(std::min<long>(*n, max));
}

ReadOutcome failure(int code, std::string message, json data = nullptr) {
    ReadOutcome out;
    out.error_code = code;
    out.error_message = std::move(message);
    out.error_data = std::move(data);
    return out;
}

ReadOutcome not_found(const std::string &uri, std::string message) {
    return failure(rpc_error::resource_not_found, std::move(message), json{{"uri", uri}});
}

// The outcome for a resource text, or the size refusal.
ReadOutcome contents(const std::string &uri, std::string text, const ToolLimits &limits, std::size_t reserved,
                     const char *advice) {
    static constexpr std::string_view frame =
        R"({"contents":[{"mimeType":"application/json","text":,"uri":}]})";
    // An escaped copy is never shorter: twice the text bounds it before it is measured exactly.
    const std::size_t body =
        2 * text.size() + 2 < limits.max_message_bytes ? json_string_size(text) : 2 * text.size() + 2;
    const std::size_t size = reserved + frame.size() + json_string_size(uri) + body;
    if (size > limits.max_message_bytes)
        return failure(rpc_error::invalid_params, too_large_message(size, limits.max_message_bytes) + advice,
                       json{{"uri", uri}, {"bytes", size}, {"limit", limits.max_message_bytes}});
    ReadOutcome out;
    out.result =
        json{{"contents",
              json::array({{{"uri", uri}, {"mimeType", "application/json"}, {"text", std::move(text)}}})}};
    return out;
}

json entries_where(const json &doc, const char *array, const char *member, const std::string &value) {
    json out = json::array();
    auto it = doc.find(array);
    if (it == doc.end() || !it->is_array())
        return out;
    for (const auto &e : *it) {
        auto m = e.is_object() ? e.find(member) : e.end();
        if (e.is_object() && m != e.end() && m->is_string() && m->get_ref<const std::string &>() == value)
            out.push_back(e);
    }
    return out;
}

json member_array(const json &doc, const char *name) {
    auto it = doc.find(name);
    return it != doc.end() ? *it : json::array();
}

// The view of one vCon a sub-resource asks for (vcon-mcp's shapes).
json vcon_part(json doc, const ResourceRoute &r) {
    if (r.part == "metadata") {
        for (const char *m : {"parties", "dialog", "analysis", "attachments"})
            doc.erase(m);
        return doc;
    }
    if (r.part == "parties" || r.part == "dialog" || r.part == "analysis" || r.part == "attachments")
        return {{r.part, member_array(doc, r.part.c_str())}};
    if (r.part == "attachments/type" || r.part == "attachments/purpose") {
        const char *member = r.part == "attachments/type" ? "type" : "purpose";
        json found = entries_where(doc, "attachments", member, r.filter);
        return {{"count", found.size()}, {member, r.filter}, {"attachments", std::move(found)}};
    }
    if (r.part == "analysis/type") {
        json found = entries_where(doc, "analysis", "type", r.filter);
        return {{"count", found.size()}, {"type", r.filter}, {"analysis", std::move(found)}};
    }
    if (r.part == "transcript" || r.part == "summary") {
        json found = entries_where(doc, "analysis", "type", r.part);
        return {{"count", found.size()},
                {r.part == "transcript" ? "transcripts" : "summaries", std::move(found)}};
    }
    return {{"tags", vcon_tags(doc)}}; // "tags"
}

boost::asio::awaitable<json> list_ids(const ResourceRoute &r, VconStore &store) {
    // Named, not a temporary (docs/internals.md, g++ 12 coroutine rule).
    static const std::string call = "vcon_redis.vcon_ids($1::int, $2::timestamptz, $3::uuid)";
    QueryParams params{std::to_string(r.kind == ResourceRoute::Kind::Ids ? r.limit + 1 : r.limit)};
    params.push_back(r.after_created);
    params.push_back(r.after_uuid);
    json rows = co_await sql_rows(store, call, std::move(params));
    json out;
    if (r.kind == ResourceRoute::Kind::Ids) {
        const bool more = rows.size() > static_cast<std::size_t>(r.limit);
        if (more)
            rows.erase(rows.end() - 1);
        json next = nullptr;
        if (more && !rows.empty())
            next = rows.back().value("created_at", "") + "," + rows.back().value("uuid", "");
        out = {{"count", rows.size()},
               {"limit", r.limit},
               {"has_more", more},
               {"next_cursor", next},
               {"vcons", rows}};
    } else if (r.kind == ResourceRoute::Kind::RecentIds) {
        out = {{"count", rows.size()}, {"limit", r.limit}, {"vcons", rows}};
    } else {
        std::vector<std::string> uuids;
        for (const auto &row : rows)
            uuids.push_back(row.value("uuid", ""));
        json docs = co_await read_vcons(std::move(uuids), store);
        out = {{"count", docs.size()}, {"limit", r.limit}, {"vcons", std::move(docs)}};
    }
    co_return out;
}

boost::asio::awaitable<json> discovery(const ResourceRoute &r, VconStore &store) {
    static const std::string call = "vcon_redis.distinct_values($1::text)";
    static const std::string shape_sql = "SELECT vcon_redis.shape_graph()";
    json out;
    if (r.kind == ResourceRoute::Kind::Shape) {
        QueryParams none;
        QueryResult shape = co_await store.query_json(shape_sql, std::move(none));
        if (!shape.ok)
            throw ToolError("database query failed: " + shape.error);
        out = json::parse(shape.json, nullptr, false);
    } else {
        const char *kind = r.kind == ResourceRoute::Kind::AttachmentTypes      ? "attachment_type"
                           : r.kind == ResourceRoute::Kind::AttachmentPurposes ? "attachment_purpose"
                                                                               : "analysis_type";
        QueryParams params{std::string(kind)};
        json rows = co_await sql_rows(store, call, std::move(params));
        const char *member = r.kind == ResourceRoute::Kind::AttachmentTypes      ? "attachment_types"
                             : r.kind == ResourceRoute::Kind::AttachmentPurposes ? "attachment_purposes"
                                                                                 : "analysis_types";
        out = {{"count", rows.size()}, {member, std::move(rows)}};
    }
    co_return out;
}

} // namespace

json list_resources_result() {
    return json{
        {"resources",
         json::array(
             {resource(
                  "vcon://v1/vcons/recent", "Get recent vCons",
                  "The most recently created vCons, whole documents (from the cache). Default 10; "
                  "vcon://v1/vcons/recent/25 for another number (max 100). For filters use search_vcons or "
                  "search_by_tags."),
              resource("vcon://v1/vcons/recent/ids", "Get recent vCon IDs",
                       "uuid, created_at and subject of the most recent vCons. Default 10; "
                       "vcon://v1/vcons/recent/ids/25 for another number (max 100)."),
              resource("vcon://v1/vcons/ids", "List all vCon IDs",
                       "Every vCon's uuid, created_at and subject, newest first, by pages. Default 100; "
                       "vcon://v1/vcons/ids/500 for another page size (max 1000); next page: "
                       "vcon://v1/vcons/ids/{N}/after/{next_cursor} with next_cursor from the response."),
              resource(
                  "vcon://v1/discovery/attachments/types", "Discover legacy attachment types",
                  "The attachment type values in the database with their counts (legacy; prefer purposes)."),
              resource("vcon://v1/discovery/attachments/purposes", "Discover attachment purposes",
                       "The attachment purpose values in the database with their counts."),
              resource("vcon://v1/discovery/analysis/types", "Discover analysis types",
                       "The analysis type values in the database with their counts."),
              resource(
                  "vcon://v1/graph/shape", "vCon shape graph (OSS)",
                  "Corpus-level graph of the vCon structure: analysis types, attachment purposes, legacy "
                  "attachment types without purpose, tag keys, and co-occurrence edges (analysis type with "
                  "attachment purpose). Same payload as the vcon_graph_shape tool's item.")})}};
}

json list_resource_templates_result() {
    return json{
        {"resourceTemplates",
         json::array(
             {resource_template("vcon://v1/vcons/{uuid}", "vcon",
                                "A whole vCon document (JSON), served from the Redis cache when possible"),
              resource_template("vcon://v1/vcons/{uuid}/metadata", "Get vCon metadata",
                                "The vCon without its parties, dialog, analysis and attachments arrays"),
              resource_template("vcon://v1/vcons/{uuid}/parties", "Get vCon parties", "{parties: […]}"),
              resource_template("vcon://v1/vcons/{uuid}/dialog", "Get vCon dialog", "{dialog: […]}"),
              resource_template("vcon://v1/vcons/{uuid}/analysis", "Get vCon analysis", "{analysis: […]}"),
              resource_template("vcon://v1/vcons/{uuid}/attachments", "Get vCon attachments",
                                "{attachments: […]}"),
              resource_template("vcon://v1/vcons/{uuid}/attachments/type/{type}",
                                "Get attachments by legacy type",
                                "{count, type, attachments}: the attachments whose type is {type}"),
              resource_template("vcon://v1/vcons/{uuid}/attachments/purpose/{purpose}",
                                "Get attachments by purpose",
                                "{count, purpose, attachments}: the attachments whose purpose is {purpose}"),
              resource_template("vcon://v1/vcons/{uuid}/analysis/type/{type}", "Get analysis by type",
                                "{count, type, analysis}: the analysis entries whose type is {type}"),
              resource_template("vcon://v1/vcons/{uuid}/transcript", "Get vCon transcript",
                                "{count, transcripts}: the analysis entries of type transcript"),
              resource_template("vcon://v1/vcons/{uuid}/summary", "Get vCon summary",
                                "{count, summaries}: the analysis entries of type summary"),
              resource_template("vcon://v1/vcons/{uuid}/tags", "Get vCon tags",
                                "{tags: {key: value}}: the vCon's tags")})}};
}

std::optional<ResourceRoute> route_resource(const std::string &uri) {
    ResourceRoute r;
    std::string_view v(uri);
    if (v == "vcon://v1/discovery/attachments/types")
        r.kind = ResourceRoute::Kind::AttachmentTypes;
    else if (v == "vcon://v1/discovery/attachments/purposes")
        r.kind = ResourceRoute::Kind::AttachmentPurposes;
    else if (v == "vcon://v1/discovery/analysis/types")
        r.kind = ResourceRoute::Kind::AnalysisTypes;
    else if (v == "vcon://v1/graph/shape")
        r.kind = ResourceRoute::Kind::Shape;
    if (r.kind != ResourceRoute::Kind::Vcon)
        return r;
    if (!v.starts_with(kVcons))
        return std::nullopt;
    v.remove_prefix(kVcons.size());
    std::optional<int> limit;
    if (v.starts_with("recent/ids") && (v.size() == 10 || v[10] == '/')) {
        r.kind = ResourceRoute::Kind::RecentIds;
        limit = list_limit(v.substr(10), 10, 100);
    } else if (v.starts_with("recent") && (v.size() == 6 || v[6] == '/')) {
        r.kind = ResourceRoute::Kind::Recent;
        limit = list_limit(v.substr(6), 10, 100);
    } else if (v.starts_with("ids") && (v.size() == 3 || v[3] == '/')) {
        r.kind = ResourceRoute::Kind::Ids;
        std::string_view rest = v.substr(3);
        if (auto at = rest.find("/after/"); at != std::string_view::npos) {
            if (at + 7 == rest.size())
                return std::nullopt;
            // Our cursor is "<created_at>,<uuid>"; vcon-mcp's, a timestamp alone, is taken too.
            const std::string after = percent_decoded(rest.substr(at + 7));
            const auto comma = after.rfind(',');
            r.after_created = after.substr(0, comma);
            if (comma != std::string::npos) {
                r.after_uuid = canonical_uuid(std::string_view(after).substr(comma + 1));
                if (!r.after_uuid)
                    return std::nullopt;
            }
            rest = rest.substr(0, at);
        }
        limit = list_limit(rest, 100, 1000);
    } else {
        const auto slash = v.find('/');
        auto uuid = canonical_uuid(v.substr(0, slash));
        if (!uuid)
            return std::nullopt;
        r.uuid = *uuid;
        std::string_view part = slash == std::string_view::npos ? std::string_view() : v.substr(slash + 1);
        static constexpr std::array<std::string_view, 9> plain{
            "", "metadata", "parties", "dialog", "analysis", "attachments", "transcript", "summary", "tags"};
        static constexpr std::array<std::string_view, 3> filtered{"attachments/type/", "attachments/purpose/",
                                                                  "analysis/type/"};
        if (std::find(plain.begin(), plain.end(), part) != plain.end()) {
            r.part = std::string(part);
            return r;
        }
        for (std::string_view f : filtered)
            if (part.starts_with(f) && part.size() > f.size()) {
                r.part = std::string(f.substr(0, f.size() - 1));
                r.filter = percent_decoded(part.substr(f.size()));
                return r;
            }
        return std::nullopt;
    }
    if (!limit)
        return std::nullopt;
    r.limit = *limit;
    return r;
}

// One function-scope outcome and one co_return (docs/internals.md, g++ 12 coroutine rule).
boost::asio::awaitable<ReadOutcome> read_resource(const std::string &uri, VconStore &store,
                                                  const ToolLimits &limits, std::size_t reserved) {
    ReadOutcome out;
    std::optional<ResourceRoute> route = route_resource(uri);
    std::string failed; // a ToolError's message: the store or the database could not answer
    if (!route) {
        out = not_found(
            uri, "Resource not found: " + uri +
                     " (served: vcon://v1/vcons/{uuid}[/part], vcon://v1/vcons/recent[/ids][/N], "
                     "vcon://v1/vcons/ids[/N][/after/X], vcon://v1/discovery/…, vcon://v1/graph/shape)");
    } else if (route->kind == ResourceRoute::Kind::Vcon) {
        VconResult r = co_await store.get(route->uuid);
        if (r.status == VconResult::Status::NotFound) {
            out = not_found(uri, "Resource not found: vCon " + route->uuid + " does not exist");
        } else if (r.status == VconResult::Status::Unavailable) {
            out = failure(rpc_error::internal_error, unavailable_message(r));
        } else if (route->part.empty()) {
            out = contents(uri, std::move(r.json), limits, reserved,
                           "read a part (vcon://v1/vcons/{uuid}/metadata, /summary, /parties, …) or use the "
                           "get_vcon tool with response_format \"metadata\" or \"summary\".");
        } else {
            json doc = json::parse(r.json, nullptr, false);
            if (doc.is_discarded() || !doc.is_object())
                out = failure(rpc_error::internal_error,
                              "vCon " + route->uuid + " is not stored as a JSON object");
            else
                out = contents(uri, to_text(vcon_part(std::move(doc), *route)), limits, reserved,
                               "read a narrower part (e.g. /summary or /analysis/type/{type}).");
        }
    } else {
        json body;
        try {
            if (route->kind == ResourceRoute::Kind::Recent || route->kind == ResourceRoute::Kind::RecentIds ||
                route->kind == ResourceRoute::Kind::Ids)
                body = co_await list_ids(*route, store);
            else
                body = co_await discovery(*route, store);
        } catch (const ToolError &e) {
            failed = e.what();
        }
        if (!failed.empty())
            out = failure(rpc_error::internal_error, failed);
        else
            out =
                contents(uri, to_text(body), limits, reserved,
                         "ask for fewer (e.g. vcon://v1/vcons/recent/ids/10, or vcon://v1/vcons/recent/3).");
    }
    co_return out;
}

} // namespace vcon_redis::server::mcp
