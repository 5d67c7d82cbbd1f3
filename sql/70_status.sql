-- Observability and repair: status() and resync().

CREATE FUNCTION vcon_redis.status(
    OUT worker_state text,          -- not_preloaded | not_running | starting | connecting | idle | draining
                                    -- | redis_down | error (an SQL error in a batch) | no_extension | stopping
    OUT worker_pid integer,
    OUT backlog bigint,             -- events committed and not yet applied to Redis
    OUT oldest_event_age interval,
    OUT events_applied bigint,      -- since the server started
    OUT pushes bigint,
    OUT last_error text,
    OUT last_error_at timestamptz,
    OUT last_success_at timestamptz,
    OUT lag_ms double precision,    -- enqueue → Redis acknowledgement of the last batch
    OUT redis_url text,             -- password masked
    OUT attached_schema name)
LANGUAGE sql STABLE AS $$
    SELECT w.state, w.worker_pid, o.n, clock_timestamp() - o.oldest, w.events_applied, w.pushes,
           w.last_error, w.last_error_at, w.last_success_at, w.last_lag_ms, w.redis_url,
           (SELECT schema_name FROM vcon_redis.config)
    FROM vcon_redis._worker_state() AS w,
         (SELECT count(*) AS n, min(enqueued_at) AS oldest FROM vcon_redis.outbox) AS o
$$;

-- Queues a cache SET for every vCon, or for the given uuids, or those updated since a time — e.g.
-- after Redis lost its data. Never pushes to ingress lists. Returns the number of events queued.
CREATE FUNCTION vcon_redis.resync(uuids uuid[] DEFAULT NULL, updated_since timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
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
