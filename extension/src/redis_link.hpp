// The worker's one Redis connection: built from the current GUCs, counted against PostgreSQL's
// file descriptor budget (AcquireExternalFD), closed and rebuilt after any failure.
#pragma once

#include "redis/connection.hpp"

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
    vconredis::redis::Connection &Conn();

private:
    std::unique_ptr<vconredis::redis::Connection> conn_;
    bool fd_reserved_ = false;
};

} // namespace vcon_redis
