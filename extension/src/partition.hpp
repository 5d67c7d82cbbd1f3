// Which drain worker owns a vCon: worker i of N applies the events of the vCons whose uuid hashes
// to i (docs/internals.md, "Several workers"). One hash, used by the worker's outbox read through
// vcon_redis._worker_owns() and by anything in C that must agree with it.
// Include after postgres.h.
#pragma once

extern "C" {
#include "utils/uuid.h"
}

namespace vcon_redis {

// The most workers vcon_redis.workers allows.
inline constexpr int kMaxWorkers = 16;

// Which events a worker applies: those of the vCons WorkerOf(uuid, workers) maps to worker.
struct Partition {
    int workers = 1;
    int worker = 0;
};

// The worker (0 … workers - 1) that owns uuid; 0 when workers <= 1. Pure and cannot fail.
int WorkerOf(const pg_uuid_t &uuid, int workers) noexcept;

} // namespace vcon_redis
