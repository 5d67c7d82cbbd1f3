#include "store/vcon_store.hpp"

namespace vcon_redis::server {

const char *to_string(CacheStatus s) {
    switch (s) {
    case CacheStatus::Hit:
        return "HIT";
    case CacheStatus::Miss:
        return "MISS";
    case CacheStatus::Bypass:
        return "BYPASS";
    }
    return "BYPASS";
}

boost::asio::awaitable<std::vector<VconResult>> VconStore::get_many(std::vector<std::string> uuids) {
    std::vector<VconResult> results;
    results.reserve(uuids.size());
    for (auto &uuid : uuids)
        results.push_back(co_await get(std::move(uuid)));
    co_return results;
}

} // namespace vcon_redis::server
