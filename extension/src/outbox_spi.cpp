// SPI part of a batch (outbox_spi.hpp). Everything here is called through PgGuard.
extern "C" {
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include "outbox_spi.hpp"
#include "uuid_text.hpp"

namespace vcon_redis {

namespace {

// The open batch cursor of the current transaction, and the id of the last row fetched from it.
Portal batch_portal = nullptr;
int64 last_fetched_id = 0;

// The batch statements are parsed once per worker process, not once per batch: at a few events per
// batch that planning was a large share of the worker's CPU. The plan cache revalidates kept plans
// after DDL (DROP/CREATE EXTENSION included). The batch read keeps custom plans: its LIMIT must be
// known, or a large outbox would be sorted whole. (The applied rows are deleted without SQL unless
// the outbox has triggers or row-level security: DeleteApplied.)
SPIPlanPtr batch_plan = nullptr;
SPIPlanPtr batch_after_plan = nullptr;
SPIPlanPtr isolating_batch_plan = nullptr;
SPIPlanPtr dead_letter_plan = nullptr;
SPIPlanPtr delete_plan = nullptr; // DeleteAppliedBySql

SPIPlanPtr KeptPlan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *argtypes,
                    int cursor_options = 0) {
    if (*slot == nullptr) {
        SPIPlanPtr plan = SPI_prepare_cursor(sql, nargs, const_cast<Oid *>(argtypes), cursor_options);
        if (plan == nullptr)
            elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "SPI_keepplan failed");
        *slot = plan;
    }
    return *slot;
}

// Whether this database has the extension: a catalog lookup, no SQL to parse on every batch.
bool ExtensionInstalled() {
    Oid nsp = get_namespace_oid("vcon_redis", true);
    return OidIsValid(nsp) && OidIsValid(get_relname_relid("outbox", nsp));
}

// The batch is read once (a materialised CTE) and numbered into chunks of $5 rows in id order; the
// documents of a chunk's distinct vCons are built by one set-based call, as the compact text Redis
// holds, when the cursor reaches that chunk (a LATERAL call per chunk, the chunks in order, each
// chunk's rows sorted by id). The worker fetches a chunk of the same size while Redis runs the
// scripts of the one before (drain.cpp), so building and applying overlap; FetchChunk checks the ids
// ascend. The isolating read names the vCons whose document cannot be built instead of failing
// (_drain_documents, sql/45_drain.sql: PL/pgSQL and a subtransaction per call); the plain read calls
// the C builder directly and fails the whole batch on any error, after which the worker reads that
// batch again isolating (drain.hpp).
//
// The read "after" an id ($2) starts its index scan there instead of at the outbox's first entry: in
// a bulk drain the entries of the rows deleted by the previous batches stay in the index until their
// deletion's hint bits are set, which waits for the WAL flush of the worker's asynchronous commit
// (wal_writer_delay), and every batch fetched their heap tuples again. DrainBatch (drain.hpp) says
// when; a bulk of 50 000 plain vCons cost 0.91x the worker's CPU per vCon with it.
#define BATCH_QUERY(where, documents)                                                                        \
    "WITH batch AS MATERIALIZED ("                                                                           \
    "    SELECT ctid, id, vcon_uuid, created, lists, event_id, enqueued_at,"                                 \
    "           (row_number() OVER (ORDER BY id) - 1) / $5 AS chunk"                                         \
    "    FROM (SELECT ctid, id, vcon_uuid, created, lists, event_id, enqueued_at FROM vcon_redis.outbox"     \
    "          WHERE " where " ORDER BY id LIMIT $1) AS o)"                                                  \
    " SELECT b.ctid, b.id, b.vcon_uuid, b.created, b.lists, b.event_id, b.enqueued_at,"                      \
    "        b.doc, b.error"                                                                                 \
    " FROM generate_series(0::bigint, (SELECT max(chunk) FROM batch)) AS c(chunk)"                           \
    " CROSS JOIN LATERAL ("                                                                                  \
    "     SELECT r.*, d.doc, d.error FROM batch r LEFT JOIN (" documents ") AS d ON d.uuid = r.vcon_uuid"    \
    "     WHERE r.chunk = c.chunk ORDER BY r.id) AS b"
#define CHUNK_UUIDS "ARRAY(SELECT DISTINCT vcon_uuid FROM batch WHERE chunk = c.chunk)"
#define DOCUMENTS                                                                                            \
    "SELECT t.uuid, t.doc, NULL::text AS error FROM vcon_redis._vcon_texts(" CHUNK_UUIDS ") AS t"
// The partition (partition.hpp): with one worker ($3 = 1) the OR stops at its first operand, so
// _worker_owns is never called (a custom plan folds the test away altogether).
#define PARTITION "($3 = 1 OR vcon_redis._worker_owns(vcon_uuid, $3, $4))"
const char *const kBatchQuery = BATCH_QUERY(PARTITION, DOCUMENTS);
const char *const kBatchAfterQuery = BATCH_QUERY("id > $2 AND " PARTITION, DOCUMENTS);
const char *const kIsolatingBatchQuery = BATCH_QUERY(
    PARTITION, "SELECT t.uuid, t.doc, t.error FROM vcon_redis._drain_documents(" CHUNK_UUIDS ") AS t");
#undef PARTITION
#undef DOCUMENTS
#undef CHUNK_UUIDS
#undef BATCH_QUERY

enum BatchColumn { kCtid = 1, kId, kUuid, kCreated, kLists, kEventId, kEnqueuedAt, kDoc, kError };

// Moves dead events to the dead letters, with their error and one more attempt.
const char *const kDeadLetterQuery =
    "WITH dead AS ("
    "    DELETE FROM vcon_redis.outbox o WHERE o.ctid = ANY ($1)"
    "    RETURNING o.ctid, o.id, o.vcon_uuid, o.created, o.lists, o.event_id, o.enqueued_at, o.attempts)"
    " INSERT INTO vcon_redis.dead_letters"
    "     (id, vcon_uuid, created, lists, event_id, enqueued_at, attempts, error)"
    " SELECT d.id, d.vcon_uuid, d.created, d.lists, d.event_id, d.enqueued_at, d.attempts + 1, e.error"
    " FROM dead d JOIN unnest($1, $2) AS e(ctid, error) ON e.ctid = d.ctid"
    " ON CONFLICT (id) DO UPDATE SET failed_at = clock_timestamp(), attempts = excluded.attempts,"
    "     error = excluded.error";

Datum Column(HeapTuple tuple, TupleDesc desc, int column, bool *isnull) {
    return SPI_getbinval(tuple, desc, column, isnull);
}

// A uuid column's text, NUL-terminated, in the current memory context.
const char *UuidColumn(HeapTuple tuple, TupleDesc desc, int column) {
    bool isnull = false;
    char *text = static_cast<char *>(palloc(kUuidTextLen + 1));
    UuidText(DatumGetUUIDP(Column(tuple, desc, column, &isnull)), text);
    text[kUuidTextLen] = '\0';
    return text;
}

void CopyRow(HeapTuple tuple, TupleDesc desc, OutboxRow *row) {
    bool isnull = false;
    ItemPointerCopy(reinterpret_cast<ItemPointer>(DatumGetPointer(Column(tuple, desc, kCtid, &isnull))),
                    &row->ctid);
    row->id = DatumGetInt64(Column(tuple, desc, kId, &isnull));
    row->vcon_uuid = UuidColumn(tuple, desc, kUuid);
    row->created = DatumGetBool(Column(tuple, desc, kCreated, &isnull));
    row->event_id = UuidColumn(tuple, desc, kEventId);
    row->enqueued_at = DatumGetTimestampTz(Column(tuple, desc, kEnqueuedAt, &isnull));

    row->nlists = 0;
    row->lists = nullptr;
    Datum lists = Column(tuple, desc, kLists, &isnull);
    if (!isnull) {
        Datum *elems = nullptr;
        bool *nulls = nullptr;
        int n = 0;
        deconstruct_array(DatumGetArrayTypeP(lists), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
        row->lists = static_cast<const char **>(palloc0(sizeof(const char *) * (n > 0 ? n : 1)));
        for (int i = 0; i < n; i++) {
            if (!nulls[i])
                row->lists[row->nlists++] = TextDatumGetCString(elems[i]);
        }
    }

    Datum error = Column(tuple, desc, kError, &isnull);
    row->build_error = isnull ? nullptr : TextDatumGetCString(error);

    row->doc = nullptr;
    row->doc_len = 0;
    Datum doc = Column(tuple, desc, kDoc, &isnull);
    if (!isnull) {
        // Always a copy (in the chunk context): an untoasted value would otherwise point into the
        // SPI tuple table, which FetchChunk frees right after.
        text *t = DatumGetTextPCopy(doc);
        row->doc = VARDATA_ANY(t);
        row->doc_len = VARSIZE_ANY_EXHDR(t);
    }
}

} // namespace

bool BeginBatch(int batch_size, int chunk_rows, bool isolating, int64 after_id, Partition partition) {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, "vcon_redis: draining the outbox");

    if (!ExtensionInstalled()) {
        SPI_finish();
        PopActiveSnapshot();
        CommitTransactionCommand();
        pgstat_report_activity(STATE_IDLE, nullptr);
        return false;
    }

    // The batch's documents (~5 MB for 500 realistic vCons) stay in memory: SET LOCAL work_mem.
    (void)set_config_option("work_mem", "65536", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
                            false);
    // SET LOCAL enable_seqscan = off: a generic plan of "ctid = ANY ($1)" (the dead letters' DELETE)
    // guesses 10 ctids, whose TID scan costs more than a sequential scan of a small outbox, and was
    // planned so: a read of every page of the outbox, dead rows included. Every statement of a batch
    // reads by index or ctid. Set in each batch's transaction because the plan cache may plan those
    // statements again in any batch.
    (void)set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
                            false);

    Datum values[5] = {Int32GetDatum(batch_size), Int64GetDatum(after_id), Int32GetDatum(partition.workers),
                       Int32GetDatum(partition.worker), Int32GetDatum(chunk_rows)};
    const Oid argtypes[5] = {INT4OID, INT8OID, INT4OID, INT4OID, INT4OID};
    // read_only = false: vcon_json_many is VOLATILE (it must see rows of its caller's statement).
    SPIPlanPtr plan = isolating      ? KeptPlan(&isolating_batch_plan, kIsolatingBatchQuery, 5, argtypes)
                      : after_id > 0 ? KeptPlan(&batch_after_plan, kBatchAfterQuery, 5, argtypes)
                                     : KeptPlan(&batch_plan, kBatchQuery, 5, argtypes);
    batch_portal = SPI_cursor_open(nullptr, plan, values, nullptr, false);
    if (batch_portal == nullptr)
        elog(ERROR, "could not open the outbox cursor");
    last_fetched_id = 0;
    return true;
}

int FetchChunk(int max_rows, std::size_t max_doc_bytes, MemoryContext into, OutboxRow **rows) {
    OutboxRow *out = static_cast<OutboxRow *>(MemoryContextAllocZero(into, sizeof(OutboxRow) * max_rows));
    *rows = out;
    int count = 0;
    std::size_t doc_bytes = 0;
    // Small fetches, so that a chunk of 1 MB documents stops near max_doc_bytes.
    const int step = 8;
    while (count < max_rows && doc_bytes < max_doc_bytes) {
        SPI_cursor_fetch(batch_portal, true, Min(step, max_rows - count));
        uint64 fetched = SPI_processed;
        if (fetched == 0) {
            SPI_freetuptable(SPI_tuptable);
            break;
        }
        MemoryContext old = MemoryContextSwitchTo(into);
        for (uint64 i = 0; i < fetched; i++) {
            CopyRow(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &out[count]);
            // the plan's shape orders the rows (BATCH_QUERY); should it ever not, the batch fails
            // and is read again isolating, never applied out of order
            if (out[count].id <= last_fetched_id)
                elog(ERROR, "outbox batch read out of id order (%lld after %lld)",
                     static_cast<long long>(out[count].id), static_cast<long long>(last_fetched_id));
            last_fetched_id = out[count].id;
            doc_bytes += out[count].doc_len;
            count++;
        }
        MemoryContextSwitchTo(old);
        SPI_freetuptable(SPI_tuptable);
    }
    return count;
}

namespace {

// A tid[] of the count ctids found every `stride` bytes from first, in the current memory context.
Datum TidArray(const ItemPointerData *first, int count, std::size_t stride) {
    Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
    for (int i = 0; i < count; i++)
        elems[i] = PointerGetDatum(reinterpret_cast<const char *>(first) + i * stride);
    return PointerGetDatum(
        construct_array(elems, count, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
}

// The applied rows deleted by the statement (DeleteApplied: when the outbox has triggers or
// row-level security). Planned once, generic: a TID scan whatever the array (left to choose, the
// plan cache planned it again for every batch).
void DeleteAppliedBySql(const ItemPointerData *ctids, int count) {
    Datum values[1] = {TidArray(ctids, count, sizeof(ItemPointerData))};
    const Oid argtypes[1] = {TIDARRAYOID};
    int ret = SPI_execute_plan(KeptPlan(&delete_plan, "DELETE FROM vcon_redis.outbox WHERE ctid = ANY ($1)",
                                        1, argtypes, CURSOR_OPT_GENERIC_PLAN),
                               values, nullptr, false, 0);
    if (ret != SPI_OK_DELETE)
        elog(ERROR, "deleting applied outbox rows failed: %s", SPI_result_code_string(ret));
}

// Deletes the applied rows by ctid through the table AM, as "DELETE FROM vcon_redis.outbox WHERE
// ctid = ANY (…)" would, without its executor start-up and plan-cache check (6-7 % of the worker's
// CPU at 2-3 events per batch). By ctid, not id: no index probe. The rows cannot have moved: our
// batch's lock blocks VACUUM FULL, its snapshot keeps them from being pruned. A row updated or
// deleted by someone else since the batch read it is skipped, as the executor's DELETE skips it in
// READ COMMITTED (its new version does not have the ctid asked for): that new version is the next
// batch's (applied again, harmlessly). The DELETE privilege is checked as the statement would.
// Someone who put a trigger (a foreign key's included) or row-level security on the outbox gets
// the statement itself, which runs them (capture's TakesDirectInserts decides the same way).
void DeleteApplied(const ItemPointerData *ctids, int count) {
    Relation outbox =
        table_openrv(makeRangeVar(pstrdup("vcon_redis"), pstrdup("outbox"), -1), RowExclusiveLock);
    if (outbox->trigdesc != nullptr || outbox->rd_rel->relrowsecurity) {
        table_close(outbox, NoLock);
        DeleteAppliedBySql(ctids, count);
        return;
    }
    AclResult acl = pg_class_aclcheck(RelationGetRelid(outbox), GetUserId(), ACL_DELETE);
    if (acl != ACLCHECK_OK)
        aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(outbox));
    const CommandId cid = GetCurrentCommandId(true);
    for (int i = 0; i < count; i++) {
        ItemPointerData tid = ctids[i];
        TM_FailureData failure;
        TM_Result result = table_tuple_delete(outbox, &tid, cid, GetActiveSnapshot(), InvalidSnapshot, true,
                                              &failure, false);
        if (result != TM_Ok && result != TM_Updated && result != TM_Deleted)
            elog(ERROR, "deleting applied outbox row (%u,%u) failed: result %d",
                 ItemPointerGetBlockNumber(&tid), ItemPointerGetOffsetNumber(&tid), static_cast<int>(result));
    }
    table_close(outbox, NoLock);
    CommandCounterIncrement(); // the dead letters' statement sees the deletions
}

} // namespace

void FinishBatch(const ItemPointerData *ctids, int count, const DeadRow *dead, int dead_count) {
    if (batch_portal != nullptr) {
        SPI_cursor_close(batch_portal);
        batch_portal = nullptr;
    }
    if (count > 0)
        DeleteApplied(ctids, count);
    if (dead_count > 0) {
        Datum *errors = static_cast<Datum *>(palloc(sizeof(Datum) * dead_count));
        for (int i = 0; i < dead_count; i++)
            errors[i] = CStringGetTextDatum(dead[i].error);
        Datum values[2] = {
            TidArray(&dead[0].ctid, dead_count, sizeof(DeadRow)),
            PointerGetDatum(construct_array(errors, dead_count, TEXTOID, -1, false, TYPALIGN_INT))};
        const Oid argtypes[2] = {TIDARRAYOID, TEXTARRAYOID};
        int ret = SPI_execute_plan(KeptPlan(&dead_letter_plan, kDeadLetterQuery, 2, argtypes), values,
                                   nullptr, false, 0);
        if (ret != SPI_OK_INSERT)
            elog(ERROR, "moving dead outbox rows failed: %s", SPI_result_code_string(ret));
    }
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    pgstat_report_stat(false);
    pgstat_report_activity(STATE_IDLE, nullptr);
}

void AbortBatch() {
    batch_portal = nullptr; // the abort drops the portal
    AbortOutOfAnyTransaction();
    pgstat_report_activity(STATE_IDLE, nullptr);
}

} // namespace vcon_redis
