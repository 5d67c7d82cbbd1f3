// The extension's configuration parameters (README "Configuration (GUCs)"). Variables are read by the worker
// after ProcessConfigFile and by status(); the capture triggers read the ingress-list settings.
#pragma once

#include <cstddef>

namespace vcon_redis {

enum class CacheMode : int { write_through = 0, invalidate = 1, off = 2 };

namespace guc {
extern char *redis_url;
extern char *redis_password_file;
extern int ttl;
extern char *key_prefix;
extern int cache_mode; // CacheMode
extern char *ingress_lists;
extern char *allowed_lists;
extern char *database;
extern char *worker_role;
extern int workers; // drain workers, each owning a hash partition of the vCon uuids (partition.hpp)
extern int batch_size;
extern int poll_interval_ms;
extern int batch_delay_ms;
extern int connect_timeout_ms;
extern int command_timeout_ms;
// Redis TLS, Sentinel and WAIT (guc.cpp defines them in one block).
extern char *tls_ca_file;
extern char *tls_cert_file;
extern char *tls_key_file;
extern bool tls_verify;
extern char *sentinel_password_file;
extern int wait_replicas;
extern int wait_timeout_ms;
} // namespace guc

// Defines every vcon_redis.* GUC and reserves the prefix; call once from _PG_init.
void DefineGucs();

} // namespace vcon_redis
