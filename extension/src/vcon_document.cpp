// vcon_redis.vcon_json_many(uuids uuid[]) RETURNS TABLE (uuid uuid, doc jsonb): the canonical vCon
// documents, the one definition of the document (sql/40_json.sql states its rules). vcon_json and
// the worker's drain (sql/45_drain.sql) are made of this function.
//
// Set-based: one read per table for all the vCons asked (index probes on vcon_id = ANY, ordered by
// vCon then *_index), merged here vCon by vCon. The column members are given in jsonb's key order with
// the members of `extra` merged in between, a column member whose key `extra` has left out
// (ObjectMerge): exactly `columns || extra`, every object's keys sorted and unique. vcon_json_many
// pushes them into a JsonbValue with PostgreSQL's own pushJsonbValue (whose sort then finds the pairs
// sorted); _vcon_texts writes them as compact text straight away (Doc), which is what printing that
// value gives. jsonb columns, `extra` and JSON bodies are pushed as jsonb containers or written from
// them, so nothing is printed and parsed again. The SQL definition this
// replaced (text assembly and one jsonb parse per vCon, ~1.5 ms of CPU for a realistic vCon) is kept
// in tests/regress/sql/document.sql as the reference the output is compared with, byte for byte.
//
// What the reads compute in SQL (cheap, per row, and only where the rule needs a value of SQL
// semantics): a REAL duration's text (to_jsonb, float4out), text[] members, and another client's
// body read as vcon-mcp reads it (_parsed_body, a PL/pgSQL exception block: reached only for rows
// with body_json IS NULL whose body starts like JSON). int[] columns are read as they are and
// written here (IntArrayMember): to_jsonb of them was ~5 % of a drain's CPU.
//
// Plain C: every PostgreSQL call here may ereport, and no C++ object lives in these frames.
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/jsonfuncs.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include "canonical_json.hpp"
#include "compact_text.hpp"
#include "uuid_text.hpp"

namespace vcon_redis {
namespace {

// ---------------------------------------------------------------------------------------------
// The reads. Each is ordered by vCon (uuid order, as the vcons read), then by the child's index; the
// columns are cast to the types read below, so an older or other-client column type still reads.

// A body member of analysis/attachments as vcon-mcp reads another client's row (sql/40_json.sql):
// NULL unless that rule applies; then the value, or jsonb null for "omit".
#define FOREIGN_BODY                                                                                         \
    "CASE WHEN t.body_json IS NULL AND (t.encoding IS NULL OR t.encoding = 'none')"                          \
    "          AND t.body ~ '^[[:space:]]*([[{\"0-9-]|true|false|null)'"                                     \
    "     THEN coalesce(vcon_redis._parsed_body(t.body)::jsonb, 'null') END"

const char *const kVconsQuery =
    "SELECT v.uuid, v.extra::jsonb, (CASE WHEN v.extra IS NULL THEN v.vcon_version END)::text,"
    " v.group_data::jsonb,"
    " CASE WHEN v.extra IS NULL AND v.amended IN ('{}', 'null') THEN v.appended ELSE v.amended END::jsonb,"
    " v.subject::text,"
    " CASE WHEN cardinality(v.critical) > 0 THEN to_jsonb(v.critical)"
    "      WHEN v.extra IS NULL AND cardinality(v.must_support) > 0 THEN to_jsonb(v.must_support) END,"
    " v.redacted::jsonb, v.created_at::timestamptz,"
    " CASE WHEN cardinality(v.extensions) > 0 THEN to_jsonb(v.extensions) END,"
    " (CASE WHEN v.extra IS NULL THEN v.updated_at ELSE v.doc_updated_at END)::timestamptz"
    " FROM vcons v WHERE v.uuid = ANY ($1) ORDER BY v.uuid";
enum VconsColumn {
    kVUuid = 1,
    kVExtra,
    kVVcon,
    kVGroup,
    kVAmended,
    kVSubject,
    kVCritical,
    kVRedacted,
    kVCreatedAt,
    kVExtensions,
    kVUpdatedAt
};

const char *const kPartiesQuery =
    "SELECT t.vcon_id, t.extra::jsonb, t.did::text, t.sip::text, t.tel::text, t.name::text, t.stir::text,"
    " t.uuid::text, t.jcard::jsonb, t.gmlpos::text, t.mailto::text, t.timezone::text, t.validation::text,"
    " t.civicaddress::jsonb"
    " FROM parties t WHERE t.vcon_id = ANY ($1) ORDER BY t.vcon_id, t.party_index";
enum PartyColumn {
    kPVcon = 1,
    kPExtra,
    kPDid,
    kPSip,
    kPTel,
    kPName,
    kPStir,
    kPUuid,
    kPJcard,
    kPGmlpos,
    kPMailto,
    kPTimezone,
    kPValidation,
    kPCivic
};

const char *const kDialogQuery =
    "SELECT t.vcon_id, t.id, t.dialog_index::int4, t.extra::jsonb, t.url::text, t.body::text,"
    " t.body_json::boolean, t.type::text,"
    " t.start_time::timestamptz,"
    // exact value unless another client changed duration_seconds since; a REAL as its shortest exact
    // text (float4out), as vcon-mcp reads it, never ::numeric
    " CASE WHEN t.duration IS NOT NULL AND t.duration_seconds IS NOT DISTINCT FROM t.duration::real"
    "      THEN to_jsonb(t.duration) ELSE to_jsonb(t.duration_seconds) END,"
    " t.encoding::text, t.filename::text, t.original::int4[], t.parties::int4[], t.mediatype::text,"
    " t.message_id::text, t.originator::int4,"
    " CASE WHEN t.session_id IS NOT NULL THEN t.session_id::jsonb"
    "      ELSE to_jsonb(nullif(t.session_id_legacy, '')) END,"
    " t.transferee::int4, t.transferor::int4, t.application::text, t.disposition::text,"
    " t.consultation::int4[], t.content_hash::text, t.target_dialog::int4[], t.transfer_target::int4[]"
    // in (vcon, dialog_index, id) order: the index on (vcon_id, dialog_index), vcon-mcp's UNIQUE
    // constraint, gives the first two without sorting the rows (the id too made an incremental sort
    // of every dialog, ~5 % of a drain); OrderDialogTies puts rows that tie on both in id order
    " FROM dialog t WHERE t.vcon_id = ANY ($1) ORDER BY t.vcon_id, t.dialog_index";
enum DialogColumn {
    kDVcon = 1,
    kDId,
    kDIndex,
    kDExtra,
    kDUrl,
    kDBody,
    kDBodyJson,
    kDType,
    kDStart,
    kDDuration,
    kDEncoding,
    kDFilename,
    kDOriginal,
    kDParties,
    kDMediatype,
    kDMessageId,
    kDOriginator,
    kDSessionId,
    kDTransferee,
    kDTransferor,
    kDApplication,
    kDDisposition,
    kDConsultation,
    kDContentHash,
    kDTargetDialog,
    kDTransferTarget
};

// The history of the dialogs the dialog read found ($1: their ids), by dialog id (each dialog finds
// its rows by a binary search, DialogHistory) then in each dialog's order. Reading by the ids found
// rather than joining dialog again is one index scan instead of a join of two scans: this read's
// executor start-up was the largest of the six.
const char *const kHistoryQuery =
    "SELECT h.dialog_id, h.extra::jsonb, h.dtmf::text, h.time::timestamptz, h.event::text,"
    " h.party_index::int4"
    " FROM party_history h WHERE h.dialog_id = ANY ($1)"
    " ORDER BY h.dialog_id, h.history_index, h.time, h.id";
enum HistoryColumn { kHDialog = 1, kHExtra, kHDtmf, kHTime, kHEvent, kHParty };

const char *const kAnalysisQuery =
    "SELECT t.vcon_id, t.extra::jsonb, t.url::text, t.body::text, t.body_json::boolean, " FOREIGN_BODY ","
    " t.type::text, t.dialog_indices::int4[], t.schema::text,"
    // save_vcon stores an absent vendor as '' (vcon-mcp's column is NOT NULL)
    " (CASE WHEN t.extra IS NULL THEN t.vendor ELSE nullif(t.vendor, '') END)::text,"
    " t.product::text, t.encoding::text, t.filename::text, t.mediatype::text, t.content_hash::text"
    " FROM analysis t WHERE t.vcon_id = ANY ($1) ORDER BY t.vcon_id, t.analysis_index";
enum AnalysisColumn {
    kAVcon = 1,
    kAExtra,
    kAUrl,
    kABody,
    kABodyJson,
    kAForeignBody,
    kAType,
    kADialog,
    kASchema,
    kAVendor,
    kAProduct,
    kAEncoding,
    kAFilename,
    kAMediatype,
    kAContentHash
};

const char *const kAttachmentsQuery =
    "SELECT t.vcon_id, t.extra::jsonb, t.url::text, t.body::text, t.body_json::boolean, " FOREIGN_BODY ","
    // our rows mirror purpose into type (a document's own type is in extra); other clients' type is
    // what they look up ("tags", "strolid_dealer")
    " (CASE WHEN t.extra IS NULL THEN t.type END)::text, t.party::int4, t.start_time::timestamptz,"
    " t.dialog::int4,"
    " (CASE WHEN t.extra IS NULL THEN coalesce(t.purpose, t.type) ELSE t.purpose END)::text,"
    " t.encoding::text, t.filename::text, t.mimetype::text, t.content_hash::text"
    " FROM attachments t WHERE t.vcon_id = ANY ($1) ORDER BY t.vcon_id, t.attachment_index";
enum AttachmentColumn {
    kFVcon = 1,
    kFExtra,
    kFUrl,
    kFBody,
    kFBodyJson,
    kFForeignBody,
    kFType,
    kFParty,
    kFStart,
    kFDialog,
    kFPurpose,
    kFEncoding,
    kFFilename,
    kFMediatype,
    kFContentHash
};

enum Read { kVcons, kParties, kDialog, kHistory, kAnalysis, kAttachments, kReads };
const char *const kQueries[kReads] = {kVconsQuery,   kPartiesQuery,  kDialogQuery,
                                      kHistoryQuery, kAnalysisQuery, kAttachmentsQuery};

// The widest read (dialog) has 26 columns.
constexpr int kMaxColumns = 32;

// Prepared once per session as generic plans (index probes on = ANY are right for one uuid and for a
// worker batch alike); the plan cache revalidates them after DDL (attach recreates the views).
SPIPlanPtr plans[kReads];

SPITupleTable *RunRead(Read read, Datum uuids) {
    if (plans[read] == nullptr) {
        Oid argtypes[1] = {UUIDARRAYOID};
        SPIPlanPtr plan = SPI_prepare_cursor(kQueries[read], 1, argtypes, CURSOR_OPT_GENERIC_PLAN);
        if (plan == nullptr)
            elog(ERROR, "could not prepare the vCon document read: %s", SPI_result_code_string(SPI_result));
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "SPI_keepplan failed");
        plans[read] = plan;
    }
    Datum values[1] = {uuids};
    // read_only = false: a fresh snapshot, so vcon_json(save_vcon(doc)) sees the rows just saved
    int ret = SPI_execute_plan(plans[read], values, nullptr, false, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "the vCon document read failed: %s", SPI_result_code_string(ret));
    if (SPI_tuptable->tupdesc->natts > kMaxColumns)
        elog(ERROR, "the vCon document read has %d columns, more than %d", SPI_tuptable->tupdesc->natts,
             kMaxColumns);
    // (kept until SPI_finish: SPI frees a result table only when asked or when SPI ends)
    return SPI_tuptable;
}

// Whether dialog rows a and b have the same vCon and dialog_index (NULLs alike, as ORDER BY groups them).
bool SameDialogPosition(const SPITupleTable *t, HeapTuple a, HeapTuple b) {
    bool anull = false;
    bool bnull = false;
    Datum av = SPI_getbinval(a, t->tupdesc, kDVcon, &anull);
    Datum bv = SPI_getbinval(b, t->tupdesc, kDVcon, &bnull);
    if (anull || bnull || memcmp(DatumGetUUIDP(av)->data, DatumGetUUIDP(bv)->data, UUID_LEN) != 0)
        return false;
    av = SPI_getbinval(a, t->tupdesc, kDIndex, &anull);
    bv = SPI_getbinval(b, t->tupdesc, kDIndex, &bnull);
    return anull == bnull && (anull || DatumGetInt32(av) == DatumGetInt32(bv));
}

// Whether dialog row a's id comes after b's (ascending, NULLs last).
bool DialogIdAfter(const SPITupleTable *t, HeapTuple a, HeapTuple b) {
    bool anull = false;
    bool bnull = false;
    Datum av = SPI_getbinval(a, t->tupdesc, kDId, &anull);
    Datum bv = SPI_getbinval(b, t->tupdesc, kDId, &bnull);
    if (anull || bnull)
        return anull && !bnull;
    return memcmp(DatumGetUUIDP(av)->data, DatumGetUUIDP(bv)->data, UUID_LEN) > 0;
}

// The dialog read's rows, in (vcon, dialog_index) order, put in (vcon, dialog_index, id) order: each
// run of rows that tie on the first two (none where they are unique) sorted by id.
void OrderDialogTies(SPITupleTable *t) {
    for (uint64 start = 0; start < t->numvals;) {
        uint64 end = start + 1;
        while (end < t->numvals && SameDialogPosition(t, t->vals[start], t->vals[end]))
            end++;
        for (uint64 i = start + 1; i < end; i++) { // insertion sort: such runs are rare and short
            HeapTuple row = t->vals[i];
            uint64 j = i;
            for (; j > start && DialogIdAfter(t, t->vals[j - 1], row); j--)
                t->vals[j] = t->vals[j - 1];
            t->vals[j] = row;
        }
        start = end;
    }
}

// One read's rows and the merge position in them.
struct Rows {
    SPITupleTable *table;
    uint64 next;
};

// The current row of rows if it belongs to vCon `uuid` (advancing past rows of vCons before it).
HeapTuple RowOf(Rows *rows, const pg_uuid_t *uuid, int vcon_column) {
    while (rows->table != nullptr && rows->next < rows->table->numvals) {
        HeapTuple tuple = rows->table->vals[rows->next];
        bool isnull = false;
        Datum v = SPI_getbinval(tuple, rows->table->tupdesc, vcon_column, &isnull);
        int cmp = isnull ? -1 : memcmp(DatumGetUUIDP(v)->data, uuid->data, UUID_LEN);
        if (cmp == 0)
            return tuple;
        if (cmp > 0)
            return nullptr;
        rows->next++;
    }
    return nullptr;
}

// The first row of rows (sorted by the uuid at key_column) whose uuid is key, from rows->next on;
// its index, or numvals when there is none.
uint64 FirstRowWith(const Rows *rows, const pg_uuid_t *key, int key_column) {
    uint64 lo = rows->next;
    uint64 hi = rows->table->numvals;
    while (lo < hi) {
        uint64 mid = lo + (hi - lo) / 2;
        bool isnull = false;
        Datum v = SPI_getbinval(rows->table->vals[mid], rows->table->tupdesc, key_column, &isnull);
        if (!isnull && memcmp(DatumGetUUIDP(v)->data, key->data, UUID_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < rows->table->numvals) {
        bool isnull = false;
        Datum v = SPI_getbinval(rows->table->vals[lo], rows->table->tupdesc, key_column, &isnull);
        if (!isnull && memcmp(DatumGetUUIDP(v)->data, key->data, UUID_LEN) == 0)
            return lo;
    }
    return rows->table->numvals;
}

// ---------------------------------------------------------------------------------------------
// Pushing members.

// A row being pushed, deformed once (reading its columns one by one walked the tuple from its start
// for every column after a NULL or a varlena).
struct Row {
    Datum values[kMaxColumns];
    bool nulls[kMaxColumns];
};

void Deform(Row *row, HeapTuple tuple, TupleDesc desc) {
    heap_deform_tuple(tuple, desc, row->values, row->nulls);
}

Datum Get(const Row *row, int column, bool *isnull) {
    *isnull = row->nulls[column - 1];
    return row->values[column - 1];
}

// Where a document goes: the jsonb value (vcon_json_many), built with pushJsonbValue, or the compact
// text (_vcon_texts, what Redis holds), written straight into a buffer as the members come. The
// builder gives every object's members in jsonb's key order with no key twice (ObjectMerge), which is
// all pushJsonbValue's sort of an object would have done, so the text is what printing the built
// value gives, without the value: building that tree and printing it was ~35 % of the worker's CPU
// in a drain of realistic vCons.
struct Doc {
    JsonbParseState *st; // the value being built, when out is NULL
    StringInfo out;      // the compact text being written, or NULL
    bool comma;          // text: a value just ended, so a key or element that follows needs a ','
};

// The text's ',' between a value and the key or element after it.
void Separate(Doc *doc) {
    if (doc->comma) {
        AppendTextChar(doc->out, ',');
        doc->comma = false;
    }
}

void BeginContainer(Doc *doc, JsonbIteratorToken begin) {
    if (doc->out == nullptr) {
        pushJsonbValue(&doc->st, begin, nullptr);
        return;
    }
    Separate(doc);
    AppendTextChar(doc->out, begin == WJB_BEGIN_OBJECT ? '{' : '[');
}

// The value that ends at the top level (the value being built only).
JsonbValue *EndContainer(Doc *doc, JsonbIteratorToken end) {
    if (doc->out == nullptr)
        return pushJsonbValue(&doc->st, end, nullptr);
    AppendTextChar(doc->out, end == WJB_END_OBJECT ? '}' : ']');
    doc->comma = true;
    return nullptr;
}

// A key (len bytes); `plain` when it holds nothing escape_json escapes (the builder's own keys).
void Key(Doc *doc, const char *key, int len, bool plain) {
    if (doc->out == nullptr) {
        JsonbValue k;
        k.type = jbvString;
        k.val.string.val = const_cast<char *>(key);
        k.val.string.len = len;
        pushJsonbValue(&doc->st, WJB_KEY, &k);
        return;
    }
    Separate(doc);
    if (plain) {
        ReserveText(doc->out, len + 3);
        char *p = doc->out->data + doc->out->len;
        *p++ = '"';
        memcpy(p, key, len);
        p[len] = '"';
        p[len + 1] = ':';
        doc->out->len += len + 3;
    } else {
        AppendJsonString(doc->out, key, len);
        AppendTextChar(doc->out, ':');
    }
}

// A scalar or a jsonb container (jbvBinary) as the value of the member or element expected next.
void Value(Doc *doc, JsonbValue *v) {
    if (doc->out == nullptr) {
        // a value in an object follows its key; anything else is an element
        pushJsonbValue(&doc->st,
                       doc->st != nullptr && doc->st->contVal.type == jbvObject ? WJB_VALUE : WJB_ELEM, v);
        return;
    }
    Separate(doc);
    AppendJsonbValue(doc->out, v);
    doc->comma = true;
}

// A string value; the bytes must outlive the value being built (the text copies them at once).
void StringValue(Doc *doc, const char *s, int len) {
    JsonbValue v;
    v.type = jbvString;
    v.val.string.val = const_cast<char *>(s);
    v.val.string.len = len;
    Value(doc, &v);
}

// The object being built at each level of the document's own objects (a vCon, its dialogs, their
// party_history entries), with its `extra` merged into its column members in jsonb's key order: the
// builder pushes column members in that order (BeginMember checks it) and extra's members in
// between, skipping a column member whose key extra has (extra wins, as in `columns || extra`). The
// pairs reach pushJsonbValue's sort of the object already sorted, which it then only checks
// (sorting them was ~7 % of a small vCon's drain).
struct ObjectMerge {
    JsonbIterator *extra; // at extra's next member (key, value); nullptr when none is left
    JsonbValue key;
    JsonbValue value;
    const char *last; // the last column member's key (nullptr: none yet)
    int last_len;
};

constexpr int kMaxObjectDepth = 8;
ObjectMerge merges[kMaxObjectDepth];
int merge_depth = 0; // reset by ReturnDocuments: an error may leave objects open

// Advances m to extra's next member.
void NextExtraMember(ObjectMerge *m) {
    if (JsonbIteratorNext(&m->extra, &m->key, true) == WJB_KEY)
        JsonbIteratorNext(&m->extra, &m->value, true);
    else
        m->extra = nullptr;
}

// Pushes extra's members whose keys come before key (len bytes) in jsonb's order; whether extra's
// next member has that very key.
bool PushExtraBefore(Doc *doc, ObjectMerge *m, const char *key, int len) {
    while (m->extra != nullptr) {
        const JsonbValue &k = m->key;
        if (!JsonbKeyBefore(k.val.string.val, k.val.string.len, key, len))
            return k.val.string.len == len && memcmp(k.val.string.val, key, len) == 0;
        Key(doc, k.val.string.val, k.val.string.len, false);
        Value(doc, &m->value);
        NextExtraMember(m);
    }
    return false;
}

// Starts the column member `key` of the object being built: pushes its key and returns true, or
// returns false when extra has the key (the member is then omitted: extra's value wins).
bool BeginMember(Doc *doc, const char *key) {
    ObjectMerge *m = &merges[merge_depth - 1];
    const int len = static_cast<int>(strlen(key));
    if (m->last != nullptr && !JsonbKeyBefore(m->last, m->last_len, key, len))
        elog(ERROR, "vCon document member \"%s\" pushed out of jsonb's key order", key);
    m->last = key;
    m->last_len = len;
    if (PushExtraBefore(doc, m, key, len))
        return false;
    Key(doc, key, len, true);
    return true;
}

// A jsonb container (or scalar) as the value of the member or element expected next.
void PushJsonb(Doc *doc, Jsonb *jb) {
    JsonbValue v;
    if (JB_ROOT_IS_SCALAR(jb)) {
        JsonbExtractScalar(&jb->root, &v);
    } else {
        v.type = jbvBinary;
        v.val.binary.data = &jb->root;
        v.val.binary.len = static_cast<int>(VARSIZE(jb) - VARHDRSZ);
    }
    Value(doc, &v);
}

bool IsJsonbNull(Jsonb *jb) {
    JsonbValue v;
    return JB_ROOT_IS_SCALAR(jb) && JsonbExtractScalar(&jb->root, &v) && v.type == jbvNull;
}

// JSON text parsed straight into the document being built, as the value of the member or element
// the parse state expects next: jsonb_in's semantic actions (same lexer, same errors: a malformed
// body fails as body::jsonb did), without making a jsonb of it first and unpacking that again.
struct JsonInto {
    JsonbParseState **st;
};

void JsonIntoPush(JsonInto *in, JsonbValue *v) {
    JsonbParseState *st = *in->st;
    // a value in an object follows its key; anything else is an element
    pushJsonbValue(in->st, st != nullptr && st->contVal.type == jbvObject ? WJB_VALUE : WJB_ELEM, v);
}

int CheckedStringLen(size_t len) {
    if (len > JENTRY_OFFLENMASK)
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                 errmsg("string too long to represent as jsonb string"),
                 errdetail("Due to an implementation restriction, jsonb strings cannot exceed %d bytes.",
                           JENTRY_OFFLENMASK)));
    return static_cast<int>(len);
}

void JsonIntoObjectStart(void *state) {
    pushJsonbValue(static_cast<JsonInto *>(state)->st, WJB_BEGIN_OBJECT, nullptr);
}

void JsonIntoObjectEnd(void *state) {
    pushJsonbValue(static_cast<JsonInto *>(state)->st, WJB_END_OBJECT, nullptr);
}

void JsonIntoArrayStart(void *state) {
    pushJsonbValue(static_cast<JsonInto *>(state)->st, WJB_BEGIN_ARRAY, nullptr);
}

void JsonIntoArrayEnd(void *state) {
    pushJsonbValue(static_cast<JsonInto *>(state)->st, WJB_END_ARRAY, nullptr);
}

void JsonIntoField(void *state, char *fname, bool isnull) {
    JsonbValue k;
    k.type = jbvString;
    k.val.string.len = CheckedStringLen(strlen(fname));
    k.val.string.val = fname;
    pushJsonbValue(static_cast<JsonInto *>(state)->st, WJB_KEY, &k);
}

void JsonIntoScalar(void *state, char *token, JsonTokenType type) {
    JsonbValue v;
    switch (type) {
    case JSON_TOKEN_STRING:
        v.type = jbvString;
        v.val.string.len = CheckedStringLen(strlen(token));
        v.val.string.val = token;
        break;
    case JSON_TOKEN_NUMBER:
        v.type = jbvNumeric;
        v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(token),
                                                            ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
        break;
    case JSON_TOKEN_TRUE:
    case JSON_TOKEN_FALSE:
        v.type = jbvBool;
        v.val.boolean = type == JSON_TOKEN_TRUE;
        break;
    case JSON_TOKEN_NULL:
        v.type = jbvNull;
        break;
    default:
        elog(ERROR, "invalid json token type");
    }
    JsonIntoPush(static_cast<JsonInto *>(state), &v);
}

// JSON text parsed into the document as the value expected next (the text: parsed into a value of its
// own first, which is then printed; only for a body that is not in canonical form).
void PushJsonText(Doc *doc, ::text *json) {
    JsonbParseState *own = nullptr;
    if (doc->out != nullptr)
        pushJsonbValue(&own, WJB_BEGIN_ARRAY, nullptr); // a parse state for a scalar body too
    JsonInto in{doc->out != nullptr ? &own : &doc->st};
    JsonSemAction sem;
    memset(&sem, 0, sizeof sem);
    sem.semstate = &in;
    sem.object_start = JsonIntoObjectStart;
    sem.object_end = JsonIntoObjectEnd;
    sem.array_start = JsonIntoArrayStart;
    sem.array_end = JsonIntoArrayEnd;
    sem.object_field_start = JsonIntoField;
    sem.scalar = JsonIntoScalar;
    JsonLexContext *lex = makeJsonLexContextCstringLen(
        VARDATA_ANY(json), static_cast<int>(VARSIZE_ANY_EXHDR(json)), GetDatabaseEncoding(), true);
    pg_parse_json_or_ereport(lex, &sem);
    if (doc->out != nullptr) {
        // as jsonb (its keys sorted, the last of a repeated key kept), then written from it
        Jsonb *parsed = JsonbValueToJsonb(pushJsonbValue(&own, WJB_END_ARRAY, nullptr));
        Value(doc, getIthJsonbValueFromContainer(&parsed->root, 0));
    }
}

// A text column as a JSON string, omitted when NULL.
void StringMember(Doc *doc, const char *key, const Row *row, int column) {
    bool isnull = false;
    Datum d = Get(row, column, &isnull);
    if (isnull)
        return;
    ::text *t = DatumGetTextPP(d);
    if (!BeginMember(doc, key))
        return;
    StringValue(doc, VARDATA_ANY(t), static_cast<int>(VARSIZE_ANY_EXHDR(t)));
}

// An int4 as a JSON number, the value of the member or element expected next: in the text its digits
// (what numeric_out prints for it), in the value a numeric.
void PushInt(Doc *doc, int32 i) {
    if (doc->out != nullptr) {
        Separate(doc);
        ReserveText(doc->out, MAXINT8LEN + 1);
        doc->out->len += pg_ltoa(i, doc->out->data + doc->out->len);
        doc->comma = true;
        return;
    }
    JsonbValue v;
    v.type = jbvNumeric;
    v.val.numeric = int64_to_numeric(i);
    Value(doc, &v);
}

// An int4 column as a JSON number, omitted when NULL.
void IntMember(Doc *doc, const char *key, const Row *row, int column) {
    bool isnull = false;
    Datum d = Get(row, column, &isnull);
    if (isnull)
        return;
    if (!BeginMember(doc, key))
        return;
    PushInt(doc, DatumGetInt32(d));
}

// The elements of dimension `dim` of an int4[] from element *next on, as to_jsonb writes them: an
// array per dimension, NULL elements as null.
void PushIntDimension(Doc *doc, const int *dims, int ndim, int dim, const Datum *elems, const bool *nulls,
                      int *next) {
    BeginContainer(doc, WJB_BEGIN_ARRAY);
    for (int i = 0; i < dims[dim]; i++) {
        if (dim + 1 < ndim) {
            PushIntDimension(doc, dims, ndim, dim + 1, elems, nulls, next);
            continue;
        }
        if (nulls[*next]) {
            JsonbValue v;
            v.type = jbvNull;
            Value(doc, &v);
        } else {
            PushInt(doc, DatumGetInt32(elems[*next]));
        }
        (*next)++;
    }
    EndContainer(doc, WJB_END_ARRAY);
}

// An int4[] column as a document holds it: omitted when NULL or empty; with `scalar_when_one`, its
// one element a[1] as a scalar (omitted when NULL, or when the array has no a[1]: more dimensions or
// another lower bound); otherwise the array as to_jsonb writes it. The read's former
// `CASE cardinality(a) WHEN 0 THEN NULL WHEN 1 THEN to_jsonb(a[1]) ELSE to_jsonb(a) END` (or
// `CASE WHEN cardinality(a) > 0 THEN to_jsonb(a) END`), without its jsonb.
void IntArrayMember(Doc *doc, const char *key, const Row *row, int column, bool scalar_when_one) {
    bool isnull = false;
    Datum d = Get(row, column, &isnull);
    if (isnull)
        return;
    ArrayType *a = DatumGetArrayTypeP(d);
    const int ndim = ARR_NDIM(a);
    const int count = ArrayGetNItems(ndim, ARR_DIMS(a));
    if (count == 0)
        return;
    Datum *elems = nullptr;
    bool *nulls = nullptr;
    int n = 0;
    deconstruct_array(a, INT4OID, sizeof(int32), true, TYPALIGN_INT, &elems, &nulls, &n);
    if (scalar_when_one && count == 1) {
        if (ndim != 1 || ARR_LBOUND(a)[0] != 1 || nulls[0])
            return;
        if (BeginMember(doc, key))
            PushInt(doc, DatumGetInt32(elems[0]));
        return;
    }
    if (!BeginMember(doc, key))
        return;
    int next = 0;
    PushIntDimension(doc, ARR_DIMS(a), ndim, 0, elems, nulls, &next);
}

// A value computed by the read as jsonb, pushed as it is; omitted when NULL.
void ValueMember(Doc *doc, const char *key, const Row *row, int column) {
    bool isnull = false;
    Datum d = Get(row, column, &isnull);
    if (isnull)
        return;
    if (!BeginMember(doc, key))
        return;
    PushJsonb(doc, DatumGetJsonbP(d));
}

// A jsonb column: omitted when NULL, null, {} or [].
void JsonbMember(Doc *doc, const char *key, const Row *row, int column) {
    bool isnull = false;
    Datum d = Get(row, column, &isnull);
    if (isnull)
        return;
    Jsonb *jb = DatumGetJsonbP(d);
    if (JB_ROOT_COUNT(jb) == 0 && !JB_ROOT_IS_SCALAR(jb))
        return; // {} or []
    if (IsJsonbNull(jb))
        return;
    if (!BeginMember(doc, key))
        return;
    PushJsonb(doc, jb);
}

// The decimal digits of value (>= 0), zero-padded to at least `width`, written at p; returns their end.
char *PutDigits(char *p, int value, int width) {
    char reversed[16];
    int n = 0;
    do {
        reversed[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (n < width)
        reversed[n++] = '0';
    while (n > 0)
        *p++ = reversed[--n];
    return p;
}

// A timestamp as RFC 3339 in UTC with the fraction trimmed of trailing zeros:
// "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"; omitted when NULL or infinite (to_char gives NULL there).
void DateMember(Doc *doc, const char *key, const Row *row, int column) {
    bool isnull = false;
    Datum d = Get(row, column, &isnull);
    if (isnull)
        return;
    TimestampTz ts = DatumGetTimestampTz(d);
    if (TIMESTAMP_NOT_FINITE(ts))
        return;
    char buf[64];
    struct pg_tm tm;
    fsec_t fsec;
    if (timestamp2tm(ts, nullptr, &tm, &fsec, nullptr, nullptr) != 0)
        ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
    int len;
    if (tm.tm_year > 0) {
        // "%04d-%02d-%02dT%02d:%02d:%02d.%06d", without snprintf's cost (2 % of a small drain)
        char *p = PutDigits(buf, tm.tm_year, 4);
        *p++ = '-';
        p = PutDigits(p, tm.tm_mon, 2);
        *p++ = '-';
        p = PutDigits(p, tm.tm_mday, 2);
        *p++ = 'T';
        p = PutDigits(p, tm.tm_hour, 2);
        *p++ = ':';
        p = PutDigits(p, tm.tm_min, 2);
        *p++ = ':';
        p = PutDigits(p, tm.tm_sec, 2);
        *p++ = '.';
        p = PutDigits(p, static_cast<int>(fsec), 6);
        len = static_cast<int>(p - buf);
    } else {
        // BC: to_char's own rendering of the year (timestamptz in UTC is the same value as timestamp)
        ::text *t = DatumGetTextPP(DirectFunctionCall2(timestamp_to_char, TimestampGetDatum(ts),
                                                       CStringGetTextDatum("YYYY-MM-DD\"T\"HH24:MI:SS.US")));
        len = Min(static_cast<int>(VARSIZE_ANY_EXHDR(t)), static_cast<int>(sizeof buf) - 1);
        memcpy(buf, VARDATA_ANY(t), len);
    }
    while (len > 0 && buf[len - 1] == '0')
        len--;
    if (len > 0 && buf[len - 1] == '.')
        len--;
    buf[len++] = 'Z';
    if (!BeginMember(doc, key))
        return;
    StringValue(doc, doc->out != nullptr ? buf : pnstrdup(buf, len), len);
}

// A JSON body's text as the value expected next: in the text copied when it is canonical (compacted
// straight into the document); otherwise parsed (a malformed body fails as body::jsonb did).
void PushJsonBody(Doc *doc, ::text *json) {
    const char *data = VARDATA_ANY(json);
    const int len = static_cast<int>(VARSIZE_ANY_EXHDR(json));
    if (doc->out != nullptr) {
        Separate(doc);
        if (AppendCanonicalJson(doc->out, data, len)) {
            doc->comma = true;
            return;
        }
    }
    PushJsonText(doc, json);
}

// The body member (sql/40_json.sql, _body_json): a JSON body (body_json) as its JSON value (a
// malformed one fails as body::jsonb did); another client's body read as vcon-mcp reads it when the
// read computed it (foreign_column > 0); otherwise the JSON string. Omitted when the body is NULL.
void BodyMember(Doc *doc, const Row *row, int body_column, int json_column, int foreign_column) {
    bool isnull = false;
    Datum body = Get(row, body_column, &isnull);
    if (isnull)
        return;
    bool json_null = false;
    Datum json = Get(row, json_column, &json_null);
    if (!json_null && DatumGetBool(json)) {
        if (BeginMember(doc, "body"))
            PushJsonBody(doc, DatumGetTextPP(body));
        return;
    }
    if (foreign_column > 0) {
        bool foreign_null = false;
        Datum foreign = Get(row, foreign_column, &foreign_null);
        if (!foreign_null) {
            Jsonb *jb = DatumGetJsonbP(foreign);
            if (IsJsonbNull(jb))
                return; // a JSON null body: omitted
            if (BeginMember(doc, "body"))
                PushJsonb(doc, jb);
            return;
        }
    }
    StringMember(doc, "body", row, body_column);
}

// Opens an object whose members come from columns and then from `extra` (read at extra_column). A
// non-object extra (never written by save_vcon) makes the value what `object || extra` is: an array
// of the object and extra's elements (or extra itself when it is a scalar). Returns extra (NULL when
// NULL) for CloseObject.
Jsonb *OpenObject(Doc *doc, const Row *row, int extra_column) {
    bool isnull = false;
    Datum d = Get(row, extra_column, &isnull);
    Jsonb *extra = isnull ? nullptr : DatumGetJsonbP(d);
    if (extra != nullptr && !JB_ROOT_IS_OBJECT(extra))
        BeginContainer(doc, WJB_BEGIN_ARRAY);
    BeginContainer(doc, WJB_BEGIN_OBJECT);
    if (merge_depth == kMaxObjectDepth)
        elog(ERROR, "vCon document objects nested deeper than %d", kMaxObjectDepth);
    ObjectMerge *m = &merges[merge_depth++];
    m->last = nullptr;
    m->extra = nullptr;
    if (extra != nullptr && JB_ROOT_IS_OBJECT(extra)) {
        m->extra = JsonbIteratorInit(&extra->root);
        JsonbValue v;
        JsonbIteratorNext(&m->extra, &v, true); // WJB_BEGIN_OBJECT
        NextExtraMember(m);
    }
    return extra;
}

// Pushes extra's members left (after the last column member's key) and closes the object (and the
// array a non-object extra makes). Returns the finished value at the top level.
JsonbValue *CloseObject(Doc *doc, Jsonb *extra) {
    ObjectMerge *m = &merges[--merge_depth];
    for (; m->extra != nullptr; NextExtraMember(m)) {
        Key(doc, m->key.val.string.val, m->key.val.string.len, false);
        Value(doc, &m->value);
    }
    JsonbValue *res = EndContainer(doc, WJB_END_OBJECT);
    if (extra == nullptr || JB_ROOT_IS_OBJECT(extra))
        return res;
    if (JB_ROOT_IS_SCALAR(extra)) {
        PushJsonb(doc, extra);
    } else {
        JsonbIterator *it = JsonbIteratorInit(&extra->root);
        JsonbValue v;
        JsonbIteratorToken tok;
        while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
            if (tok == WJB_ELEM)
                Value(doc, &v);
        }
    }
    return EndContainer(doc, WJB_END_ARRAY);
}

// ---------------------------------------------------------------------------------------------
// The objects: each pushes its members in jsonb's key order (shorter keys first, then bytewise).

void PushParty(Doc *doc, const Row *r) {
    bool isnull = false;
    Get(r, kPExtra, &isnull);
    Jsonb *extra = OpenObject(doc, r, kPExtra);
    StringMember(doc, "did", r, kPDid);
    StringMember(doc, "sip", r, kPSip);
    StringMember(doc, "tel", r, kPTel);
    StringMember(doc, "name", r, kPName);
    StringMember(doc, "stir", r, kPStir);
    StringMember(doc, "uuid", r, kPUuid);
    // vcon-mcp's member name for its own rows, the draft's for ours
    JsonbMember(doc, isnull ? "jcard" : "jCard", r, kPJcard);
    StringMember(doc, "gmlpos", r, kPGmlpos);
    StringMember(doc, "mailto", r, kPMailto);
    StringMember(doc, "timezone", r, kPTimezone);
    StringMember(doc, "validation", r, kPValidation);
    JsonbMember(doc, "civicaddress", r, kPCivic);
    CloseObject(doc, extra);
}

void PushHistory(Doc *doc, const Row *r) {
    Jsonb *extra = OpenObject(doc, r, kHExtra);
    StringMember(doc, "dtmf", r, kHDtmf);
    DateMember(doc, "time", r, kHTime);
    StringMember(doc, "event", r, kHEvent);
    IntMember(doc, "party", r, kHParty);
    CloseObject(doc, extra);
}

// The member "party_history": the rows of `history` (kHistoryQuery) of dialog `id`; omitted when none.
void DialogHistory(Doc *doc, const Rows *history, const pg_uuid_t *id) {
    if (history->table == nullptr)
        return;
    uint64 first = FirstRowWith(history, id, kHDialog);
    if (first == history->table->numvals)
        return;
    if (!BeginMember(doc, "party_history"))
        return;
    BeginContainer(doc, WJB_BEGIN_ARRAY);
    for (uint64 i = first; i < history->table->numvals; i++) {
        Row hr;
        Deform(&hr, history->table->vals[i], history->table->tupdesc);
        bool hnull = false;
        Datum dialog = Get(&hr, kHDialog, &hnull);
        if (hnull || memcmp(DatumGetUUIDP(dialog)->data, id->data, UUID_LEN) != 0)
            break;
        PushHistory(doc, &hr);
    }
    EndContainer(doc, WJB_END_ARRAY);
}

// A dialog and, from `history`, the party_history rows of this dialog.
void PushDialog(Doc *doc, const Row *r, const Rows *history) {
    Jsonb *extra = OpenObject(doc, r, kDExtra);
    StringMember(doc, "url", r, kDUrl);
    BodyMember(doc, r, kDBody, kDBodyJson, 0);
    StringMember(doc, "type", r, kDType);
    DateMember(doc, "start", r, kDStart);
    IntArrayMember(doc, "parties", r, kDParties, false);
    ValueMember(doc, "duration", r, kDDuration);
    StringMember(doc, "encoding", r, kDEncoding);
    StringMember(doc, "filename", r, kDFilename);
    IntArrayMember(doc, "original", r, kDOriginal, true);
    StringMember(doc, "mediatype", r, kDMediatype);
    StringMember(doc, "message_id", r, kDMessageId);
    IntMember(doc, "originator", r, kDOriginator);
    JsonbMember(doc, "session_id", r, kDSessionId);
    IntMember(doc, "transferee", r, kDTransferee);
    IntMember(doc, "transferor", r, kDTransferor);
    StringMember(doc, "application", r, kDApplication);
    StringMember(doc, "disposition", r, kDDisposition);
    IntArrayMember(doc, "consultation", r, kDConsultation, true);
    StringMember(doc, "content_hash", r, kDContentHash);
    bool isnull = false;
    Datum id = Get(r, kDId, &isnull);
    if (!isnull)
        DialogHistory(doc, history, DatumGetUUIDP(id));
    IntArrayMember(doc, "target_dialog", r, kDTargetDialog, true);
    IntArrayMember(doc, "transfer_target", r, kDTransferTarget, true);
    CloseObject(doc, extra);
}

void PushAnalysis(Doc *doc, const Row *r) {
    Jsonb *extra = OpenObject(doc, r, kAExtra);
    StringMember(doc, "url", r, kAUrl);
    BodyMember(doc, r, kABody, kABodyJson, kAForeignBody);
    StringMember(doc, "type", r, kAType);
    IntArrayMember(doc, "dialog", r, kADialog, true);
    StringMember(doc, "schema", r, kASchema);
    StringMember(doc, "vendor", r, kAVendor);
    StringMember(doc, "product", r, kAProduct);
    StringMember(doc, "encoding", r, kAEncoding);
    StringMember(doc, "filename", r, kAFilename);
    StringMember(doc, "mediatype", r, kAMediatype);
    StringMember(doc, "content_hash", r, kAContentHash);
    CloseObject(doc, extra);
}

void PushAttachment(Doc *doc, const Row *r) {
    Jsonb *extra = OpenObject(doc, r, kFExtra);
    StringMember(doc, "url", r, kFUrl);
    BodyMember(doc, r, kFBody, kFBodyJson, kFForeignBody);
    StringMember(doc, "type", r, kFType);
    IntMember(doc, "party", r, kFParty);
    DateMember(doc, "start", r, kFStart);
    IntMember(doc, "dialog", r, kFDialog);
    StringMember(doc, "purpose", r, kFPurpose);
    StringMember(doc, "encoding", r, kFEncoding);
    StringMember(doc, "filename", r, kFFilename);
    StringMember(doc, "mediatype", r, kFMediatype);
    StringMember(doc, "content_hash", r, kFContentHash);
    CloseObject(doc, extra);
}

// The member `key`: an array of one object per row of `rows` belonging to vCon `vcon`; omitted when
// there is none.
void ChildArray(Doc *doc, const char *key, Rows *rows, const pg_uuid_t *vcon, int vcon_column,
                void (*push)(Doc *, const Row *)) {
    bool opened = false;
    for (HeapTuple t; (t = RowOf(rows, vcon, vcon_column)) != nullptr; rows->next++) {
        if (!opened) {
            if (!BeginMember(doc, key))
                return; // extra has the member (the next vCon's RowOf skips these rows)
            BeginContainer(doc, WJB_BEGIN_ARRAY);
            opened = true;
        }
        Row r;
        Deform(&r, t, rows->table->tupdesc);
        push(doc, &r);
    }
    if (opened)
        EndContainer(doc, WJB_END_ARRAY);
}

struct Reads {
    Rows rows[kReads];
};

// Whether `read` can contribute to a document, given the reads before it (in Read order): a document
// exists only for a vCon the vcons read found, and history rows only for dialogs the dialog read
// found (they are merged into those dialogs and nowhere else). Each read is an executor start-up,
// a large share of a small batch's cost: a batch of deletions, or of vCons without dialogs (plain
// writes), skips what cannot change its documents.
bool ReadNeeded(Read read, const Reads *reads) {
    if (read == kVcons)
        return true;
    if (reads->rows[kVcons].table->numvals == 0)
        return false;
    return read != kHistory || reads->rows[kDialog].table->numvals > 0;
}

int CompareUuids(const void *a, const void *b) {
    return memcmp(DatumGetUUIDP(*static_cast<const Datum *>(a))->data,
                  DatumGetUUIDP(*static_cast<const Datum *>(b))->data, UUID_LEN);
}

// The uuid[] of ids (n, none NULL) in uuid order. The reads' `= ANY ($1)` index scans sort their array
// (_bt_preprocess_array_keys, through uuid_cmp); given it sorted they only check it, where sorting 500
// random uuids in each of five reads was ~4 % of a small vCon's document.
Datum SortedUuidArray(Datum *ids, int n) {
    qsort(ids, n, sizeof(Datum), CompareUuids);
    return PointerGetDatum(construct_array(ids, n, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
}

// The vCons asked (the function's uuid[]) in uuid order, without NULLs (which `= ANY` never matches).
Datum SortedArgument(ArrayType *uuids) {
    Datum *ids = nullptr;
    bool *nulls = nullptr;
    int n = 0;
    deconstruct_array(uuids, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &ids, &nulls, &n);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (!nulls[i])
            ids[kept++] = ids[i];
    }
    return SortedUuidArray(ids, kept);
}

// The uuid[] `read` selects by: the vCons asked, or for the history the ids of the dialogs found.
Datum ReadArgument(Read read, const Reads *reads, Datum uuids) {
    if (read != kHistory)
        return uuids;
    const SPITupleTable *dialogs = reads->rows[kDialog].table;
    Datum *ids = static_cast<Datum *>(palloc(sizeof(Datum) * (dialogs->numvals > 0 ? dialogs->numvals : 1)));
    int n = 0;
    for (uint64 i = 0; i < dialogs->numvals; i++) {
        bool isnull = false;
        Datum id = SPI_getbinval(dialogs->vals[i], dialogs->tupdesc, kDId, &isnull);
        if (!isnull)
            ids[n++] = id;
    }
    return SortedUuidArray(ids, n);
}

// The document of the vCon of row `v` into doc; the value pushJsonbValue built (keys sorted and
// unique) when that is where it goes.
JsonbValue *BuildDocument(Doc *doc, const Row *v, Reads *reads) {
    bool isnull = false;
    const pg_uuid_t *uuid = DatumGetUUIDP(Get(v, kVUuid, &isnull));
    Jsonb *extra = OpenObject(doc, v, kVExtra);

    if (BeginMember(doc, "uuid")) {
        char text[kUuidTextLen];
        UuidText(uuid, text);
        StringValue(doc, doc->out != nullptr ? text : pnstrdup(text, kUuidTextLen), kUuidTextLen);
    }

    StringMember(doc, "vcon", v, kVVcon);
    JsonbMember(doc, "group", v, kVGroup);
    Rows *dialog = &reads->rows[kDialog];
    Rows *history = &reads->rows[kHistory];
    bool opened = false;
    for (HeapTuple t; (t = RowOf(dialog, uuid, kDVcon)) != nullptr; dialog->next++) {
        if (!opened) {
            if (!BeginMember(doc, "dialog"))
                break; // extra has the member
            BeginContainer(doc, WJB_BEGIN_ARRAY);
            opened = true;
        }
        Row r;
        Deform(&r, t, dialog->table->tupdesc);
        PushDialog(doc, &r, history);
    }
    if (opened)
        EndContainer(doc, WJB_END_ARRAY);
    JsonbMember(doc, "amended", v, kVAmended);
    ChildArray(doc, "parties", &reads->rows[kParties], uuid, kPVcon, PushParty);
    StringMember(doc, "subject", v, kVSubject);
    ChildArray(doc, "analysis", &reads->rows[kAnalysis], uuid, kAVcon, PushAnalysis);
    ValueMember(doc, "critical", v, kVCritical);
    JsonbMember(doc, "redacted", v, kVRedacted);
    DateMember(doc, "created_at", v, kVCreatedAt);
    ValueMember(doc, "extensions", v, kVExtensions);
    DateMember(doc, "updated_at", v, kVUpdatedAt);
    ChildArray(doc, "attachments", &reads->rows[kAttachments], uuid, kFVcon, PushAttachment);
    return CloseObject(doc, extra);
}

// The documents of the given vCons into the function's result set, one row (uuid, document) per vCon
// found: the jsonb value (compact false) or the compact text.
void ReturnDocuments(FunctionCallInfo fcinfo, bool compact) {
    merge_depth = 0;
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    Datum uuids = SortedArgument(PG_GETARG_ARRAYTYPE_P(0));

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    Reads reads;
    for (int i = 0; i < kReads; i++) {
        Read read = static_cast<Read>(i);
        reads.rows[i].table =
            ReadNeeded(read, &reads) ? RunRead(read, ReadArgument(read, &reads, uuids)) : nullptr;
        reads.rows[i].next = 0;
        if (read == kDialog && reads.rows[i].table != nullptr)
            OrderDialogTies(reads.rows[i].table);
    }
    MemoryContext per_doc =
        AllocSetContextCreate(CurrentMemoryContext, "vcon document", ALLOCSET_DEFAULT_SIZES);
    SPITupleTable *vcons = reads.rows[kVcons].table;
    StringInfoData text;
    // the largest document's size so far: the next one's buffer starts that large, so it is seldom
    // enlarged (each enlargement copies what was written)
    int text_size = 1024;
    for (uint64 i = 0; i < vcons->numvals; i++) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(per_doc);
        Row v;
        Deform(&v, vcons->vals[i], vcons->tupdesc);
        bool isnull = false;
        Datum values[2] = {Get(&v, kVUuid, &isnull), 0};
        bool nulls[2] = {false, false};
        Doc doc = {nullptr, nullptr, false};
        if (compact) {
            // written after room for the text header, and returned as the text itself (no copy)
            text.data = static_cast<char *>(palloc(text_size));
            text.maxlen = text_size;
            text.len = VARHDRSZ;
            text.cursor = 0;
            doc.out = &text;
            BuildDocument(&doc, &v, &reads);
            SET_VARSIZE(text.data, text.len);
            text_size = Max(text_size, text.maxlen);
            values[1] = PointerGetDatum(text.data);
        } else {
            values[1] = JsonbPGetDatum(JsonbValueToJsonb(BuildDocument(&doc, &v, &reads)));
        }
        MemoryContextSwitchTo(old);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        MemoryContextReset(per_doc);
    }
    MemoryContextDelete(per_doc);
    for (int i = 0; i < kReads; i++) {
        if (reads.rows[i].table != nullptr)
            SPI_freetuptable(reads.rows[i].table);
    }
    SPI_finish();
}

} // namespace
} // namespace vcon_redis

extern "C" {

PG_FUNCTION_INFO_V1(vcon_redis_vcon_json_many);
PG_FUNCTION_INFO_V1(vcon_redis_vcon_texts);

Datum vcon_redis_vcon_json_many(PG_FUNCTION_ARGS) {
    vcon_redis::ReturnDocuments(fcinfo, false);
    return (Datum)0;
}

Datum vcon_redis_vcon_texts(PG_FUNCTION_ARGS) {
    vcon_redis::ReturnDocuments(fcinfo, true);
    return (Datum)0;
}
}
