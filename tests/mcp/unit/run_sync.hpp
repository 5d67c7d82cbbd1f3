// Runs one coroutine to completion on a private io_context (tests only).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace vcon_redis::server::mcp::test {

template <class T> T run_sync(boost::asio::awaitable<T> op) {
    boost::asio::io_context ioc;
    auto future = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
    ioc.run();
    return future.get();
}

} // namespace vcon_redis::server::mcp::test
