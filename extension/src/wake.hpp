// Commit-time wake-up of the worker (docs/internals.md, "Wake-up").
// Include after postgres.h.
#pragma once

extern "C" {
#include "datatype/timestamp.h"
}

namespace vcon_redis {

// Registers the extension's one transaction callback; call once from _PG_init.
void RegisterWakeCallback() noexcept;

// Asks for the worker to be woken when this transaction commits (the capture triggers' last step):
// sets a backend-local flag, cannot fail.
void WakeAtCommit() noexcept;

// For the worker: the commit time of the oldest commit with events since the last call (0 when
// none, or without shared memory), and forgets it.
TimestampTz CommitTimeOfOldestWake() noexcept;

} // namespace vcon_redis
