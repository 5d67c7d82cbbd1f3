-- The workers as SQL sees them: functions implemented in C++ by vcon_redis.so (extension/src/wake.cpp,
-- partition.cpp, status.cpp). (The capture triggers, also C, are declared with the rest of the capture in
-- 50_capture.sql.)

-- Marks this transaction so that its commit wakes the worker: for the SQL that writes the outbox
-- itself (the TRUNCATE trigger, resync, retry_dead_letters). Cheap and cannot fail; outside a
-- preloaded library it does nothing.
-- PARALLEL RESTRICTED: the flag must be set in the leader, whose commit is the one that counts.
CREATE OR REPLACE FUNCTION vcon_redis._wake() RETURNS void
    AS 'MODULE_PATHNAME', 'vcon_redis_wake'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- Whether worker `worker` of `workers` applies the events of the vCon `vcon_uuid`: every event of
-- one vCon goes to one worker (extension/src/partition.cpp). The workers' outbox read filters on it.
-- A C function, not an inlined expression: the planner must estimate it as matching many rows, or
-- it sorts a large outbox instead of reading it in id order (partition.cpp says more).
CREATE OR REPLACE FUNCTION vcon_redis._worker_owns(vcon_uuid uuid, workers integer, worker integer)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'vcon_redis_worker_owns'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;

-- The workers' published state (shared memory), one row per worker (vcon_redis.workers), read by
-- vcon_redis.status(). Without the preloaded library: one row, worker 0 of 1, not_preloaded.
-- state: not_preloaded | not_running | starting | connecting | draining | idle | redis_down
--        (Redis unreachable, timing out or answering errors) | error (an SQL error in the worker's
--        batch) | no_extension (the worker's database lacks the extension) | stopping
CREATE OR REPLACE FUNCTION vcon_redis._worker_state(
    OUT worker integer,
    OUT workers integer,
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
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vcon_redis_worker_state'
    LANGUAGE C VOLATILE ROWS 1;
