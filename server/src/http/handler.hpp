// What a session hands a complete request to.
#pragma once

#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>

namespace vcon_redis::server::http {

class Handler {
public:
    virtual ~Handler() = default;
    // Never throws for a client's input; the session turns an escaping exception into a 500.
    virtual boost::asio::awaitable<Response> handle(Request req) = 0;
};

} // namespace vcon_redis::server::http
