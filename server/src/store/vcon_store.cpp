#include "store/vcon_store.hpp"

namespace vconredis::server {

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

} // namespace vconredis::server
