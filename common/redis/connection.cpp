#include "redis/connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <stdexcept>
#include <system_error>

namespace vcon_redis::redis {
namespace {

constexpr std::size_t read_chunk = 64 * 1024;
// After a large pipeline (1 MB documents) the output buffer is released rather than kept forever.
constexpr std::size_t keep_output_capacity = 4 * 1024 * 1024;

std::string errno_text(int e) {
    return std::generic_category().message(e);
}

void append_number(std::string &out, std::size_t n) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, res.ptr);
}

} // namespace

void encode_command(const Command &cmd, std::string &out) {
    // "*0" would be silently ignored by Redis and the pipeline would wait for a reply forever.
    if (cmd.empty())
        throw std::invalid_argument("redis: empty command");
    std::size_t need = 16;
    for (std::string_view a : cmd)
        need += a.size() + 16;
    out.reserve(out.size() + need); // libstdc++ grows geometrically, so this stays amortized O(1)
    out.push_back('*');
    append_number(out, cmd.size());
    out.append("\r\n");
    for (std::string_view a : cmd) {
        out.push_back('$');
        append_number(out, a.size());
        out.append("\r\n");
        out.append(a);
        out.append("\r\n");
    }
}

Waiter poll_waiter() {
    return [](int fd, bool want_write, Clock::time_point deadline) {
        for (;;) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
            int ms = static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
            pollfd p{fd, static_cast<short>(want_write ? POLLOUT : POLLIN), 0};
            int rc = ::poll(&p, 1, ms);
            if (rc > 0)
                return true; // includes POLLERR/POLLHUP: the next read/write reports them
            if (rc == 0) {
                if (Clock::now() >= deadline)
                    return false;
                continue;
            }
            if (errno != EINTR)
                throw Error(Error::Kind::io, "redis: poll failed: " + errno_text(errno));
        }
    };
}

void Connection::ContextDeleter::operator()(redisContext *c) const noexcept {
    redisFree(c);
}

Connection::Connection(Url url, Options options, Waiter waiter)
    : url_(std::move(url)), addr_(url_), options_(options), waiter_(std::move(waiter)) {
    if (!waiter_)
        waiter_ = poll_waiter();
}

Connection::~Connection() = default;
Connection::Connection(Connection &&) noexcept = default;
Connection &Connection::operator=(Connection &&) noexcept = default;

bool Connection::connected() const noexcept {
    return ctx_ != nullptr && ready_;
}

int Connection::fd() const noexcept {
    return ctx_ ? ctx_->fd : -1;
}

void Connection::close() noexcept {
    tls_.reset(); // before the socket goes
    ctx_.reset(); // redisFree closes the fd
    ready_ = false;
    out_.clear();
    out_pos_ = 0;
}

bool Connection::pending_output() const noexcept {
    return out_pos_ < out_.size();
}

// Plain sockets wait for writability while output is pending. TLS may need the other direction
// (a write that must read a record first, a read that must send one): the session says which.
bool Connection::wait_for_write() const noexcept {
    if (!tls_)
        return pending_output();
    return pending_output() ? !tls_->write_wants_read() : tls_->read_wants_write();
}

void Connection::require_open(const char *what) const {
    if (!ctx_)
        throw Error(Error::Kind::io, std::string("redis: ") + what + " on a closed connection");
}

void Connection::connect() {
    close();
    if (url_.kind == Url::Kind::Sentinel)
        connect_via_sentinels();
    else
        connect_node(url_);
}

void Connection::connect_node(const Url &node) {
    close();
    addr_ = node;
    redisContext *raw = node.kind == Url::Kind::Unix ? redisConnectUnixNonBlock(node.path.c_str())
                                                     : redisConnectNonBlock(node.host.c_str(), node.port);
    if (raw == nullptr)
        throw Error(Error::Kind::connect, "redis: out of memory allocating a connection");
    ctx_.reset(raw);
    try {
        if (ctx_->err != 0)
            throw Error(Error::Kind::connect,
                        "redis: cannot connect to " + node.endpoint() + ": " + std::string(ctx_->errstr));
        auto deadline = Clock::now() + options_.connect_timeout;
        auto timed_out = [&](const char *what) {
            return Error(Error::Kind::timeout, std::string("redis: ") + what + node.endpoint() +
                                                   " timed out after " +
                                                   std::to_string(options_.connect_timeout.count()) + " ms");
        };
        if (!waiter_(ctx_->fd, true, deadline))
            throw timed_out("connect to ");
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (::getsockopt(ctx_->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
            soerr = errno;
        if (soerr != 0)
            throw Error(Error::Kind::connect,
                        "redis: cannot connect to " + node.endpoint() + ": " + errno_text(soerr));
        // Detect a vanished peer on an idle long-lived connection; failure here is not fatal.
        if (node.kind == Url::Kind::Tcp && redisEnableKeepAlive(ctx_.get()) != REDIS_OK)
            ctx_->err = 0;
        if (node.tls.enabled) {
            tls_ = std::make_unique<TlsStream>(ctx_->fd, node.tls, node.host, node.endpoint());
            while (!tls_->handshake())
                if (!waiter_(ctx_->fd, tls_->want() == TlsStream::Want::write, deadline))
                    throw timed_out("TLS handshake with ");
        }
        handshake();
        ready_ = true;
    } catch (...) {
        close();
        throw;
    }
}

// Asks each sentinel in turn for the primary of url_.master and keeps the first one that confirms
// with ROLE. A sentinel that is down or does not know the master, or a node that is not (or no
// longer) a primary, moves on to the next sentinel.
void Connection::connect_via_sentinels() {
    std::string last = "no sentinel configured";
    Error::Kind last_kind = Error::Kind::sentinel;
    for (const HostPort &at : url_.sentinels) {
        HostPort primary;
        std::string where = "sentinel " + format_endpoint(at.host, at.port);
        try {
            Connection sentinel(url_.sentinel(at), options_, waiter_);
            sentinel.connect();
            Reply r = sentinel.command({"SENTINEL", "get-master-addr-by-name", url_.master});
            int port = 0;
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                std::string_view p = text(*r->element[1]);
                std::from_chars(p.data(), p.data() + p.size(), port);
            }
            if (port <= 0 || port > 65535) {
                last = where + (is_nil(*r) ? " does not know master " + url_.master
                                           : " answered " + describe(*r) + " for master " + url_.master);
                last_kind = Error::Kind::sentinel;
                continue;
            }
            primary = {std::string(text(*r->element[0])), port};
        } catch (const Error &e) {
            last = e.what();
            last_kind = e.kind();
            continue;
        }
        try {
            connect_node(url_.node(primary));
            std::vector<Reply> replies = exchange({{"ROLE"}}, options_.connect_timeout, "connect");
            const redisReply &role = *replies.front();
            std::string what = role.type == REDIS_REPLY_ARRAY && role.elements > 0
                                   ? std::string(text(*role.element[0]))
                                   : describe(role);
            if (what == "master")
                return;
            last = where + " named " + addr_.endpoint() + " as primary of " + url_.master +
                   ", but its ROLE is " + what + " (failover in progress?)";
            last_kind = Error::Kind::sentinel;
            close();
        } catch (const Error &e) {
            last = e.what();
            last_kind = e.kind();
        }
    }
    addr_ = url_;
    throw Error(last_kind, "redis: no primary found for " + url_.endpoint() + ": " + last);
}

// AUTH and SELECT are sent as one pipeline with a PING, so connect() proves the server answers
// (and reports NOAUTH when a password is needed but none was configured).
void Connection::handshake() {
    std::vector<Command> cmds;
    if (!addr_.password.empty()) {
        if (addr_.user.empty())
            cmds.push_back({"AUTH", addr_.password});
        else
            cmds.push_back({"AUTH", addr_.user, addr_.password});
    }
    std::string db = std::to_string(addr_.db);
    if (addr_.db != 0)
        cmds.push_back({"SELECT", db});
    cmds.push_back({"PING"});

    auto replies = exchange(cmds, options_.connect_timeout, "connect");
    std::size_t i = 0;
    // Redis' own error text (WRONGPASS ..., NOAUTH ...) never contains the password; the command does.
    if (!addr_.password.empty()) {
        const redisReply &r = *replies[i++];
        if (is_error(r))
            throw Error(Error::Kind::auth,
                        "redis: AUTH failed on " + addr_.endpoint() + ": " + std::string(text(r)));
    }
    if (addr_.db != 0) {
        const redisReply &r = *replies[i++];
        if (is_error(r))
            throw Error(Error::Kind::reply, "redis: SELECT " + db + " failed: " + std::string(text(r)));
    }
    const redisReply &ping = *replies[i];
    if (is_error(ping)) {
        auto kind = text(ping).starts_with("NOAUTH") ? Error::Kind::auth : Error::Kind::reply;
        throw Error(kind, "redis: " + addr_.endpoint() + " refused PING: " + std::string(text(ping)));
    }
}

std::vector<Reply> Connection::pipeline(const std::vector<Command> &commands) {
    if (!connected())
        throw Error(Error::Kind::io, "redis: pipeline on a closed connection");
    return exchange(commands, options_.command_timeout, "command");
}

Reply Connection::command(const Command &cmd) {
    auto replies = pipeline(std::vector<Command>{cmd});
    return std::move(replies.front());
}

std::vector<Reply> Connection::receive(std::size_t count) {
    require_open("receive");
    return collect(count, options_.command_timeout, "command");
}

std::vector<Reply> Connection::exchange(const std::vector<Command> &commands,
                                        std::chrono::milliseconds timeout, const char *what) {
    require_open(what);
    if (pending_output())
        throw std::logic_error("redis: pipeline while asynchronous output is pending");
    if (commands.empty())
        return {};
    try {
        for (const Command &c : commands)
            encode_command(c, out_);
    } catch (...) {
        close(); // half a command may be buffered
        throw;
    }
    return collect(commands.size(), timeout, what);
}

// Writes the pending output and reads count replies, waiting through the Waiter.
std::vector<Reply> Connection::collect(std::size_t count, std::chrono::milliseconds timeout,
                                       const char *what) {
    std::vector<Reply> replies;
    replies.reserve(count);
    try {
        auto deadline = Clock::now() + timeout;
        while (replies.size() < count) {
            bool progress = pending_output() && write_some() > 0;
            while (replies.size() < count) {
                Reply r = next_reply();
                if (!r)
                    break;
                replies.push_back(std::move(r));
                progress = true;
            }
            if (replies.size() == count)
                break;
            // Reading while output is still pending keeps a peer that answers early from stalling.
            if (read())
                progress = true;
            if (progress) {
                deadline = Clock::now() + timeout;
                continue;
            }
            if (!waiter_(ctx_->fd, wait_for_write(), deadline))
                throw Error(Error::Kind::timeout, "redis: no reply from " + addr_.endpoint() + " within " +
                                                      std::to_string(timeout.count()) + " ms (" + what + ")");
        }
    } catch (...) {
        close(); // the stream position is unknown now; the caller retries on a new connection
        throw;
    }
    return replies;
}

void Connection::append(const Command &cmd) {
    require_open("append");
    encode_command(cmd, out_);
}

// Plain send(2) with MSG_NOSIGNAL rather than redisBufferWrite: hiredis uses write(2), which
// raises SIGPIPE on a reset connection and kills a process that has not ignored it.
std::size_t Connection::write_some() {
    std::size_t written = 0;
    while (out_pos_ < out_.size()) {
        if (tls_) {
            std::size_t n = 0;
            try {
                n = tls_->write(out_.data() + out_pos_, out_.size() - out_pos_);
            } catch (...) {
                close();
                throw;
            }
            if (n == 0)
                break;
            out_pos_ += n;
            written += n;
            continue;
        }
        ssize_t n = ::send(ctx_->fd, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
        if (n > 0) {
            out_pos_ += static_cast<std::size_t>(n);
            written += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        std::string msg =
            "redis: write to " + addr_.endpoint() + " failed: " + errno_text(n < 0 ? errno : EPIPE);
        close();
        throw Error(Error::Kind::io, msg);
    }
    if (out_pos_ == out_.size()) {
        out_.clear();
        out_pos_ = 0;
        if (out_.capacity() > keep_output_capacity)
            out_.shrink_to_fit();
    }
    return written;
}

bool Connection::flush() {
    require_open("flush");
    write_some();
    return !pending_output();
}

bool Connection::read() {
    require_open("read");
    if (in_.size() < read_chunk)
        in_.resize(read_chunk);
    for (;;) {
        ssize_t n = 0;
        if (tls_) {
            try {
                n = static_cast<ssize_t>(tls_->read(in_.data(), in_.size()));
            } catch (...) {
                close();
                throw;
            }
            if (n == 0)
                return false; // TLS EOF and errors throw from read(); 0 means "wait"
        } else {
            n = ::recv(ctx_->fd, in_.data(), in_.size(), 0);
        }
        if (n > 0) {
            if (redisReaderFeed(ctx_->reader, in_.data(), static_cast<std::size_t>(n)) != REDIS_OK) {
                close();
                throw Error(Error::Kind::protocol, "redis: out of memory buffering a reply");
            }
            return true;
        }
        if (n == 0) {
            std::string msg = "redis: connection to " + addr_.endpoint() + " closed by the server";
            close();
            throw Error(Error::Kind::io, msg);
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return false;
        std::string msg = "redis: read from " + addr_.endpoint() + " failed: " + errno_text(errno);
        close();
        throw Error(Error::Kind::io, msg);
    }
}

Reply Connection::next_reply() {
    require_open("next_reply");
    void *raw = nullptr;
    if (redisReaderGetReply(ctx_->reader, &raw) != REDIS_OK) {
        // The reader is unusable after an error (hiredis keeps the error state): drop the connection.
        std::string msg =
            "redis: protocol error from " + addr_.endpoint() + ": " + std::string(ctx_->reader->errstr);
        close();
        throw Error(Error::Kind::protocol, msg);
    }
    return Reply(static_cast<redisReply *>(raw));
}

} // namespace vcon_redis::redis
