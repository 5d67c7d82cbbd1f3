// MCP over stdin/stdout (`vcon-cache-server --stdio`): newline-delimited JSON-RPC, one compact JSON
// message per line on stdout, nothing else on stdout (logs belong on stderr).
#pragma once

#include "store/vcon_store.hpp"

#include <boost/asio/io_context.hpp>

namespace vconredis::server::mcp {

// Serves MCP until stdin reaches EOF and every request read so far has been answered; then stops
// `ioc` and returns the process exit code (0). Runs `ioc` on the calling thread (do not run it
// elsewhere concurrently); stdin is read by a helper thread so the store's asynchronous work keeps
// running while we wait for input. If `ioc` is stopped by someone else (e.g. a SIGTERM handler),
// returns promptly as well.
int run_stdio(VconStore &store, boost::asio::io_context &ioc);

} // namespace vconredis::server::mcp
