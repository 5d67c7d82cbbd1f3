// The worker's Redis client (one connection, or one per cluster primary): built from the current
// GUCs, every connection counted against PostgreSQL's file descriptor budget (AcquireExternalFD),
// closed and rebuilt after any failure.
#pragma once

#include "redis/client.hpp"

#include <memory>
#include <string>

namespace vcon_redis {

class RedisLink {
public:
    RedisLink() = default;
    ~RedisLink();
    RedisLink(const RedisLink &) = delete;
    RedisLink &operator=(const RedisLink &) = delete;

    bool Connected() const noexcept;
    // Connects with the current vcon_redis.redis_url and timeouts; throws on failure (closed then).
    void Connect();
    void Close() noexcept;
    vcon_redis::redis::Client &Client();

private:
    std::unique_ptr<vcon_redis::redis::Client> client_;
};

} // namespace vcon_redis
