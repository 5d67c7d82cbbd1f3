// The capture trigger of the child tables, in C (capture.cpp; sql/50_capture.sql installs it).
// Include after postgres.h.
#pragma once

namespace vcon_redis {

// Registers the subtransaction callback that forgets the vCons recorded in a subtransaction that
// aborts, and the relcache callback that forgets the outbox's shape; call once from _PG_init.
void RegisterCaptureCallback() noexcept;

// Says that SQL wrote outbox rows in this transaction (vcon_redis._wake(), which every SQL writer
// of the outbox calls): from then on the triggers insert with ON CONFLICT. Cannot fail.
void NoteOutboxRowsFromSql() noexcept;

} // namespace vcon_redis
