// vcon_redis._worker_state(): the worker's shared-memory state as one row, for vcon_redis.status().
// Plain C-style code: only the URL redaction is C++ and it catches its own exceptions.
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

#include "guc.hpp"
#include "log_redact.hpp"
#include "shmem.hpp"

namespace {

enum Column {
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

} // namespace

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_worker_state);

Datum vcon_redis_worker_state(PG_FUNCTION_ARGS) {
    using namespace vcon_redis;
    TupleDesc tupdesc;
    if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errmsg("vcon_redis._worker_state must return a composite type")));
    if (tupdesc->natts != kColumns)
        ereport(ERROR, (errmsg("vcon_redis._worker_state: expected %d columns, the declaration has %d",
                               kColumns, tupdesc->natts)));
    tupdesc = BlessTupleDesc(tupdesc);

    Datum values[kColumns];
    bool nulls[kColumns];
    memset(values, 0, sizeof values);
    for (bool &n : nulls)
        n = true;

    char url[kUrlTextMax];
    RedactUrl(guc::redis_url, url, sizeof url);

    WorkerShared *shared = Shared();
    values[kPreloaded] = BoolGetDatum(shared != nullptr);
    nulls[kPreloaded] = false;
    if (shared == nullptr) {
        values[kState] = CStringGetTextDatum("not_preloaded");
        nulls[kState] = false;
    } else {
        // Copy under the spinlock, build Datums (which allocate) afterwards.
        int pid;
        char last_error[kErrorTextMax];
        char worker_url[kUrlTextMax];
        TimestampTz last_error_at, last_success_at;
        double lag_ms;
        SpinLockAcquire(&shared->mutex);
        pid = shared->worker_pid;
        memcpy(last_error, shared->last_error, sizeof last_error);
        memcpy(worker_url, shared->redis_url, sizeof worker_url);
        last_error_at = shared->last_error_at;
        last_success_at = shared->last_success_at;
        lag_ms = shared->last_lag_ms;
        SpinLockRelease(&shared->mutex);
        last_error[kErrorTextMax - 1] = '\0';
        worker_url[kUrlTextMax - 1] = '\0';

        auto state = static_cast<WorkerState>(pg_atomic_read_u32(&shared->state));
        if (pid == 0)
            state = WorkerState::not_running;
        values[kState] = CStringGetTextDatum(StateName(state));
        nulls[kState] = false;
        if (pid != 0) {
            values[kWorkerPid] = Int32GetDatum(pid);
            nulls[kWorkerPid] = false;
        }
        values[kEventsApplied] =
            Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&shared->events_applied)));
        values[kPushes] = Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&shared->pushes)));
        values[kBatches] = Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&shared->batches)));
        values[kReconnects] = Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&shared->reconnects)));
        nulls[kEventsApplied] = nulls[kPushes] = nulls[kBatches] = nulls[kReconnects] = false;
        if (last_error_at != 0) {
            values[kLastError] = CStringGetTextDatum(last_error);
            values[kLastErrorAt] = TimestampTzGetDatum(last_error_at);
            nulls[kLastError] = nulls[kLastErrorAt] = false;
        }
        if (last_success_at != 0) {
            values[kLastSuccessAt] = TimestampTzGetDatum(last_success_at);
            nulls[kLastSuccessAt] = false;
        }
        if (lag_ms >= 0) {
            values[kLastLagMs] = Float8GetDatum(lag_ms);
            nulls[kLastLagMs] = false;
        }
        // The URL the worker actually uses (it may lag a reload); else this backend's setting.
        if (worker_url[0] != '\0')
            strlcpy(url, worker_url, sizeof url);
    }
    values[kRedisUrl] = CStringGetTextDatum(url);
    nulls[kRedisUrl] = false;

    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
}
