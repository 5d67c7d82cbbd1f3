// get_vcon: one vCon by uuid, cache-first through the store.
#include "mcp/jsonrpc.hpp"
#include "mcp/tool.hpp"
#include "store/uuid.hpp"
#include "mcp/vcon_views.hpp"

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    const std::string raw = *args.string("uuid", true);
    const std::string format = args.choice("response_format", {"full", "summary", "metadata"}, "full");
    args.reject_unknown();
    auto uuid = canonical_uuid(raw);
    if (!uuid)
        throw ToolError("uuid must be a UUID (8-4-4-4-12 hexadecimal, e.g. "
                        "01234567-89ab-4cde-8f01-23456789abcd)");

    VconResult r = co_await store.get(*uuid);
    switch (r.status) {
    case VconResult::Status::Found:
        break;
    case VconResult::Status::NotFound:
        throw ToolError("vCon " + *uuid + " not found");
    case VconResult::Status::Unavailable:
        throw ToolError("vCon store unavailable: " +
                        (r.error.empty() ? std::string("try again later") : r.error));
    }
    json out{{"success", true}};
    if (format == "full") {
        out["vcon"] = raw_json(r.json); // spliced as stored: no parse, no re-serialisation
    } else {
        json doc = json::parse(r.json, nullptr, false);
        if (doc.is_discarded() || !doc.is_object())
            throw ToolError("vCon " + *uuid + " is stored in a form that is not a JSON object");
        out["vcon"] = vcon_view(std::move(doc), format);
    }
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

} // namespace vconredis::server::mcp
