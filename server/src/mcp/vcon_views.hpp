// get_vcon's response_format projections of a vCon document (as in vcon-mcp).
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace vconredis::server::mcp {

// "full": the document; "metadata": vcon, uuid, created_at, updated_at, subject, extensions,
// critical, parties (members absent from the document stay absent); "summary": metadata plus the
// analysis entries whose type is "summary". Any other format is treated as "full".
nlohmann::json vcon_view(nlohmann::json doc, std::string_view format);

} // namespace vconredis::server::mcp
