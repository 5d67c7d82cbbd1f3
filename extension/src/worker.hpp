// The background worker that drains the outbox into Redis.
#pragma once

namespace vcon_redis {

// Registers the static worker; call from _PG_init while shared_preload_libraries is processed.
void RegisterWorker() noexcept;

} // namespace vcon_redis
