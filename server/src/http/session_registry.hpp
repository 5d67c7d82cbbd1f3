// The open HTTP connections of one io thread: their deadlines, and a clean shutdown. Used only on
// its io thread.
//
// Deadlines: a session states when its current wait must end (the idle timeout while it waits for
// a request, the request timeout from a request's first byte to its last and while its response is
// written); sweep(), run a few times a second by the io thread's sweeper (http/server.cpp), closes
// the socket of every session past its deadline, which ends the wait with an error. One coarse
// deadline per connection replaces a timer per read and write: setting it is a store, not a timer
// queue operation and a timerfd update. A deadline is honoured within one sweep period late.
//
// Shutdown: when stop() runs, connections waiting for (or in the middle of reading) a request are
// closed, and connections with a request in flight finish it, answer with "Connection: close" and
// end.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <list>

namespace vcon_redis::server::http {

class SessionRegistry {
public:
    enum class State { Idle, Reading, Busy };
    using Clock = std::chrono::steady_clock;

private:
    struct Item {
        boost::asio::ip::tcp::socket *socket;
        State state = State::Idle;
        Clock::time_point deadline = Clock::time_point::max();
    };

public:
    class Entry {
    public:
        Entry(SessionRegistry &r, boost::asio::ip::tcp::socket &s)
            : reg_(r), it_(r.items_.insert(r.items_.end(), Item{&s})) {}
        ~Entry() { reg_.items_.erase(it_); }
        Entry(const Entry &) = delete;
        Entry &operator=(const Entry &) = delete;
        void set(State s) { it_->state = s; }
        // The socket is closed once `d` has passed (see sweep()).
        void expires_after(Clock::duration d) { it_->deadline = Clock::now() + d; }
        // The same from a time the caller has just read (the hit path reads the clock once a request).
        void expires_at(Clock::time_point t) { it_->deadline = t; }
        void expires_never() { it_->deadline = Clock::time_point::max(); }

    private:
        SessionRegistry &reg_;
        std::list<Item>::iterator it_;
    };

    bool stopping() const { return stopping_; }
    std::size_t size() const { return items_.size(); }

    void stop() {
        stopping_ = true;
        for (auto &item : items_)
            if (item.state != State::Busy) {
                boost::system::error_code ec;
                item.socket->cancel(ec);
            }
    }

    // Closes the sockets of the sessions whose deadline is before `now`; returns how many.
    std::size_t sweep(Clock::time_point now) {
        std::size_t closed = 0;
        for (auto &item : items_)
            if (item.deadline < now) {
                boost::system::error_code ec;
                item.socket->close(ec);
                item.deadline = Clock::time_point::max();
                ++closed;
            }
        return closed;
    }

private:
    std::list<Item> items_;
    bool stopping_ = false;
};

} // namespace vcon_redis::server::http
