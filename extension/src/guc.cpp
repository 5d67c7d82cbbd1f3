// GUC definitions. The C initialisers equal the boot values (assert-enabled builds check it).
// redis_url is validated by a check hook (Url::parse) and shown through a show hook that masks
// the password, so SHOW / current_setting never reveal it; GUC_NO_SHOW_ALL keeps it out of
// pg_settings and SHOW ALL.
extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"
}

#include "guc.hpp"
#include "log_redact.hpp"
#include "partition.hpp"
#include "pg_guard.hpp"

#include "redis/url.hpp"

#include <climits>

namespace vcon_redis {

namespace guc {
char *redis_url = nullptr; // string GUCs: PG sets the variable to a malloc'd copy of the boot value
char *redis_password_file = nullptr;
int ttl = 3600;
char *key_prefix = nullptr;
int cache_mode = static_cast<int>(CacheMode::write_through);
char *ingress_lists = nullptr;
char *allowed_lists = nullptr;
char *database = nullptr;
char *worker_role = nullptr;
int workers = 1;
int batch_size = 500;
int poll_interval_ms = 1000;
int batch_delay_ms = 2;
int connect_timeout_ms = 2000;
int command_timeout_ms = 5000;
char *tls_ca_file = nullptr;
char *tls_cert_file = nullptr;
char *tls_key_file = nullptr;
bool tls_verify = true;
char *sentinel_password_file = nullptr;
int wait_replicas = 0;
int wait_timeout_ms = 1000;
} // namespace guc

namespace {

constexpr const char *kDefaultUrl = "redis://127.0.0.1:6379/0";

const struct config_enum_entry cache_mode_options[] = {
    {"write_through", static_cast<int>(CacheMode::write_through), false},
    {"invalidate", static_cast<int>(CacheMode::invalidate), false},
    {"off", static_cast<int>(CacheMode::off), false},
    {nullptr, 0, false},
};

// vcon_redis.validation: read by the SQL validation (current_setting), never by C++.
const struct config_enum_entry validation_options[] = {
    {"tolerant", 0, false},
    {"strict", 1, false},
    {nullptr, 0, false},
};
int validation = 0;

// Parses the URL; on failure copies UrlError's message (which never contains the password).
bool ParseUrl(const char *text, char (&error)[kMessageMax]) noexcept {
    return CatchAll([&] { (void)vcon_redis::redis::Url::parse(text != nullptr ? text : ""); }, error);
}

extern "C" bool vcon_redis_check_redis_url(char **newval, void **extra, GucSource source) {
    char error[kMessageMax];
    if (ParseUrl(*newval, error))
        return true;
    // Replace PG's default message, which would quote the value (and so the password).
    GUC_check_errmsg("invalid value for parameter \"vcon_redis.redis_url\": %s", error);
    return false;
}

extern "C" const char *vcon_redis_show_redis_url(void) {
    // Show hooks return a pointer the caller copies at once; a static buffer is the convention.
    static char shown[512];
    RedactUrl(guc::redis_url, shown, sizeof shown);
    return shown;
}

extern "C" bool vcon_redis_check_key_prefix(char **newval, void **extra, GucSource source) {
    if (*newval == nullptr || (*newval)[0] == '\0') {
        GUC_check_errdetail("The key prefix must not be empty.");
        return false;
    }
    return true;
}

} // namespace

namespace {

// Where the cache lives and what it holds.
void DefineCacheGucs() {
    DefineCustomStringVariable(
        "vcon_redis.redis_url", "Redis server the worker pushes to.",
        "redis://[user:password@]host:port/db, rediss://… (TLS), unix:///path?db=N or "
        "redis+sentinel://host:port[,host:port]/master[/db]. The password is never shown.",
        &guc::redis_url, kDefaultUrl, PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
        vcon_redis_check_redis_url, nullptr, vcon_redis_show_redis_url);

    // PostgreSQL itself logs the raw new value of a reloaded parameter ("parameter ... changed to"),
    // so a password inside redis_url reaches the server log when the URL is changed by a reload.
    // Keeping the password in a file (read by the worker at every connect) avoids that.
    DefineCustomStringVariable("vcon_redis.redis_password_file",
                               "File holding the Redis password (first line), used when redis_url has none.",
                               "Relative paths are relative to the data directory.",
                               &guc::redis_password_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr,
                               nullptr, nullptr);

    DefineCustomIntVariable("vcon_redis.ttl", "Expiry of cached vCons in Redis (0 = no expiry).", nullptr,
                            &guc::ttl, 3600, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);

    DefineCustomStringVariable("vcon_redis.key_prefix", "Prefix of the Redis keys of cached vCons.", nullptr,
                               &guc::key_prefix, "vcon:", PGC_SIGHUP, 0, vcon_redis_check_key_prefix, nullptr,
                               nullptr);

    DefineCustomEnumVariable("vcon_redis.cache_mode",
                             "write_through: SET on every change; invalidate: DEL on update; off: "
                             "ingress queues only.",
                             nullptr, &guc::cache_mode, static_cast<int>(CacheMode::write_through),
                             cache_mode_options, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
}

// What the capture triggers and save_vcon read in the writing session.
void DefineCaptureGucs() {
    DefineCustomStringVariable("vcon_redis.ingress_lists",
                               "Comma-separated Redis lists that new vCons are pushed to.",
                               "Read by the capture triggers when a vCon is inserted; SET LOCAL routes "
                               "one transaction.",
                               &guc::ingress_lists, "", PGC_USERSET, 0, nullptr, nullptr, nullptr);

    // Read by the capture triggers (sql/50_capture.sql), which refuse a list it does not allow:
    // users choose ingress_lists, the superuser chooses which Redis keys they may name.
    DefineCustomStringVariable(
        "vcon_redis.allowed_lists",
        "Comma-separated patterns of the Redis lists ingress_lists may name (* matches "
        "any characters); empty allows any list.",
        nullptr, &guc::allowed_lists, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);

    DefineCustomEnumVariable("vcon_redis.validation",
                             "tolerant: a MUST of the vCon draft broken without loss is a warning; "
                             "strict: it is an error.",
                             "save_vcon refuses a document with errors; SET LOCAL applies it to one "
                             "transaction.",
                             &validation, 0, validation_options, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

// The worker: which database, as whom, how many, how often and with which timeouts.
void DefineWorkerGucs() {
    // PostgreSQL refuses (FATAL) to create a PGC_POSTMASTER variable after startup, and without
    // preloading there is no worker for it to configure.
    if (process_shared_preload_libraries_in_progress) {
        DefineCustomStringVariable("vcon_redis.database", "Database whose outbox the worker drains.", nullptr,
                                   &guc::database, "postgres", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
        DefineCustomStringVariable(
            "vcon_redis.worker_role", "Role the worker connects as (empty: the bootstrap superuser).",
            "A LOGIN role with BYPASSRLS, SELECT on the vCon tables, SELECT and DELETE on "
            "vcon_redis.outbox, INSERT and UPDATE on vcon_redis.dead_letters.",
            &guc::worker_role, "", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
        // Each worker is one of max_worker_processes. 1 by default: on two cores a second worker
        // halves a bulk drain's time but costs a steady stream of small commits (README Performance).
        DefineCustomIntVariable("vcon_redis.workers", "Background workers draining the outbox.",
                                "Worker i of N applies the events of the vCons whose uuid hashes to i; "
                                "each counts against max_worker_processes.",
                                &guc::workers, 1, 1, kMaxWorkers, PGC_POSTMASTER, 0, nullptr, nullptr,
                                nullptr);
    }

    DefineCustomIntVariable("vcon_redis.batch_size", "Outbox events applied per worker transaction.", nullptr,
                            &guc::batch_size, 500, 1, 100000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "vcon_redis.poll_interval", "How often the worker checks the outbox without a wake-up.", nullptr,
        &guc::poll_interval_ms, 1000, 10, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "vcon_redis.batch_delay",
        "While commits keep arriving, how long after the oldest waiting commit the worker starts its batch.",
        "Commits of that window share one batch (one transaction, one document read, one Redis round "
        "trip); 0 starts every batch at once.",
        &guc::batch_delay_ms, 2, 0, 1000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("vcon_redis.connect_timeout", "Timeout of connecting to Redis (incl. AUTH).",
                            nullptr, &guc::connect_timeout_ms, 2000, 1, 600 * 1000, PGC_SIGHUP, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "vcon_redis.command_timeout", "A Redis pipeline fails when no byte moves for this long.", nullptr,
        &guc::command_timeout_ms, 5000, 1, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);
}

// Redis TLS, Sentinel and WAIT. Files are read at every connect (relative paths are relative to
// the data directory); a TLS setting given here overrides the URL's tls_* parameter.
void DefineRedisTransportGucs() {
    DefineCustomStringVariable("vcon_redis.tls_ca_file",
                               "PEM CA bundle that verifies the Redis server's certificate (rediss://).",
                               "Empty: the system's default CAs.", &guc::tls_ca_file, "", PGC_SIGHUP,
                               GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
    DefineCustomStringVariable("vcon_redis.tls_cert_file", "Client certificate for mutual TLS with Redis.",
                               "Needs vcon_redis.tls_key_file.", &guc::tls_cert_file, "", PGC_SIGHUP,
                               GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "vcon_redis.tls_key_file", "Private key of vcon_redis.tls_cert_file (PEM, unencrypted).", nullptr,
        &guc::tls_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("vcon_redis.tls_verify",
                             "Verify the Redis server's certificate chain and host name (off: testing only).",
                             nullptr, &guc::tls_verify, true, PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr,
                             nullptr, nullptr);
    DefineCustomStringVariable(
        "vcon_redis.sentinel_password_file",
        "File holding the Sentinel password (first line), used when redis_url has none.",
        "For redis+sentinel:// URLs. Relative paths are relative to the data directory.",
        &guc::sentinel_password_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("vcon_redis.wait_replicas",
                            "Replicas that must acknowledge a batch's writes (Redis WAIT) before its outbox "
                            "rows are deleted (0 = do not wait).",
                            nullptr, &guc::wait_replicas, 0, 0, 100, PGC_SIGHUP, 0, nullptr, nullptr,
                            nullptr);
    DefineCustomIntVariable("vcon_redis.wait_timeout",
                            "How long a batch waits for vcon_redis.wait_replicas; fewer acknowledgements "
                            "fail the batch, which is retried.",
                            nullptr, &guc::wait_timeout_ms, 1000, 1, 600 * 1000, PGC_SIGHUP, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);
}

} // namespace

void DefineGucs() {
    DefineCacheGucs();
    DefineCaptureGucs();
    DefineWorkerGucs();
    DefineRedisTransportGucs();
    MarkGUCPrefixReserved("vcon_redis");
}

} // namespace vcon_redis
