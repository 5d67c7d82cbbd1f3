// The Redis client's Waiter for the worker: waits on the socket *and* the process latch, so a
// hung Redis never makes the worker deaf to SIGTERM, SIGHUP, procsignals or postmaster death.
#pragma once

#include "redis/connection.hpp"

namespace vcon_redis {

vcon_redis::redis::Waiter LatchWaiter();

} // namespace vcon_redis
