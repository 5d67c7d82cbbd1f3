// The C++ <-> PostgreSQL error boundary (docs/design.md, "The C++/PostgreSQL boundary").
//
// PostgreSQL reports errors with longjmp; C++ unwinds with exceptions. Neither may cross the other:
//  * PgGuard(fn) runs a PostgreSQL call from C++. The sigsetjmp lives in RunGuarded (pg_guard.cpp),
//    a plain C-style frame *below* every C++ object of the caller, so a longjmp only skips the
//    frames of fn itself (which therefore must hold no objects with destructors and must not
//    throw: it is required to be noexcept). The PG error becomes a PgError exception.
//  * CatchAll(fn, buf) runs C++ at an extern "C" entry point and copies any exception's message
//    into a plain buffer, so the caller can ereport only after every destructor has run.
//
// PostgreSQL calls allowed outside PgGuard (tests/style/pg_calls.py reads this list and fails on
// any other call of a function or macro of PostgreSQL's server headers outside a PgGuard body):
//   never-raise:
//     GetCurrentTimestamp TimestampDifferenceExceeds TimestampDifferenceMilliseconds
//     TimestampTzPlusMilliseconds MemoryContextSwitchTo MemoryContextReset MemoryContextDelete
//     SpinLockAcquire SpinLockRelease SpinLockInit pg_atomic_init_u32 pg_atomic_init_u64 pg_atomic_read_u32
//     pg_atomic_read_u64
//     pg_atomic_write_u32 pg_atomic_exchange_u32 pg_atomic_fetch_add_u64 ResetLatch SetLatch
//     ReleaseExternalFD pqsignal pgstat_report_appname strlcpy snprintf strcmp MAXALIGN
//   plain-c:
//     pg_guard.cpp capture.cpp status.cpp tag_array.cpp vcon_document.cpp canonical_json.cpp compact_text.cpp
//     wake.cpp outbox_spi.cpp partition.cpp canonical_json.hpp compact_text.hpp
//     guc.cpp:DefineGucs guc.cpp:DefineCacheGucs guc.cpp:DefineCaptureGucs guc.cpp:DefineWorkerGucs
//     guc.cpp:DefineRedisTransportGucs shmem.cpp:vcon_redis_shmem_request shmem.cpp:vcon_redis_shmem_startup
//     shmem.cpp:InitBlock worker.cpp:RegisterWorkers worker.cpp:vcon_redis_worker_main
// never-raise: calls that cannot ereport an ERROR, so no longjmp can cross a C++ frame. plain-c:
// code (whole files, or file:function) where no C++ object with a destructor is ever live, so an
// ERROR unwinds C frames only, as in PostgreSQL's own code; outbox_spi.cpp's functions run whole
// inside the caller's PgGuard, pg_guard.cpp is the guard itself.
//
// Include after postgres.h.
#pragma once

#include <cstddef>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace vcon_redis {

// A PostgreSQL ERROR caught by PgGuard, carried through C++ frames.
class PgError : public std::exception {
public:
    PgError(const char *message, int sqlerrcode) : message_(message), sqlerrcode_(sqlerrcode) {}
    const char *what() const noexcept override { return message_.c_str(); }
    int sqlerrcode() const noexcept { return sqlerrcode_; }

private:
    std::string message_;
    int sqlerrcode_;
};

inline constexpr std::size_t kMessageMax = 1024;

namespace detail {

struct CaughtError {
    bool failed;
    int sqlerrcode;
    char message[kMessageMax];
};

// Calls fn(arg) inside PG_TRY; on a PostgreSQL ERROR restores the caller's memory context, copies
// the message into *err, flushes the error state and returns normally. Never throws.
void RunGuarded(void (*fn)(void *), void *arg, CaughtError *err) noexcept;

// strlcpy into a kMessageMax buffer.
void CopyMessage(char *buf, const char *message) noexcept;

} // namespace detail

// Runs fn (a noexcept callable made of PostgreSQL calls and POD locals) and returns its result;
// a PostgreSQL ERROR raised inside is rethrown as PgError once the PG_TRY frame is gone.
template <typename F> auto PgGuard(F &&fn) -> decltype(fn()) {
    using Fn = std::remove_reference_t<F>;
    using R = decltype(fn());
    static_assert(noexcept(fn()), "a PgGuard body must be noexcept: a throw inside PG_TRY corrupts "
                                  "PostgreSQL's error stack");
    detail::CaughtError err;
    err.failed = false;
    if constexpr (std::is_void_v<R>) {
        detail::RunGuarded([](void *p) noexcept { (*static_cast<Fn *>(p))(); }, &fn, &err);
        if (err.failed)
            throw PgError(err.message, err.sqlerrcode);
    } else {
        static_assert(std::is_trivially_copyable_v<R> && std::is_trivially_destructible_v<R>,
                      "PgGuard results must be plain data");
        struct Frame {
            Fn *fn;
            R result;
        } frame{&fn, R{}};
        detail::RunGuarded(
            [](void *p) noexcept {
                auto *f = static_cast<Frame *>(p);
                f->result = (*f->fn)();
            },
            &frame, &err);
        if (err.failed)
            throw PgError(err.message, err.sqlerrcode);
        return frame.result;
    }
}

// Runs C++ code at an entry point called by PostgreSQL. Returns true on success; on any exception
// copies its message into buf (and its SQLSTATE, when it was a PgError, into *sqlerrcode) and
// returns false. The caller reports with ereport *after* this returned (no C++ frame left).
template <typename F> bool CatchAll(F &&fn, char (&buf)[kMessageMax], int *sqlerrcode = nullptr) noexcept {
    // PgGuard bodies cannot throw, so no exception should ever skip a PG_TRY; if one did anyway,
    // PostgreSQL's error stack would point into a dead frame. Restore it (pg_duckdb#737).
    sigjmp_buf *saved_exception_stack = PG_exception_stack;
    ErrorContextCallback *saved_context_stack = error_context_stack;
    try {
        fn();
        return true;
    } catch (const PgError &e) {
        if (sqlerrcode != nullptr)
            *sqlerrcode = e.sqlerrcode();
        detail::CopyMessage(buf, e.what());
    } catch (const std::exception &e) {
        detail::CopyMessage(buf, e.what());
    } catch (...) {
        detail::CopyMessage(buf, "unknown C++ exception");
    }
    PG_exception_stack = saved_exception_stack;
    error_context_stack = saved_context_stack;
    return false;
}

} // namespace vcon_redis
