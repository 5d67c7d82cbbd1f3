// Commit-time wake-up of the worker (docs/internals.md, "Wake-up").
#pragma once

namespace vcon_redis {

// Registers the extension's one transaction callback; call once from _PG_init.
void RegisterWakeCallback() noexcept;

} // namespace vcon_redis
