// One Redis connection: non-blocking socket (hiredis 0.14 connects it and parses replies), our own
// RESP encoder and send/recv, every wait delegated to a Waiter so the same class runs in the
// PostgreSQL worker (WaitLatchOrSocket, interruptible by SIGTERM), in plain programs (poll) and,
// through append/flush/read/next_reply, under an event loop (Asio).
//
// TLS (rediss://) runs inside the same waits (redis/tls.hpp). A Sentinel URL is resolved at every
// connect(): the sentinels are asked in order for the primary, which must confirm with ROLE; a
// failover therefore shows as a lost connection, an error reply or a sentinel notification
// (redis/sentinel_watch.hpp, followed by the worker and the server), and the next connect() finds
// the new primary.
//
// Failure model: any I/O error, protocol error, timeout or exception thrown by the Waiter closes
// the connection before the exception leaves; the caller reconnects (connect()) and retries.
// Error *replies* are returned as Reply values. Nothing in an error message comes from a command.
//
// Not thread-safe: one Connection per thread (or per event-loop strand).
//
// DNS: hiredis resolves host names with a blocking getaddrinfo inside connect(), outside any
// timeout. Use numeric addresses, localhost or unix sockets where that matters.
#pragma once

#include "redis/error.hpp"
#include "redis/reply.hpp"
#include "redis/tls.hpp"
#include "redis/url.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis::redis {

// One command as its arguments, binary-safe (values may contain NUL). Views must outlive the call.
using Command = std::vector<std::string_view>;

using Clock = std::chrono::steady_clock;

// Blocks until fd is readable (want_write false) or writable (want_write true) — true — or until
// deadline passes — false. May throw to abandon the operation (the connection is then closed).
using Waiter = std::function<bool(int fd, bool want_write, Clock::time_point deadline)>;

// A poll(2)-based Waiter for plain programs and tests (retries EINTR).
Waiter poll_waiter();

// Appends the RESP2 encoding of cmd to out (exposed for tests and for batching elsewhere).
void encode_command(const Command &cmd, std::string &out);

class Connection {
public:
    struct Options {
        std::chrono::milliseconds connect_timeout{2000}; // connect + AUTH + SELECT
        std::chrono::milliseconds command_timeout{5000}; // per pipeline, from the last progress
    };

    Connection(Url url, Options options, Waiter waiter = poll_waiter());
    ~Connection();
    Connection(Connection &&) noexcept;
    Connection &operator=(Connection &&) noexcept;
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // (Re)connects: closes any current connection, connects within connect_timeout (TLS handshake
    // included), then AUTH (password, or ACL user + password) and SELECT db when db != 0. A Sentinel
    // URL first asks the sentinels for the primary and then checks it with ROLE. Throws Error on
    // failure (the connection is then closed).
    void connect();
    bool connected() const noexcept;
    void close() noexcept;
    int fd() const noexcept; // -1 when closed

    const Url &url() const noexcept { return url_; }
    // host:port (or socket path) of the node connected to: for Sentinel, the primary found.
    std::string address() const { return addr_.endpoint(); }
    const Options &options() const noexcept { return options_; }

    // Sends every command and reads exactly one reply per command, in order. The whole exchange
    // fails with Error{timeout} when neither a byte is written nor read for command_timeout.
    // Requires an idle connection (no appended commands or unread replies of the async API).
    std::vector<Reply> pipeline(const std::vector<Command> &commands);
    Reply command(const Command &cmd);

    // --- Non-blocking primitives (an event loop drives these; all throw Error and close on failure)
    void append(const Command &cmd); // queue one command in the output buffer
    bool flush();                    // write what the socket takes; true when nothing is left
    bool pending_output() const noexcept;
    bool read();        // read what is available; true if bytes arrived; EOF throws
    Reply next_reply(); // one complete reply, or nullptr when none is buffered
    // After append()s (and flush()es): writes what is left and reads the next count replies, in order,
    // waiting like pipeline() (command_timeout from the last progress). Lets a caller work while
    // Redis runs the commands appended.
    std::vector<Reply> receive(std::size_t count);

private:
    void require_open(const char *what) const;
    std::size_t write_some();
    std::vector<Reply> exchange(const std::vector<Command> &commands, std::chrono::milliseconds timeout,
                                const char *what);
    std::vector<Reply> collect(std::size_t count, std::chrono::milliseconds timeout, const char *what);
    void connect_node(const Url &node);
    void connect_via_sentinels();
    void handshake();
    bool wait_for_write() const noexcept;

    struct ContextDeleter {
        void operator()(redisContext *c) const noexcept;
    };

    Url url_;
    Url addr_; // the node of the current connection (url_ itself unless Sentinel)
    Options options_;
    Waiter waiter_;
    std::unique_ptr<redisContext, ContextDeleter> ctx_; // owns the fd and the reply reader
    std::unique_ptr<TlsStream> tls_;                    // over ctx_'s fd when TLS
    bool ready_ = false;                                // handshake done
    std::string out_;                                   // encoded commands not yet written
    std::size_t out_pos_ = 0;                           // bytes of out_ already written
    std::string in_;                                    // recv buffer, reused
};

} // namespace vcon_redis::redis
