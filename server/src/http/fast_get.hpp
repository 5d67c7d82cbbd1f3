// The fast path's request parser: recognises, in the bytes a connection has buffered, the one request
// shape a near hit is served for without Beast (`GET /api/v1/vcons/{canonical uuid} HTTP/1.1`, no
// query, no body) and nothing else. It is strict on purpose: anything it does not fully understand
// (another method, target or version, a body or its framing headers, Expect, Upgrade, a repeated
// Host, Origin, Authorization or Connection, an unusual Connection value, folded lines, bare CR or
// LF, control or non-ASCII bytes, a head that is incomplete or not small) is left to the general
// path, which parses the same bytes with Beast and answers them, errors included. So it may decline a
// request Beast accepts, but never accepts one Beast would read differently.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace vcon_redis::server::http {

struct FastGet {
    std::string_view uuid; // lowercase 8-4-4-4-12
    std::string_view host; // field values, trimmed; empty when absent
    std::string_view origin;
    std::string_view authorization;
    bool keep_alive = true;     // false for "Connection: close"
    std::size_t head_bytes = 0; // the request's size in the buffer, final CRLF included
};

// The largest head the fast path takes (and at most half the header limit): a longer one, however
// valid, goes to the general path, which applies the limit.
inline constexpr std::size_t kFastHeadMax = 4096;

// The request at the start of `buffered` when it has the fast path's shape and is whole; nullopt
// otherwise (nothing is consumed: the general path then reads the same bytes).
std::optional<FastGet> parse_fast_get(std::string_view buffered, std::size_t max_header_bytes);

} // namespace vcon_redis::server::http
