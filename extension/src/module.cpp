// vcon_redis.so entry: module magic and _PG_init. The GUCs and the commit-time wake-up exist in
// every process that loads the library; shared memory and the background worker only when it is
// loaded through shared_preload_libraries (without it the triggers still record events and
// status() says nothing drains them).
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
}

#include "capture.hpp"
#include "guc.hpp"
#include "log_redact.hpp"
#include "pg_guard.hpp"
#include "shmem.hpp"
#include "wake.hpp"
#include "worker.hpp"

extern "C" {

#ifdef PG_MODULE_MAGIC_EXT
PG_MODULE_MAGIC_EXT(.name = "vcon_redis", .version = VCON_REDIS_VERSION);
#else
PG_MODULE_MAGIC;
#endif

void _PG_init(void) {
    // DefineGucs runs PostgreSQL's GUC machinery (which may ereport); the check hooks it triggers
    // catch their own C++ exceptions. Nothing here holds a C++ object across those calls.
    vcon_redis::InstallLogRedaction();
    vcon_redis::DefineGucs();
    vcon_redis::RegisterWakeCallback();
    vcon_redis::RegisterCaptureCallback();
    if (process_shared_preload_libraries_in_progress) {
        vcon_redis::InstallShmemHooks();
        vcon_redis::RegisterWorkers();
    }
}
}
