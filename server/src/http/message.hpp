// HTTP message types of the server and the JSON response helpers every route uses.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace vcon_redis::server::http {

namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;

// A response: Beast's message with a string body, plus bytes it may send without copying them (a
// near cache value, refcounted, so they stay alive until the write is done). On the wire the body
// is body() + *borrowed + tail. Beast's message is a private base: its prepare_payload() (not
// virtual, blind to the borrowed bytes and the tail) cannot be reached, through a reference to the
// base or otherwise; only the members below are.
class Response : private bhttp::response<bhttp::string_body> {
    using Message = bhttp::response<bhttp::string_body>;

public:
    using Message::Message;
    Response() = default;

    using Message::begin;
    using Message::body;
    using Message::end;
    using Message::find;
    using Message::keep_alive;
    using Message::reason;
    using Message::result;
    using Message::result_int;
    using Message::set;
    using Message::version;
    using Message::operator[];

    // Content-Length and the rest of Beast's prepare_payload(), counting the borrowed bytes and
    // the tail: the one way to prepare a Response for the wire.
    void prepare_payload();
    // The bytes of the body on the wire.
    std::size_t payload_size() const {
        return body().size() + (borrowed ? borrowed->size() : 0) + tail.size();
    }

    std::shared_ptr<const std::string> borrowed;
    std::string_view tail; // static text
};

// A response with Content-Type: application/json and the given body.
Response json_response(unsigned status, std::string body);

// {"success":false,"error":<code>,"message":<message>} (message omitted when empty).
Response json_error(unsigned status, std::string_view code, std::string_view message = {});

// JSON string literal of s, quotes included.
std::string json_quote(std::string_view s);

} // namespace vcon_redis::server::http
