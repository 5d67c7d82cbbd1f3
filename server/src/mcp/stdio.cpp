#include "mcp/stdio.hpp"

#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <unistd.h>

namespace vcon_redis::server::mcp {

namespace {

namespace asio = boost::asio;

// The io_context side: answers lines, counts requests in flight, stops the loop after EOF once the
// last answer is written. Touched only on the thread running ioc.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(VconStore &store, asio::io_context &ioc, ToolLimits limits, std::size_t max_line_bytes)
        : store_(store), ioc_(ioc), guard_(asio::make_work_guard(ioc)), limits_(limits),
          max_line_bytes_(max_line_bytes) {}

    void on_line(std::string line) {
        ++in_flight_;
        asio::co_spawn(ioc_, answer(shared_from_this(), std::move(line)), asio::detached);
    }

    void on_oversized_line() {
        write(make_error(nullptr, rpc_error::parse_error,
                         "Parse error: message longer than " + std::to_string(max_line_bytes_) + " bytes"));
    }

    void on_eof() {
        eof_ = true;
        finish_if_done();
    }

    // After ioc.run() returned: drop the work count so a Session outliving ioc (held by a reader
    // blocked in read()) never touches it.
    void release() { guard_.reset(); }

private:
    static asio::awaitable<void> answer(std::shared_ptr<Session> self, std::string line) {
        auto reply = co_await handle_message(std::move(line), self->store_, self->limits_);
        if (reply)
            self->write(*reply);
        --self->in_flight_;
        self->finish_if_done();
    }

    // One message per line, compact (no embedded newlines), flushed at once: the client may wait.
    void write(const nlohmann::json &message) {
        std::string text = response_text(message, limits_);
        text.push_back('\n');
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
            // The client is gone; nothing more can be delivered.
            std::fprintf(stderr, "vcon-cache-server: stdout closed, stopping MCP stdio\n");
            stop();
        }
    }

    void finish_if_done() {
        if (eof_ && in_flight_ == 0)
            stop();
    }

    void stop() {
        guard_.reset();
        // Stop rather than drain: the store may keep timers (reconnects) that never run out.
        ioc_.stop();
    }

    VconStore &store_;
    asio::io_context &ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    ToolLimits limits_;
    std::size_t max_line_bytes_;
    std::size_t in_flight_ = 0;
    bool eof_ = false;
};

// The stdin side, on its own thread: blocking reads work for pipes, terminals and regular files
// alike (epoll refuses regular files). Hands complete lines to the Session through ioc.
class StdinReader {
public:
    StdinReader(asio::io_context &ioc, std::shared_ptr<Session> session, std::size_t max_line_bytes)
        : ioc_(ioc), session_(std::move(session)), max_line_bytes_(max_line_bytes) {}

    void run() {
        std::string pending;
        bool oversized = false;
        char buf[65536];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; ++i) {
                const char c = buf[i];
                if (c != '\n') {
                    if (oversized)
                        continue;
                    if (pending.size() >= max_line_bytes_) {
                        oversized = true;
                        pending.clear();
                        pending.shrink_to_fit();
                    } else {
                        pending.push_back(c);
                    }
                    continue;
                }
                if (oversized) {
                    oversized = false;
                    if (!post([s = session_] { s->on_oversized_line(); }))
                        return;
                } else if (!deliver(std::move(pending))) {
                    return;
                }
                pending.clear();
            }
        }
        if (!oversized && !pending.empty()) // a last message without its newline still counts
            if (!deliver(std::move(pending)))
                return;
        post([s = session_] { s->on_eof(); });
        finished_ = true;
    }

    bool finished() const { return finished_; }

    // Called by run_stdio once ioc has stopped: from then on the reader must not touch ioc.
    void abandon() {
        std::lock_guard lock(mutex_);
        abandoned_ = true;
    }

private:
    bool deliver(std::string line) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos)
            return true; // blank lines separate nothing and are not messages
        return post([s = session_, l = std::move(line)]() mutable { s->on_line(std::move(l)); });
    }

    template <class F> bool post(F &&f) {
        std::lock_guard lock(mutex_);
        if (abandoned_)
            return false;
        asio::post(ioc_, std::forward<F>(f));
        return true;
    }

    asio::io_context &ioc_;
    std::shared_ptr<Session> session_;
    std::size_t max_line_bytes_;
    std::mutex mutex_;
    bool abandoned_ = false;
    std::atomic<bool> finished_ = false;
};

} // namespace

int run_stdio(VconStore &store, asio::io_context &ioc, const ToolLimits &limits, std::size_t max_line_bytes) {
    auto session = std::make_shared<Session>(store, ioc, limits, max_line_bytes);
    auto reader = std::make_shared<StdinReader>(ioc, session, max_line_bytes);
    std::thread thread([reader] { reader->run(); });

    ioc.run();

    session->release();
    reader->abandon();
    // After EOF the reader has finished. If ioc was stopped from outside (a signal), the reader may
    // still be blocked in read(): leave it to the process exit rather than hang here.
    if (reader->finished())
        thread.join();
    else
        thread.detach();
    return 0;
}

} // namespace vcon_redis::server::mcp
