-- The durable outbox: which vCons committed transactions changed, waiting for the worker.
--
-- Rows are ordinary table rows, so a rolled-back transaction or savepoint takes its events with it
-- and a crash loses nothing that committed. One transaction's changes to one vCon coalesce into
-- one row (UNIQUE (xid, vcon_uuid)): a save_vcon that writes forty child rows is one cache SET.
-- An event names the vCon, not its content: the worker reads the newest committed document when
-- it drains, so Redis never moves backwards for a key (docs/internals.md).

CREATE TABLE vcon_redis.outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    vcon_uuid   uuid NOT NULL,
    created     boolean NOT NULL DEFAULT false,
    lists       text[],
    event_id    uuid NOT NULL DEFAULT gen_random_uuid(),
    enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT outbox_xid_vcon_key UNIQUE (xid, vcon_uuid)
) WITH (vacuum_truncate = false);  -- truncating the emptied table takes an exclusive lock: stalls
COMMENT ON TABLE vcon_redis.outbox IS
    'vCon changes committed but not yet applied to Redis; drained in id order by the vcon_redis worker';

-- Where the vCon tables live in this database (set by attach()).
CREATE TABLE vcon_redis.config (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    schema_name name NOT NULL
);

-- Pending events and the attachment survive pg_dump / pg_restore.
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.config', '');
