#include "http/message.hpp"

#include <boost/beast/http/field.hpp>

#include <type_traits>

namespace vcon_redis::server::http {

// Beast's prepare_payload() must not be reachable through a reference to the base (see message.hpp).
static_assert(!std::is_convertible_v<Response &, bhttp::response<bhttp::string_body> &> &&
              !std::is_convertible_v<Response *, bhttp::response<bhttp::string_body> *>);

void Response::prepare_payload() {
    Message::prepare_payload();
    if (borrowed || !tail.empty())
        content_length(payload_size());
}

Response json_response(unsigned status, std::string body) {
    Response res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(body);
    return res;
}

std::string json_quote(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xf]);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    out.push_back('"');
    return out;
}

Response json_error(unsigned status, std::string_view code, std::string_view message) {
    std::string body = "{\"success\":false,\"error\":" + json_quote(code);
    if (!message.empty())
        body += ",\"message\":" + json_quote(message);
    body += "}";
    return json_response(status, std::move(body));
}

} // namespace vcon_redis::server::http
