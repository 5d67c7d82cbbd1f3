// Shared memory for the worker (PG15 rules: request in shmem_request_hook, initialise in
// shmem_startup_hook under AddinShmemInitLock). After a crash-restart the postmaster runs the
// startup hook again on fresh memory, so everything is re-initialised there.
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"
}

#include "shmem.hpp"

namespace vcon_redis {

namespace {

WorkerShared *shared = nullptr;
shmem_request_hook_type prev_shmem_request_hook = nullptr;
shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

Size SharedSize() {
    return MAXALIGN(sizeof(WorkerShared));
}

extern "C" void vcon_redis_shmem_request(void) {
    if (prev_shmem_request_hook != nullptr)
        prev_shmem_request_hook();
    RequestAddinShmemSpace(SharedSize());
}

extern "C" void vcon_redis_shmem_startup(void) {
    if (prev_shmem_startup_hook != nullptr)
        prev_shmem_startup_hook();

    bool found = false;
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    shared = static_cast<WorkerShared *>(ShmemInitStruct("vcon_redis worker", SharedSize(), &found));
    if (!found) {
        memset(shared, 0, sizeof(WorkerShared));
        pg_atomic_init_u32(&shared->should_wake, 0);
        pg_atomic_init_u64(&shared->first_commit_at, 0);
        pg_atomic_init_u32(&shared->state, static_cast<uint32>(WorkerState::not_running));
        pg_atomic_init_u64(&shared->events_applied, 0);
        pg_atomic_init_u64(&shared->batches, 0);
        pg_atomic_init_u64(&shared->pushes, 0);
        pg_atomic_init_u64(&shared->reconnects, 0);
        SpinLockInit(&shared->mutex);
        shared->worker_pid = 0;
        shared->worker_latch = nullptr;
        shared->last_lag_ms = -1;
    }
    LWLockRelease(AddinShmemInitLock);
}

} // namespace

const char *StateName(WorkerState state) noexcept {
    switch (state) {
    case WorkerState::not_running:
        return "not_running";
    case WorkerState::starting:
        return "starting";
    case WorkerState::connecting:
        return "connecting";
    case WorkerState::draining:
        return "draining";
    case WorkerState::idle:
        return "idle";
    case WorkerState::redis_down:
        return "redis_down";
    case WorkerState::error:
        return "error";
    case WorkerState::no_extension:
        return "no_extension";
    case WorkerState::stopping:
        return "stopping";
    }
    return "unknown";
}

WorkerShared *Shared() noexcept {
    return shared;
}

void InstallShmemHooks() noexcept {
    prev_shmem_request_hook = shmem_request_hook;
    shmem_request_hook = vcon_redis_shmem_request;
    prev_shmem_startup_hook = shmem_startup_hook;
    shmem_startup_hook = vcon_redis_shmem_startup;
}

void PublishState(WorkerState state) noexcept {
    if (shared != nullptr)
        pg_atomic_write_u32(&shared->state, static_cast<uint32>(state));
}

void PublishError(const char *message) noexcept {
    if (shared == nullptr)
        return;
    TimestampTz now = GetCurrentTimestamp();
    SpinLockAcquire(&shared->mutex);
    strlcpy(shared->last_error, message, sizeof shared->last_error);
    shared->last_error_at = now;
    SpinLockRelease(&shared->mutex);
}

void PublishSuccess(double lag_ms) noexcept {
    if (shared == nullptr)
        return;
    TimestampTz now = GetCurrentTimestamp();
    SpinLockAcquire(&shared->mutex);
    shared->last_success_at = now;
    if (lag_ms >= 0)
        shared->last_lag_ms = lag_ms;
    SpinLockRelease(&shared->mutex);
}

void PublishUrl(const char *redacted_url) noexcept {
    if (shared == nullptr)
        return;
    SpinLockAcquire(&shared->mutex);
    strlcpy(shared->redis_url, redacted_url, sizeof shared->redis_url);
    SpinLockRelease(&shared->mutex);
}

} // namespace vcon_redis
