// vcon_redis._worker_state(): each worker's shared-memory state as one row, for vcon_redis.status().
// Plain C-style code: only the URL redaction is C++ and it catches its own exceptions.
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include "guc.hpp"
#include "log_redact.hpp"
#include "shmem.hpp"

namespace {

enum Column {
    kWorker,
    kWorkers,
    kPreloaded,
    kWorkerPid,
    kState,
    kEventsApplied,
    kPushes,
    kBatches,
    kReconnects,
    kLastError,
    kLastErrorAt,
    kLastSuccessAt,
    kLastLagMs,
    kRedisUrl,
    kColumns
};

// A worker's fields that need the spinlock, copied under it (Datums, which allocate, are built after).
struct Locked {
    int pid;
    char last_error[vcon_redis::kErrorTextMax];
    char url[vcon_redis::kUrlTextMax];
    TimestampTz last_error_at;
    TimestampTz last_success_at;
    double lag_ms;
};

void CopyLocked(vcon_redis::WorkerShared *shared, Locked *out) {
    SpinLockAcquire(&shared->mutex);
    out->pid = shared->worker_pid;
    memcpy(out->last_error, shared->last_error, sizeof out->last_error);
    memcpy(out->url, shared->redis_url, sizeof out->url);
    out->last_error_at = shared->last_error_at;
    out->last_success_at = shared->last_success_at;
    out->lag_ms = shared->last_lag_ms;
    SpinLockRelease(&shared->mutex);
    out->last_error[vcon_redis::kErrorTextMax - 1] = '\0';
    out->url[vcon_redis::kUrlTextMax - 1] = '\0';
}

void SetColumn(Datum *values, bool *nulls, int column, Datum value) {
    values[column] = value;
    nulls[column] = false;
}

void Counter(Datum *values, bool *nulls, int column, pg_atomic_uint64 *counter) {
    SetColumn(values, nulls, column, Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(counter))));
}

// Fills the columns of one worker's row from its block; url holds this backend's setting and
// becomes the URL the worker actually uses, when it published one (it may lag a reload).
void FillWorker(vcon_redis::WorkerShared *shared, Datum *values, bool *nulls,
                char (&url)[vcon_redis::kUrlTextMax]) {
    using namespace vcon_redis;
    Locked l;
    CopyLocked(shared, &l);
    auto state = static_cast<WorkerState>(pg_atomic_read_u32(&shared->state));
    if (l.pid == 0)
        state = WorkerState::not_running;
    SetColumn(values, nulls, kState, CStringGetTextDatum(StateName(state)));
    if (l.pid != 0)
        SetColumn(values, nulls, kWorkerPid, Int32GetDatum(l.pid));
    Counter(values, nulls, kEventsApplied, &shared->events_applied);
    Counter(values, nulls, kPushes, &shared->pushes);
    Counter(values, nulls, kBatches, &shared->batches);
    Counter(values, nulls, kReconnects, &shared->reconnects);
    if (l.last_error_at != 0) {
        SetColumn(values, nulls, kLastError, CStringGetTextDatum(l.last_error));
        SetColumn(values, nulls, kLastErrorAt, TimestampTzGetDatum(l.last_error_at));
    }
    if (l.last_success_at != 0)
        SetColumn(values, nulls, kLastSuccessAt, TimestampTzGetDatum(l.last_success_at));
    if (l.lag_ms >= 0)
        SetColumn(values, nulls, kLastLagMs, Float8GetDatum(l.lag_ms));
    if (l.url[0] != '\0')
        strlcpy(url, l.url, sizeof url);
}

} // namespace

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_worker_state);

Datum vcon_redis_worker_state(PG_FUNCTION_ARGS) {
    using namespace vcon_redis;
    InitMaterializedSRF(fcinfo, 0);
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    if (rsinfo->setDesc->natts != kColumns)
        ereport(ERROR, (errmsg("vcon_redis._worker_state: expected %d columns, the declaration has %d",
                               kColumns, rsinfo->setDesc->natts)));

    const int workers = SharedWorkers();
    // Without shared memory: one row, worker 0 of 1, not_preloaded.
    for (int i = 0; i < (workers > 0 ? workers : 1); i++) {
        Datum values[kColumns];
        bool nulls[kColumns];
        memset(values, 0, sizeof values);
        for (bool &n : nulls)
            n = true;
        char url[kUrlTextMax];
        RedactUrl(guc::redis_url, url, sizeof url);

        SetColumn(values, nulls, kWorker, Int32GetDatum(i));
        SetColumn(values, nulls, kWorkers, Int32GetDatum(workers > 0 ? workers : 1));
        SetColumn(values, nulls, kPreloaded, BoolGetDatum(workers > 0));
        if (workers == 0)
            SetColumn(values, nulls, kState, CStringGetTextDatum("not_preloaded"));
        else
            FillWorker(SharedWorker(i), values, nulls, url);
        SetColumn(values, nulls, kRedisUrl, CStringGetTextDatum(url));
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return static_cast<Datum>(0);
}
}
