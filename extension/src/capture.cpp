// The capture triggers, in C: vcon_redis._capture_vcons(), _capture_child() and _capture_history()
// (sql/50_capture.sql), fired after every statement on the vCon tables, rows or not: save_vcon
// alone fires six.
//
// The PL/pgSQL versions cost a function call, a search_path switch and an INSERT … ON CONFLICT into
// the outbox per statement, all but the first finding the event already there. These read the
// statement's transition tables, remember which vCons this transaction has recorded, and write an
// outbox row only for a vCon they have not: once per vCon per transaction. A creation (an INSERT
// into vcons) of a vCon already recorded upserts, to mark the event `created` with the ingress
// lists in force. The set lives in TopTransactionContext; each vCon in it carries the
// subtransaction that wrote its row, and leaves the set when that subtransaction (or one around
// it) aborts, since its row is gone with it.
//
// So the set is exactly this transaction's outbox rows, and a vCon outside it has none: its row is
// written directly, heap tuple and index entries as PostgreSQL writes its catalogs
// (CatalogTupleInsert), without SPI, the executor or ON CONFLICT, which were most of a plain
// INSERT's capture cost. When SQL wrote outbox rows in the transaction too (resync(),
// retry_dead_letters(), the TRUNCATE trigger: they call _wake()), or the outbox is not the table
// this code knows, the rows go through SPI and ON CONFLICT as before.
//
// The functions are SECURITY DEFINER without a SET clause, which would cost a GUC save and restore
// on every call; the statements they run are planned with search_path pinned to pg_catalog,
// pg_temp: the outbox inserts (which name nothing a search_path could redirect: a qualified table,
// no operators or functions, the column defaults bound by OID), the ingress-list check, and, for
// party_history rows that name only their dialog (vcon-mcp's), the lookup of their vCons.
//
// Nothing here is a C++ object: every call may ereport, and a longjmp skips only plain frames.
extern "C" {
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
#include "utils/xid8.h"
}

#include "capture.hpp"
#include "guc.hpp"
#include "wake.hpp"

namespace vcon_redis {

namespace {

constexpr const char *kInsertEvent =
    "INSERT INTO vcon_redis.outbox (vcon_uuid) VALUES ($1) ON CONFLICT (xid, vcon_uuid) DO NOTHING";
// A creation merged into an event that was not one gets a fresh event_id: its push guard must be
// its own.
constexpr const char *kUpsertCreation =
    "INSERT INTO vcon_redis.outbox AS o (vcon_uuid, created, lists) VALUES ($1, true, $2) "
    "ON CONFLICT (xid, vcon_uuid) DO UPDATE SET created = true, lists = coalesce(excluded.lists, o.lists), "
    "event_id = CASE WHEN o.created THEN o.event_id ELSE excluded.event_id END";
constexpr const char *kIngressLists = "SELECT vcon_redis._ingress_lists()";

// Prepared once per backend (SPI_keepplan).
SPIPlanPtr insert_event = nullptr;
SPIPlanPtr upsert_creation = nullptr;
SPIPlanPtr ingress_lists = nullptr;

// The vCons this transaction has recorded, each with the subtransaction whose insert made its row;
// valid while recorded_lxid is the current transaction. When a subtransaction aborts, the entries
// of it and of its children go (their rows went with it), so the set is exactly this transaction's
// outbox rows, unless SQL wrote some too (sql_rows_lxid): resync(), retry_dead_letters() and the
// TRUNCATE trigger, which all call _wake() afterwards (NoteOutboxRowsFromSql).
struct RecordedVcon {
    pg_uuid_t uuid; // the key
    SubTransactionId subid;
};
HTAB *recorded = nullptr;
LocalTransactionId recorded_lxid = InvalidLocalTransactionId;
LocalTransactionId sql_rows_lxid = InvalidLocalTransactionId;

HTAB *RecordedSet() {
    if (recorded == nullptr || recorded_lxid != MyProc->lxid) {
        HASHCTL ctl;
        ctl.keysize = sizeof(pg_uuid_t);
        ctl.entrysize = sizeof(RecordedVcon);
        ctl.hcxt = TopTransactionContext;
        recorded = hash_create("vcon_redis recorded vCons", 32, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
        recorded_lxid = MyProc->lxid;
    }
    return recorded;
}

bool Recorded(Datum uuid) {
    bool found;
    (void)hash_search(RecordedSet(), DatumGetPointer(uuid), HASH_FIND, &found);
    return found;
}

void Remember(Datum uuid) {
    bool found;
    auto *entry =
        static_cast<RecordedVcon *>(hash_search(RecordedSet(), DatumGetPointer(uuid), HASH_ENTER, &found));
    if (!found)
        entry->subid = GetCurrentSubTransactionId();
}

// Whether the outbox rows of this transaction are exactly the recorded set: then a vCon not in it
// has no row, and its event is inserted directly, without ON CONFLICT.
bool RowsAreRecorded() {
    return sql_rows_lxid != MyProc->lxid;
}

extern "C" void vcon_redis_subxact_callback(SubXactEvent event, SubTransactionId subid, SubTransactionId,
                                            void *) {
    if (event != SUBXACT_EVENT_ABORT_SUB || recorded == nullptr || recorded_lxid != MyProc->lxid)
        return;
    // Subtransaction ids grow: the aborted one's children (committed into it) have larger ones,
    // the vCons its parent recorded before it began smaller ones.
    HASH_SEQ_STATUS scan;
    hash_seq_init(&scan, recorded);
    while (auto *entry = static_cast<RecordedVcon *>(hash_seq_search(&scan))) {
        if (entry->subid >= subid)
            (void)hash_search(recorded, &entry->uuid, HASH_REMOVE, nullptr);
    }
}

// Runs f() with search_path = pg_catalog, pg_temp (restored on return; on an ERROR, by the abort).
template <typename F> auto WithPinnedSearchPath(F f) {
    int nest = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                            true, 0, false);
    auto result = f();
    AtEOXact_GUC(true, nest);
    return result;
}

SPIPlanPtr Plan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *argtypes) {
    if (*cache == nullptr) {
        SPIPlanPtr plan = WithPinnedSearchPath([&] { return SPI_prepare(sql, nargs, argtypes); });
        if (plan == nullptr)
            elog(ERROR, "vcon_redis: cannot prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "vcon_redis: cannot keep the plan of \"%s\"", sql);
        *cache = plan;
    }
    return *cache;
}

// The ingress lists of a creation: a text[] or NULL.
struct Lists {
    Datum value;
    bool isnull;
};

// One trigger call's connections: SPI, and the outbox opened for direct inserts (both lazily).
struct CaptureCall {
    bool connected = false;
    Relation outbox = nullptr;
    CatalogIndexState indexes = nullptr;
};

void Connect(CaptureCall *call) {
    if (call->connected)
        return;
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "vcon_redis: SPI_connect failed");
    call->connected = true;
}

void Execute(SPIPlanPtr plan, Datum *values, const char *nulls, int expected) {
    int rc = SPI_execute_plan(plan, values, nulls, false, 0);
    if (rc != expected)
        elog(ERROR, "vcon_redis: a capture statement failed: %s", SPI_result_code_string(rc));
}

// The outbox's columns as the direct insert fills them, in table order (sql/00_outbox.sql); the
// values are its column defaults, computed as they do.
enum OutboxColumn {
    kId,
    kXid,
    kVconUuid,
    kCreated,
    kLists,
    kEventId,
    kEnqueuedAt,
    kAttempts,
    kOutboxColumns
};
constexpr struct {
    const char *name;
    Oid type;
} kOutboxShape[kOutboxColumns] = {
    {"id", INT8OID},         {"xid", XID8OID},      {"vcon_uuid", UUIDOID},          {"created", BOOLOID},
    {"lists", TEXTARRAYOID}, {"event_id", UUIDOID}, {"enqueued_at", TIMESTAMPTZOID}, {"attempts", INT4OID}};

// The outbox table and its identity sequence, looked up once per backend; forgotten when the
// table's relcache entry is invalidated (any ALTER, DROP EXTENSION). InvalidOid: not looked up.
Oid outbox_relid = InvalidOid;
Oid outbox_sequence = InvalidOid;
bool outbox_direct = false; // TakesDirectInserts, and id an identity

extern "C" void vcon_redis_relcache_callback(Datum, Oid relid) {
    if (relid == InvalidOid || relid == outbox_relid)
        outbox_relid = InvalidOid;
}

// Whether rel is an outbox this code may write directly: kOutboxShape's columns, and nothing a direct
// insert would skip (a trigger, a CHECK constraint, row-level security: someone added them, so
// they must run, and SPI runs them).
bool TakesDirectInserts(Relation rel) {
    TupleDesc desc = RelationGetDescr(rel);
    if (desc->natts != kOutboxColumns || rel->trigdesc != nullptr || rel->rd_rel->relrowsecurity ||
        (desc->constr != nullptr && desc->constr->num_check > 0))
        return false;
    for (int i = 0; i < kOutboxColumns; i++) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        if (att->attisdropped || att->atttypid != kOutboxShape[i].type ||
            strcmp(NameStr(att->attname), kOutboxShape[i].name) != 0)
            return false;
    }
    return true;
}

// Whether every index of the opened outbox takes plain column values (what CatalogTupleInsert
// supports: no expression, predicate, exclusion or deferred constraint).
bool PlainIndexes(CatalogIndexState indexes) {
    for (int i = 0; i < indexes->ri_NumIndices; i++) {
        IndexInfo *info = indexes->ri_IndexRelationInfo[i];
        if (info->ii_Expressions != NIL || info->ii_Predicate != NIL || info->ii_ExclusionOps != nullptr ||
            !indexes->ri_IndexRelationDescs[i]->rd_index->indimmediate)
            return false;
    }
    return true;
}

// The outbox, RowExclusiveLock'ed: by the OID looked up before, which the relcache callback forgets
// when the table changes (checked again once the lock has processed pending invalidations), else
// by name.
Relation OpenOutboxRelation() {
    Oid relid = outbox_relid;
    if (OidIsValid(relid)) {
        LockRelationOid(relid, RowExclusiveLock);
        if (outbox_relid == relid)
            return table_open(relid, NoLock);
        UnlockRelationOid(relid, RowExclusiveLock);
    }
    return table_openrv(makeRangeVar(pstrdup("vcon_redis"), pstrdup("outbox"), -1), RowExclusiveLock);
}

// Opens the outbox for direct inserts; false when it cannot take them (then SPI writes the row).
bool OpenOutbox(CaptureCall *call) {
    if (call->outbox != nullptr)
        return true;
    Relation rel = OpenOutboxRelation();
    if (outbox_relid != RelationGetRelid(rel)) {
        outbox_sequence =
            TakesDirectInserts(rel) ? getIdentitySequence(RelationGetRelid(rel), kId + 1, true) : InvalidOid;
        outbox_direct = OidIsValid(outbox_sequence);
        outbox_relid = RelationGetRelid(rel);
    }
    CatalogIndexState indexes = outbox_direct ? CatalogOpenIndexes(rel) : nullptr;
    if (indexes == nullptr || !PlainIndexes(indexes)) {
        if (indexes != nullptr)
            CatalogCloseIndexes(indexes);
        table_close(rel, NoLock);
        return false;
    }
    call->outbox = rel;
    call->indexes = indexes;
    return true;
}

void CloseOutbox(CaptureCall *call) {
    if (call->outbox == nullptr)
        return;
    CatalogCloseIndexes(call->indexes);
    table_close(call->outbox, NoLock); // the lock is kept until the transaction ends
}

// Inserts the event of `uuid` as heap tuple + index entries, without the executor, when this
// transaction's outbox rows are exactly the recorded set (so it has none yet: the unique index
// is checked all the same). False when the row must go through SPI.
bool InsertDirectly(Datum uuid, bool created, Lists lists, CaptureCall *call) {
    if (!RowsAreRecorded() || !OpenOutbox(call))
        return false;
    Datum values[kOutboxColumns];
    bool nulls[kOutboxColumns] = {};
    values[kId] = Int64GetDatum(nextval_internal(outbox_sequence, false));
    values[kXid] = FullTransactionIdGetDatum(GetTopFullTransactionId()); // pg_current_xact_id()
    values[kVconUuid] = uuid;
    values[kCreated] = BoolGetDatum(created);
    values[kLists] = lists.value;
    nulls[kLists] = lists.isnull;
    values[kEventId] = DirectFunctionCall1(gen_random_uuid, Datum(0));
    values[kEnqueuedAt] = TimestampTzGetDatum(GetCurrentTimestamp()); // clock_timestamp()
    values[kAttempts] = Int32GetDatum(0);
    HeapTuple tuple = heap_form_tuple(RelationGetDescr(call->outbox), values, nulls);
    CatalogTupleInsertWithInfo(call->outbox, tuple, call->indexes);
    heap_freetuple(tuple);
    return true;
}

// Inserts the event of `uuid` unless this transaction has recorded it already.
void Record(Datum uuid, CaptureCall *call) {
    if (Recorded(uuid))
        return;
    if (!InsertDirectly(uuid, false, {Datum(0), true}, call)) {
        Connect(call);
        Oid argtypes[1] = {UUIDOID};
        Datum values[1] = {uuid};
        Execute(Plan(&insert_event, kInsertEvent, 1, argtypes), values, nullptr, SPI_OK_INSERT);
    }
    Remember(uuid);
}

// The settings vcon_redis._ingress_lists() reads, and nothing else: its answer is a function of them.
// Read through their variables (guc.cpp), which the GUC machinery keeps current in this backend,
// SET LOCAL included: a lookup by name was 1 % of a plain INSERT's CPU.
char **const kIngressSettings[] = {&guc::ingress_lists, &guc::allowed_lists, &guc::key_prefix};
constexpr int kIngressSettingCount = sizeof(kIngressSettings) / sizeof(kIngressSettings[0]);

// Its last answer (not an error), with the settings it was given, in its own memory context: a
// session creating vCons under the same settings asks once, not once per statement.
struct IngressAnswer {
    MemoryContext context = nullptr;
    char *settings[kIngressSettingCount] = {}; // nullptr: unset
    Lists lists{Datum(0), true};
    bool valid = false;
};
IngressAnswer ingress_answer;

// Any function redefined (an upgrade replacing _ingress_lists among them): ask again.
extern "C" void vcon_redis_proc_callback(Datum, int, uint32) {
    ingress_answer.valid = false;
}

bool SameSetting(const char *a, const char *b) {
    return a == nullptr ? b == nullptr : b != nullptr && strcmp(a, b) == 0;
}

bool IngressAnswerFits(const char *const *settings) {
    if (!ingress_answer.valid)
        return false;
    for (int i = 0; i < kIngressSettingCount; i++)
        if (!SameSetting(ingress_answer.settings[i], settings[i]))
            return false;
    return true;
}

void KeepIngressAnswer(const char *const *settings, Lists lists) {
    ingress_answer.valid = false;
    if (ingress_answer.context == nullptr)
        ingress_answer.context =
            AllocSetContextCreate(TopMemoryContext, "vcon_redis ingress lists", ALLOCSET_SMALL_SIZES);
    MemoryContextReset(ingress_answer.context);
    for (int i = 0; i < kIngressSettingCount; i++)
        ingress_answer.settings[i] =
            settings[i] == nullptr ? nullptr : MemoryContextStrdup(ingress_answer.context, settings[i]);
    MemoryContext old = MemoryContextSwitchTo(ingress_answer.context);
    ingress_answer.lists.isnull = lists.isnull;
    ingress_answer.lists.value = lists.isnull ? Datum(0) : datumCopy(lists.value, false, -1);
    MemoryContextSwitchTo(old);
    ingress_answer.valid = true;
}

// The ingress lists of a creation (vcon_redis._ingress_lists(), which refuses a list that is not
// allowed); without a list configured, NULL without asking; under the settings of the last answer,
// that answer.
Lists IngressLists(CaptureCall *call) {
    const char *configured = guc::ingress_lists;
    if (configured == nullptr || strspn(configured, " \t,") == strlen(configured))
        return {Datum(0), true};
    const char *settings[kIngressSettingCount];
    for (int i = 0; i < kIngressSettingCount; i++)
        settings[i] = *kIngressSettings[i];
    if (IngressAnswerFits(settings))
        return ingress_answer.lists;
    // Copied before the call: a SET inside it would free the strings the variables point to.
    for (int i = 0; i < kIngressSettingCount; i++)
        settings[i] = settings[i] == nullptr ? nullptr : pstrdup(settings[i]);
    Connect(call);
    Execute(Plan(&ingress_lists, kIngressLists, 0, nullptr), nullptr, nullptr, SPI_OK_SELECT);
    Lists lists;
    Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &lists.isnull);
    lists.value = lists.isnull ? Datum(0) : SPI_datumTransfer(value, false, -1);
    KeepIngressAnswer(settings, lists);
    return lists;
}

// Records the creation of `uuid`: always, since an event recorded earlier in the transaction (a
// delete, a child row) must become a creation (an upsert; a vCon not recorded yet is inserted).
void RecordCreation(Datum uuid, Lists lists, CaptureCall *call) {
    if (Recorded(uuid) || !InsertDirectly(uuid, true, lists, call)) {
        Connect(call);
        Oid argtypes[2] = {UUIDOID, TEXTARRAYOID};
        Datum values[2] = {uuid, lists.value};
        const char nulls[2] = {' ', lists.isnull ? 'n' : ' '};
        Execute(Plan(&upsert_creation, kUpsertCreation, 2, argtypes), values, nulls, SPI_OK_INSERT);
    }
    Remember(uuid);
}

// Where a row names its vCon: the uuid column vcon_id, else (party_history without one, or with
// it NULL) the dialog it belongs to. 0 = the table has no such column.
struct KeyColumns {
    AttrNumber vcon_id;
    AttrNumber dialog_id;
};

// Records the vCon of every row of `rows` (a transition table of `rel`) that names it, as a
// creation with `creation`'s lists when that is given; collects the dialog ids of the rows that
// name only their dialog into *dialogs.
void RecordRows(Relation rel, Tuplestorestate *rows, KeyColumns keys, const Lists *creation,
                CaptureCall *call, ArrayBuildState **dialogs) {
    if (rows == nullptr)
        return;
    TupleDesc desc = RelationGetDescr(rel);
    TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
    // Our own read pointer: other AFTER triggers of the statement read the same tuplestore.
    int ptr = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);
    tuplestore_select_read_pointer(rows, ptr);
    tuplestore_rescan(rows);
    while (tuplestore_gettupleslot(rows, true, false, slot)) {
        bool isnull = true;
        Datum key = keys.vcon_id != 0 ? slot_getattr(slot, keys.vcon_id, &isnull) : Datum(0);
        if (!isnull && creation != nullptr) {
            RecordCreation(key, *creation, call);
        } else if (!isnull) {
            Record(key, call);
        } else if (keys.dialog_id != 0) {
            key = slot_getattr(slot, keys.dialog_id, &isnull);
            if (!isnull)
                *dialogs =
                    accumArrayResult(*dialogs, key, false, TupleDescAttr(desc, keys.dialog_id - 1)->atttypid,
                                     CurrentMemoryContext);
        }
    }
    tuplestore_select_read_pointer(rows, 0);
    ExecDropSingleTupleTableSlot(slot);
}

// Records the vCons of the dialogs `dialogs` (of rel's schema). A dialog already gone (deleted by
// the same statement) names none: its own trigger recorded its vCon.
void RecordDialogs(Relation rel, ArrayBuildState *dialogs, CaptureCall *call) {
    if (dialogs == nullptr)
        return;
    Connect(call);
    Datum ids = makeArrayResult(dialogs, CurrentMemoryContext);
    Oid argtypes[1] = {get_array_type(dialogs->element_type)};
    Datum values[1] = {ids};
    const char *query =
        psprintf("SELECT DISTINCT d.vcon_id FROM %s.dialog d WHERE d.id = ANY ($1) AND d.vcon_id IS NOT NULL",
                 quote_identifier(get_namespace_name(RelationGetNamespace(rel))));
    int rc = WithPinnedSearchPath(
        [&] { return SPI_execute_with_args(query, 1, argtypes, values, nullptr, true, 0); });
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "vcon_redis: cannot find the vCons of party_history rows: %s",
             SPI_result_code_string(rc));
    // Record() runs more SPI statements, which replace SPI_tuptable: copy the uuids out first.
    uint64 n = SPI_processed;
    auto *found = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
    for (uint64 i = 0; i < n; i++) {
        bool isnull;
        found[i] = datumCopy(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull), false,
                             sizeof(pg_uuid_t));
    }
    for (uint64 i = 0; i < n; i++)
        Record(found[i], call);
}

TriggerData *CheckTrigger(FunctionCallInfo fcinfo, const char *name) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("vcon_redis.%s() must be called as a trigger", name)));
    auto *trigdata = reinterpret_cast<TriggerData *>(fcinfo->context);
    if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("vcon_redis.%s() must be an AFTER … FOR EACH STATEMENT trigger", name)));
    return trigdata;
}

// The attribute number of the uuid column `name` of rel, 0 when it has none and !required.
AttrNumber UuidColumn(Relation rel, const char *name, bool required) {
    int attnum = SPI_fnumber(RelationGetDescr(rel), name);
    if (attnum > 0 && TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid == UUIDOID)
        return static_cast<AttrNumber>(attnum);
    if (required)
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("vcon_redis: table \"%s\" has no uuid column %s",
                                                           RelationGetRelationName(rel), name)));
    return 0;
}

Datum Capture(TriggerData *trigdata, KeyColumns keys, bool creations) {
    CaptureCall call;
    ArrayBuildState *dialogs = nullptr;
    Lists lists{Datum(0), true};
    if (creations && TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
        lists = IngressLists(&call); // once per statement, not per row
    const Lists *creation = creations && TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ? &lists : nullptr;
    RecordRows(trigdata->tg_relation, trigdata->tg_newtable, keys, creation, &call, &dialogs);
    RecordRows(trigdata->tg_relation, trigdata->tg_oldtable, keys, nullptr, &call, &dialogs);
    RecordDialogs(trigdata->tg_relation, dialogs, &call);
    CloseOutbox(&call); // before SPI_finish frees the memory it was opened in
    if (call.connected)
        SPI_finish();
    WakeAtCommit();
    return PointerGetDatum(nullptr);
}

} // namespace

void RegisterCaptureCallback() noexcept {
    RegisterSubXactCallback(vcon_redis_subxact_callback, nullptr);
    CacheRegisterRelcacheCallback(vcon_redis_relcache_callback, Datum(0));
    CacheRegisterSyscacheCallback(PROCOID, vcon_redis_proc_callback, Datum(0));
}

void NoteOutboxRowsFromSql() noexcept {
    sql_rows_lxid = MyProc->lxid;
}

} // namespace vcon_redis

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_capture_vcons);
PG_FUNCTION_INFO_V1(vcon_redis_capture_child);
PG_FUNCTION_INFO_V1(vcon_redis_capture_history);

// vcons: uuid names the vCon; an INSERT is a creation. (An UPDATE that changes a uuid records the
// old one too: its document must go.)
Datum vcon_redis_capture_vcons(PG_FUNCTION_ARGS) {
    TriggerData *trigdata = vcon_redis::CheckTrigger(fcinfo, "_capture_vcons");
    return vcon_redis::Capture(trigdata, {vcon_redis::UuidColumn(trigdata->tg_relation, "uuid", true), 0},
                               true);
}

// parties, dialog, analysis, attachments, groups: vcon_id names the vCon.
Datum vcon_redis_capture_child(PG_FUNCTION_ARGS) {
    TriggerData *trigdata = vcon_redis::CheckTrigger(fcinfo, "_capture_child");
    return vcon_redis::Capture(trigdata, {vcon_redis::UuidColumn(trigdata->tg_relation, "vcon_id", true), 0},
                               false);
}

// party_history: vcon_id when the table has it (ours; other writers may leave it NULL), else
// through dialog_id (vcon-mcp's table has only that).
Datum vcon_redis_capture_history(PG_FUNCTION_ARGS) {
    TriggerData *trigdata = vcon_redis::CheckTrigger(fcinfo, "_capture_history");
    return vcon_redis::Capture(trigdata,
                               {vcon_redis::UuidColumn(trigdata->tg_relation, "vcon_id", false),
                                vcon_redis::UuidColumn(trigdata->tg_relation, "dialog_id", true)},
                               false);
}
}
