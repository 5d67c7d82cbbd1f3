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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis {

namespace {

namespace redis = vcon_redis::redis;

// Rows per Redis pipeline (and per document build: BeginBatch), and the document bytes after which a
// chunk is cut short: bounds the worker's memory when documents are large (a chunk's text is held
// twice: copied out of the tuple, encoded; and on a standalone Redis two chunks are held, the one
// Redis runs and the next).
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

// One chunk of the batch: its rows, in a memory context of their own (a child of the worker's chunk
// context, which a failed batch resets), and what became of them.
struct Chunk {
    MemoryContext context = nullptr;
    OutboxRow *rows = nullptr;
    int count = 0;
    std::vector<bool> failed;        // dead-lettered
    std::vector<std::string> remove; // uuids whose cache keys go (their events are dead)
};

// Takes the replies of calls; a permanent refusal dead-letters its row (once) and flags it in
// `failed`. Returns the pushes counted by the accepted replies.
int64_t TakeReplies(const std::vector<redis::Reply> &replies, const Calls &c, Chunk &chunk,
                    std::vector<DeadEvent> &dead) {
    int64_t pushes = 0;
    for (std::size_t i = 0; i < replies.size(); i++) {
        const int r = c.rows[i];
        if (!Accepted(replies[i])) {
            if (!chunk.failed[r]) {
                chunk.failed[r] = true;
                dead.push_back(
                    {chunk.rows[r].ctid, "Redis refused the event: " + redis::describe(*replies[i])});
                chunk.remove.emplace_back(chunk.rows[r].vcon_uuid);
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

// The chunk's document calls, with_pushes: each with its ingress lists (a standalone Redis: one call
// per event). Events whose document cannot be built are dead-lettered here.
Calls DocumentCalls(Chunk &chunk, const Settings &settings, bool with_pushes, std::vector<DeadEvent> &dead) {
    Calls documents;
    documents.calls.reserve(chunk.count);
    for (int i = 0; i < chunk.count; i++) {
        const OutboxRow &row = chunk.rows[i];
        if (row.build_error != nullptr) {
            chunk.failed[i] = true;
            dead.push_back({row.ctid, row.build_error});
            chunk.remove.emplace_back(row.vcon_uuid);
            continue;
        }
        redis::ApplyAction action = ActionFor(row, settings.mode);
        const std::vector<std::string_view> lists =
            with_pushes ? PushLists(row) : std::vector<std::string_view>();
        if (action == redis::ApplyAction::none && lists.empty())
            continue;
        // the document is already the compact text Redis holds (sql/45_drain.sql), in the chunk's
        // context, which outlives these calls
        std::string_view doc =
            action == redis::ApplyAction::set ? std::string_view(row.doc, row.doc_len) : std::string_view();
        documents.add(
            redis::apply_call(settings.prefix, row.vcon_uuid, action, doc, settings.ttl, row.event_id, lists),
            i);
    }
    return documents;
}

// A Redis Cluster: each script call touches one slot, so a chunk is applied in two round trips:
// every document change (document and lease, in the document's slot), then, for the rows whose
// change was accepted, one push per ingress list (list and guard, in the list's slot). Returns the
// number of pushes.
int64_t ApplyChunkToCluster(redis::Client &client, const Settings &settings, Chunk &chunk,
                            std::vector<DeadEvent> &dead) {
    const Calls documents = DocumentCalls(chunk, settings, false, dead);
    int64_t pushes = 0;
    if (!documents.calls.empty())
        pushes += TakeReplies(redis::run_scripts(client, documents.calls), documents, chunk, dead);
    Calls pushes_calls;
    for (int i = 0; i < chunk.count; i++) {
        if (chunk.failed[i])
            continue;
        for (std::string_view list : PushLists(chunk.rows[i]))
            pushes_calls.add(redis::push_call(chunk.rows[i].vcon_uuid, chunk.rows[i].event_id, list), i);
    }
    if (!pushes_calls.calls.empty())
        pushes += TakeReplies(redis::run_scripts(client, pushes_calls.calls), pushes_calls, chunk, dead);
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

namespace {

// What a batch has applied so far.
struct Applied {
    std::vector<ItemPointerData> done; // rows Redis acknowledged
    std::vector<DeadEvent> dead;
    TimestampTz oldest = DT_NOEND; // enqueued_at of the oldest row read
    int64_t last_id = 0;
    int64_t pushes = 0;

    // Counts the chunk's rows and frees them.
    void Take(Chunk &chunk) {
        for (int i = 0; i < chunk.count; i++) {
            if (!chunk.failed[i])
                done.push_back(chunk.rows[i].ctid);
            oldest = std::min(oldest, chunk.rows[i].enqueued_at);
            last_id = std::max<int64_t>(last_id, chunk.rows[i].id);
        }
        MemoryContextDelete(chunk.context); // never raises
        chunk = Chunk();
    }
};

// The cursor's next chunk, in a new child context of chunk_context (count 0: the batch is read).
Chunk FetchNextChunk(MemoryContext chunk_context) {
    Chunk chunk;
    chunk.context = PgGuard([chunk_context]() noexcept {
        return AllocSetContextCreate(chunk_context, "vcon_redis chunk", ALLOCSET_DEFAULT_SIZES);
    });
    OutboxRow *rows = nullptr;
    MemoryContext into = chunk.context;
    chunk.count = PgGuard([&]() noexcept { return FetchChunk(kChunkRows, kChunkDocBytes, into, &rows); });
    chunk.rows = rows;
    chunk.failed.assign(chunk.count, false);
    return chunk;
}

// A chunk whose script calls a standalone Redis is running.
struct InFlight {
    Chunk chunk;
    Calls calls;
};

// Applies the batch's chunks to Redis, in order. On a standalone Redis each chunk is one pipeline
// (one round trip), sent before the next chunk is read from the cursor and answered after it: the
// worker reads and builds the next chunk while Redis runs the scripts of this one. A chunk is sent
// only once the one before it was answered and its dead events' keys removed, so Redis gets the
// calls in the order of a chunk-by-chunk drain. A cluster applies each chunk before the next read
// (ApplyChunkToCluster).
void ApplyChunks(redis::Client &client, const Settings &settings, MemoryContext chunk_context,
                 Applied &applied) {
    const bool pipelined = client.standalone() != nullptr;
    std::optional<InFlight> in_flight;
    for (;;) {
        Chunk chunk = FetchNextChunk(chunk_context);
        if (in_flight) {
            Chunk &sent = in_flight->chunk;
            applied.pushes +=
                TakeReplies(redis::receive_scripts(*client.standalone(), in_flight->calls.calls),
                            in_flight->calls, sent, applied.dead);
            RemoveKeys(client, settings, sent.remove);
            applied.Take(sent);
            in_flight.reset();
        }
        if (chunk.count == 0) {
            MemoryContextDelete(chunk.context); // never raises
            return;
        }
        if (!pipelined) {
            applied.pushes += ApplyChunkToCluster(client, settings, chunk, applied.dead);
            RemoveKeys(client, settings, chunk.remove);
            applied.Take(chunk);
            continue;
        }
        Calls calls = DocumentCalls(chunk, settings, true, applied.dead);
        // counted as written: ConfirmReplicated's WAIT must cover these scripts
        redis::send_scripts(*client.standalone_for_writes(), calls.calls);
        in_flight = InFlight{std::move(chunk), std::move(calls)};
    }
}

} // namespace

BatchResult DrainBatch(RedisLink &link, MemoryContext chunk_context, bool isolating, int64_t after_id,
                       Partition partition) {
    BatchResult result;
    const int batch_size = guc::batch_size;
    if (!PgGuard(
            [&]() noexcept { return BeginBatch(batch_size, kChunkRows, isolating, after_id, partition); })) {
        result.installed = false;
        return result;
    }
    if (!link.Connected())
        link.Connect();

    Settings settings{guc::key_prefix != nullptr ? guc::key_prefix : "vcon:", guc::ttl,
                      static_cast<CacheMode>(guc::cache_mode)};
    Applied applied;
    ApplyChunks(link.Client(), settings, chunk_context, applied);
    const bool any = !applied.done.empty() || !applied.dead.empty();
    if (any)
        ConfirmReplicated(link.Client());
    TimestampTz committed = CommitTimeOfOldestWake();
    if (any)
        result.lag_ms =
            static_cast<double>(GetCurrentTimestamp() -
                                (committed != 0 ? std::max(committed, applied.oldest) : applied.oldest)) /
            1000.0;

    std::vector<DeadRow> dead_rows;
    dead_rows.reserve(applied.dead.size());
    for (const DeadEvent &d : applied.dead)
        dead_rows.push_back({d.ctid, d.error.c_str()});
    const ItemPointerData *done_data = applied.done.data();
    const int done_count = static_cast<int>(applied.done.size());
    const DeadRow *dead_data = dead_rows.data();
    const int dead_count = static_cast<int>(dead_rows.size());
    PgGuard([&]() noexcept { FinishBatch(done_data, done_count, dead_data, dead_count); });
    result.events = done_count;
    result.dead = dead_count;
    result.pushes = applied.pushes;
    result.last_id = applied.last_id;
    result.full = done_count + dead_count >= batch_size;
    return result;
}

} // namespace vcon_redis
