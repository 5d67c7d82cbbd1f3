// The HTTP/1.1 front end: one acceptor, connections spread round-robin over the io threads, one
// coroutine per connection (keep-alive, pipelining), Beast parser limits for header and body, an
// idle timeout between requests and a whole-request timeout from its first byte (slow clients cannot
// hold a thread: there is none to hold) kept as one deadline per connection that each io thread
// sweeps (SessionRegistry), a connection cap, TCP_NODELAY. A request whose header arrived whole is
// parsed from the read buffer at once; responses go out as one gathering write of their head (built
// in a buffer of the connection), their body and the bytes they borrow (a near hit's document).
#pragma once

#include "app/metrics.hpp"
#include "http/handler.hpp"
#include "http/session_registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vcon_redis::server::http {

struct Limits {
    std::size_t max_body_bytes = 1u << 20;
    std::size_t max_header_bytes = 16u << 10;
    std::chrono::seconds idle_timeout{60};
    std::chrono::seconds request_timeout{10};
    int max_connections = 1024;
};

// One io thread's share of the server.
struct IoThreadSlot {
    boost::asio::io_context &ioc;
    Handler &handler;
    SessionRegistry &sessions;
};

class Server {
public:
    Server(std::vector<IoThreadSlot> workers, Limits limits, Metrics &metrics);

    // Binds and listens (throws boost::system::system_error with the address in the message).
    void listen(const std::string &host, unsigned short port);
    // Starts accepting on workers[0]'s io_context.
    void start();
    // Thread-safe: stops accepting and asks every session to finish (see SessionRegistry).
    void stop();

    int connections() const { return connections_->load(std::memory_order_relaxed); }
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_->local_endpoint(); }

private:
    boost::asio::awaitable<void> accept_loop();

    std::vector<IoThreadSlot> workers_;
    Limits limits_;
    Metrics &metrics_;
    std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
    std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
};

} // namespace vcon_redis::server::http
