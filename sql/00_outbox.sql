-- The durable outbox: which vCons committed transactions changed, waiting for the worker; and the
-- dead letters: events the worker could not apply, set aside so that nothing else waits for them.
--
-- Rows are ordinary table rows, so a rolled-back transaction or savepoint takes its events with it
-- and a crash loses nothing that committed. One transaction's changes to one vCon coalesce into
-- one row (UNIQUE (xid, vcon_uuid)): a save_vcon that writes forty child rows is one cache SET.
-- An event names the vCon, not its content: the worker reads the newest committed document when
-- it drains, so Redis never moves backwards for a key (docs/internals.md).
--
-- Both tables are private: no role but the extension's owner may read or write them. Events are
-- written only by the capture triggers (SECURITY DEFINER, sql/50_capture.sql) and by resync();
-- sql/90_privileges.sql holds every grant.
--
-- The capture triggers write most rows without the executor (extension/src/capture.cpp): they
-- compute the column defaults below themselves and check that the table still has exactly these
-- columns (else they fall back to INSERT … ON CONFLICT). A changed default must change them too.

CREATE TABLE vcon_redis.outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    vcon_uuid   uuid NOT NULL,
    created     boolean NOT NULL DEFAULT false,
    lists       text[],
    event_id    uuid NOT NULL DEFAULT gen_random_uuid(),
    enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts    integer NOT NULL DEFAULT 0,  -- failed applications before this one (dead-letter retries)
    CONSTRAINT outbox_xid_vcon_key UNIQUE (xid, vcon_uuid)
) WITH (vacuum_truncate = false);  -- truncating the emptied table takes an exclusive lock: stalls
COMMENT ON TABLE vcon_redis.outbox IS
    'vCon changes committed but not yet applied to Redis; drained in id order by the vcon_redis worker';

-- An event that failed permanently: its document could not be built (a data error while reading
-- the vCon's rows), or Redis refused it for good (WRONGTYPE, NOPERM, a script error). The worker
-- moves it here with the error, removes the vCon's cache key so nothing stale is served, and goes
-- on with the next events. retry_dead_letters() puts events back in the outbox (same event_id, so a
-- push that already happened is not repeated); discard_dead_letters() drops them.
CREATE TABLE vcon_redis.dead_letters (
    id          bigint PRIMARY KEY,          -- the outbox id it had
    vcon_uuid   uuid NOT NULL,
    created     boolean NOT NULL,
    lists       text[],
    event_id    uuid NOT NULL,
    enqueued_at timestamptz NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts    integer NOT NULL,            -- applications tried, this one included
    error       text NOT NULL
);
CREATE INDEX dead_letters_vcon_uuid_idx ON vcon_redis.dead_letters (vcon_uuid);
COMMENT ON TABLE vcon_redis.dead_letters IS
    'outbox events the worker could not apply (permanent errors); see retry_dead_letters() and discard_dead_letters()';

-- Where the vCon tables live in this database (set by attach()).
CREATE TABLE vcon_redis.config (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    schema_name name NOT NULL
);

-- Pending events, dead letters, the attachment and the id counter survive pg_dump / pg_restore
-- (without the sequence a restored outbox would hand out ids that already exist).
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.dead_letters', '');
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.config', '');
