// The capture trigger of the child tables, in C (capture.cpp; sql/50_capture.sql installs it).
// Include after postgres.h.
#pragma once

namespace vcon_redis {

// Registers the subtransaction callback that forgets the recorded vCons when a subtransaction
// aborts; call once from _PG_init.
void RegisterCaptureCallback() noexcept;

} // namespace vcon_redis
