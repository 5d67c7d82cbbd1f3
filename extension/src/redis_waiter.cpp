// WaitLatchOrSocket-based Waiter (see redis_waiter.hpp). Throws WorkerStopping on SIGTERM and
// ReconnectRequested when a SIGHUP changed the Redis settings; the Connection then closes itself.
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
}

#include "interrupts.hpp"
#include "pg_guard.hpp"
#include "redis_waiter.hpp"

#include <chrono>

namespace vcon_redis {

namespace {

bool WaitForSocket(int fd, bool want_write, vcon_redis::redis::Clock::time_point deadline) {
    for (;;) {
        auto now = vcon_redis::redis::Clock::now();
        if (now >= deadline)
            return false;
        long timeout_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
        int events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH |
                     (want_write ? WL_SOCKET_WRITEABLE : WL_SOCKET_READABLE);
        int rc = PgGuard(
            [&]() noexcept { return WaitLatchOrSocket(MyLatch, events, fd, timeout_ms, PG_WAIT_EXTENSION); });
        if (rc & WL_LATCH_SET) {
            ResetLatch(MyLatch);
            // A commit's wake-up also lands here; WorkerShared::should_wake keeps it for the loop.
            if (HandleInterrupts())
                throw ReconnectRequested();
        }
        if (rc & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
            return true;
    }
}

} // namespace

vcon_redis::redis::Waiter LatchWaiter() {
    return WaitForSocket;
}

} // namespace vcon_redis
