// HTTP message types of the server and the JSON response helpers every route uses.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace vcon_redis::server::http {

namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// A response with Content-Type: application/json and the given body.
Response json_response(unsigned status, std::string body);

// {"success":false,"error":<code>,"message":<message>} (message omitted when empty).
Response json_error(unsigned status, std::string_view code, std::string_view message = {});

// JSON string literal of s, quotes included.
std::string json_quote(std::string_view s);

} // namespace vcon_redis::server::http
