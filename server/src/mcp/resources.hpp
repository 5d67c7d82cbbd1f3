// MCP resources, vcon-mcp's set (src/resources/index.ts) under its namespace vcon://v1/:
//   vcon://v1/vcons/recent[/N]            newest vCons, whole documents (N ≤ 100, default 10)
//   vcon://v1/vcons/recent/ids[/N]        newest vCons' uuid, created_at, subject
//   vcon://v1/vcons/ids[/N][/after/X]     all uuids, newest first, N ≤ 1000 (default 100), keyset
//                                         pages: X is the previous page's next_cursor
//   vcon://v1/vcons/{uuid}                the document, byte-for-byte as cached
//   vcon://v1/vcons/{uuid}/metadata|parties|dialog|analysis|attachments|transcript|summary|tags,
//     …/attachments/type/{t}, …/attachments/purpose/{p}, …/analysis/type/{t}
//   vcon://v1/discovery/attachments/types|purposes, vcon://v1/discovery/analysis/types
//   vcon://v1/graph/shape
// Every vCon is read through the cache (lists with one MGET: VconStore::get_many).
#pragma once

#include "mcp/tools.hpp"
#include "store/vcon_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace vcon_redis::server::mcp {

// {"resources":[…]}: the concrete URIs (lists, discovery, graph).
nlohmann::json list_resources_result();

// {"resourceTemplates":[…]}: the per-vCon URIs, {uuid} and its sub-resources.
nlohmann::json list_resource_templates_result();

// A resource URI taken apart (before any data access); nullopt for URIs we do not serve.
struct ResourceRoute {
    enum class Kind {
        Recent,
        RecentIds,
        Ids,
        Vcon,
        AttachmentTypes,
        AttachmentPurposes,
        AnalysisTypes,
        Shape
    };
    Kind kind = Kind::Vcon;
    int limit = 0;                            // Recent, RecentIds, Ids
    std::optional<std::string> after_created; // Ids: the cursor's timestamp …
    std::optional<std::string> after_uuid;    // … and uuid (absent in vcon-mcp's cursors)
    std::string uuid;                         // Vcon: canonical
    std::string part;   // Vcon: "" (whole), metadata, parties, …, "attachments/type", …
    std::string filter; // Vcon: the {t} / {p} of a filtered part, percent-decoded
};
std::optional<ResourceRoute> route_resource(const std::string &uri);

// Outcome of resources/read: either a result or a JSON-RPC error (code, message, data).
struct ReadOutcome {
    nlohmann::json result; // set on success
    int error_code = 0;    // non-zero on failure
    std::string error_message;
    nlohmann::json error_data;
};

// Reads a resource: contents [{uri, mimeType:"application/json", text}] (the whole vCon as cached,
// the others compact JSON of vcon-mcp's shapes). Unknown URI or absent vCon → -32002 with data
// {uri}; store unavailable → -32603; a text that would make the message exceed
// limits.max_message_bytes (`reserved`: the envelope) → -32602 saying how to read less, with data
// {uri, bytes, limit}.
boost::asio::awaitable<ReadOutcome> read_resource(const std::string &uri, VconStore &store,
                                                  const ToolLimits &limits = {}, std::size_t reserved = 0);

} // namespace vcon_redis::server::mcp
