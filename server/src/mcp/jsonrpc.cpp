#include "mcp/jsonrpc.hpp"

#include <cstdint>
#include <vector>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

// Deepest bracket nesting outside string literals; stops counting once over the limit.
bool nesting_within(std::string_view text, int max_depth) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > max_depth)
                return false;
            break;
        case ']':
        case '}':
            --depth;
            break;
        default:
            break;
        }
    }
    return true;
}

Message invalid(const json &id, int code, std::string text) {
    Message m;
    m.kind = Message::Kind::Invalid;
    m.id = id;
    m.error = make_error(id, code, std::move(text));
    return m;
}

bool usable_id(const json &id) {
    return id.is_string() || id.is_number();
}

} // namespace

Message parse_message(std::string_view text, int max_depth) {
    if (!nesting_within(text, max_depth))
        return invalid(nullptr, rpc_error::invalid_request,
                       "Invalid Request: JSON nested deeper than " + std::to_string(max_depth));

    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded())
        return invalid(nullptr, rpc_error::parse_error, "Parse error: message is not valid JSON");
    if (doc.is_array())
        return invalid(nullptr, rpc_error::invalid_request,
                       "Invalid Request: JSON-RPC batches are not supported");
    if (!doc.is_object())
        return invalid(nullptr, rpc_error::invalid_request,
                       "Invalid Request: a JSON-RPC message must be an object");

    // Echo the id in errors only when it is a legal id; anything else is answered with id null.
    json id = nullptr;
    const bool has_id = doc.contains("id");
    if (has_id && usable_id(doc["id"]))
        id = doc["id"];

    auto jsonrpc = doc.find("jsonrpc");
    if (jsonrpc == doc.end() || !jsonrpc->is_string() || *jsonrpc != "2.0")
        return invalid(id, rpc_error::invalid_request, "Invalid Request: jsonrpc must be \"2.0\"");
    if (has_id && !usable_id(doc["id"]))
        return invalid(nullptr, rpc_error::invalid_request,
                       "Invalid Request: id must be a string or a number");

    auto method = doc.find("method");
    if (method == doc.end()) {
        if (has_id && (doc.contains("result") || doc.contains("error"))) {
            Message m;
            m.kind = Message::Kind::Response;
            m.id = id;
            return m;
        }
        return invalid(id, rpc_error::invalid_request, "Invalid Request: missing method");
    }
    if (!method->is_string())
        return invalid(id, rpc_error::invalid_request, "Invalid Request: method must be a string");

    Message m;
    m.kind = has_id ? Message::Kind::Request : Message::Kind::Notification;
    m.id = id;
    m.method = method->get<std::string>();
    auto params = doc.find("params");
    if (params == doc.end() || params->is_null()) {
        m.params = json::object();
    } else if (params->is_object()) {
        m.params = std::move(*params);
    } else if (m.kind == Message::Kind::Request) {
        // MCP params are always objects; positional (array) params have no meaning here.
        return invalid(id, rpc_error::invalid_params, "Invalid params: params must be an object");
    } else {
        m.params = json::object(); // a notification is never answered, even when malformed
    }
    return m;
}

nlohmann::json make_result(const nlohmann::json &id, nlohmann::json result) {
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

nlohmann::json make_error(const nlohmann::json &id, int code, std::string message, nlohmann::json data) {
    json error{{"code", code}, {"message", std::move(message)}};
    if (!data.is_null())
        error["data"] = std::move(data);
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

namespace {

// The binary subtype that marks a raw_json value (never produced by parsing JSON text).
constexpr std::uint64_t raw_subtype = 0x6a73; // "js"

bool is_raw(const json &v) {
    return v.is_binary() && v.get_binary().has_subtype() && v.get_binary().subtype() == raw_subtype;
}

std::string_view raw_text(const json &v) {
    const auto &bytes = v.get_binary();
    return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
}

void append_text(std::string &out, const json &v) {
    if (is_raw(v)) {
        out.append(raw_text(v));
    } else if (v.is_object()) {
        out.push_back('{');
        bool first = true;
        for (const auto &[key, value] : v.items()) {
            if (!first)
                out.push_back(',');
            first = false;
            out += json(key).dump(-1, ' ', false, json::error_handler_t::replace);
            out.push_back(':');
            append_text(out, value);
        }
        out.push_back('}');
    } else {
        out += v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
}

} // namespace

json raw_json(std::string_view text) {
    return json::binary(std::vector<std::uint8_t>(text.begin(), text.end()), raw_subtype);
}

bool raw_json_valid(const json &message) {
    if (is_raw(message)) {
        std::string_view t = raw_text(message);
        auto start = t.find_first_not_of(" \t\r\n");
        return start != std::string_view::npos && t[start] == '{' && json::accept(t);
    }
    if (!message.is_object())
        return true;
    for (const auto &[key, value] : message.items())
        if (!raw_json_valid(value))
            return false;
    return true;
}

std::string to_text(const nlohmann::json &message) {
    std::string out;
    append_text(out, message);
    return out;
}

std::size_t json_string_size(std::string_view text) {
    std::size_t n = 2;
    for (unsigned char c : text) {
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
            n += 2;
        else if (c < 0x20)
            n += 6;
        else
            ++n;
    }
    return n;
}

} // namespace vcon_redis::server::mcp
