// Shared memory for the workers, an array of vcon_redis.workers blocks (PG15 rules: request in
// shmem_request_hook, initialise in shmem_startup_hook under AddinShmemInitLock). After a crash-restart the
// postmaster runs the startup hook again on fresh memory, so everything is re-initialised there.
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"
}

#include "guc.hpp"
#include "shmem.hpp"

namespace vcon_redis {

namespace {

// The array of blocks, its length (fixed at postmaster start: vcon_redis.workers is a postmaster
// setting) and this process's block.
WorkerShared *blocks = nullptr;
int block_count = 0;
WorkerShared *shared = nullptr;
int my_worker = 0;
shmem_request_hook_type prev_shmem_request_hook = nullptr;
shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

Size SharedSize() {
    return mul_size(sizeof(WorkerShared), static_cast<Size>(guc::workers));
}

void InitBlock(WorkerShared *block) {
    memset(block, 0, sizeof(WorkerShared));
    pg_atomic_init_u32(&block->should_wake, 0);
    pg_atomic_init_u64(&block->first_commit_at, 0);
    pg_atomic_init_u32(&block->state, static_cast<uint32>(WorkerState::not_running));
    pg_atomic_init_u64(&block->events_applied, 0);
    pg_atomic_init_u64(&block->batches, 0);
    pg_atomic_init_u64(&block->pushes, 0);
    pg_atomic_init_u64(&block->reconnects, 0);
    SpinLockInit(&block->mutex);
    block->worker_pid = 0;
    block->worker_latch = nullptr;
    block->last_lag_ms = -1;
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
    blocks = static_cast<WorkerShared *>(ShmemInitStruct("vcon_redis workers", SharedSize(), &found));
    block_count = guc::workers;
    if (!found) {
        for (int i = 0; i < block_count; i++)
            InitBlock(&blocks[i]);
    }
    shared = &blocks[my_worker];
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

int SharedWorkers() noexcept {
    return blocks == nullptr ? 0 : block_count;
}

WorkerShared *SharedWorker(int worker) noexcept {
    return blocks == nullptr || worker < 0 || worker >= block_count ? nullptr : &blocks[worker];
}

void SetMyWorker(int worker) noexcept {
    my_worker = worker;
    shared = SharedWorker(worker);
}

int MyWorker() noexcept {
    return my_worker;
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
