// get_tags: the tags of one vCon (all, or one key), read from the cached document.
#include "mcp/tool.hpp"
#include "mcp/vcon_reads.hpp"
#include "views/vcon_views.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    const std::string uuid = *args.string("vcon_uuid", true);
    const auto key = args.string("key");
    json fallback = args.scalar("default_value").value_or(nullptr);
    args.reject_unknown();
    VconResult r = co_await read_vcon(uuid, "vcon_uuid", store);
    const json tags = vcon_tags(parse_vcon(r.json, uuid));
    json out{{"success", true}};
    if (key && !key->empty()) {
        auto it = tags.find(*key);
        out["key"] = *key;
        out["value"] = it == tags.end() ? fallback : *it;
        out["exists"] = it != tags.end();
    } else {
        out["vcon_uuid"] = uuid;
        out["tags"] = tags;
        out["count"] = tags.size();
    }
    co_return out;
}

} // namespace

Tool get_tags_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"vcon_uuid",
           {{"type", "string"},
            {"description", "UUID of the vCon to retrieve tags from"},
            {"pattern", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}}},
          {"key",
           {{"type", "string"},
            {"description",
             "Specific tag key to retrieve. Omit this parameter to get all tags as an object."}}},
          {"default_value",
           {{"oneOf",
             json::array(
                 {{{"type", "string"}}, {{"type", "number"}}, {{"type", "boolean"}}, {{"type", "null"}}})},
            {"default", nullptr},
            {"description", "Value to return if the specified tag key does not exist (only used when key is "
                            "provided, default: null)"}}}}},
        {"required", {"vcon_uuid"}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "get_tags"},
             {"title", "Get vCon tags"},
             {"description", "Retrieve tags from a vCon. Provide a specific key to get one tag value "
                             "({key, value, exists}), or omit key to get all tags as an object ({vcon_uuid, "
                             "tags, count})."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Get vCon tags")}},
        &run,
        "ask for one key.",
    };
}

} // namespace vcon_redis::server::mcp
