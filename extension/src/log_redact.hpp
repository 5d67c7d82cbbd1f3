// Keeps Redis credentials out of the server log (log_redact.cpp).
#pragma once

namespace vcon_redis {

// Installs an emit_log_hook that masks URL passwords in every message this process logs.
void InstallLogRedaction();

} // namespace vcon_redis
