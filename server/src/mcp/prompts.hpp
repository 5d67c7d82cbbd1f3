// MCP prompts: vcon-mcp's query-guidance prompts (src/prompts/index.ts) that fit a read-only server
// without embeddings. find_by_semantic_search and find_similar_conversations are not offered: they
// walk the model through semantic search, which this server cannot do.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace vcon_redis::server::mcp {

// {"prompts":[{name, title, description, arguments:[{name, description, required}]}]}
const nlohmann::json &list_prompts_result();

// The prompts/get result {description, messages:[{role:"user", content:{type:"text", text}}]} for
// `name` with `arguments` (an object of strings); nullopt + `error` for an unknown prompt, a missing
// required argument or a non-string argument (the caller answers -32602).
std::optional<nlohmann::json> get_prompt(const std::string &name, const nlohmann::json &arguments,
                                         std::string &error);

} // namespace vcon_redis::server::mcp
