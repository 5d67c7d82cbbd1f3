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
BatchResult DrainBatch(RedisLink &link, MemoryContext chunk_context);

} // namespace vcon_redis
