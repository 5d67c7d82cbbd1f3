// vcon_redis._wake() and the extension's single transaction callback, which wakes the workers.
//
// _wake() runs once per captured statement, so it only sets a backend-local flag. At
// XACT_EVENT_COMMIT the transaction is already durable and visible, interrupts are held and an
// ERROR would become a PANIC: the callback therefore does only compare-and-swaps on shared memory
// (the wake flag, and the commit time the worker measures its lag from) and SetLatch, none of
// which can fail. Abort and PREPARE drop the flag (a prepared
// transaction's events are found by the worker's poll after COMMIT PREPARED).
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/timestamp.h"
}

#include "capture.hpp"
#include "shmem.hpp"
#include "wake.hpp"

namespace vcon_redis {

namespace {

bool wake_at_commit = false; // this backend's current transaction captured events

// Rings one worker's bell: records the commit time unless an older one waits, and sets its latch
// unless its bell already rings.
void WakeWorker(WorkerShared *shared) noexcept {
    uint64 no_commit = 0;
    // GetCurrentTimestamp is gettimeofday: it cannot fail
    pg_atomic_compare_exchange_u64(&shared->first_commit_at, &no_commit,
                                   static_cast<uint64>(GetCurrentTimestamp()));
    uint32 expected = 0;
    // Only the backend that flips 0 -> 1 rings the bell: one SetLatch per burst of commits.
    if (!pg_atomic_compare_exchange_u32(&shared->should_wake, &expected, 1))
        return;
    SpinLockAcquire(&shared->mutex);
    Latch *latch = shared->worker_latch;
    SpinLockRelease(&shared->mutex);
    if (latch != nullptr)
        SetLatch(latch);
}

// Every worker: the transaction's vCons are not known here, and a worker whose partition got no
// event pays one empty outbox read (README Performance, "commit → visible").
void WakeWorkers() noexcept {
    const int workers = SharedWorkers();
    for (int i = 0; i < workers; i++)
        WakeWorker(SharedWorker(i));
}

extern "C" void vcon_redis_xact_callback(XactEvent event, void *arg) {
    switch (event) {
    case XACT_EVENT_COMMIT:
    case XACT_EVENT_PARALLEL_COMMIT:
        if (wake_at_commit) {
            wake_at_commit = false;
            WakeWorkers();
        }
        break;
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PARALLEL_ABORT:
    case XACT_EVENT_PREPARE:
        wake_at_commit = false;
        break;
    case XACT_EVENT_PRE_COMMIT:
    case XACT_EVENT_PARALLEL_PRE_COMMIT:
    case XACT_EVENT_PRE_PREPARE:
        break;
    }
}

} // namespace

void WakeAtCommit() noexcept {
    wake_at_commit = true;
}

void RegisterWakeCallback() noexcept {
    RegisterXactCallback(vcon_redis_xact_callback, nullptr);
}

TimestampTz CommitTimeOfOldestWake() noexcept {
    WorkerShared *shared = Shared();
    return shared == nullptr ? 0
                             : static_cast<TimestampTz>(pg_atomic_exchange_u64(&shared->first_commit_at, 0));
}

} // namespace vcon_redis

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_wake);

// vcon_redis._wake(): cheap, cannot fail, does nothing visible until commit. Its callers are the
// SQL that writes outbox rows itself, which the capture triggers must then not take for absent.
Datum vcon_redis_wake(PG_FUNCTION_ARGS) {
    vcon_redis::NoteOutboxRowsFromSql();
    vcon_redis::WakeAtCommit();
    PG_RETURN_VOID();
}
}
