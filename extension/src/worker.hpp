// The background workers that drain the outbox into Redis.
#pragma once

namespace vcon_redis {

// Registers the vcon_redis.workers static workers; call from _PG_init while
// shared_preload_libraries is processed, after DefineGucs.
void RegisterWorkers() noexcept;

} // namespace vcon_redis
