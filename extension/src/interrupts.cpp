// Signal handling for the worker. SIGTERM only sets a flag and the latch (the default bgworker
// handler would ereport(FATAL) from inside a signal handler, possibly over C++ frames); SIGHUP uses
// PostgreSQL's SignalHandlerForConfigReload and is acted upon here; SIGUSR1 is PostgreSQL's
// procsignal handler so barriers and other procsignals reach CHECK_FOR_INTERRUPTS.
extern "C" {
#include "postgres.h"

#include <signal.h>

#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "storage/procsignal.h"
#include "utils/guc.h"
}

#include "guc.hpp"
#include "interrupts.hpp"
#include "pg_guard.hpp"

#include <cstring>
#include <string>

namespace vcon_redis {

namespace {

volatile sig_atomic_t got_sigterm = 0;

extern "C" void vcon_redis_sigterm(SIGNAL_ARGS) {
    int save_errno = errno;
    got_sigterm = 1;
    // Also what PostgreSQL's die() does: a worker blocked inside PostgreSQL (a lock wait, a long
    // vcon_json_many) then leaves at the next CHECK_FOR_INTERRUPTS with FATAL (exit code 1).
    // Our own waits check got_sigterm first and leave through WorkerStopping instead.
    InterruptPending = true;
    ProcDiePending = true;
    SetLatch(MyLatch);
    errno = save_errno;
}

// The settings a live Redis connection depends on.
struct ConnectionSettings {
    std::string url;
    std::string password_file;
    int connect_timeout_ms;
    int command_timeout_ms;
    std::string tls_ca_file;
    std::string tls_cert_file;
    std::string tls_key_file;
    bool tls_verify;
    std::string sentinel_password_file;

    static ConnectionSettings Current() {
        auto str = [](const char *v) { return std::string(v != nullptr ? v : ""); };
        return {str(guc::redis_url),
                str(guc::redis_password_file),
                guc::connect_timeout_ms,
                guc::command_timeout_ms,
                str(guc::tls_ca_file),
                str(guc::tls_cert_file),
                str(guc::tls_key_file),
                guc::tls_verify,
                str(guc::sentinel_password_file)};
    }
    bool operator==(const ConnectionSettings &) const = default;
};

} // namespace

void InstallSignalHandlers() noexcept {
    pqsignal(SIGTERM, vcon_redis_sigterm);
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGUSR1, procsignal_sigusr1_handler);
}

bool HandleInterrupts() {
    if (got_sigterm)
        throw WorkerStopping();
    PgGuard([]() noexcept { CHECK_FOR_INTERRUPTS(); });
    bool changed = false;
    if (ConfigReloadPending) {
        ConfigReloadPending = false;
        ConnectionSettings before = ConnectionSettings::Current();
        PgGuard([]() noexcept { ProcessConfigFile(PGC_SIGHUP); });
        changed = !(before == ConnectionSettings::Current());
    }
    return changed;
}

} // namespace vcon_redis
