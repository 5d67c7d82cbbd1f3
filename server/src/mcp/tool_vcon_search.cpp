// vcon_search: vcon-mcp's unified search in the contract envelope {ok, items, page, meta}: metadata
// (filters) and keyword (full-text) modes, tag filters, include groups, an opaque offset cursor
// and a byte budget. Every item's document is read through the cache in one batch (get_many).
#include "mcp/contract.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"
#include "mcp/vcon_reads.hpp"
#include "views/vcon_views.hpp"

#include <algorithm>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

// search_vcons_content returns at most this many rows: the keyword window the cursor can walk.
constexpr int kKeywordWindow = 100;

struct Request {
    std::string mode;
    std::optional<std::string> query;
    std::optional<json> tags;
    std::optional<std::string> subject, party_name, party_email, party_tel, start_date, end_date;
    bool dealer_filter = false;
    std::vector<std::string> include;
    std::int64_t limit = 25;
    std::int64_t offset = 0;
    std::int64_t max_bytes = contract::kDefaultMaxResponseBytes;
};

Request parse(ToolArgs &args) {
    Request q;
    q.mode = args.choice("mode", {"metadata", "keyword", "semantic", "hybrid"}, "metadata");
    q.query = args.string("query");
    args.numbers("embedding", 4096);
    q.tags = args.tags("tags");
    ToolArgs filters = args.nested("filters");
    q.subject = filters.string("subject");
    q.start_date = filters.timestamp("start_date");
    q.end_date = filters.timestamp("end_date");
    q.party_name = filters.string("party_name");
    q.party_email = filters.string("party_email");
    q.party_tel = filters.string("party_tel");
    // both read (so that reject_unknown knows them), either refused below
    const bool dealer_id = filters.string("dealer_id").has_value();
    const bool dealer_name = filters.string("dealer_name").has_value();
    q.dealer_filter = dealer_id || dealer_name;
    filters.reject_unknown();
    q.include = contract::include_arg(args, contract::default_search_include());
    q.limit = args.integer("limit", 25, 1, 100);
    q.offset = contract::cursor_arg(args);
    q.max_bytes = contract::max_response_bytes_arg(args);
    args.number("threshold", 0.7, 0, 1);
    args.number("semantic_weight", 0.6, 0, 1);
    args.reject_unknown();
    return q;
}

std::optional<std::string> tags_text(const Request &q) {
    return q.tags ? std::optional<std::string>(to_text(*q.tags)) : std::nullopt;
}

MetadataFilter metadata_filter(const Request &q) {
    return {q.subject, q.party_name, q.party_email, q.party_tel, q.start_date, q.end_date, tags_text(q)};
}

ContentFilter content_filter(const Request &q) {
    return {q.query, q.start_date, q.end_date, tags_text(q)};
}

// Why a parsed request cannot be served ("" when it can); throws for the modes that need embeddings.
std::string invalid_reason(const Request &q) {
    if (q.mode == "semantic" || q.mode == "hybrid")
        throw ToolError(std::string("vcon_search mode \"") + q.mode + "\" " + no_embeddings_reason() +
                        " Use mode \"keyword\" (full-text) or \"metadata\" (filters and tags).");
    if (q.dealer_filter)
        return "filters.dealer_id and filters.dealer_name are not supported by this server (it has no "
               "strolid_dealer attachment filter); use tags or the other filters";
    if (q.mode == "keyword" && (!q.query || q.query->empty()))
        return "query is required for keyword mode";
    return {};
}

// One page of search results before the documents are read.
struct Page {
    std::vector<std::string> ids;  // the page's vCons, in order
    json searches = json::array(); // per id: the item's "search" member
    json page = json::object();    // the envelope's page member so far
    json ignored = json::array();  // filters keyword mode does not apply (as vcon-mcp)
    bool has_next = false;
};

boost::asio::awaitable<Page> metadata_page_of(const Request &q, VconStore &store) {
    Page p;
    SqlCall call = metadata_search_call(metadata_filter(q), q.limit, q.offset);
    json answer = co_await sql_value(store, std::move(call));
    auto found = metadata_page(std::move(answer));
    if (!found)
        throw ToolError("database returned an unexpected result");
    for (const auto &row : found->rows) {
        p.ids.push_back(row.value("uuid", ""));
        p.searches.push_back({{"mode", "metadata"}});
    }
    const std::int64_t total = found->total.value_or(0); // counted (metadata_search_call's default)
    p.page["total"] = total;
    p.has_next = total > q.offset + static_cast<std::int64_t>(p.ids.size());
    co_return p;
}

boost::asio::awaitable<Page> keyword_page_of(const Request &q, VconStore &store) {
    Page p;
    for (const auto &[name, value] :
         {std::pair{"subject", &q.subject}, std::pair{"party_name", &q.party_name},
          std::pair{"party_email", &q.party_email}, std::pair{"party_tel", &q.party_tel}})
        if (value->has_value())
            p.ignored.push_back(std::string("filters.") + name);
    SqlCall call = content_search_call(content_filter(q), kKeywordWindow);
    SqlCall count_call = content_count_call(content_filter(q));
    json rows = co_await sql_value(store, std::move(call));
    json total = co_await sql_value(store, std::move(count_call));
    // One item per vCon, at its best-ranked field (rows come best first).
    std::vector<const json *> best;
    for (const auto &row : rows) {
        const std::string id = row.value("vcon_id", "");
        if (std::none_of(best.begin(), best.end(),
                         [&](const json *b) { return b->value("vcon_id", "") == id; }))
            best.push_back(&row);
    }
    const auto from = std::min<std::size_t>(best.size(), static_cast<std::size_t>(q.offset));
    const auto to = std::min<std::size_t>(best.size(), from + static_cast<std::size_t>(q.limit));
    for (std::size_t i = from; i < to; ++i) {
        p.ids.push_back(best[i]->value("vcon_id", ""));
        p.searches.push_back({{"mode", "keyword"},
                              {"content_type", best[i]->value("content_type", json())},
                              {"content_index", best[i]->value("content_index", json())},
                              {"relevance_score", best[i]->value("relevance_score", json())},
                              {"snippet", best[i]->value("snippet", json())}});
    }
    p.page["total"] = total;
    if (total.is_number() && total.get<std::int64_t>() > static_cast<std::int64_t>(best.size()))
        p.page["iterable_total"] = best.size(); // beyond the ranked window no cursor can reach
    p.has_next = to < best.size();
    co_return p;
}

// The contract envelope of a page: its documents read through the cache in one batch, each item
// shaped by include, within the byte budget.
boost::asio::awaitable<json> envelope(const Request &q, Page p, VconStore &store) {
    std::vector<std::string> wanted = p.ids;
    json docs = co_await read_vcons(std::move(wanted), store);
    json items = json::array();
    for (const auto &doc : docs) {
        json item = contract_item(doc, q.include);
        auto at = std::find(p.ids.begin(), p.ids.end(), doc.value("uuid", ""));
        if (at != p.ids.end())
            item["search"] = p.searches[static_cast<std::size_t>(at - p.ids.begin())];
        items.push_back(std::move(item));
    }
    p.page["count"] = items.size();
    p.page["next_cursor"] = p.has_next ? json(contract::encode_cursor(q.offset + q.limit)) : json();
    json meta = {{"mode", q.mode},
                 {"include", q.include},
                 {"approximate_bytes", 0},
                 {"max_response_bytes", q.max_bytes}};
    if (static_cast<std::int64_t>(items.size()) < q.limit)
        meta["short_page_reason"] = q.mode == "keyword" && p.has_next ? "keyword_dedup_or_rank_window"
                                    : p.has_next                      ? "below_limit_more_results_exist"
                                                                      : "end_of_searchable_results";
    if (!p.ignored.empty())
        meta["ignored_filters"] = p.ignored;
    const std::size_t bytes =
        contract::json_bytes({{"ok", true}, {"items", items}, {"page", p.page}, {"meta", meta}});
    json out;
    if (static_cast<std::int64_t>(bytes) > q.max_bytes) {
        out =
            contract::too_large(bytes, q.max_bytes,
                                {"Lower limit to return fewer items per page.",
                                 "Narrow include to [\"core\",\"summary\"] or add tighter tag/date filters.",
                                 "Avoid attachments, dialog, and full analysis bodies in search results."});
        out["meta"] = {{"mode", q.mode}, {"include", q.include}, {"limit", q.limit}};
    } else {
        meta["approximate_bytes"] = bytes;
        out = {{"ok", true},
               {"items", std::move(items)},
               {"page", std::move(p.page)},
               {"meta", std::move(meta)}};
    }
    co_return out;
}

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    Request q;
    std::string invalid;
    try {
        q = parse(args);
    } catch (const ToolError &e) {
        invalid = e.what();
    }
    if (invalid.empty())
        invalid = invalid_reason(q);
    json out;
    if (!invalid.empty()) {
        out = contract::error("INVALID_ARGUMENT", invalid);
    } else {
        Page p;
        if (q.mode == "metadata")
            p = co_await metadata_page_of(q, store);
        else
            p = co_await keyword_page_of(q, store);
        out = co_await envelope(q, std::move(p), store);
    }
    co_return out;
}

} // namespace

Tool vcon_search_tool() {
    json filters = {
        {"type", "object"},
        {"description",
         "Structured metadata filters: subject, dates, party fields (dealer_id and dealer_name "
         "are accepted by name but not supported here)."},
        {"properties",
         {{"subject", string_property("Subject contains this text (case-insensitive)")},
          {"start_date", string_property("Created at or after this ISO 8601 date/date-time")},
          {"end_date", string_property("Created at or before this ISO 8601 date/date-time")},
          {"party_name", string_property("A party's name contains this text (case-insensitive)")},
          {"party_email", string_property("A party's mailto contains this text (case-insensitive)")},
          {"party_tel", string_property("A party's tel contains this text")},
          {"dealer_id", string_property("strolid_dealer attachment id (not supported by this server)")},
          {"dealer_name", string_property("strolid_dealer attachment name (not supported by this server)")}}},
    };
    json input = {
        {"type", "object"},
        {"properties",
         {{"mode",
           {{"type", "string"},
            {"enum", {"metadata", "keyword", "semantic", "hybrid"}},
            {"default", "metadata"},
            {"description", "Search behavior. Default: \"metadata\". semantic and hybrid need embeddings, "
                            "which this server does not have."}}},
          {"query", string_property("Free-text query for keyword mode (web-search syntax).")},
          {"embedding",
           {{"type", "array"},
            {"items", {{"type", "number"}}},
            {"description", "Precomputed embedding for semantic or hybrid search (not supported here)."}}},
          {"tags", tags_property(
                       "Tag filters applied before ranking. Example: {\"portal\":\"negative_experience\"}.")},
          {"filters", std::move(filters)},
          {"include",
           contract::include_property("Field groups to include per result item. Default: [\"core\", "
                                      "\"summary\"].")},
          {"limit",
           {{"type", "number"},
            {"minimum", 1},
            {"maximum", 100},
            {"default", 25},
            {"description", "Maximum number of items to return per page. Default: 25, max: 100."}}},
          {"cursor", string_property("Opaque cursor from a previous page.next_cursor value.")},
          {"max_response_bytes", contract::max_response_bytes_property()},
          {"threshold",
           {{"type", "number"},
            {"minimum", 0},
            {"maximum", 1},
            {"default", 0.7},
            {"description", "Semantic similarity threshold for mode=\"semantic\" (not supported here)."}}},
          {"semantic_weight",
           {{"type", "number"},
            {"minimum", 0},
            {"maximum", 1},
            {"default", 0.6},
            {"description", "Blend weight for mode=\"hybrid\" (not supported here)."}}}}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "vcon_search"},
             {"title", "Search vCons (contract)"},
             {"description",
              "Search vCons through one stable list envelope: {ok, items, page, meta}. mode=\"metadata\" for "
              "filter/tag browsing (newest first), mode=\"keyword\" for full-text search (best first, one "
              "item "
              "per vCon). Default include is [\"core\", \"summary\"]. Pagination uses cursor, not offset: "
              "pass "
              "page.next_cursor back exactly as returned. If the response would exceed max_response_bytes, "
              "the "
              "tool returns RESPONSE_TOO_LARGE with narrowing suggestions. Items are read from the Redis "
              "cache."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Search vCons (contract)")}},
        &run,
        "a lower limit, a smaller include (e.g. [\"core\",\"summary\"]) or a lower max_response_bytes.",
    };
}

} // namespace vcon_redis::server::mcp
