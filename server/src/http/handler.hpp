// What a session hands a complete request to.
#pragma once

#include "http/fast_get.hpp"
#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace vcon_redis::server::http {

// A near hit answered on the fast path: on the wire, the head the handler wrote, *doc, then tail.
struct FastAnswer {
    std::shared_ptr<const std::string> doc;         // nullptr: the request takes the general path
    std::string_view tail;                          // static text
    std::chrono::steady_clock::time_point answered; // when it was answered (its latency's end)
};

class Handler {
public:
    virtual ~Handler() = default;
    // Never throws for a client's input; the session turns an escaping exception into a 500.
    virtual boost::asio::awaitable<Response> handle(Request req) = 0;
    // The fast path (http/fast_get.hpp): when `req` passes every check handle() makes and is a near
    // hit, its response head (the status line to the body's first bytes) written into `head` and
    // the bytes that follow; a null doc otherwise (then nothing was counted: handle() answers it).
    // `started`: when the request's first byte was read, for its latency; the answer's `answered`
    // ends that latency (the session reuses it instead of reading the clock again).
    virtual FastAnswer fast_answer(const FastGet &, bool /*keep_alive*/,
                                   std::chrono::steady_clock::time_point /*started*/,
                                   std::string & /*head*/) {
        return {};
    }
};

} // namespace vcon_redis::server::http
