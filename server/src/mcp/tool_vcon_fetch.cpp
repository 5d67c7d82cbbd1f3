// vcon_fetch: one vCon in vcon-mcp's contract envelope {ok, item, meta}, with include groups and a
// byte budget (RESPONSE_TOO_LARGE instead of truncation).
#include "mcp/contract.hpp"
#include "mcp/tool.hpp"
#include "mcp/vcon_reads.hpp"
#include "views/vcon_views.hpp"
#include "store/uuid.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &store) {
    std::string invalid;
    std::string id;
    std::vector<std::string> include;
    std::int64_t max_bytes = 0;
    try {
        id = *args.string("id", true);
        include = contract::include_arg(args, contract::default_fetch_include());
        max_bytes = contract::max_response_bytes_arg(args);
        args.reject_unknown();
    } catch (const ToolError &e) {
        invalid = e.what();
    }
    json out;
    auto uuid = canonical_uuid(id);
    if (!invalid.empty()) {
        out = contract::error("INVALID_ARGUMENT", invalid);
    } else if (!uuid) {
        out = contract::error("INVALID_ARGUMENT", "id must be a UUID (8-4-4-4-12 hexadecimal)");
    } else {
        VconResult r = co_await store.get(*uuid);
        if (r.status == VconResult::Status::NotFound) {
            out = contract::error("NOT_FOUND", "vCon not found: " + *uuid);
        } else if (r.status == VconResult::Status::Unavailable) {
            out = contract::error("FETCH_FAILED", unavailable_message(r));
        } else {
            json item = contract_item(parse_vcon(r.json, *uuid), include);
            json meta = {{"include", include}, {"approximate_bytes", 0}, {"max_response_bytes", max_bytes}};
            const std::size_t bytes = contract::json_bytes({{"ok", true}, {"item", item}, {"meta", meta}});
            if (static_cast<std::int64_t>(bytes) > max_bytes) {
                out = contract::too_large(
                    bytes, max_bytes,
                    {"Reduce include to [\"core\",\"summary\"] or [\"core\",\"summary\",\"dealer\"].",
                     "Avoid dialog, analysis, and attachments unless the client truly needs full record "
                     "content.",
                     "Retry with a higher max_response_bytes only if the caller can safely handle larger "
                     "payloads."});
                out["meta"] = {{"include", include}};
            } else {
                meta["approximate_bytes"] = bytes;
                out = {{"ok", true}, {"item", std::move(item)}, {"meta", std::move(meta)}};
            }
        }
    }
    co_return out;
}

} // namespace

Tool vcon_fetch_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"id",
           {{"type", "string"},
            {"description", "UUID of the vCon to fetch"},
            {"pattern", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}}},
          {"include", contract::include_property(
                          "Explicit field groups to include. Default: [\"core\", \"parties\", "
                          "\"summary\"]. \"dealer\" returns the parsed strolid_dealer attachment, "
                          "\"tags\" the parsed tag key/value pairs.")},
          {"max_response_bytes", contract::max_response_bytes_property()}}},
        {"required", {"id"}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "vcon_fetch"},
             {"title", "Fetch vCon"},
             {"description",
              "Fetch a single vCon in a stable envelope: {ok, item, meta}. Use the include array to request "
              "only the fields you need (core, parties, summary, tags, dealer, counts, dialog, analysis, "
              "attachments; default core, parties, summary). The identifier in the item is always \"id\". "
              "If the response would exceed max_response_bytes, the tool returns {ok:false, error:{code:"
              "\"RESPONSE_TOO_LARGE\", …}} instead of truncating. Served from the Redis cache."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Fetch vCon")}},
        &run,
        "a smaller include (e.g. [\"core\",\"summary\"]) or a lower max_response_bytes.",
    };
}

} // namespace vcon_redis::server::mcp
