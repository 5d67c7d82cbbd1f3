// TLS over an already connected non-blocking socket (OpenSSL). Never blocks and never waits: each
// call does what the socket allows and says which readiness it needs next (want()), so the
// caller's own wait — WaitLatchOrSocket in the worker, poll(2), the server's event loop — drives
// it. The chain and host name are verified unless TlsSettings::verify is false; SNI is sent for
// names (not for IP addresses). Every failure throws Error{tls} (handshake) or Error{io} (after it)
// with OpenSSL's reason; nothing of a key or a password is ever in a message.
//
// I/O goes through a small BIO that calls send(2) with MSG_NOSIGNAL, so a reset connection never
// raises SIGPIPE.
#pragma once

#include "redis/url.hpp"

#include <cstddef>
#include <memory>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace vcon_redis::redis {

class TlsStream {
public:
    enum class Want { none, read, write };

    // Loads the CA, client certificate and key of `settings` and prepares a client session over fd
    // for `host` (the name or address connected to; settings.server_name overrides it).
    // `endpoint` names the peer in messages. Throws Error{tls}.
    TlsStream(int fd, const TlsSettings &settings, const std::string &host, std::string endpoint);
    ~TlsStream();
    TlsStream(const TlsStream &) = delete;
    TlsStream &operator=(const TlsStream &) = delete;

    // One step of the handshake: true when it is complete, false when want() must be waited for.
    bool handshake();
    // Bytes read (> 0), or 0 when the socket must become ready (want()). EOF and errors throw.
    std::size_t read(char *buf, std::size_t len);
    // Bytes written (> 0), or 0 when the socket must become ready (want()). Errors throw. After a
    // 0, the next call must offer at least the same bytes again (the output buffer may move).
    std::size_t write(const char *buf, std::size_t len);
    // What the last handshake(), read() or write() that returned "not now" waits for.
    Want want() const noexcept { return want_; }
    // The last blocked write needs a readable socket (or the last blocked read a writable one).
    bool write_wants_read() const noexcept { return write_wants_read_; }
    bool read_wants_write() const noexcept { return read_wants_write_; }

private:
    [[noreturn]] void fail(int rc, const char *during);
    // The outcome of an SSL_read/SSL_write that returned rc: bytes moved, or 0 with want_ set (and
    // *crossed set when the operation needs the other direction); any other error throws.
    std::size_t settle(int rc, bool *crossed, Want crossing, const char *during);

    struct CtxDeleter {
        void operator()(SSL_CTX *c) const noexcept;
    };
    struct SslDeleter {
        void operator()(SSL *s) const noexcept;
    };
    std::unique_ptr<SSL_CTX, CtxDeleter> ctx_;
    std::unique_ptr<SSL, SslDeleter> ssl_;
    std::string endpoint_;
    Want want_ = Want::none;
    bool write_wants_read_ = false;
    bool read_wants_write_ = false;
};

} // namespace vcon_redis::redis
