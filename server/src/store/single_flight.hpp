// Process-wide coalescing of concurrent cache misses: the first request for a uuid (the leader)
// does the work; requests for the same uuid that arrive meanwhile, on any io thread, wait for the
// leader's result instead of reading PostgreSQL again. Followers resume on their own executor.
#pragma once

#include "store/vcon_store.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace vcon_redis::server::store {

class SingleFlight {
public:
    using Work = std::function<boost::asio::awaitable<VconResult>()>;

    // Runs work() unless a flight for key is in progress, in which case waits for its result.
    boost::asio::awaitable<VconResult> run(const std::string &key, Work work) {
        std::shared_ptr<Flight> flight;
        bool leader = false;
        {
            std::lock_guard lock(mu_);
            auto &slot = flights_[key];
            if (!slot) {
                slot = std::make_shared<Flight>();
                leader = true;
            }
            flight = slot;
        }
        VconResult result;
        if (leader) {
            Landing landing{*this, key, flight};
            result = co_await work();
            landing.complete(result);
        } else {
            result = co_await join(*flight); // `flight` keeps the Flight alive meanwhile
        }
        co_return result;
    }

private:
    struct Waiter {
        boost::asio::any_io_executor ex;
        boost::asio::any_completion_handler<void(VconResult)> handler;
    };
    struct Flight {
        bool landed = false;
        VconResult result;
        std::vector<Waiter> waiters;
    };

    // The lambda captures only trivially destructible things (docs/internals.md, g++ 12 coroutine rule).
    boost::asio::awaitable<VconResult> join(Flight &flight_ref) {
        Flight *flight = &flight_ref;
        VconResult result =
            co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(VconResult)>(
                [this, flight](auto handler) {
                    auto ex = boost::asio::get_associated_executor(handler);
                    std::lock_guard lock(mu_);
                    if (flight->landed) { // landed between our lookup and this initiation
                        boost::asio::post(
                            ex, [h = std::move(handler), r = flight->result]() mutable { std::move(h)(r); });
                        return;
                    }
                    flight->waiters.push_back(Waiter{ex, std::move(handler)});
                },
                boost::asio::use_awaitable);
        co_return result;
    }

    // Completes the flight exactly once: with the leader's result, or Unavailable if the leader's
    // coroutine is destroyed first (shutdown), so followers never wait forever.
    struct Landing {
        SingleFlight &sf;
        std::string key;
        std::shared_ptr<Flight> flight;
        bool done = false;
        void complete(const VconResult &r) {
            done = true;
            sf.land(key, flight, r);
        }
        ~Landing() {
            if (!done) {
                VconResult r;
                r.status = VconResult::Status::Unavailable;
                r.error = "shutting down";
                sf.land(key, flight, r);
            }
        }
    };

    void land(const std::string &key, const std::shared_ptr<Flight> &flight, const VconResult &r) {
        std::vector<Waiter> waiters;
        {
            std::lock_guard lock(mu_);
            flight->landed = true;
            flight->result = r;
            waiters = std::move(flight->waiters);
            flight->waiters.clear();
            auto it = flights_.find(key);
            if (it != flights_.end() && it->second == flight)
                flights_.erase(it);
        }
        for (auto &w : waiters)
            boost::asio::post(w.ex, [h = std::move(w.handler), r]() mutable { std::move(h)(r); });
    }

    std::mutex mu_;
    std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

} // namespace vcon_redis::server::store
