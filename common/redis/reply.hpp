// Owned hiredis replies and small accessors. Error replies (REDIS_REPLY_ERROR) are values, not
// exceptions: a pipeline of scripts must report each command's outcome.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <string_view>

namespace vcon_redis::redis {

struct ReplyDeleter {
    void operator()(redisReply *r) const noexcept {
        if (r != nullptr)
            freeReplyObject(r);
    }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline bool is_error(const redisReply &r) noexcept {
    return r.type == REDIS_REPLY_ERROR;
}
inline bool is_nil(const redisReply &r) noexcept {
    return r.type == REDIS_REPLY_NIL;
}

// The bytes of a STRING, STATUS or ERROR reply; empty for other types.
inline std::string_view text(const redisReply &r) noexcept {
    if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR)
        return {r.str, r.len};
    return {};
}

// "Redis answered NOSCRIPT": EVALSHA of a script the server does not have (restart, SCRIPT FLUSH).
inline bool is_noscript(const redisReply &r) noexcept {
    return is_error(r) && text(r).starts_with("NOSCRIPT");
}

// An error reply that says the server cannot take writes *now* and will again without anyone
// changing the data: out of memory (maxmemory), loading its dataset, busy with a script, a replica
// or a primary without enough replicas, a cluster that is down or resharding. Everything else
// (WRONGTYPE, NOPERM, ERR …) is a permanent refusal of that command: retrying it as it is cannot help.
inline bool is_transient_error(const redisReply &r) noexcept {
    if (!is_error(r))
        return false;
    std::string_view t = text(r);
    for (std::string_view code : {"OOM", "LOADING", "BUSY", "READONLY", "MASTERDOWN", "NOREPLICAS",
                                  "TRYAGAIN", "CLUSTERDOWN", "MOVED", "ASK", "NOSCRIPT"})
        if (t.starts_with(code) && (t.size() == code.size() || t[code.size()] == ' '))
            return true;
    return false;
}

// A short human description for logs: `OK`, `(integer) 3`, `(nil)`, `ERR ...`, `"abc..."`.
inline std::string describe(const redisReply &r) {
    switch (r.type) {
    case REDIS_REPLY_INTEGER:
        return "(integer) " + std::to_string(r.integer);
    case REDIS_REPLY_NIL:
        return "(nil)";
    case REDIS_REPLY_ARRAY:
        return "(array of " + std::to_string(r.elements) + ")";
    case REDIS_REPLY_STRING: {
        std::string_view s = text(r);
        return "\"" + std::string(s.substr(0, 64)) + (s.size() > 64 ? "...\"" : "\"");
    }
    default:
        return std::string(text(r));
    }
}

} // namespace vcon_redis::redis
