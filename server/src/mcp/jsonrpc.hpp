// JSON-RPC 2.0 framing for MCP: classifying one incoming message and building error objects.
// Transport-independent (used by the HTTP endpoint, stdio and the fuzzer).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace vcon_redis::server::mcp {

namespace rpc_error {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int resource_not_found = -32002; // MCP legacy revisions (2025-11-25 and earlier)
// MCP 2026-07-28 (modern era); a modern resource-not-found is invalid_params.
inline constexpr int header_mismatch = -32020;
inline constexpr int unsupported_protocol_version = -32022;
} // namespace rpc_error

struct Message {
    enum class Kind {
        Request,      // method + id: must be answered
        Notification, // method, no id: never answered
        Response,     // result/error + id from the client: we send no requests, so just accepted
        Invalid,      // answer with `error` (id null unless a usable id was found)
    };
    Kind kind = Kind::Invalid;
    nlohmann::json id;     // string or number for Request; null otherwise
    std::string method;    // Request / Notification
    nlohmann::json params; // object (empty object when absent)
    nlohmann::json error;  // Invalid: a complete JSON-RPC error response
};

// Parses and classifies one message. Rejects batches (JSON arrays) with -32600: MCP removed
// batching in 2025-06-18 and our newest revision must not accept it. Rejects nesting deeper than
// max_depth before parsing, so hostile input cannot exhaust the stack anywhere later.
Message parse_message(std::string_view text, int max_depth = 64);

nlohmann::json make_result(const nlohmann::json &id, nlohmann::json result);
nlohmann::json make_error(const nlohmann::json &id, int code, std::string message,
                          nlohmann::json data = nullptr);

// A JSON text that travels as it is inside a message built with nlohmann::json: to_text() splices
// it verbatim where it stands as the value of an object member (not inside arrays). Lets a cached
// vCon be sent without a parse and a re-serialisation (which would also change its numbers). The
// text is checked by raw_json_valid() before it is sent (tools.cpp does).
nlohmann::json raw_json(std::string_view text);
// Whether every raw_json value among the object members of `message` is one JSON object text.
bool raw_json_valid(const nlohmann::json &message);

// Compact serialisation that never throws on invalid UTF-8 (replaced with U+FFFD): a response must
// always be producible, whatever bytes a backend returned. raw_json values are spliced.
std::string to_text(const nlohmann::json &message);

// Length of `text` (valid UTF-8) written as a JSON string literal by to_text, quotes included.
std::size_t json_string_size(std::string_view text);

} // namespace vcon_redis::server::mcp
