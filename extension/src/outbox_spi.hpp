// The worker's SQL side of one batch: plain C-style PostgreSQL code (SPI), no C++ objects, so it
// can run inside PgGuard. One batch = one transaction:
//   BeginBatch  → FetchChunk … → FinishBatch (DELETE the applied rows, move the dead ones to
//   vcon_redis.dead_letters, commit)
//   any failure → AbortBatch (rows stay).
// Include after postgres.h.
#pragma once

extern "C" {
#include "datatype/timestamp.h"
#include "storage/itemptr.h"
#include "utils/palloc.h"
}

#include "partition.hpp"

#include <cstddef>

namespace vcon_redis {

// One outbox event with its document, copied into the caller's chunk context.
struct OutboxRow {
    ItemPointerData ctid; // how FinishBatch deletes it (a TID scan, whatever the statistics say)
    int64 id;
    const char *vcon_uuid; // canonical text form
    const char *event_id;
    bool created;
    int nlists;
    const char **lists; // NULL-free; nlists entries
    TimestampTz enqueued_at;
    const char *doc; // jsonb::text, not NUL-terminated; nullptr when the vCon is absent or broken
    std::size_t doc_len;
    const char *build_error; // why the document cannot be built (a dead letter); nullptr normally
};

// An event that failed for good, and why.
struct DeadRow {
    ItemPointerData ctid;
    const char *error;
};

// Starts the transaction and opens the batch cursor (the partition's first batch_size events in id
// order joined with their documents; with after_id > 0, the first ones after that id). The documents
// are built chunk_rows events at a time, as the cursor reaches them: fetch chunks of that size to
// build one while Redis applies the one before. Isolating (after_id is ignored): a vCon whose
// document cannot be built comes back with its error (sql/45_drain.sql); otherwise any error fails
// the batch. Returns false, with the transaction committed, when this database lacks the extension
// (no vcon_redis.outbox).
bool BeginBatch(int batch_size, int chunk_rows, bool isolating, int64 after_id, Partition partition);

// Fetches the next rows (at most max_rows, and stops early once max_doc_bytes of documents are
// held) into *rows, allocated in into. Returns the number of rows, 0 at the end.
int FetchChunk(int max_rows, std::size_t max_doc_bytes, MemoryContext into, OutboxRow **rows);

// Deletes the applied rows (Redis acknowledged them), moves the dead ones to the dead letters,
// closes the cursor and commits.
void FinishBatch(const ItemPointerData *ctids, int count, const DeadRow *dead, int dead_count);

// Rolls back whatever transaction is open (after an error or an exception); rows stay.
void AbortBatch();

} // namespace vcon_redis
