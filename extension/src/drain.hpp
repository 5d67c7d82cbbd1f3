// One batch: read the oldest outbox events with their documents, apply them to Redis with the
// `apply` script, and delete them only when Redis acknowledged every one.
#pragma once

#include <cstdint>

extern "C" {
#include "utils/palloc.h"
}

namespace vcon_redis {

class RedisLink;

struct BatchResult {
    bool installed = true; // false: this database has no vcon_redis extension
    int events = 0;        // outbox rows applied and deleted
    int dead = 0;          // outbox rows moved to the dead letters
    int64_t pushes = 0;    // RPUSHes Redis performed
    bool full = false;     // the batch was full: more may be waiting
    double lag_ms = -1;    // commit of the oldest event of the batch → Redis acknowledgement
};

// Runs one batch in its own transaction. Throws (Redis Error, PgError, WorkerStopping, …) with
// the transaction still open: the caller must AbortBatch(). chunk_context is reset per chunk.
// Not isolating, the documents come straight from the C builder and any SQL error (a vCon whose
// document cannot be built included) fails the batch: the caller then runs it again isolating,
// which dead-letters such vCons (BeginBatch, outbox_spi.hpp). Either way a batch applies the oldest
// events in id order, and a batch run again is the idempotent replay of docs/internals.md.
BatchResult DrainBatch(RedisLink &link, MemoryContext chunk_context, bool isolating);

} // namespace vcon_redis
