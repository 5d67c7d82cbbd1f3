#include "http/server.hpp"

#include "app/log.hpp"
#include "http/fast_get.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <charconv>
#include <exception>
#include <optional>
#include <tuple>

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace vcon_redis::server::http {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// How often each io thread looks for connections past their deadline: deadlines are honoured at
// most this late.
constexpr auto kSweepPeriod = std::chrono::milliseconds(200);

// A malformed request (as opposed to a closed, reset or timed-out connection).
bool is_parse_error(const boost::system::error_code &ec) {
    return ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
           ec != bhttp::error::need_more && ec != bhttp::error::header_limit &&
           ec != bhttp::error::body_limit;
}

// Decrements the open-connection count when a session ends, however it ends.
struct ConnectionSlot {
    std::shared_ptr<std::atomic<int>> count;
    ~ConnectionSlot() { count->fetch_sub(1, std::memory_order_relaxed); }
};

// After a response that ends the connection early (413, 431, 400) the client may still be
// sending: half-close, then read and discard for a moment so the kernel does not answer the
// unread bytes with a reset that destroys our response before the client read it.
asio::awaitable<void> lingering_close(tcp::socket &socket, SessionRegistry::Entry &entry) {
    boost::system::error_code ec;
    std::size_t n = 0, total = 0;
    std::array<char, 16384> sink;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    entry.expires_after(std::chrono::seconds(2));
    while (!ec && total < (64u << 20)) {
        std::tie(ec, n) = co_await socket.async_read_some(asio::buffer(sink), use_tuple);
        total += n;
    }
    socket.close(ec);
}

using Parser = bhttp::request_parser<bhttp::string_body>;

// The status line and header fields of `res` as they go on the wire: what Beast's serializer
// writes for a response whose Content-Length prepare_payload() has set, built into `head` (the
// connection's buffer, reused: no allocation once it is large enough).
void response_head(const Response &res, std::string &head) {
    char status[16];
    const auto printed = std::to_chars(status, status + sizeof status, res.result_int());
    head.clear();
    head.append("HTTP/")
        .append(1, static_cast<char>('0' + res.version() / 10))
        .append(1, '.')
        .append(1, static_cast<char>('0' + res.version() % 10))
        .append(1, ' ')
        .append(status, printed.ptr)
        .append(1, ' ')
        .append(res.reason())
        .append("\r\n");
    for (const auto &field : res)
        head.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
    head.append("\r\n");
}

// Writes a prepared response: its head, its body, the bytes it borrows and its tail as the buffers
// of one gathering write (nothing copied; one sendmsg when the socket takes them all).
asio::awaitable<boost::system::error_code> write_response(tcp::socket &stream, const Response &res,
                                                          std::string &head) {
    boost::system::error_code ec;
    std::size_t n = 0;
    response_head(res, head);
    const std::array<asio::const_buffer, 4> wire{
        asio::buffer(head), asio::buffer(res.body()),
        res.borrowed ? asio::buffer(*res.borrowed) : asio::const_buffer(), asio::buffer(res.tail)};
    std::tie(ec, n) = co_await asio::async_write(stream, wire, use_tuple);
    co_return ec;
}

// The answer that ends the connection after reading failed with `ec`, when the client is at fault:
// 431 (header too large), 413 (body too large), 400 (malformed); nullopt for a closed, reset or
// timed-out connection.
std::optional<Response> refusal(const boost::system::error_code &ec, const Limits &limits, const char *part) {
    if (ec == bhttp::error::header_limit)
        return json_error(431, "header_too_large", "request header too large");
    if (ec == bhttp::error::body_limit)
        return json_error(413, "payload_too_large",
                          "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
    if (is_parse_error(ec))
        return json_error(400, "bad_request", std::string("malformed HTTP request") + part);
    return std::nullopt;
}

// Parses the header from what the buffer already holds (a request usually arrives whole with the
// read that woke the session), as Beast's asynchronous read would but without a trip through the
// scheduler. True when that settled it: the header is complete, or `ec` says what is wrong with it
// (the header limit included); false when more bytes are needed.
bool parse_buffered_header(beast::flat_buffer &buffer, Parser &parser, boost::system::error_code &ec) {
    if (buffer.size() == 0)
        return false;
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec == bhttp::error::need_more) {
        ec = {};
        return false;
    }
    return ec || parser.is_header_done();
}

// Reads one request within the limits: the header, the 100 Continue it may ask for, the body.
// True when it is complete (`version` then says its HTTP version); false when the connection is to
// end, with `refused` set when the client is answered first. The request timeout runs from the
// request's first byte (the caller's deadline). One co_return at function scope
// (docs/internals.md, g++ 12 coroutine rule), as in every coroutine here.
asio::awaitable<bool> read_request(tcp::socket &stream, beast::flat_buffer &buffer, Parser &parser,
                                   const Limits &limits, unsigned &version,
                                   std::optional<Response> &refused) {
    boost::system::error_code ec;
    std::size_t n = 0;
    const char *part = "";
    if (!parse_buffered_header(buffer, parser, ec))
        std::tie(ec, n) = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (!ec) {
        part = " body";
        version = parser.get().version();
        const auto len = parser.content_length();
        if (len && *len > limits.max_body_bytes) {
            ec = bhttp::error::body_limit;
        } else if (!parser.is_done()) {
            if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
                bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
                std::tie(ec, n) = co_await bhttp::async_write(stream, cont, use_tuple);
            }
            if (!ec)
                std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        }
    }
    refused = refusal(ec, limits, part);
    co_return !ec;
}

// Serves one request and writes its response; false when the connection is to end (the request
// did not ask for keep-alive, the server is stopping, or the write failed).
asio::awaitable<bool> answer(tcp::socket &stream, SessionRegistry::Entry &entry, IoThreadSlot &w, Request req,
                             unsigned version, bool keep_alive, const Limits &limits, std::string &head) {
    boost::system::error_code ec;
    Response res;
    try {
        res = co_await w.handler.handle(std::move(req));
    } catch (const std::exception &e) {
        log::error(std::string("request failed: ") + e.what());
        res = json_error(500, "internal_error", "internal server error");
    }
    keep_alive = keep_alive && !w.sessions.stopping();
    res.version(version);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    entry.expires_after(limits.request_timeout);
    ec = co_await write_response(stream, res, head);
    co_return keep_alive && !ec;
}

// The fast path: the request at the head of `buffer`, when http/fast_get.hpp takes it and the
// handler finds it a near hit, consumed and answered with one non-blocking gathering send (no
// coroutine, no trip through the scheduler). A null doc when the general path is to answer it
// (nothing consumed). `sent` says how much of `wire` the socket took; the caller writes the rest.
struct FastSend {
    FastAnswer answer;
    std::array<asio::const_buffer, 3> wire;
    std::size_t sent = 0;
    bool keep_alive = true;
    boost::system::error_code ec;
};

void fast_send(tcp::socket &stream, beast::flat_buffer &buffer, IoThreadSlot &w, const Limits &limits,
               SessionRegistry::Clock::time_point started, std::string &head, FastSend &out) {
    const auto bytes = buffer.data();
    const auto req =
        parse_fast_get({static_cast<const char *>(bytes.data()), bytes.size()}, limits.max_header_bytes);
    if (!req)
        return;
    out.keep_alive = req->keep_alive && !w.sessions.stopping();
    out.answer = w.handler.fast_answer(*req, out.keep_alive, started, head);
    if (!out.answer.doc)
        return;
    buffer.consume(req->head_bytes);
    out.wire = {asio::buffer(head), asio::buffer(*out.answer.doc), asio::buffer(out.answer.tail)};
    out.sent = stream.write_some(out.wire, out.ec); // the socket is non-blocking: would_block, not a wait
    if (out.ec == asio::error::would_block)
        out.ec = {};
}

// Writes the answer that ends the connection, then lets the client's unread bytes drain.
asio::awaitable<void> send_refusal(tcp::socket &stream, SessionRegistry::Entry &entry, Response &res,
                                   unsigned version, std::string &head) {
    boost::system::error_code ec;
    res.version(version);
    res.keep_alive(false);
    res.prepare_payload();
    entry.expires_after(std::chrono::seconds(5));
    ec = co_await write_response(stream, res, head);
    if (!ec)
        co_await lingering_close(stream, entry);
}

// One keep-alive connection: wait for a request (idle timeout), read it, answer it; repeat. The
// deadlines are the session's entry in the registry, enforced by the io thread's sweeper.
asio::awaitable<void> session(tcp::socket socket, IoThreadSlot w, Limits limits, Metrics &metrics,
                              std::shared_ptr<std::atomic<int>> count) {
    ConnectionSlot slot{std::move(count)};
    tcp::socket &stream = socket;
    boost::system::error_code ec;
    std::size_t n = 0;
    stream.set_option(tcp::no_delay(true), ec);
    stream.non_blocking(true, ec); // for the fast path's send; Asio's own operations do not mind
    SessionRegistry::Entry entry(w.sessions, stream);
    beast::flat_buffer buffer;
    std::optional<Parser> parser;
    std::optional<Response> refused; // an error answer that ends the connection
    std::string head;                // the response head buffer, reused for every response of the connection
    unsigned version = 11;
    bool keep_alive = true;
    // When the last answer was written: the idle timeout runs from there. A near hit reads the clock
    // twice (its start and its answer, the latency metric's ends) and its deadlines reuse those.
    auto answered = SessionRegistry::Clock::now();

    while (!w.sessions.stopping() && keep_alive) {
        entry.set(SessionRegistry::State::Idle);
        if (buffer.size() == 0) {
            entry.expires_at(answered + limits.idle_timeout);
            std::tie(ec, n) = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
            if (ec)
                break; // closed, idle timeout, shutdown
            buffer.commit(n);
        }
        entry.set(SessionRegistry::State::Reading);
        const auto started = SessionRegistry::Clock::now();
        entry.expires_at(started + limits.request_timeout);
        FastSend fast; // named before the co_await (g++ 12 coroutine rule)
        fast_send(stream, buffer, w, limits, started, head, fast);
        if (fast.answer.doc) {
            keep_alive = fast.keep_alive;
            answered = fast.answer.answered;
            if (!fast.ec && fast.sent < asio::buffer_size(fast.wire)) {
                entry.set(SessionRegistry::State::Busy); // a shutdown lets the answer finish
                beast::buffers_suffix<std::array<asio::const_buffer, 3>> rest(fast.wire);
                rest.consume(fast.sent);
                std::tie(fast.ec, n) = co_await asio::async_write(stream, rest, use_tuple);
                answered = SessionRegistry::Clock::now();
            }
            if (fast.ec)
                break;
            continue;
        }
        parser.emplace();
        parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
        parser->body_limit(limits.max_body_bytes);
        if (!co_await read_request(stream, buffer, *parser, limits, version, refused)) {
            if (refused)
                metrics.request(Route::Other, refused->result_int(),
                                std::chrono::steady_clock::now() - started);
            break;
        }
        entry.set(SessionRegistry::State::Busy);
        entry.expires_never(); // the handler has its own deadlines (Redis, PostgreSQL)
        keep_alive = parser->get().keep_alive();
        // A large body grew the read buffer: give the memory back while the request is served
        // rather than hold it for the life of a keep-alive connection.
        if (buffer.size() == 0 && buffer.capacity() > 16384)
            buffer.shrink_to_fit();
        Request req = parser->release(); // named before the co_await (g++ 12 coroutine rule)
        keep_alive = co_await answer(stream, entry, w, std::move(req), version, keep_alive, limits, head);
        answered = SessionRegistry::Clock::now();
    }

    if (refused)
        co_await send_refusal(stream, entry, *refused, version, head);
    stream.shutdown(tcp::socket::shutdown_send, ec);
    stream.close(ec);
}

// Closes the connections of one io thread that are past their deadline, every kSweepPeriod, for
// as long as the io thread runs (also while the server drains its connections at shutdown).
asio::awaitable<void> sweep(SessionRegistry &sessions) {
    boost::system::error_code ec;
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (ec != asio::error::operation_aborted) {
        tick.expires_after(kSweepPeriod);
        std::tie(ec) = co_await tick.async_wait(use_tuple);
        sessions.sweep(SessionRegistry::Clock::now());
    }
}

} // namespace

Server::Server(std::vector<IoThreadSlot> workers, Limits limits, Metrics &metrics)
    : workers_(std::move(workers)), limits_(limits), metrics_(metrics) {}

void Server::listen(const std::string &host, unsigned short port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec)
        throw std::runtime_error("--listen: '" + host + "' is not an IP address");
    tcp::endpoint ep(address, port);
    acceptor_.emplace(workers_.front().ioc);
    std::string where = host + ":" + std::to_string(port);
    acceptor_->open(ep.protocol(), ec);
    if (!ec)
        acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor_->bind(ep, ec);
    if (!ec)
        acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
}

void Server::start() {
    for (auto &w : workers_)
        asio::co_spawn(w.ioc, sweep(w.sessions), asio::detached);
    asio::co_spawn(workers_.front().ioc, accept_loop(), [](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception &x) {
            log::error(std::string("accept loop failed: ") + x.what());
        }
    });
}

void Server::stop() {
    asio::post(workers_.front().ioc, [this] {
        boost::system::error_code ec;
        if (acceptor_)
            acceptor_->close(ec);
    });
    for (auto &w : workers_)
        asio::post(w.ioc, [&sessions = w.sessions] { sessions.stop(); });
}

asio::awaitable<void> Server::accept_loop() {
    std::size_t next = 0;
    boost::system::error_code ec;
    std::optional<tcp::socket> socket;
    asio::steady_timer pause(acceptor_->get_executor());
    while (acceptor_->is_open()) {
        IoThreadSlot &w = workers_[next++ % workers_.size()];
        socket.emplace(w.ioc);
        std::tie(ec) = co_await acceptor_->async_accept(*socket, use_tuple);
        if (ec == asio::error::operation_aborted || !acceptor_->is_open())
            break;
        if (ec) {
            log::warn("accept failed: " + ec.message());
            // Out of descriptors: back off instead of spinning on the ready listen socket.
            pause.expires_after(std::chrono::milliseconds(50));
            std::tie(ec) = co_await pause.async_wait(use_tuple);
        } else if (connections_->load(std::memory_order_relaxed) >= limits_.max_connections) {
            socket->close(ec);
        } else {
            connections_->fetch_add(1, std::memory_order_relaxed);
            asio::co_spawn(w.ioc, session(std::move(*socket), w, limits_, metrics_, connections_),
                           [](std::exception_ptr e) {
                               if (!e)
                                   return;
                               try {
                                   std::rethrow_exception(e);
                               } catch (const std::exception &x) {
                                   log::error(std::string("connection failed: ") + x.what());
                               }
                           });
        }
        socket.reset();
    }
}

} // namespace vcon_redis::server::http
