// Projections of a vCon document that the REST API and the MCP tools share: get_vcon's
// response_format views, the tags, the contract tools' items (as in vcon-mcp).
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

namespace vcon_redis::server {

// "full": the document; "metadata": vcon, uuid, created_at, updated_at, subject, extensions,
// critical, parties (members absent from the document stay absent); "summary": metadata plus the
// analysis entries whose type is "summary". Any other format is treated as "full".
nlohmann::json vcon_view(nlohmann::json doc, std::string_view format);

// The tags of a vCon as {"key": "value", …}: the union of its tags attachments (purpose or type
// "tags"), read as the SQL tag filter reads them (vcon_redis._tag_array): a body that is a JSON
// array of "key:value" strings (split at the first colon; "flag" is key "flag" with value "") or
// an object of string values, possibly double-encoded. Unreadable bodies add nothing. Later pairs
// of a key win (as vcon-mcp's get_tags).
nlohmann::json vcon_tags(const nlohmann::json &doc);

// vcon-mcp's contract item (vcon_fetch, vcon_search) of a document for the given include groups
// (core, parties, summary, tags, dealer, counts, dialog, analysis, attachments): id, vcon_version,
// created_at, updated_at, subject, extensions, critical, then each group asked for.
nlohmann::json contract_item(const nlohmann::json &doc, const std::vector<std::string> &include);

} // namespace vcon_redis::server
