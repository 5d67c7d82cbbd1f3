// search_vcons: metadata search (subject, party, creation date, tags), newest first, as vcon-mcp's
// search_vcons (response_format metadata | full | ids_only, include_count), plus `offset` paging.
#include "mcp/jsonrpc.hpp"
#include "mcp/sql_rows.hpp"
#include "mcp/tool.hpp"
#include "mcp/vcon_reads.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    MetadataFilter filter{args.string("subject"),
                          args.string("party_name"),
                          args.string("party_email"),
                          args.string("party_tel"),
                          args.timestamp("start_date"),
                          args.timestamp("end_date"),
                          std::nullopt};
    auto tags = args.tags("tags");
    const auto limit = args.integer("limit", 10, 1, kMaxSearchLimit);
    const auto offset = args.integer("offset", 0, 0, 1'000'000'000);
    const std::string format = args.choice("response_format", {"full", "metadata", "ids_only"}, "metadata");
    const bool include_count = args.boolean("include_count", false);
    args.reject_unknown();
    if (tags)
        filter.tags = to_text(*tags);

    // The count of all matches only when asked: it reads every match.
    SqlCall call = metadata_search_call(filter, limit, offset, include_count); // named before the co_await
    json answer = co_await sql_value(store, std::move(call));
    auto page = metadata_page(std::move(answer));
    if (!page)
        throw ToolError("database returned an unexpected result");
    std::vector<std::string> uuids;
    for (const auto &row : page->rows)
        uuids.push_back(row.value("uuid", ""));
    json results;
    if (format == "ids_only")
        results = uuids;
    else if (format == "full")
        results = co_await read_vcons(std::move(uuids), store);
    else
        results = std::move(page->rows);
    json out{{"success", true},
             {"count", results.size()},
             {"response_format", format},
             {"results", std::move(results)}};
    if (include_count && page->total)
        out["total_count"] = *page->total; // every match, also past the last page (as REST's total)
    co_return out;
}

} // namespace

Tool search_vcons_tool() {
    json input = search_input_schema(
        {{"subject", string_property("Search by subject (case-insensitive partial match)")},
         {"party_name", string_property("Search by party name (case-insensitive partial match)")},
         {"party_email", string_property("Search by party email address (case-insensitive partial match)")},
         {"party_tel", string_property("Search by party telephone number (partial match)")},
         {"offset",
          {{"type", "integer"},
           {"minimum", 0},
           {"default", 0},
           {"description", "Number of results to skip (paging; an addition to vcon-mcp's parameters)"}}}},
        {10,
         "Maximum number of results to return (default: 10)",
         {"full", "metadata", "ids_only"},
         "metadata",
         "Response format: \"full\" (complete vCons), \"metadata\" (summary info), \"ids_only\" (just UUIDs)",
         "Include total_count, the number of all matching vCons"});
    return Tool{
        json{{"name", "search_vcons"},
             {"title", "Search vCons"},
             {"description",
              "Search for vCons by subject, party name/email/phone, creation date range and tags. All "
              "filters are optional and combined with AND; newest first. response_format \"metadata\" "
              "(default) returns uuid, subject, created_at and member counts per vCon, \"ids_only\" just "
              "the UUIDs, \"full\" the whole documents (from the cache). include_count adds total_count "
              "for paging with offset. For full-text search of conversation content use "
              "search_vcons_content."},
             {"inputSchema", std::move(input)},
             {"outputSchema", search_output_schema()},
             {"annotations", read_only_annotations("Search vCons")}},
        &run,
        "response_format \"metadata\" or \"ids_only\" instead of \"full\", add filters (subject, party, a "
        "date "
        "range, tags), lower limit, or page with offset.",
    };
}

} // namespace vcon_redis::server::mcp
