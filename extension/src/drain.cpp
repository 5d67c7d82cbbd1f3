// DrainBatch (drain.hpp). The C++ objects (commands, compacted documents, ids) live in this
// frame; every PostgreSQL call goes through PgGuard into outbox_spi.cpp's plain C code.
//
// What each event does in Redis (docs/internals.md): document present → write_through SETs
// (and pushes if created); invalidate SETs created vCons and DELs the others; off only pushes.
// Document absent (deleted) → DEL unless off, never a push.
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

#include "json/compact.hpp"
#include "redis/error.hpp"
#include "redis/reply.hpp"
#include "redis/scripts.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis {

namespace {

namespace redis = vconredis::redis;

// Rows per Redis pipeline, and the document bytes after which a chunk is cut short: bounds the
// worker's memory when documents are large (a chunk's text is held ~3 times: tuple, compacted,
// encoded).
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

// Applies one chunk; returns the number of pushes. Throws on a transport error or error reply.
int64_t ApplyChunk(redis::Connection &conn, const Settings &settings, const OutboxRow *rows, int count) {
    std::vector<std::string> docs(count); // sized once: the calls hold views into these strings
    std::vector<redis::ScriptCall> calls;
    calls.reserve(count);
    for (int i = 0; i < count; i++) {
        const OutboxRow &row = rows[i];
        redis::ApplyAction action = ActionFor(row, settings.mode);
        // Only a created vCon whose document exists is pushed (never a uuid without document).
        std::vector<std::string_view> lists;
        if (row.created && row.doc != nullptr)
            for (int l = 0; l < row.nlists; l++)
                lists.emplace_back(row.lists[l]);
        if (action == redis::ApplyAction::none && lists.empty())
            continue; // nothing to do in Redis; the row is still deleted
        if (action == redis::ApplyAction::set)
            docs[i] = vconredis::json::compact_json(std::string_view(row.doc, row.doc_len));
        calls.push_back(redis::apply_call(settings.prefix, row.vcon_uuid, action, docs[i], settings.ttl,
                                          row.event_id, lists));
    }
    if (calls.empty())
        return 0;

    std::vector<redis::Reply> replies = redis::run_scripts(conn, calls);
    int64_t pushes = 0;
    for (const redis::Reply &reply : replies) {
        if (reply == nullptr || redis::is_error(*reply))
            throw redis::Error(redis::Error::Kind::reply,
                               "apply script failed: " + (reply ? redis::describe(*reply) : std::string("no reply")));
        if (reply->type == REDIS_REPLY_INTEGER)
            pushes += reply->integer;
    }
    return pushes;
}

} // namespace

BatchResult DrainBatch(RedisLink &link, MemoryContext chunk_context) {
    BatchResult result;
    const int batch_size = guc::batch_size;
    if (!PgGuard([&]() noexcept { return BeginBatch(batch_size); })) {
        result.installed = false;
        return result;
    }
    if (!link.Connected())
        link.Connect();

    Settings settings{guc::key_prefix != nullptr ? guc::key_prefix : "vcon:", guc::ttl,
                      static_cast<CacheMode>(guc::cache_mode)};
    std::vector<ItemPointerData> rows_done;
    TimestampTz oldest = DT_NOEND;
    for (;;) {
        OutboxRow *rows = nullptr;
        int count = PgGuard([&]() noexcept { return FetchChunk(kChunkRows, kChunkDocBytes, chunk_context, &rows); });
        if (count == 0)
            break;
        result.pushes += ApplyChunk(link.Conn(), settings, rows, count);
        for (int i = 0; i < count; i++) {
            rows_done.push_back(rows[i].ctid);
            oldest = std::min(oldest, rows[i].enqueued_at);
        }
        MemoryContextReset(chunk_context);
    }
    if (!rows_done.empty())
        result.lag_ms = static_cast<double>(GetCurrentTimestamp() - oldest) / 1000.0;

    const ItemPointerData *done_data = rows_done.data();
    const int done_count = static_cast<int>(rows_done.size());
    PgGuard([&]() noexcept { FinishBatch(done_data, done_count); });
    result.events = done_count;
    result.full = done_count >= batch_size;
    return result;
}

} // namespace vcon_redis
