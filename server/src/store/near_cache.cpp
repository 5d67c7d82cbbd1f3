#include "store/near_cache.hpp"

#include <utility>

namespace vcon_redis::server::store {

NearCache::NearCache(std::size_t budget_bytes, Metrics &metrics) : budget_(budget_bytes), metrics_(metrics) {}

NearCache::Reading::Reading(Reading &&other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)), alive_(std::move(other.alive_)),
      flight_(std::exchange(other.flight_, nullptr)), seq_(other.seq_), epoch_(other.epoch_) {}

NearCache::Reading &NearCache::Reading::operator=(Reading &&other) noexcept {
    if (this != &other) {
        end();
        cache_ = std::exchange(other.cache_, nullptr);
        alive_ = std::move(other.alive_);
        flight_ = std::exchange(other.flight_, nullptr);
        seq_ = other.seq_;
        epoch_ = other.epoch_;
    }
    return *this;
}

NearCache::Reading::~Reading() {
    end();
}

void NearCache::Reading::end() noexcept {
    if (cache_ && flight_ && !alive_.expired() && --flight_->second.readers == 0)
        cache_->flights_.erase(flight_->first);
    cache_ = nullptr;
    alive_.reset();
    flight_ = nullptr;
}

void NearCache::set_live(bool live) {
    if (!live && (live_ || !lru_.empty())) {
        clear();
        metrics_.near(NearEvent::Flush);
    }
    if (live != live_)
        ++epoch_;
    live_ = live;
}

std::shared_ptr<const std::string> NearCache::find(std::string_view key, bool count_miss) {
    if (!live_)
        return nullptr;
    auto it = index_.find(key);
    if (it == index_.end()) {
        if (count_miss)
            metrics_.near(NearEvent::Miss);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    metrics_.near(NearEvent::Hit);
    return it->second->value;
}

NearCache::Reading NearCache::begin(std::string_view key) {
    Reading r;
    if (!live_ || budget_ == 0)
        return r;
    auto [it, added] = flights_.try_emplace(std::string(key));
    ++it->second.readers;
    r.cache_ = this;
    r.alive_ = alive_;
    r.flight_ = &*it;
    r.seq_ = seq_;
    r.epoch_ = epoch_;
    return r;
}

bool NearCache::finish(Reading &reading, std::shared_ptr<const std::string> value) {
    bool store = reading.cache_ == this && reading.flight_ != nullptr && live_ && reading.epoch_ == epoch_;
    if (store && reading.flight_->second.invalidated_at > reading.seq_) {
        store = false; // invalidated while the GET was in flight: the value may be older than that
        metrics_.near(NearEvent::StaleRefused);
    }
    Entry e{reading.flight_ ? reading.flight_->first : std::string(), std::move(value)};
    reading.end();
    if (!store || !e.value || charge(e) > budget_)
        return false;
    if (auto old = index_.find(e.key); old != index_.end())
        erase(old->second);
    evict_to(budget_ - charge(e));
    bytes_ += charge(e);
    metrics_.near_bytes(static_cast<std::int64_t>(charge(e)));
    lru_.push_front(std::move(e));
    index_.emplace(lru_.front().key, lru_.begin());
    metrics_.near(NearEvent::Store);
    return true;
}

void NearCache::invalidate(std::string_view key) {
    ++seq_;
    metrics_.near(NearEvent::Invalidation);
    if (auto f = flights_.find(std::string(key)); f != flights_.end())
        f->second.invalidated_at = seq_;
    if (auto it = index_.find(key); it != index_.end())
        erase(it->second);
}

void NearCache::flush() {
    ++epoch_;
    clear();
    metrics_.near(NearEvent::Flush);
}

void NearCache::erase(std::list<Entry>::iterator it) {
    const std::size_t c = charge(*it);
    bytes_ -= c;
    metrics_.near_bytes(-static_cast<std::int64_t>(c));
    index_.erase(std::string_view(it->key));
    lru_.erase(it);
}

void NearCache::clear() {
    metrics_.near_bytes(-static_cast<std::int64_t>(bytes_));
    index_.clear();
    lru_.clear();
    bytes_ = 0;
}

void NearCache::evict_to(std::size_t budget) {
    while (bytes_ > budget && !lru_.empty()) {
        erase(std::prev(lru_.end()));
        metrics_.near(NearEvent::Eviction);
    }
}

} // namespace vcon_redis::server::store
