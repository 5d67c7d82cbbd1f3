// The worker's signals and what it does about them, in one place so that the main loop and the
// Redis waiter (which runs deep inside a Redis exchange) react the same way.
#pragma once

#include <stdexcept>

namespace vcon_redis {

// Thrown when SIGTERM arrived: abandon the batch (its rows stay) and exit.
class WorkerStopping : public std::runtime_error {
public:
    WorkerStopping() : std::runtime_error("worker stopping (SIGTERM)") {}
};

// Thrown from a Redis wait when a SIGHUP changed the Redis connection settings: abandon the
// batch and reconnect with the new settings without waiting for a timeout.
class ReconnectRequested : public std::runtime_error {
public:
    ReconnectRequested() : std::runtime_error("Redis settings changed (SIGHUP)") {}
};

// Installs SIGTERM / SIGHUP / SIGUSR1 handlers; call before BackgroundWorkerUnblockSignals.
void InstallSignalHandlers() noexcept;

// Call after every wake-up of the latch (it must already be reset): services PostgreSQL
// interrupts (procsignal barriers, e.g. DROP DATABASE waits for them), reloads the configuration
// on SIGHUP, and throws WorkerStopping on SIGTERM. Returns true when a reload changed the Redis
// connection settings (URL, timeouts).
bool HandleInterrupts();

} // namespace vcon_redis
