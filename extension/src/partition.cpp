// WorkerOf (partition.hpp) and its SQL face, vcon_redis._worker_owns(uuid, workers, worker).
// Plain C-style code: it cannot fail.
//
// The hash is PostgreSQL's own hash of the uuid's 16 bytes (uuid_hash's hash_any), taken modulo
// the number of workers: stable for a given server build and N, whatever process computes it.
// _worker_owns is a boolean C function rather than an inlined "WorkerOf(uuid, N) = i": the planner
// estimates an unknown function's boolean result as true for a third of the rows, where it would
// estimate "expression = constant" at 0.5 % and, on a large outbox, sort the whole table instead
// of reading its id index in order until the batch is full.
extern "C" {
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
}

#include "partition.hpp"

namespace vcon_redis {

int WorkerOf(const pg_uuid_t &uuid, int workers) noexcept {
    if (workers <= 1)
        return 0;
    const uint32 hash = DatumGetUInt32(hash_any(uuid.data, UUID_LEN));
    return static_cast<int>(hash % static_cast<uint32>(workers));
}

} // namespace vcon_redis

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_worker_owns);

// vcon_redis._worker_owns(uuid, workers, worker): whether worker `worker` of `workers` applies the
// events of uuid. STRICT, so never called with a NULL.
Datum vcon_redis_worker_owns(PG_FUNCTION_ARGS) {
    const pg_uuid_t *uuid = PG_GETARG_UUID_P(0);
    const int32 workers = PG_GETARG_INT32(1);
    const int32 worker = PG_GETARG_INT32(2);
    PG_RETURN_BOOL(vcon_redis::WorkerOf(*uuid, workers) == worker);
}
}
