#include "store/random_token.hpp"

#include <random>

namespace vcon_redis::server::store {

std::string random_token() {
    thread_local std::mt19937_64 rng{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string t;
    t.reserve(32);
    for (int w = 0; w < 2; ++w) {
        auto v = rng();
        for (int i = 0; i < 16; ++i, v >>= 4)
            t.push_back(hex[v & 0xf]);
    }
    return t;
}

} // namespace vcon_redis::server::store
