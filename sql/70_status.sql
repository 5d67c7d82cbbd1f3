-- Observability and repair: status(), resync(), and the dead-letter functions.
--
-- status() is SECURITY DEFINER so that any role can see the backlog without reading the private
-- outbox; it shows counts and the (masked) configuration, never event contents. resync() and the
-- dead-letter functions write the outbox: only the extension's owner may run them unless it grants
-- them (sql/90_privileges.sql).

-- One row per worker (vcon_redis.workers; one row without the preloaded library), in worker order:
-- its state and counters, and the backlog of the vCons it owns (_worker_owns). With one worker
-- the row is the whole picture; with several, the first row is worker 0's, so a caller that reads
-- one row sees one worker's state, and the sum of the backlogs is the outbox.
CREATE OR REPLACE FUNCTION vcon_redis.status(
    OUT worker_state text,          -- not_preloaded | not_running | starting | connecting | idle | draining
                                    -- | redis_down | error (an SQL error in a batch) | no_extension | stopping
                                    -- | other_database (the worker drains worker_database, not this one)
    OUT worker_pid integer,
    OUT backlog bigint,             -- this worker's events committed and not yet applied to Redis
    OUT oldest_event_age interval,
    OUT events_applied bigint,      -- since the server started
    OUT pushes bigint,
    OUT last_error text,
    OUT last_error_at timestamptz,
    OUT last_success_at timestamptz,
    OUT lag_ms double precision,    -- commit → Redis acknowledgement, for the last batch
    OUT redis_url text,             -- password masked
    OUT attached_schema name,
    OUT dead_letters bigint,        -- events set aside by permanent errors (vcon_redis.dead_letters), all workers'
    OUT worker_database name,       -- the database the workers drain (vcon_redis.database)
    OUT worker integer)             -- which worker the row shows, 0 … vcon_redis.workers - 1
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN w.preloaded AND db.name IS DISTINCT FROM current_database() THEN 'other_database'
                ELSE w.state END,
           w.worker_pid, o.n, clock_timestamp() - o.oldest, w.events_applied, w.pushes,
           w.last_error, w.last_error_at, w.last_success_at, w.last_lag_ms, w.redis_url,
           (SELECT c.schema_name FROM vcon_redis.config c),
           (SELECT count(*) FROM vcon_redis.dead_letters),
           db.name, w.worker
    FROM vcon_redis._worker_state() AS w
         CROSS JOIN (SELECT current_setting('vcon_redis.database', true)::name AS name) AS db
         CROSS JOIN LATERAL (
             SELECT count(*) AS n, min(ob.enqueued_at) AS oldest FROM vcon_redis.outbox ob
             WHERE vcon_redis._worker_owns(ob.vcon_uuid, w.workers, w.worker)) AS o
    ORDER BY w.worker
$$;

-- Queues a cache SET for every vCon, or for the given uuids, or those updated since a time — e.g.
-- after Redis lost its data. Never pushes to ingress lists. Returns the number of events queued.
CREATE OR REPLACE FUNCTION vcon_redis.resync(uuids uuid[] DEFAULT NULL, updated_since timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    INSERT INTO vcon_redis.outbox (vcon_uuid)
    SELECT v.uuid FROM vcons v
    WHERE (uuids IS NULL OR v.uuid = ANY (uuids))
      AND (updated_since IS NULL OR v.updated_at >= updated_since)
    ON CONFLICT (xid, vcon_uuid) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM vcon_redis._wake();
    RETURN n;
END
$$;

-- Puts dead letters (all, or those with the given ids) back at the end of the outbox, keeping
-- their event_id (a push that already happened is not repeated) and their attempts. Several dead
-- letters of one vCon become one event (as one transaction's changes do). Returns the number of
-- dead letters retried.
CREATE OR REPLACE FUNCTION vcon_redis.retry_dead_letters(ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    WITH gone AS (
        DELETE FROM vcon_redis.dead_letters WHERE ids IS NULL OR id = ANY (ids)
        RETURNING *
    ), per_vcon AS (
        -- the creation (if any) decides event_id and lists
        SELECT DISTINCT ON (vcon_uuid) vcon_uuid, created, lists, event_id, enqueued_at,
               max(attempts) OVER (PARTITION BY vcon_uuid) AS attempts,
               bool_or(created) OVER (PARTITION BY vcon_uuid) AS any_created
        FROM gone
        ORDER BY vcon_uuid, created DESC, id
    ), queued AS (
        INSERT INTO vcon_redis.outbox (vcon_uuid, created, lists, event_id, enqueued_at, attempts)
        SELECT vcon_uuid, any_created, lists, event_id, enqueued_at, attempts FROM per_vcon
        ON CONFLICT (xid, vcon_uuid) DO NOTHING
    )
    SELECT count(*) INTO n FROM gone;
    PERFORM vcon_redis._wake();
    RETURN n;
END
$$;

-- Drops dead letters (all, or those with the given ids). Their vCons' cache keys were already
-- removed; the next change of such a vCon is captured as usual. Returns the number dropped.
CREATE OR REPLACE FUNCTION vcon_redis.discard_dead_letters(ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (DELETE FROM vcon_redis.dead_letters WHERE ids IS NULL OR id = ANY (ids) RETURNING 1)
    SELECT count(*) FROM gone
$$;
