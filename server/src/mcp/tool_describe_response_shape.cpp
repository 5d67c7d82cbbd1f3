// describe_response_shape: the result shape of a tool as JSON Schema plus an example, in vcon-mcp's
// {ok, item} / {ok, items, page} envelopes.
#include "mcp/tool.hpp"

#include <algorithm>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

// tool_name → {summary, response_schema, example[, notes]}, in vcon-mcp's order.
const json &descriptors() {
    static const json d = json::parse(R"JSON([
 {"tool_name":"vcon_fetch","summary":"One vCon in the stable {ok, item, meta} envelope with include groups; item.id is the identifier.",
  "response_schema":{"type":"object","required":["ok","item"],"properties":{"ok":{"type":"boolean","const":true},
   "item":{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"vcon_version":{"type":"string"},
    "created_at":{"type":"string"},"updated_at":{"type":["string","null"]},"subject":{"type":["string","null"]},
    "parties":{"type":"array"},"summary":{"type":"array"},"dealer":{"type":["object","null"]},"tags":{"type":"object"},
    "counts":{"type":"object"},"dialog":{"type":"array"},"analysis":{"type":"array"},"attachments":{"type":"array"}}},
   "meta":{"type":"object","properties":{"include":{"type":"array","items":{"type":"string"}},"approximate_bytes":{"type":"number"},"max_response_bytes":{"type":"number"}}}}},
  "example":{"ok":true,"item":{"id":"11111111-1111-4111-8111-111111111111","vcon_version":"0.3.0","created_at":"2025-05-11T14:00:00+00:00",
   "subject":"Billing question","parties":[{"name":"Customer"},{"name":"Agent"}],
   "summary":[{"type":"summary","vendor":"example","body":"The customer asked about a duplicate charge."}]},
   "meta":{"include":["core","parties","summary"],"approximate_bytes":412,"max_response_bytes":250000}},
  "notes":["Oversized responses are {ok:false, error:{code:\"RESPONSE_TOO_LARGE\", approximate_bytes, max_response_bytes, suggestions}}."]},
 {"tool_name":"vcon_taxonomy","summary":"Guidance read from this database: portal tag values, common tag keys, attachment kinds, coverage.",
  "response_schema":{"type":"object","required":["ok","item"],"properties":{"ok":{"type":"boolean","const":true},
   "item":{"type":"object","properties":{"portal_values":{"type":"array"},"common_tags":{"type":"array"},"attachment_kinds":{"type":"array"},
    "preferred_sources":{"type":"array"},"query_recipes":{"type":"array"},"coverage":{"type":"object"}}}}},
  "example":{"ok":true,"item":{"portal_values":[{"value":"negative_experience","vcon_count":12}],"common_tags":[{"key":"portal","vcon_count":40}],
   "coverage":{"vcons_total":100,"vcons_with_tags":40,"vcons_with_strolid_dealer":0}}}},
 {"tool_name":"vcon_capabilities","summary":"Supported include groups, search modes, pagination and byte budgets.",
  "response_schema":{"type":"object","required":["ok","item"],"properties":{"ok":{"type":"boolean","const":true},
   "item":{"type":"object","properties":{"tools":{"type":"array"},"shape_graph":{"type":"object"},"response_budgeting":{"type":"object"},
    "fetch":{"type":"object"},"search":{"type":"object"},"pagination":{"type":"object"}}}}},
  "example":{"ok":true,"item":{"search":{"modes":["metadata","keyword"],"max_limit":100},"pagination":{"strategy":"opaque cursor"}}}},
 {"tool_name":"vcon_graph_shape","summary":"Corpus shape graph: nodes (analysis types, attachment purposes, legacy types, tag keys) and co-occurrence edges.",
  "response_schema":{"type":"object","required":["ok","item"],"properties":{"ok":{"type":"boolean","const":true},
   "item":{"type":"object","required":["schema_version","generated_at","corpus","nodes","edges"]}}},
  "example":{"ok":true,"item":{"schema_version":"1.0.0","generated_at":"2025-05-11T14:00:00.000Z","corpus":{"vcons_with_tags_mv":40,"notes":[]},
   "nodes":[{"id":"analysis_type:summary","kind":"analysis_type","label":"summary","vcon_count":80}],
   "edges":[{"id":"edge:analysis_type_with_attachment_purpose:summary:tags","kind":"analysis_type_with_attachment_purpose",
     "source":"analysis_type:summary","target":"attachment_purpose:tags","joint_vcon_count":35}]}},
  "notes":["Same JSON as the resource vcon://v1/graph/shape."]},
 {"tool_name":"vcon_search","summary":"Unified search with the stable {ok, items, page, meta} envelope (metadata and keyword modes).",
  "response_schema":{"type":"object","required":["ok","items","page"],"properties":{"ok":{"type":"boolean","const":true},
   "items":{"type":"array","items":{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"subject":{"type":["string","null"]},
    "summary":{"type":"array"},"search":{"type":"object"}}}},
   "page":{"type":"object","required":["count"],"properties":{"count":{"type":"number"},"total":{"type":"number"},"iterable_total":{"type":"number"},
    "next_cursor":{"type":["string","null"]}}}}},
  "example":{"ok":true,"items":[{"id":"11111111-1111-4111-8111-111111111111","subject":"Billing question","summary":[],
   "search":{"mode":"keyword","content_type":"dialog","content_index":0,"relevance_score":0.4,"snippet":"a <b>duplicate</b> charge"}}],
   "page":{"count":1,"total":1,"next_cursor":null},"meta":{"mode":"keyword","include":["core","summary"],"approximate_bytes":300,"max_response_bytes":250000,
   "short_page_reason":"end_of_searchable_results"}},
  "notes":["Cursor is opaque. Pass page.next_cursor back unchanged.","Keyword mode: page.iterable_total caps how far cursors can walk when more vCons match than the ranked window holds."]},
 {"tool_name":"vcon_aggregate","summary":"Dealer-level rollups: filtered_count (matching tags) and baseline_count per strolid_dealer id.",
  "response_schema":{"type":"object","required":["ok","item"],"properties":{"ok":{"type":"boolean","const":true},
   "item":{"type":"object","required":["group_by","rows"],"properties":{"group_by":{"type":"string","const":"dealer"},
    "rows":{"type":"array","items":{"type":"object","properties":{"dealer_id":{"type":"string"},"dealer_name":{"type":["string","null"]},
     "team_id":{"type":["integer","null"]},"team_name":{"type":["string","null"]},"filtered_count":{"type":"number"},"baseline_count":{"type":"number"}}}}}}}},
  "example":{"ok":true,"item":{"group_by":"dealer","rows":[{"dealer_id":"1174","dealer_name":"Example Motors","team_id":8,"team_name":"Purple Team","filtered_count":42,"baseline_count":600}]}}},
 {"tool_name":"describe_response_shape","summary":"Schema discovery for the tools' results.",
  "response_schema":{"type":"object","required":["ok","item"],"properties":{"ok":{"type":"boolean","const":true},
   "item":{"type":"object","properties":{"tool_name":{"type":"string"},"response_schema":{"type":"object"},"example":{"type":"object"}}}}},
  "example":{"ok":true,"item":{"tool_name":"get_vcon","response_schema":{"type":"object"},"example":{"success":true,"vcon":{}}}}},
 {"tool_name":"get_vcon","summary":"One vCon: {success, vcon}; response_format full, summary or metadata changes what vcon holds.",
  "response_schema":{"type":"object","required":["success","vcon"],"properties":{"success":{"type":"boolean","const":true},"vcon":{"type":"object"}}},
  "example":{"success":true,"vcon":{"uuid":"11111111-1111-4111-8111-111111111111","subject":"Support call"}}},
 {"tool_name":"search_vcons","summary":"Metadata search: {success, count, response_format, results[, total_count]}.",
  "response_schema":{"type":"object","required":["success","count","results"],"properties":{"success":{"type":"boolean","const":true},
   "count":{"type":"number"},"response_format":{"type":"string"},"total_count":{"type":"number"},"results":{"type":"array"}}},
  "example":{"success":true,"count":1,"response_format":"metadata","total_count":187,"results":[{"uuid":"11111111-1111-4111-8111-111111111111",
   "subject":"Support call","created_at":"2025-05-11T14:00:00+00:00","parties_count":2,"dialog_count":1,"analysis_count":1,"attachments_count":1}]}},
 {"tool_name":"search_by_tags","summary":"Tag search: {success, count, tags_searched, vcon_uuids[, vcons], message}.",
  "response_schema":{"type":"object","required":["success","count","vcon_uuids"],"properties":{"success":{"type":"boolean","const":true},
   "count":{"type":"number"},"tags_searched":{"type":"object"},"vcon_uuids":{"type":"array","items":{"type":"string"}},"vcons":{"type":"array"},"message":{"type":"string"}}},
  "example":{"success":true,"count":1,"tags_searched":{"department":"sales"},"vcon_uuids":["11111111-1111-4111-8111-111111111111"]},
  "notes":["return_full_vcons adds the vcons field (at most max_full_vcons)."]},
 {"tool_name":"search_vcons_content","summary":"Keyword search: {success, count, response_format, results[, total_count]} with format-specific rows.",
  "response_schema":{"type":"object","required":["success","count","results"],"properties":{"success":{"type":"boolean","const":true},
   "count":{"type":"number"},"response_format":{"type":"string"},"total_count":{"type":"number"},"results":{"type":"array"}}},
  "example":{"success":true,"count":1,"response_format":"snippets","results":[{"vcon_id":"11111111-1111-4111-8111-111111111111",
   "content_type":"dialog","content_index":0,"relevance_score":0.4,"snippet":"an <b>upset</b> customer"}]}},
 {"tool_name":"search_vcons_semantic","summary":"Not available on this server (needs embeddings): every call is an isError result.",
  "response_schema":{"type":"object","required":["success","count","results"],"properties":{"success":{"type":"boolean"},"count":{"type":"number"},"results":{"type":"array"}}},
  "example":{"success":true,"count":1,"results":[{"vcon_id":"11111111-1111-4111-8111-111111111111","similarity_score":0.93}]}},
 {"tool_name":"search_vcons_hybrid","summary":"Not available on this server (needs embeddings): every call is an isError result.",
  "response_schema":{"type":"object","required":["success","count","results"],"properties":{"success":{"type":"boolean"},"count":{"type":"number"},"results":{"type":"array"}}},
  "example":{"success":true,"count":1,"results":[{"vcon_id":"11111111-1111-4111-8111-111111111111","combined_score":0.94,"semantic_score":0.91,"keyword_score":0.81}]}},
 {"tool_name":"get_tags","summary":"A vCon's tags: {success, vcon_uuid, tags, count}, or with key: {success, key, value, exists}.",
  "response_schema":{"type":"object","required":["success"],"properties":{"success":{"type":"boolean","const":true},"vcon_uuid":{"type":"string"},
   "tags":{"type":"object"},"count":{"type":"number"},"key":{"type":"string"},"value":{},"exists":{"type":"boolean"}}},
  "example":{"success":true,"vcon_uuid":"11111111-1111-4111-8111-111111111111","tags":{"department":"sales"},"count":1}},
 {"tool_name":"get_unique_tags","summary":"Every tag key and value: {success, unique_keys, unique_key_count, tags_by_key[, counts_per_value], total_vcons_with_tags, summary}.",
  "response_schema":{"type":"object","required":["success","unique_keys","tags_by_key"],"properties":{"success":{"type":"boolean","const":true},
   "unique_keys":{"type":"array","items":{"type":"string"}},"unique_key_count":{"type":"number"},"tags_by_key":{"type":"object"},
   "counts_per_value":{"type":"object"},"total_vcons_with_tags":{"type":"number"},"summary":{"type":"object"}}},
  "example":{"success":true,"unique_keys":["department"],"unique_key_count":1,"tags_by_key":{"department":["sales","support"]},
   "total_vcons_with_tags":40,"summary":{"total_unique_keys":1,"total_vcons":40,"filter_applied":false,"min_count_filter":1}}}
])JSON");
    return d;
}

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &) {
    auto name = args.string("tool_name");
    const bool with_example = args.boolean("include_example", true);
    args.reject_unknown();
    json out;
    if (!name || name->empty()) {
        json items = json::array();
        for (const auto &d : descriptors())
            items.push_back({{"tool_name", d["tool_name"]}, {"summary", d["summary"]}});
        const auto n = items.size();
        out = {{"ok", true},
               {"items", std::move(items)},
               {"page", {{"count", n}, {"total", n}, {"next_cursor", nullptr}}}};
    } else {
        json names = json::array();
        for (const auto &d : descriptors()) {
            names.push_back(d["tool_name"]);
            if (d["tool_name"] == *name) {
                json item = {{"tool_name", d["tool_name"]},
                             {"summary", d["summary"]},
                             {"response_schema", d["response_schema"]}};
                if (with_example)
                    item["example"] = d["example"];
                if (d.contains("notes"))
                    item["notes"] = d["notes"];
                out = {{"ok", true}, {"item", std::move(item)}};
            }
        }
        if (out.is_null()) {
            std::sort(names.begin(), names.end());
            out = {{"ok", false},
                   {"error",
                    {{"code", "UNKNOWN_TOOL"},
                     {"message", "No published response shape descriptor for tool: " + *name},
                     {"available_tools", std::move(names)}}}};
        }
    }
    co_return out;
}

} // namespace

Tool describe_response_shape_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"tool_name",
           {{"type", "string"},
            {"description",
             "Tool name to describe (vcon_fetch, vcon_capabilities, vcon_graph_shape, vcon_search, "
             "vcon_taxonomy, vcon_aggregate, describe_response_shape, get_vcon, search_vcons, "
             "search_by_tags, search_vcons_content, search_vcons_semantic, search_vcons_hybrid, "
             "get_tags, get_unique_tags). Omit it for the list."}}},
          {"include_example",
           {{"type", "boolean"},
            {"default", true},
            {"description", "Whether to include a concrete example payload (default: true)."}}}}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "describe_response_shape"},
             {"title", "Describe response shape"},
             {"description",
              "Describe the response shape of a tool as JSON Schema plus a concrete example. Use "
              "it before writing a client normalizer. Without tool_name, lists the tools with "
              "published shape descriptors."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Describe response shape")}},
        &run,
        "include_example=false.",
    };
}

} // namespace vcon_redis::server::mcp
