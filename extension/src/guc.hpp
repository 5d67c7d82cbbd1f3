// The extension's configuration parameters (DESIGN §6). Variables are read by the worker after
// ProcessConfigFile and by status(); the capture triggers read ingress_lists via current_setting.
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
extern int batch_size;
extern int poll_interval_ms;
extern int connect_timeout_ms;
extern int command_timeout_ms;
} // namespace guc

// Defines every vcon_redis.* GUC and reserves the prefix; call once from _PG_init.
void DefineGucs();

// Writes the password-masked form of url into out (never the password; "***" if unparsable).
void RedactUrl(const char *url, char *out, std::size_t out_size) noexcept;

} // namespace vcon_redis
