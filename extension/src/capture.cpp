// vcon_redis._capture_child() and _capture_history(): the capture triggers of the child tables
// (parties, dialog, analysis, attachments, groups; party_history), in C because they run after
// every statement that writes them, rows or not.
//
// The SQL version cost one PL/pgSQL call, one search_path switch and one INSERT … ON CONFLICT
// into the outbox per statement: five of them for every save_vcon, all but the first finding the
// event already there. This one reads the statement's transition tables, remembers which vCons
// this transaction has already recorded, and inserts an outbox row only for a vCon it has not:
// once per vCon per transaction. The set lives in TopTransactionContext and is forgotten when a
// subtransaction aborts (its outbox rows are gone with it; the next statement records again, and
// ON CONFLICT keeps a row that survived from being doubled).
//
// The function is SECURITY DEFINER (sql/50_capture.sql) without a SET clause, which would cost a
// GUC save and restore on every call; the one statement it runs is planned with search_path pinned
// to pg_catalog, pg_temp, and names nothing a search_path could redirect (a qualified table, no
// operators or functions: the column defaults are bound by OID).
//
// Nothing here is a C++ object: every call may ereport, and a longjmp skips only plain frames.
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include "capture.hpp"
#include "wake.hpp"

namespace vcon_redis {

namespace {

constexpr const char *kInsertEvent =
    "INSERT INTO vcon_redis.outbox (vcon_uuid) VALUES ($1) ON CONFLICT (xid, vcon_uuid) DO NOTHING";

SPIPlanPtr insert_event = nullptr; // prepared once per backend (SPI_keepplan)

// The vCons this transaction has recorded, valid while recorded_lxid is the current transaction.
HTAB *recorded = nullptr;
LocalTransactionId recorded_lxid = InvalidLocalTransactionId;

HTAB *RecordedSet() {
    if (recorded == nullptr || recorded_lxid != MyProc->lxid) {
        HASHCTL ctl;
        ctl.keysize = sizeof(pg_uuid_t);
        ctl.entrysize = sizeof(pg_uuid_t);
        ctl.hcxt = TopTransactionContext;
        recorded = hash_create("vcon_redis recorded vCons", 32, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
        recorded_lxid = MyProc->lxid;
    }
    return recorded;
}

extern "C" void vcon_redis_subxact_callback(SubXactEvent event, SubTransactionId, SubTransactionId, void *) {
    if (event == SUBXACT_EVENT_ABORT_SUB)
        recorded = nullptr; // (its memory goes with the transaction)
}

SPIPlanPtr InsertEventPlan() {
    if (insert_event == nullptr) {
        int nest = NewGUCNestLevel();
        (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
                                GUC_ACTION_SAVE, true, 0, false);
        Oid argtypes[1] = {UUIDOID};
        SPIPlanPtr plan = SPI_prepare(kInsertEvent, 1, argtypes);
        if (plan == nullptr)
            elog(ERROR, "vcon_redis: cannot prepare the outbox insert: %s",
                 SPI_result_code_string(SPI_result));
        AtEOXact_GUC(true, nest);
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "vcon_redis: cannot keep the outbox insert plan");
        insert_event = plan;
    }
    return insert_event;
}

// Inserts the event of `uuid` unless this transaction has recorded it already.
void Record(Datum uuid, bool *connected) {
    bool found;
    (void)hash_search(RecordedSet(), DatumGetPointer(uuid), HASH_FIND, &found);
    if (found)
        return;
    if (!*connected) {
        if (SPI_connect() != SPI_OK_CONNECT)
            elog(ERROR, "vcon_redis: SPI_connect failed");
        *connected = true;
    }
    Datum values[1] = {uuid};
    int rc = SPI_execute_plan(InsertEventPlan(), values, nullptr, false, 0);
    if (rc != SPI_OK_INSERT)
        elog(ERROR, "vcon_redis: the outbox insert failed: %s", SPI_result_code_string(rc));
    (void)hash_search(RecordedSet(), DatumGetPointer(uuid), HASH_ENTER, &found);
}

// Where a row names its vCon: the uuid column vcon_id, else (party_history without one, or with
// it NULL) the dialog it belongs to. 0 = the table has no such column.
struct KeyColumns {
    AttrNumber vcon_id;
    AttrNumber dialog_id;
};

// Records the vCon of every row of `rows` (a transition table of `rel`) that names it; collects
// the dialog ids of the rows that name only their dialog into *dialogs.
void RecordRows(Relation rel, Tuplestorestate *rows, KeyColumns keys, bool *connected,
                ArrayBuildState **dialogs) {
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
        if (!isnull) {
            Record(key, connected);
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
void RecordDialogs(Relation rel, ArrayBuildState *dialogs, bool *connected) {
    if (dialogs == nullptr)
        return;
    if (!*connected) {
        if (SPI_connect() != SPI_OK_CONNECT)
            elog(ERROR, "vcon_redis: SPI_connect failed");
        *connected = true;
    }
    Datum ids = makeArrayResult(dialogs, CurrentMemoryContext);
    Oid argtypes[1] = {get_array_type(dialogs->element_type)};
    Datum values[1] = {ids};
    const char *query =
        psprintf("SELECT DISTINCT d.vcon_id FROM %s.dialog d WHERE d.id = ANY ($1) AND d.vcon_id IS NOT NULL",
                 quote_identifier(get_namespace_name(RelationGetNamespace(rel))));
    int nest = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                            true, 0, false);
    int rc = SPI_execute_with_args(query, 1, argtypes, values, nullptr, true, 0);
    AtEOXact_GUC(true, nest);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "vcon_redis: cannot find the vCons of party_history rows: %s",
             SPI_result_code_string(rc));
    // Record() runs more SPI statements, which replace SPI_tuptable: copy the uuids out first.
    uint64 n = SPI_processed;
    auto *found = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
    for (uint64 i = 0; i < n; i++) {
        bool isnull;
        found[i] =
            datumCopy(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull), false, 16);
    }
    for (uint64 i = 0; i < n; i++)
        Record(found[i], connected);
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

Datum Capture(TriggerData *trigdata, KeyColumns keys) {
    bool connected = false;
    ArrayBuildState *dialogs = nullptr;
    RecordRows(trigdata->tg_relation, trigdata->tg_newtable, keys, &connected, &dialogs);
    RecordRows(trigdata->tg_relation, trigdata->tg_oldtable, keys, &connected, &dialogs);
    RecordDialogs(trigdata->tg_relation, dialogs, &connected);
    if (connected)
        SPI_finish();
    WakeAtCommit();
    return PointerGetDatum(nullptr);
}

} // namespace

void RegisterCaptureCallback() noexcept {
    RegisterSubXactCallback(vcon_redis_subxact_callback, nullptr);
}

} // namespace vcon_redis

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_capture_child);
PG_FUNCTION_INFO_V1(vcon_redis_capture_history);

// parties, dialog, analysis, attachments, groups: vcon_id names the vCon.
Datum vcon_redis_capture_child(PG_FUNCTION_ARGS) {
    TriggerData *trigdata = vcon_redis::CheckTrigger(fcinfo, "_capture_child");
    return vcon_redis::Capture(trigdata, {vcon_redis::UuidColumn(trigdata->tg_relation, "vcon_id", true), 0});
}

// party_history: vcon_id when the table has it (ours; other writers may leave it NULL), else
// through dialog_id (vcon-mcp's table has only that).
Datum vcon_redis_capture_history(PG_FUNCTION_ARGS) {
    TriggerData *trigdata = vcon_redis::CheckTrigger(fcinfo, "_capture_history");
    return vcon_redis::Capture(trigdata, {vcon_redis::UuidColumn(trigdata->tg_relation, "vcon_id", false),
                                          vcon_redis::UuidColumn(trigdata->tg_relation, "dialog_id", true)});
}
}
