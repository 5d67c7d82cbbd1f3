-- The worker as SQL sees it: functions implemented in C++ by vcon_redis.so (extension/src/wake.cpp,
-- status.cpp). (The capture triggers, also C, are declared with the rest of the capture in
-- 50_capture.sql.)

-- Marks this transaction so that its commit wakes the worker: for the SQL that writes the outbox
-- itself (the TRUNCATE trigger, resync, retry_dead_letters). Cheap and cannot fail; outside a
-- preloaded library it does nothing.
-- PARALLEL RESTRICTED: the flag must be set in the leader, whose commit is the one that counts.
CREATE OR REPLACE FUNCTION vcon_redis._wake() RETURNS void
    AS 'MODULE_PATHNAME', 'vcon_redis_wake'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- The worker's published state (shared memory), read by vcon_redis.status().
-- state: not_preloaded | not_running | starting | connecting | draining | idle | redis_down
--        (Redis unreachable, timing out or answering errors) | error (an SQL error in the worker's
--        batch) | no_extension (the worker's database lacks the extension) | stopping
CREATE OR REPLACE FUNCTION vcon_redis._worker_state(
    OUT preloaded boolean,
    OUT worker_pid integer,
    OUT state text,
    OUT events_applied bigint,
    OUT pushes bigint,
    OUT batches bigint,
    OUT reconnects bigint,
    OUT last_error text,
    OUT last_error_at timestamptz,
    OUT last_success_at timestamptz,
    OUT last_lag_ms double precision,
    OUT redis_url text)
    AS 'MODULE_PATHNAME', 'vcon_redis_worker_state'
    LANGUAGE C VOLATILE;
