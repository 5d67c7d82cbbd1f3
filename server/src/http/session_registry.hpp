// The open HTTP connections of one io thread, for a clean shutdown: when stop() runs, connections
// waiting for (or in the middle of reading) a request are closed, and connections with a request
// in flight finish it, answer with "Connection: close" and end. Used only on its io thread.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>

#include <list>

namespace vcon_redis::server::http {

class SessionRegistry {
public:
    enum class State { Idle, Reading, Busy };

    class Entry {
    public:
        Entry(SessionRegistry &r, boost::beast::tcp_stream &s)
            : reg_(r), it_(r.items_.insert(r.items_.end(), {&s, State::Idle})) {}
        ~Entry() { reg_.items_.erase(it_); }
        Entry(const Entry &) = delete;
        Entry &operator=(const Entry &) = delete;
        void set(State s) { it_->second = s; }

    private:
        SessionRegistry &reg_;
        std::list<std::pair<boost::beast::tcp_stream *, State>>::iterator it_;
    };

    bool stopping() const { return stopping_; }
    std::size_t size() const { return items_.size(); }

    void stop() {
        stopping_ = true;
        for (auto &[stream, state] : items_)
            if (state != State::Busy)
                stream->cancel();
    }

private:
    std::list<std::pair<boost::beast::tcp_stream *, State>> items_;
    bool stopping_ = false;
};

} // namespace vcon_redis::server::http
