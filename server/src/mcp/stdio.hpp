// MCP over stdin/stdout (`vcon-cache-server --stdio`): newline-delimited JSON-RPC, one compact JSON
// message per line on stdout, nothing else on stdout (logs belong on stderr).
#pragma once

#include "mcp/tools.hpp"
#include "store/vcon_store.hpp"

#include <boost/asio/io_context.hpp>

namespace vcon_redis::server::mcp {

// Serves MCP until stdin reaches EOF and every request read so far has been answered; then stops
// `ioc` and returns the process exit code (0). Runs `ioc` on the calling thread (do not run it
// elsewhere concurrently); stdin is read by a helper thread so the store's asynchronous work keeps
// running while we wait for input. If `ioc` is stopped by someone else (e.g. a SIGTERM handler),
// returns promptly as well.
// A line longer than max_line_bytes is answered with a parse error and not buffered; responses stay
// within limits.max_message_bytes.
int run_stdio(VconStore &store, boost::asio::io_context &ioc, const ToolLimits &limits = {},
              std::size_t max_line_bytes = std::size_t{64} << 10);

} // namespace vcon_redis::server::mcp
