// One batch: read the oldest outbox events with their documents, apply them to Redis with the
// `apply` script, and delete them only when Redis acknowledged every one.
#pragma once

#include <cstdint>

extern "C" {
#include "utils/palloc.h"
}

#include "partition.hpp"

namespace vcon_redis {

class RedisLink;

struct BatchResult {
    bool installed = true; // false: this database has no vcon_redis extension
    int events = 0;        // outbox rows applied and deleted
    int dead = 0;          // outbox rows moved to the dead letters
    int64_t pushes = 0;    // RPUSHes Redis performed
    bool full = false;     // the batch was full: more may be waiting
    double lag_ms = -1;    // commit of the oldest event of the batch → Redis acknowledgement
    int64_t last_id = 0;   // the highest outbox id the batch read (0: none)
};

// Where the next batch reads the outbox from. After a full batch the next one reads after that
// batch's last id (outbox_spi.cpp says why). A batch reads from the first event again after
// kReadsAfter such reads in a row, after a batch that was not full (before the worker goes idle),
// after any failure and when isolating: an event with a lower id whose transaction committed late
// (ids are taken at insert, not at commit) waits at most that many batches, as it would wait behind
// a backlog, and is never left behind.
class ReadStart {
public:
    static constexpr int kReadsAfter = 15;

    int64_t after_id() const { return after_id_; }
    // After a successful batch: where the next one reads from; returns whether it should run at once.
    bool Advance(const BatchResult &result);
    void Reset() {
        after_id_ = 0;
        reads_after_ = 0;
    }

private:
    int64_t after_id_ = 0; // 0: from the first event
    int reads_after_ = 0;
};

// Runs one batch of the partition's events in its own transaction, reading after after_id when it
// is > 0 (ReadStart). Throws (Redis
// Error, PgError, WorkerStopping, …) with the transaction still open: the caller must AbortBatch().
// Each chunk lives in a child context of chunk_context. Not isolating, the documents come straight from the C
// builder and any SQL error (a vCon whose document cannot be built included) fails the batch: the caller then
// runs it again isolating, which dead-letters such vCons (BeginBatch, outbox_spi.hpp). Either way a batch
// applies the oldest events in id order, and a batch run again is the idempotent replay of docs/internals.md.
BatchResult DrainBatch(RedisLink &link, MemoryContext chunk_context, bool isolating, int64_t after_id,
                       Partition partition);

} // namespace vcon_redis
