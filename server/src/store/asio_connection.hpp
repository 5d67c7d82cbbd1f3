// One redis::Connection driven by an io thread's event loop: the socket's readiness waits, the
// flush of what append() queued and the reading of whole replies. RedisPipe (commands and their
// replies) and InvalidationListener (pushed messages) are both made of it.
//
// The Connection owns the socket; the stream descriptor only waits on it and is released, never
// closed, so the socket is closed once. generation() changes at every close(): a wait armed for an
// earlier connection finds it changed and does nothing. The handlers run on the io thread and may
// close() (or reopen) the connection themselves.
#pragma once

#include "redis/connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>
#include <optional>
#include <string>

namespace vcon_redis::server::store {

class AsioConnection {
public:
    // Called with what went wrong (an I/O or protocol error, a failed wait); the connection is still
    // open: the handler decides (usually close() and reconnect).
    using OnError = std::function<void(const std::string &why)>;
    // Called for every reply read; false stops reading (the handler has closed the connection or
    // means to).
    using OnReply = std::function<bool(redis::Reply reply)>;

    explicit AsioConnection(boost::asio::io_context &ioc) : ioc_(ioc) {}
    ~AsioConnection() { close(); }
    AsioConnection(const AsioConnection &) = delete;
    AsioConnection &operator=(const AsioConnection &) = delete;

    // Takes over a connected Connection (made off the io thread).
    void open(redis::Connection conn);
    // Cancels the waits and closes the socket (no-op when closed); the generation moves on.
    void close();
    bool is_open() const noexcept { return conn_.has_value(); }
    redis::Connection &connection() { return *conn_; }
    unsigned generation() const noexcept { return generation_; }
    // Whether a flush waits for the socket to take more (it will send what is appended meanwhile).
    bool writing() const noexcept { return writing_; }

    // Sends what connection().append() queued, waiting for the socket to take it as often as it
    // needs; one flush at a time (a call while one waits is folded into it).
    void flush(OnError on_error);
    // Reads whenever the socket is readable and hands every whole reply to on_reply, until the
    // connection is closed, on_reply returns false, or an error (on_error). The handlers may close()
    // the connection; they must not call read_replies() themselves (a connection is opened again
    // from a later turn of the event loop, after a connect on the connector pool).
    void read_replies(OnReply on_reply, OnError on_error);

private:
    void wait_readable();
    void on_readable();

    boost::asio::io_context &ioc_;
    std::optional<redis::Connection> conn_;
    std::optional<boost::asio::posix::stream_descriptor> sd_; // wraps conn_'s fd, never owns it
    unsigned generation_ = 0;
    bool writing_ = false;
    OnReply on_reply_;
    OnError on_read_error_;
};

} // namespace vcon_redis::server::store
