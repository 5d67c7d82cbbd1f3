// WaitLatchOrSocket-based Waiter (see redis_waiter.hpp). Throws WorkerStopping on SIGTERM,
// ReconnectRequested when a SIGHUP changed the Redis settings and, when it yields to work,
// WorkArrived when a commit has waited yield_after for it; the Connection then closes itself.
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
}

#include "interrupts.hpp"
#include "pg_guard.hpp"
#include "redis_waiter.hpp"
#include "shmem.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace vcon_redis {

namespace {

bool WaitForSocket(int fd, bool want_write, vcon_redis::redis::Clock::time_point deadline,
                   std::optional<std::chrono::milliseconds> yield_after) {
    using vcon_redis::redis::Clock;
    const Clock::time_point started = Clock::now();
    for (;;) {
        auto now = Clock::now();
        // A commit's wake-up may already have been consumed (by an earlier wait): ask should_wake.
        const bool work = yield_after && pg_atomic_read_u32(&Shared()->should_wake) != 0;
        if (work && now >= started + *yield_after)
            throw WorkArrived();
        if (now >= deadline)
            return false;
        const Clock::time_point until = work ? std::min(deadline, started + *yield_after) : deadline;
        long timeout_ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
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

vcon_redis::redis::Waiter LatchWaiter(std::optional<std::chrono::milliseconds> yield_after) {
    return [yield_after](int fd, bool want_write, vcon_redis::redis::Clock::time_point deadline) {
        return WaitForSocket(fd, want_write, deadline, yield_after);
    };
}

} // namespace vcon_redis
