// The one exception type of the Redis client. Messages never contain a password: they are built
// from our own words, errno text and Redis' reply text, never from a command or a URL.
#pragma once

#include <stdexcept>
#include <string>

namespace vcon_redis::redis {

class Error : public std::runtime_error {
public:
    enum class Kind {
        connect,  // TCP/unix connect failed (refused, unreachable, DNS)
        timeout,  // no progress within connect_timeout / command_timeout
        io,       // read/write error or EOF on an established connection
        auth,     // AUTH was refused
        protocol, // the byte stream is not RESP2 (or the reader failed)
        reply,    // a handshake command (SELECT) or a script answered unexpectedly
        tls,      // TLS setup or handshake failed (bad CA/cert/key file, verification, protocol)
        sentinel, // no sentinel named a primary that answers ROLE as master
    };

    Error(Kind kind, const std::string &message) : std::runtime_error(message), kind_(kind) {}

    Kind kind() const noexcept { return kind_; }

    // True when the connection was closed and retrying on a new connection may help. A TLS failure
    // counts: fixing a certificate or a CA file must resume everything without a restart.
    bool transient() const noexcept { return kind_ != Kind::auth && kind_ != Kind::reply; }

private:
    Kind kind_;
};

inline const char *to_string(Error::Kind kind) noexcept {
    switch (kind) {
    case Error::Kind::connect:
        return "connect";
    case Error::Kind::timeout:
        return "timeout";
    case Error::Kind::io:
        return "io";
    case Error::Kind::auth:
        return "auth";
    case Error::Kind::protocol:
        return "protocol";
    case Error::Kind::reply:
        return "reply";
    case Error::Kind::tls:
        return "tls";
    case Error::Kind::sentinel:
        return "sentinel";
    }
    return "unknown";
}

} // namespace vcon_redis::redis
