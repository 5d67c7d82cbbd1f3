// The Redis client's Waiter for the worker: waits on the socket *and* the process latch, so a
// hung Redis never makes the worker deaf to SIGTERM, SIGHUP, procsignals or postmaster death.
#pragma once

#include "redis/connection.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>

namespace vcon_redis {

// Thrown by a waiter that yields to work (below): the operation, a connection off the data path,
// is abandoned and tried again later.
class WorkArrived : public std::runtime_error {
public:
    WorkArrived() : std::runtime_error("abandoned for work to drain") {}
};

// yield_after: also abandon the operation (WorkArrived) once a commit asks for a drain and one
// wait has lasted that long — for the Sentinel subscription, which must not hold up a batch
// (a sentinel that answers is done in a millisecond; a silent one delays a commit by at most this).
vcon_redis::redis::Waiter LatchWaiter(std::optional<std::chrono::milliseconds> yield_after = std::nullopt);

} // namespace vcon_redis
