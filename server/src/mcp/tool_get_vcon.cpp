// get_vcon: one vCon by uuid, cache-first through the store.
#include "mcp/jsonrpc.hpp"
#include "mcp/tool.hpp"
#include "mcp/vcon_reads.hpp"
#include "views/vcon_views.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    const std::string raw = *args.string("uuid", true);
    const std::string format = args.choice("response_format", {"full", "summary", "metadata"}, "full");
    args.reject_unknown();
    VconResult r = co_await read_vcon(raw, "uuid", store);
    json out{{"success", true}};
    if (format == "full")
        out["vcon"] = raw_json(r.json); // spliced as stored: no parse, no re-serialisation
    else
        out["vcon"] = vcon_view(parse_vcon(r.json, raw), format);
    co_return out;
}

} // namespace

Tool get_vcon_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"uuid", {{"type", "string"}, {"description", "UUID of the vCon (8-4-4-4-12 hexadecimal)"}}},
          {"response_format",
           {{"type", "string"},
            {"enum", {"full", "summary", "metadata"}},
            {"default", "full"},
            {"description", "full: the whole document; metadata: top-level members and parties only; "
                            "summary: metadata plus analysis entries of type 'summary'"}}}}},
        {"required", {"uuid"}},
        {"additionalProperties", false},
    };
    json output = {
        {"type", "object"},
        {"properties", {{"success", {{"type", "boolean"}}}, {"vcon", {{"type", "object"}}}}},
        {"required", {"success", "vcon"}},
    };
    return Tool{
        json{{"name", "get_vcon"},
             {"title", "Get vCon"},
             {"description", "Get one vCon (virtual conversation) by UUID: parties, dialog, analysis and "
                             "attachments. Served from the Redis cache when possible. Use "
                             "response_format 'metadata' or 'summary' for large conversations."},
             {"inputSchema", std::move(input)},
             {"outputSchema", std::move(output)},
             {"annotations", read_only_annotations("Get vCon")}},
        &run,
        "response_format \"metadata\" (top-level members and parties) or \"summary\" (metadata plus the "
        "summary analyses) instead of \"full\".",
    };
}

} // namespace vcon_redis::server::mcp
