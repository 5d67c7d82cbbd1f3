// The workers' shared memory, one WorkerShared block per worker (vcon_redis.workers): how backends
// wake them and how each publishes its state. Exists only when the library is in
// shared_preload_libraries; Shared() is nullptr otherwise.
// Include after postgres.h.
#pragma once

extern "C" {
#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/spin.h"
}

namespace vcon_redis {

// Published worker state; the names are what vcon_redis.status() shows.
enum class WorkerState : uint32 {
    not_running = 0, // no worker attached (not started yet, or exited)
    starting,
    connecting,
    draining,
    idle,
    redis_down,   // Redis unreachable / timed out / error reply; backing off
    error,        // an SQL error while reading or deleting the batch; backing off
    no_extension, // the worker's database has no vcon_redis extension; re-checked every poll
    stopping,
};
const char *StateName(WorkerState state) noexcept;

inline constexpr int kErrorTextMax = 512;
inline constexpr int kUrlTextMax = 256;

struct WorkerShared {
    // Set to 1 by committing backends (compare-and-swap 0 -> 1: one SetLatch per burst), swapped
    // back to 0 by the worker before it drains.
    pg_atomic_uint32 should_wake;
    // Commit time (TimestampTz) of the oldest commit that captured events since the worker last
    // looked; 0 = none. Set 0 -> now by committing backends, swapped to 0 by the worker, which
    // measures its lag from it.
    pg_atomic_uint64 first_commit_at;
    pg_atomic_uint32 state; // WorkerState
    pg_atomic_uint64 events_applied;
    pg_atomic_uint64 batches;
    pg_atomic_uint64 pushes;
    pg_atomic_uint64 reconnects;

    slock_t mutex; // protects everything below; held only for copies, never across calls
    int worker_pid;
    Latch *worker_latch;
    char last_error[kErrorTextMax];
    TimestampTz last_error_at; // 0 = never
    TimestampTz last_success_at;
    double last_lag_ms;          // < 0 = no batch yet
    char redis_url[kUrlTextMax]; // redacted URL the worker uses
};

// This process's worker's block (worker 0 in processes that are no worker); nullptr unless the
// library was preloaded and shared memory is initialised.
WorkerShared *Shared() noexcept;

// How many workers have a block (vcon_redis.workers), 0 without shared memory; and worker i's block.
int SharedWorkers() noexcept;
WorkerShared *SharedWorker(int worker) noexcept;

// Called once by a worker process at start: Shared() and the Publish* helpers use its block.
void SetMyWorker(int worker) noexcept;
int MyWorker() noexcept;

// Installs shmem_request_hook / shmem_startup_hook; call from _PG_init while preloading.
void InstallShmemHooks() noexcept;

// Small publishing helpers for this worker's block (no-ops when Shared() is nullptr). Never ereport.
void PublishState(WorkerState state) noexcept;
void PublishError(const char *message) noexcept;
void PublishSuccess(double lag_ms) noexcept;
void PublishUrl(const char *redacted_url) noexcept;

} // namespace vcon_redis
