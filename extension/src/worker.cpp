// The background workers: main entry, loop, error recovery and backoff.
//
// vcon_redis.workers of them run; worker i applies only the events of the vCons whose uuid hashes
// to i (partition.hpp), in id order, so every event of one vCon goes to one worker and keeps its
// order. N changes only with a restart of the server, which stops every worker first: the events
// left in the outbox are then read by the new N workers under the new partitioning, none by two.
//
// Loop: wait for a commit's wake-up (WorkerShared::should_wake + latch) or poll_interval, then
// drain batches until one is not full. While commits keep arriving (a wake-up soon after the
// previous batch), a batch starts vcon_redis.batch_delay after the oldest waiting commit, so the
// commits of that window share it: at one or two events per batch the per-batch cost (transaction,
// document reads, outbox read and delete, Redis round trip) was most of an event's cost. A failed
// batch (Redis down, timeout, error reply, an ERROR in the worker's SQL) is rolled back — its rows
// stay in the outbox — the error is published and logged, the connection is dropped and the worker
// waits with exponential backoff (100 ms … 5 s) before trying again, staying responsive to
// SIGTERM/SIGHUP throughout. With a Sentinel URL the loop also follows the sentinels'
// +switch-master notifications (RedisLink::FollowSwitches): the idle wait includes the
// subscription's socket, and a switch of our master drops the primary connection so the next batch
// goes to the new primary. It exits with code 1 only (exit 0 would unregister it), so the
// postmaster always restarts it.
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/memutils.h"
}

#include "drain.hpp"
#include "guc.hpp"
#include "log_redact.hpp"
#include "interrupts.hpp"
#include "outbox_spi.hpp"
#include "pg_guard.hpp"
#include "redis_link.hpp"
#include "redis_waiter.hpp"
#include "shmem.hpp"
#include "worker.hpp"

#include "redis/error.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

namespace vcon_redis {

namespace {

constexpr int kBackoffMinMs = 100;
constexpr int kBackoffMaxMs = 5000;
constexpr long kRepeatLogMs = 60 * 1000; // the same error is logged again at most once a minute
// A wake-up this soon after the previous batch began means commits keep arriving: gather them
// (vcon_redis.batch_delay). An isolated commit is applied at once.
constexpr long kSteadyWindowMs = 50;

// How this worker names itself in the log: "vcon_redis worker", or "vcon_redis worker 1" when
// there are several.
char worker_label[BGW_MAXLEN] = "vcon_redis worker";

enum class Failure { none, redis, sql, reconnect };

void PublishConfiguredUrl() noexcept;

class Worker {
public:
    Worker()
        : loop_context_(PgGuard([]() noexcept {
              return AllocSetContextCreate(TopMemoryContext, "vcon_redis worker loop",
                                           ALLOCSET_DEFAULT_SIZES);
          })),
          chunk_context_(PgGuard([]() noexcept {
              return AllocSetContextCreate(TopMemoryContext, "vcon_redis batch chunk",
                                           ALLOCSET_DEFAULT_SIZES);
          })) {}
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;

    // Returns only by WorkerStopping (SIGTERM) or postmaster death (proc_exit inside a wait).
    [[noreturn]] void Run();

private:
    void RunOneBatch();
    void Recover(Failure failure, const char *message);
    void ReadAgainIsolating();
    void WaitForWork();
    bool GatherCommits();
    void FollowSentinel();
    void BackOff();
    void Log(int elevel, const char *message);
    bool ServiceInterrupts();
    bool SleepUntil(TimestampTz until);

    MemoryContext loop_context_;
    MemoryContext chunk_context_;
    RedisLink link_;
    bool pending_ = true;    // drain without waiting (start, after a full batch, after a failure)
    bool installed_ = false; // the last batch found the extension
    bool isolating_ = false; // the next batch reads its documents isolating (DrainBatch)
    ReadStart read_start_;   // where the next batch reads the outbox from
    bool ever_connected_ = false;
    int backoff_ms_ = 0;
    bool watch_failure_logged_ = false;              // since the last subscription that worked
    vcon_redis::redis::Clock::time_point poll_at_{}; // the next safety-net poll; {} = not set
    char last_logged_[kMessageMax] = "";
    TimestampTz last_logged_at_ = 0;
    TimestampTz last_batch_at_ = 0; // when the previous batch began; 0 = none yet
};

void Worker::Run() {
    for (;;) {
        // A commit leaves us in TopMemoryContext; everything of one iteration goes here instead.
        MemoryContextSwitchTo(loop_context_);
        if (ServiceInterrupts()) {
            link_.Reset(); // new Redis settings: reconnect at the next batch
            PublishConfiguredUrl();
        }
        FollowSentinel();
        WorkerShared *shared = Shared();
        if (pg_atomic_exchange_u32(&shared->should_wake, 0) != 0) {
            // the commits that arrive while gathering are in this batch: their bell is answered
            if (!pending_ && GatherCommits())
                pg_atomic_exchange_u32(&shared->should_wake, 0);
            pending_ = true;
        }
        if (!pending_) {
            WaitForWork();
            continue;
        }
        pending_ = false;
        poll_at_ = {}; // the next safety-net poll counts from the next idle wait
        MemoryContextReset(loop_context_);
        last_batch_at_ = GetCurrentTimestamp();
        RunOneBatch();
    }
}

void Worker::RunOneBatch() {
    char message[kMessageMax];
    Failure failure = Failure::none;
    BatchResult result;
    bool was_connected = link_.Connected();
    try {
        if (installed_ && !link_.Connected()) {
            PublishState(WorkerState::connecting);
            link_.Connect();
        }
        PublishState(WorkerState::draining);
        result = DrainBatch(link_, chunk_context_, isolating_, read_start_.after_id(),
                            Partition{guc::workers, MyWorker()});
    } catch (const WorkerStopping &) {
        throw;
    } catch (const ReconnectRequested &e) {
        failure = Failure::reconnect;
        detail::CopyMessage(message, e.what());
    } catch (const vcon_redis::redis::Error &e) {
        failure = Failure::redis;
        detail::CopyMessage(message, e.what());
    } catch (const std::exception &e) { // PgError from the batch's SQL, or anything else
        failure = Failure::sql;
        snprintf(message, sizeof message, "batch failed: %s", e.what());
    }
    if (failure == Failure::sql && !isolating_) {
        ReadAgainIsolating();
        return;
    }
    if (failure != Failure::none) {
        // A connection that sat idle may have been closed by a Redis restart: the first failure on
        // it is retried at once on a fresh connection, without counting as an outage.
        if (failure == Failure::redis && was_connected && backoff_ms_ == 0)
            failure = Failure::reconnect;
        Recover(failure, message);
        return;
    }
    if (!was_connected && link_.Connected()) {
        if (ever_connected_)
            pg_atomic_fetch_add_u64(&Shared()->reconnects, 1);
        ever_connected_ = true;
    }

    installed_ = result.installed;
    isolating_ = false;
    if (!result.installed) {
        read_start_.Reset();
        link_.Close();
        PublishState(WorkerState::no_extension);
        return;
    }
    if (backoff_ms_ > 0) {
        Log(LOG, "draining resumed");
        last_logged_[0] = '\0';
    }
    backoff_ms_ = 0;
    WorkerShared *shared = Shared();
    if (result.dead > 0) {
        char dead_message[kMessageMax];
        snprintf(dead_message, sizeof dead_message,
                 "%d event(s) failed for good and were moved to vcon_redis.dead_letters (their cache keys "
                 "removed)",
                 result.dead);
        PgGuard(
            [&dead_message]() noexcept { ereport(WARNING, (errmsg("%s: %s", worker_label, dead_message))); });
    }
    if (result.events > 0) {
        pg_atomic_fetch_add_u64(&shared->events_applied, result.events);
        pg_atomic_fetch_add_u64(&shared->batches, 1);
        pg_atomic_fetch_add_u64(&shared->pushes, result.pushes);
    }
    PublishSuccess(result.lag_ms);
    pending_ = read_start_.Advance(result);
    PublishState(pending_ ? WorkerState::draining : WorkerState::idle);
}

// The plain read of a batch failed (a vCon whose document cannot be built, or the database's
// state): roll back and read the same batch again at once, isolating (DrainBatch); only a failure
// of that read is reported. The Redis connection is dropped as after any failure (the exception
// may have left a pipeline half read).
void Worker::ReadAgainIsolating() {
    PgGuard([]() noexcept { AbortBatch(); });
    link_.Close();
    MemoryContextReset(chunk_context_);
    MemoryContextSwitchTo(loop_context_);
    read_start_.Reset();
    isolating_ = true;
    pending_ = true;
}

void Worker::Recover(Failure failure, const char *message) {
    PgGuard([]() noexcept { AbortBatch(); });
    link_.Close();
    MemoryContextReset(chunk_context_);
    MemoryContextSwitchTo(loop_context_);
    read_start_.Reset();
    pending_ = true;
    if (failure == Failure::reconnect) {
        backoff_ms_ = 0; // new settings, or a stale connection: try again at once
        return;
    }
    PublishError(message);
    PublishState(failure == Failure::redis ? WorkerState::redis_down : WorkerState::error);
    Log(WARNING, message);
    BackOff();
}

// HandleInterrupts between batches. An ERROR there (pg_cancel_backend of an idle worker, a failed
// procsignal barrier) concerns no batch: log it and carry on. WorkerStopping passes through.
bool Worker::ServiceInterrupts() {
    char message[kMessageMax];
    bool changed = false;
    bool failed = false;
    try {
        changed = HandleInterrupts();
    } catch (const PgError &e) {
        detail::CopyMessage(message, e.what());
        failed = true;
    }
    if (failed)
        Log(WARNING, message);
    return changed;
}

// Sentinel notifications (RedisLink::FollowSwitches): a switch of our master is logged and the
// primary connection is gone; a failed subscription is logged once until one works again.
void Worker::FollowSentinel() {
    char message[kMessageMax];
    message[0] = '\0';
    bool failed = false;
    try {
        if (std::optional<vcon_redis::redis::MasterSwitch> moved = link_.FollowSwitches())
            snprintf(message, sizeof message,
                     "sentinel %s: master %s moved from %s to %s; reconnecting to the new primary",
                     link_.WatchedSentinel().c_str(), moved->master.c_str(),
                     vcon_redis::redis::format_endpoint(moved->from.host, moved->from.port).c_str(),
                     vcon_redis::redis::format_endpoint(moved->to.host, moved->to.port).c_str());
        else if (watch_failure_logged_ && link_.WatchFd() >= 0) {
            watch_failure_logged_ = false;
            snprintf(message, sizeof message, "sentinel notifications resumed from sentinel %s",
                     link_.WatchedSentinel().c_str());
        }
    } catch (const WorkerStopping &) {
        throw;
    } catch (const WorkArrived &) {
        return; // a commit came in while subscribing: drain first, subscribe after the backoff
    } catch (const ReconnectRequested &) {
        link_.Reset();
        PublishConfiguredUrl();
        return;
    } catch (const std::exception &e) {
        snprintf(message, sizeof message,
                 "sentinel notifications unavailable (%s); failovers still followed "
                 "through errors, retrying the next sentinel",
                 e.what());
        failed = true;
    }
    // The first failure is a LOG line; the next ones (until a subscription works) DEBUG1.
    const int elevel = failed && watch_failure_logged_ ? DEBUG1 : LOG;
    watch_failure_logged_ = watch_failure_logged_ || failed;
    if (message[0] != '\0')
        PgGuard(
            [elevel, &message]() noexcept { ereport(elevel, (errmsg("%s: %s", worker_label, message))); });
}

// Sleeps until a wake-up, the poll interval, a Sentinel notification or the next attempt to
// subscribe to one.
void Worker::WaitForWork() {
    using vcon_redis::redis::Clock;
    const int fd = link_.WatchFd();
    const Clock::time_point now = Clock::now();
    if (poll_at_ == Clock::time_point{})
        poll_at_ = now + std::chrono::milliseconds(guc::poll_interval_ms);
    Clock::time_point until = poll_at_;
    if (std::optional<Clock::time_point> retry = link_.WatchRetryAt())
        until = std::min(until, *retry);
    const long timeout_ms =
        std::max<long>(std::chrono::ceil<std::chrono::milliseconds>(until - now).count(), 0);
    int rc = PgGuard([fd, timeout_ms]() noexcept {
        int events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH;
        if (fd < 0)
            return WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION);
        return WaitLatchOrSocket(MyLatch, events | WL_SOCKET_READABLE, fd, timeout_ms, PG_WAIT_EXTENSION);
    });
    ResetLatch(MyLatch); // never raises (pg_guard.hpp)
    if ((rc & WL_TIMEOUT) && Clock::now() >= poll_at_) {
        pending_ = true; // the safety-net poll
        poll_at_ = {};
    }
}

// Sleeps until `until`, ignoring commit wake-ups (their bell stays rung in WorkerShared); false when
// it left early because SIGHUP changed the Redis settings (SIGTERM exits in ServiceInterrupts).
bool Worker::SleepUntil(TimestampTz until) {
    for (;;) {
        long left_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);
        if (left_ms <= 0)
            return true;
        int rc = PgGuard([left_ms]() noexcept {
            return WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, left_ms,
                             PG_WAIT_EXTENSION);
        });
        if (rc & WL_LATCH_SET) {
            ResetLatch(MyLatch); // never raises (pg_guard.hpp)
            if (ServiceInterrupts())
                return false;
        }
    }
}

// After a wake-up within kSteadyWindowMs of the previous batch, waits until vcon_redis.batch_delay
// has passed since the oldest waiting commit (or since now, when its time is unknown), so that the
// commits of that window share one batch; leaves at once on SIGTERM or changed Redis settings.
// Returns whether it waited.
bool Worker::GatherCommits() {
    const int delay_ms = guc::batch_delay_ms;
    const TimestampTz now = GetCurrentTimestamp();
    if (delay_ms <= 0 || last_batch_at_ == 0 ||
        TimestampDifferenceExceeds(last_batch_at_, now, kSteadyWindowMs))
        return false;
    const auto first = static_cast<TimestampTz>(pg_atomic_read_u64(&Shared()->first_commit_at));
    const TimestampTz until = TimestampTzPlusMilliseconds(first != 0 ? std::min(first, now) : now, delay_ms);
    if (!SleepUntil(until)) {
        link_.Reset(); // new Redis settings: reconnect at the next batch
        PublishConfiguredUrl();
    }
    return true;
}

// Waits backoff_ms_ (doubling it), ignoring commit wake-ups — a burst of commits must not turn
// into a reconnect storm — but leaving at once on SIGTERM or changed Redis settings.
void Worker::BackOff() {
    backoff_ms_ = backoff_ms_ == 0 ? kBackoffMinMs : std::min(backoff_ms_ * 2, kBackoffMaxMs);
    if (!SleepUntil(TimestampTzPlusMilliseconds(GetCurrentTimestamp(), backoff_ms_)))
        backoff_ms_ = 0;
}

// Logs message, but the same message at most once a minute (a down Redis retries every 5 s).
void Worker::Log(int elevel, const char *message) {
    TimestampTz now = GetCurrentTimestamp();
    if (strcmp(message, last_logged_) == 0 && !TimestampDifferenceExceeds(last_logged_at_, now, kRepeatLogMs))
        return;
    strlcpy(last_logged_, message, sizeof last_logged_);
    last_logged_at_ = now;
    PgGuard([elevel, message]() noexcept { ereport(elevel, (errmsg("%s: %s", worker_label, message))); });
}

// Shows the newly configured URL in status() at once, before the next connect.
void PublishConfiguredUrl() noexcept {
    char url[kUrlTextMax];
    RedactUrl(guc::redis_url, url, sizeof url);
    PublishUrl(url);
}

extern "C" void vcon_redis_worker_exit(int code, Datum arg) {
    WorkerShared *shared = Shared();
    if (shared == nullptr)
        return;
    SpinLockAcquire(&shared->mutex);
    if (shared->worker_pid == MyProcPid) {
        shared->worker_pid = 0;
        shared->worker_latch = nullptr;
    }
    SpinLockRelease(&shared->mutex);
    PublishState(WorkerState::not_running);
}

// Everything C++ of the worker; returns the reason it stopped. Never throws.
void RunWorker(char (&message)[kMessageMax]) noexcept {
    detail::CopyMessage(message, "stopping (SIGTERM)");
    bool ok = CatchAll(
        [] {
            Worker worker;
            worker.Run();
        },
        message);
    if (!ok && strcmp(message, WorkerStopping().what()) != 0)
        return; // an unexpected exception; message says which
    detail::CopyMessage(message, "stopping (SIGTERM)");
}

} // namespace

// The name of worker i of n: "vcon_redis worker" alone, "vcon_redis worker i" among several.
void NameWorker(int worker, int workers, char (&name)[BGW_MAXLEN]) noexcept {
    if (workers <= 1)
        strlcpy(name, "vcon_redis worker", BGW_MAXLEN);
    else
        snprintf(name, BGW_MAXLEN, "vcon_redis worker %d", worker);
}

void RegisterWorkers() noexcept {
    // A worker the postmaster cannot register would leave its partition undrained: refuse to start.
    if (guc::workers > max_worker_processes)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("vcon_redis.workers (%d) exceeds max_worker_processes (%d)", guc::workers,
                               max_worker_processes),
                        errhint("Raise max_worker_processes to at least vcon_redis.workers plus the "
                                "other background and parallel workers.")));
    for (int i = 0; i < guc::workers; i++) {
        BackgroundWorker worker;
        memset(&worker, 0, sizeof worker);
        worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
        worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
        worker.bgw_restart_time = 5;
        worker.bgw_main_arg = Int32GetDatum(i);
        strlcpy(worker.bgw_library_name, "vcon_redis", BGW_MAXLEN);
        strlcpy(worker.bgw_function_name, "vcon_redis_worker_main", BGW_MAXLEN);
        NameWorker(i, guc::workers, worker.bgw_name);
        strlcpy(worker.bgw_type, "vcon_redis worker", BGW_MAXLEN);
        RegisterBackgroundWorker(&worker);
    }
}

} // namespace vcon_redis

extern "C" PGDLLEXPORT void vcon_redis_worker_main(Datum main_arg);

void vcon_redis_worker_main(Datum main_arg) {
    using namespace vcon_redis;
    InstallSignalHandlers();
    BackgroundWorkerUnblockSignals();

    const int worker_index = DatumGetInt32(main_arg);
    NameWorker(worker_index, guc::workers, worker_label);
    SetMyWorker(worker_index);
    WorkerShared *shared = Shared();
    if (shared == nullptr)
        ereport(ERROR, (errmsg("vcon_redis worker started without shared memory (not preloaded?)")));

    PublishState(WorkerState::starting);
    before_shmem_exit(vcon_redis_worker_exit, 0);
    SpinLockAcquire(&shared->mutex);
    shared->worker_pid = MyProcPid;
    shared->worker_latch = MyLatch;
    SpinLockRelease(&shared->mutex);
    // Commits before this point rang no bell; drain once regardless (the loop starts pending).

    // A role that cannot log in, or does not exist yet, is a FATAL here: the postmaster starts the
    // worker again after bgw_restart_time, so creating the role later is enough.
    const char *role =
        guc::worker_role != nullptr && guc::worker_role[0] != '\0' ? guc::worker_role : nullptr;
    BackgroundWorkerInitializeConnection(guc::database, role, 0);
    pgstat_report_appname(worker_label);
    // Our transactions only delete applied outbox rows: if a crash loses such a commit, the rows
    // are applied again, which is harmless (idempotent SET/DEL, guarded pushes). Not waiting for
    // the WAL flush keeps commit → Redis latency low.
    SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
    // The worker runs as a superuser: nothing it names may resolve to an object someone else
    // created (its own queries name every object schema-qualified; the functions it calls pin
    // their own search_path).
    SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
    // (no catalog lookup for the role's name: there is no transaction here)
    ereport(LOG, (errmsg("%s started for database \"%s\" as %s%s%s", worker_label, guc::database,
                         role != nullptr ? "role \"" : "the bootstrap superuser", role != nullptr ? role : "",
                         role != nullptr ? "\"" : "")));

    char message[kMessageMax];
    RunWorker(message);

    // Leaving for good: no CHECK_FOR_INTERRUPTS on the way out may turn the pending SIGTERM into a
    // second, FATAL, report.
    InterruptHoldoffCount = InterruptHoldoffCount + 1; // HOLD_INTERRUPTS(), minus C++20's -Wvolatile
    PublishState(WorkerState::stopping);
    ereport(LOG, (errmsg("%s: %s", worker_label, message)));
    proc_exit(1);
}
