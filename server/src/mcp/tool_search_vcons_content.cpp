// search_vcons_content: PostgreSQL full-text search over subjects, parties, dialog and analysis,
// as vcon-mcp's search_vcons_content (response_format snippets | metadata | ids_only | full,
// include_count, tags).
#include "mcp/jsonrpc.hpp"
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"
#include "mcp/vcon_reads.hpp"

#include <algorithm>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

// vcon-mcp reads at most this many distinct vCons for response_format "full".
constexpr std::size_t kMaxFullVcons = 20;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    ContentFilter filter{args.string("query", true), args.timestamp("start_date"), args.timestamp("end_date"),
                         std::nullopt};
    auto tags = args.tags("tags");
    const auto limit = args.integer("limit", 50, 1, kMaxSearchLimit);
    const std::string format =
        args.choice("response_format", {"full", "snippets", "metadata", "ids_only"}, "snippets");
    const bool include_count = args.boolean("include_count", false);
    args.reject_unknown();
    if (tags)
        filter.tags = to_text(*tags);

    SqlCall call = content_search_call(filter, limit);
    SqlCall count_call = content_count_call(filter); // both named before the co_awaits
    json rows = co_await sql_value(store, std::move(call));
    const std::size_t hits = rows.size(); // vcon-mcp's count: search rows, whatever the format
    json results = json::array();
    if (format == "ids_only") {
        for (const auto &row : rows)
            results.push_back(row.value("vcon_id", ""));
    } else if (format == "metadata") {
        for (const auto &row : rows)
            results.push_back({{"vcon_id", row.value("vcon_id", "")},
                               {"content_type", row.value("content_type", "")},
                               {"relevance_score", row.value("relevance_score", json())}});
    } else if (format == "full") {
        std::vector<std::string> uuids;
        for (const auto &row : rows) {
            std::string id = row.value("vcon_id", "");
            if (uuids.size() < kMaxFullVcons && std::find(uuids.begin(), uuids.end(), id) == uuids.end())
                uuids.push_back(std::move(id));
        }
        results = co_await read_vcons(std::move(uuids), store);
    } else {
        results = std::move(rows);
    }
    json out{
        {"success", true}, {"count", hits}, {"response_format", format}, {"results", std::move(results)}};
    if (include_count)
        out["total_count"] = co_await sql_value(store, std::move(count_call));
    co_return out;
}

} // namespace

Tool search_vcons_content_tool() {
    json input = search_input_schema(
        {{"query",
          {{"type", "string"},
           {"minLength", 1},
           {"description", "Words to search for (web-search syntax: quotes for phrases, OR, -word)"}}}},
        {50,
         "Maximum number of matches (default: 50; at most 100 rows are returned)",
         {"full", "snippets", "metadata", "ids_only"},
         "snippets",
         "Response format: \"snippets\" (matches with highlighted text), \"metadata\" (vcon_id, "
         "content_type, relevance_score), \"ids_only\" (just the vcon_ids), \"full\" (the complete vCons of "
         "the first 20 distinct matches)",
         "Include total_count, the number of distinct vCons that match"});
    input["required"] = {"query"};
    return Tool{
        json{{"name", "search_vcons_content"},
             {"title", "Search vCon content"},
             {"description", "Full-text keyword search in vCon subjects, parties, dialog (transcripts, "
                             "messages) and analysis. response_format \"snippets\" (default) returns one row "
                             "per matching field: vcon_id, content_type (subject, party, dialog, analysis), "
                             "content_index, relevance_score and a snippet, best matches first; a vCon can "
                             "appear more than once. Then read a hit with get_vcon(uuid, "
                             "response_format=\"summary\")."},
             {"inputSchema", std::move(input)},
             {"outputSchema", search_output_schema()},
             {"annotations", read_only_annotations("Search vCon content")}},
        &run,
        "response_format \"snippets\", \"metadata\" or \"ids_only\" instead of \"full\", more specific "
        "words, a "
        "date range, tags, or a lower limit.",
    };
}

} // namespace vcon_redis::server::mcp
