// DrainBatch (drain.hpp). The C++ objects (commands, ids, dead events) live in this
// frame; every PostgreSQL call goes through PgGuard into outbox_spi.cpp's plain C code.
//
// What each event does in Redis (docs/internals.md): document present → write_through SETs
// (and pushes if created); invalidate SETs created vCons and DELs the others; off only pushes.
// Document absent (deleted) → DEL unless off, never a push. An event that fails for good — its
// document cannot be built, or Redis refuses it (WRONGTYPE, NOPERM, …) — is dead-lettered and its
// cache key removed; a transient failure (connection, timeout, OOM, LOADING …) fails the batch,
// which the worker retries whole after a backoff.
extern "C" {
#include "postgres.h"

#include "utils/memutils.h"
#include "utils/timestamp.h"
}

#include "drain.hpp"
#include "guc.hpp"
#include "outbox_spi.hpp"
#include "pg_guard.hpp"
#include "redis_link.hpp"
#include "wake.hpp"

#include "redis/error.hpp"
#include "redis/reply.hpp"
#include "redis/scripts.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis {

namespace {

namespace redis = vcon_redis::redis;

// Rows per Redis pipeline, and the document bytes after which a chunk is cut short: bounds the
// worker's memory when documents are large (a chunk's text is held twice: copied out of the
// tuple, encoded).
constexpr int kChunkRows = 128;
constexpr std::size_t kChunkDocBytes = 8u << 20;

struct Settings {
    std::string prefix;
    long ttl;
    CacheMode mode;
};

redis::ApplyAction ActionFor(const OutboxRow &row, CacheMode mode) {
    if (row.doc == nullptr)
        return mode == CacheMode::off ? redis::ApplyAction::none : redis::ApplyAction::del;
    switch (mode) {
    case CacheMode::write_through:
        return redis::ApplyAction::set;
    case CacheMode::invalidate:
        return row.created ? redis::ApplyAction::set : redis::ApplyAction::del;
    case CacheMode::off:
        return redis::ApplyAction::none;
    }
    return redis::ApplyAction::none;
}

// An event that failed for good; error is what the dead letter records.
struct DeadEvent {
    ItemPointerData ctid;
    std::string error;
};

// Throws when a reply says the batch must wait and be retried whole (the transport failed or
// Redis cannot take writes now); returns false for a permanent refusal, true for success.
bool Accepted(const redis::Reply &reply) {
    if (reply == nullptr)
        throw redis::Error(redis::Error::Kind::reply, "apply script: no reply");
    if (!redis::is_error(*reply))
        return true;
    if (redis::is_transient_error(*reply))
        throw redis::Error(redis::Error::Kind::reply, "apply script failed: " + redis::describe(*reply));
    return false;
}

// Removes the cached documents (and leases) of vCons whose events were dead-lettered, so nothing
// stale is served. Best effort for permanent refusals (the dead letter records the first error).
void RemoveKeys(redis::Client &client, const Settings &settings, const std::vector<std::string> &uuids) {
    if (uuids.empty())
        return;
    std::vector<redis::ScriptCall> calls;
    calls.reserve(uuids.size());
    for (const std::string &uuid : uuids)
        calls.push_back(
            redis::apply_call(settings.prefix, uuid, redis::ApplyAction::del, {}, settings.ttl, {}, {}));
    for (const redis::Reply &reply : redis::run_scripts(client, calls))
        (void)Accepted(reply);
}

// One script call and the chunk row it belongs to.
struct Calls {
    std::vector<redis::ScriptCall> calls;
    std::vector<int> rows;

    void add(redis::ScriptCall call, int row) {
        calls.push_back(std::move(call));
        rows.push_back(row);
    }
};

// Runs calls; a permanent refusal dead-letters its row (once) and flags it in `failed`. Returns
// the pushes counted by the accepted replies.
int64_t RunCalls(redis::Client &client, const Calls &c, const OutboxRow *rows, std::vector<bool> &failed,
                 std::vector<DeadEvent> &dead, std::vector<std::string> &remove) {
    int64_t pushes = 0;
    if (c.calls.empty())
        return pushes;
    std::vector<redis::Reply> replies = redis::run_scripts(client, c.calls);
    for (std::size_t i = 0; i < replies.size(); i++) {
        const int r = c.rows[i];
        if (!Accepted(replies[i])) {
            if (!failed[r]) {
                failed[r] = true;
                dead.push_back({rows[r].ctid, "Redis refused the event: " + redis::describe(*replies[i])});
                remove.emplace_back(rows[r].vcon_uuid);
            }
        } else if (replies[i]->type == REDIS_REPLY_INTEGER) {
            pushes += replies[i]->integer;
        }
    }
    return pushes;
}

// The ingress lists row is pushed to: a created vCon whose document exists (never a uuid without
// document).
std::vector<std::string_view> PushLists(const OutboxRow &row) {
    if (!row.created || row.doc == nullptr)
        return {};
    return {row.lists, row.lists + row.nlists};
}

// Applies one chunk; returns the number of pushes. On a standalone Redis each event is one script
// call: its document change, then its pushes (apply, redis/scripts.hpp). In a Redis Cluster each
// call touches one slot: first every document change (document and lease, in the document's slot),
// then, for the rows whose change was accepted, one push per ingress list (list and guard, in the
// list's slot), a second round trip. Either way a uuid is never pushed before its document is
// written. Events that fail for good (a document that cannot be built, a permanent error reply)
// are flagged in `failed`, go to `dead` and get their cache key removed; a transport error or a
// transient error reply throws (the whole batch is retried: documents are written again, pushes
// are guarded).
int64_t ApplyChunk(redis::Client &client, const Settings &settings, const OutboxRow *rows, int count,
                   std::vector<bool> &failed, std::vector<DeadEvent> &dead) {
    const bool pushes_with_documents = !client.is_cluster();
    std::vector<std::string> remove;
    Calls documents;
    documents.calls.reserve(count);
    for (int i = 0; i < count; i++) {
        const OutboxRow &row = rows[i];
        if (row.build_error != nullptr) {
            failed[i] = true;
            dead.push_back({row.ctid, row.build_error});
            remove.emplace_back(row.vcon_uuid);
            continue;
        }
        redis::ApplyAction action = ActionFor(row, settings.mode);
        const std::vector<std::string_view> lists =
            pushes_with_documents ? PushLists(row) : std::vector<std::string_view>();
        if (action == redis::ApplyAction::none && lists.empty())
            continue;
        // the document is already the compact text Redis holds (sql/45_drain.sql), in the chunk
        // context, which outlives these calls
        std::string_view doc =
            action == redis::ApplyAction::set ? std::string_view(row.doc, row.doc_len) : std::string_view();
        documents.add(
            redis::apply_call(settings.prefix, row.vcon_uuid, action, doc, settings.ttl, row.event_id, lists),
            i);
    }
    int64_t pushes = RunCalls(client, documents, rows, failed, dead, remove);

    Calls pushes_calls;
    for (int i = 0; i < count && !pushes_with_documents; i++) {
        if (failed[i])
            continue;
        for (std::string_view list : PushLists(rows[i]))
            pushes_calls.add(redis::push_call(rows[i].vcon_uuid, rows[i].event_id, list), i);
    }
    pushes += RunCalls(client, pushes_calls, rows, failed, dead, remove);
    RemoveKeys(client, settings, remove);
    return pushes;
}

// With vcon_redis.wait_replicas > 0: WAIT until that many replicas hold every write this
// connection made (in a cluster: on every primary written to), so that a failover to one of them
// loses none of the batch's pushes or SETs. Fewer acknowledgements within vcon_redis.wait_timeout
// fail the batch (its rows stay in the outbox and are applied again: the apply script is
// idempotent and pushes are guarded).
void ConfirmReplicated(redis::Client &client) {
    const int replicas = guc::wait_replicas;
    if (replicas <= 0)
        return;
    const std::string n = std::to_string(replicas);
    const std::string timeout = std::to_string(guc::wait_timeout_ms);
    for (const redis::Reply &reply : client.on_written_nodes({"WAIT", n, timeout})) {
        if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= replicas)
            continue;
        std::string got =
            reply->type == REDIS_REPLY_INTEGER ? std::to_string(reply->integer) : redis::describe(*reply);
        throw redis::Error(redis::Error::Kind::reply, "WAIT: " + got + " of " + n +
                                                          " replica(s) acknowledged within " + timeout +
                                                          " ms; the batch will be applied again");
    }
}

} // namespace

bool ReadStart::Advance(const BatchResult &result) {
    const bool read_after = after_id_ > 0;
    if (result.full && result.last_id > 0 && reads_after_ < kReadsAfter) {
        after_id_ = result.last_id;
        reads_after_++;
        return true;
    }
    Reset();
    return result.full || read_after;
}

BatchResult DrainBatch(RedisLink &link, MemoryContext chunk_context, bool isolating, int64_t after_id,
                       Partition partition) {
    BatchResult result;
    const int batch_size = guc::batch_size;
    if (!PgGuard([&]() noexcept { return BeginBatch(batch_size, isolating, after_id, partition); })) {
        result.installed = false;
        return result;
    }
    if (!link.Connected())
        link.Connect();

    Settings settings{guc::key_prefix != nullptr ? guc::key_prefix : "vcon:", guc::ttl,
                      static_cast<CacheMode>(guc::cache_mode)};
    std::vector<ItemPointerData> rows_done;
    std::vector<DeadEvent> dead;
    TimestampTz oldest = DT_NOEND;
    for (;;) {
        OutboxRow *rows = nullptr;
        int count =
            PgGuard([&]() noexcept { return FetchChunk(kChunkRows, kChunkDocBytes, chunk_context, &rows); });
        if (count == 0)
            break;
        std::vector<bool> failed(count);
        result.pushes += ApplyChunk(link.Client(), settings, rows, count, failed, dead);
        for (int i = 0; i < count; i++) {
            if (!failed[i])
                rows_done.push_back(rows[i].ctid);
            oldest = std::min(oldest, rows[i].enqueued_at);
            result.last_id = std::max<int64_t>(result.last_id, rows[i].id);
        }
        MemoryContextReset(chunk_context);
    }
    if (!rows_done.empty() || !dead.empty())
        ConfirmReplicated(link.Client());
    TimestampTz committed = CommitTimeOfOldestWake();
    if (!rows_done.empty() || !dead.empty())
        result.lag_ms = static_cast<double>(GetCurrentTimestamp() -
                                            (committed != 0 ? std::max(committed, oldest) : oldest)) /
                        1000.0;

    std::vector<DeadRow> dead_rows;
    dead_rows.reserve(dead.size());
    for (const DeadEvent &d : dead)
        dead_rows.push_back({d.ctid, d.error.c_str()});
    const ItemPointerData *done_data = rows_done.data();
    const int done_count = static_cast<int>(rows_done.size());
    const DeadRow *dead_data = dead_rows.data();
    const int dead_count = static_cast<int>(dead_rows.size());
    PgGuard([&]() noexcept { FinishBatch(done_data, done_count, dead_data, dead_count); });
    result.events = done_count;
    result.dead = dead_count;
    result.full = done_count + dead_count >= batch_size;
    return result;
}

} // namespace vcon_redis
