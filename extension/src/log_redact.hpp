// Keeps Redis credentials out of everything the extension logs and shows (log_redact.cpp): the
// server log, SHOW vcon_redis.redis_url, status(), the worker's own messages.
#pragma once

#include <cstddef>

namespace vcon_redis {

// Installs an emit_log_hook that masks URL passwords in every message this process logs.
void InstallLogRedaction();

// Writes the password-masked form of url into out (never the password; "***" if unparsable).
void RedactUrl(const char *url, char *out, std::size_t out_size) noexcept;

} // namespace vcon_redis
