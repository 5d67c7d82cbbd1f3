// The near cache of one io thread: Redis key → the exact bytes a Redis GET of that key returned
// (immutable and refcounted: a response being written keeps the bytes it sends alive after their
// entry is invalidated or evicted, so they are never copied), bounded in bytes with LRU eviction, and the
// bookkeeping that keeps it from ever holding a value older than an invalidation it was told about. No I/O:
// NearCacheTracking (near_cache_tracking.hpp) feeds it the invalidations of Redis client-side caching and
// says when tracking is live.
//
// Coherence rules (single-threaded: everything runs on the owning io thread):
//   - Nothing is stored or served unless live() (tracking is on for the data connection and the
//     invalidation connection is subscribed). set_live(false) drops every entry.
//   - A value may be stored only through a Reading taken *before* its GET was sent. The Reading
//     remembers the invalidation sequence and the epoch at that moment; finish() stores the value
//     only when no invalidation of that key, no flush and no loss of tracking happened since.
//     So an invalidation that arrives while the GET is in flight always wins.
//   - invalidate(key) erases the key; flush() (a nil-key invalidation: FLUSHALL, FLUSHDB)
//     erases everything.
#pragma once

#include "app/metrics.hpp"

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vcon_redis::server::store {

class NearCache {
    struct Flight {
        unsigned readers = 0;
        std::uint64_t invalidated_at = 0; // seq_ of the last invalidation of this key
    };
    using Flights = std::unordered_map<std::string, Flight>;

public:
    // Bytes charged per entry on top of its key and value (list node, index node, allocations).
    static constexpr std::size_t kEntryOverhead = 160;

    NearCache(std::size_t budget_bytes, Metrics &metrics);
    NearCache(const NearCache &) = delete;
    NearCache &operator=(const NearCache &) = delete;

    bool live() const noexcept { return live_; }
    // false: drops everything, stores nothing until set_live(true).
    void set_live(bool live);

    // The value stored for key (and counts a near hit, and a miss unless `count_miss` is false), or
    // nullptr. The handle keeps the bytes alive and unchanged whatever happens to the entry afterwards.
    std::shared_ptr<const std::string> find(std::string_view key, bool count_miss = true);

    // One GET in flight for `key`. Move-only; its destructor ends the flight.
    class Reading {
    public:
        Reading() = default;
        Reading(Reading &&other) noexcept;
        Reading &operator=(Reading &&other) noexcept;
        ~Reading();
        Reading(const Reading &) = delete;
        Reading &operator=(const Reading &) = delete;

    private:
        friend class NearCache;
        void end() noexcept;
        NearCache *cache_ = nullptr;
        std::weak_ptr<int> alive_; // a Reading in a coroutine frame may outlive the cache at shutdown
        Flights::value_type *flight_ = nullptr;
        std::uint64_t seq_ = 0;
        std::uint64_t epoch_ = 0;
    };

    // Call before sending the GET. A Reading that can never store when the cache is not live.
    Reading begin(std::string_view key);
    // Stores value for the Reading's key if nothing invalidated it since begin(); ends the Reading.
    // Returns whether it was stored.
    bool finish(Reading &reading, std::shared_ptr<const std::string> value);

    void invalidate(std::string_view key);
    void flush();

    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t entries() const noexcept { return index_.size(); }
    std::size_t budget() const noexcept { return budget_; }

private:
    struct Entry {
        std::string key;
        std::shared_ptr<const std::string> value;
    };
    static std::size_t charge(const Entry &e) noexcept {
        return e.key.size() + e.value->size() + kEntryOverhead;
    }
    void erase(std::list<Entry>::iterator it);
    void clear();
    void evict_to(std::size_t budget);

    const std::size_t budget_;
    Metrics &metrics_;
    bool live_ = false;
    std::uint64_t seq_ = 0;   // bumps on every invalidation
    std::uint64_t epoch_ = 1; // bumps on every flush and every change of live_
    std::size_t bytes_ = 0;
    std::list<Entry> lru_;                                                   // most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index_; // views into lru_ keys
    Flights flights_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace vcon_redis::server::store
