// RunGuarded: the one PG_TRY that every PostgreSQL call made from C++ goes through (pg_guard.hpp).
// This frame holds only plain data, so a longjmp landing here skips no destructor.
extern "C" {
#include "postgres.h"

#include "utils/memutils.h"
}

#include "pg_guard.hpp"

namespace vcon_redis::detail {

void CopyMessage(char *buf, const char *message) noexcept {
    strlcpy(buf, message != nullptr ? message : "(no message)", kMessageMax);
}

namespace {

// Copies the message of the error being handled. CopyErrorData can itself fail (out of memory);
// this guard keeps that second longjmp here instead of letting it fly over the caller's frames.
void CopyCurrentMessage(CaughtError *err, MemoryContext caller_context) noexcept {
    CopyMessage(err->message, "unknown PostgreSQL error");
    PG_TRY();
    {
        ErrorData *edata = CopyErrorData();
        CopyMessage(err->message, edata->message);
        FreeErrorData(edata);
    }
    PG_CATCH();
    { MemoryContextSwitchTo(caller_context); }
    PG_END_TRY();
}

} // namespace

void RunGuarded(void (*fn)(void *), void *arg, CaughtError *err) noexcept {
    MemoryContext caller_context = CurrentMemoryContext;
    err->failed = false;
    PG_TRY();
    { fn(arg); }
    PG_CATCH();
    {
        // An ERROR leaves us in ErrorContext; CopyErrorData must not allocate there.
        MemoryContextSwitchTo(caller_context);
        err->failed = true;
        err->sqlerrcode = geterrcode();
        CopyCurrentMessage(err, caller_context);
        FlushErrorState();
    }
    PG_END_TRY();
}

} // namespace vcon_redis::detail
