-- Upgrade 0.1.0 → 0.2.0, part 1 of 3: what changes in the objects created once (tables, types),
-- and the functions whose signature or result changed (CREATE OR REPLACE cannot change those).
-- Part 2 is every code file of sql/ as it is; part 3 is 0.1.0--0.2.0.post.sql.

ALTER TABLE vcon_redis.outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0;

CREATE TABLE vcon_redis.dead_letters (
    id          bigint PRIMARY KEY,
    vcon_uuid   uuid NOT NULL,
    created     boolean NOT NULL,
    lists       text[],
    event_id    uuid NOT NULL,
    enqueued_at timestamptz NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts    integer NOT NULL,
    error       text NOT NULL
);
CREATE INDEX dead_letters_vcon_uuid_idx ON vcon_redis.dead_letters (vcon_uuid);
COMMENT ON TABLE vcon_redis.dead_letters IS
    'outbox events the worker could not apply (permanent errors); see retry_dead_letters() and discard_dead_letters()';
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('vcon_redis.dead_letters', '');

DROP FUNCTION vcon_redis.status();                                      -- new OUT columns
DROP FUNCTION vcon_redis._captured_tables(name);                        -- new result columns
DROP FUNCTION vcon_redis._hash_problem(jsonb, text);                    -- a parameter renamed
DROP FUNCTION vcon_redis._date_member(jsonb, text, text, text);         -- replaced by a 5-argument one
