-- Capture triggers, outbox coalescing, attach/detach, resync: the SQL half of the write path.
-- (The worker serves another database, so events stay in this database's outbox.)
SELECT vcon_redis.attach();
SELECT vcon_redis.attach();  -- idempotent
SELECT attached_schema FROM vcon_redis.status();

SELECT tgrelid::regclass AS tbl, tgname FROM pg_trigger
WHERE tgname LIKE 'vcon_redis_capture%' ORDER BY tgrelid::regclass::text, tgname;

CREATE FUNCTION outbox() RETURNS TABLE (vcon_uuid uuid, created boolean, lists text[])
LANGUAGE sql AS $$ SELECT vcon_uuid, created, lists FROM vcon_redis.outbox ORDER BY id $$;

-- A plain INSERT is a creation, routed to the lists in force.
BEGIN;
SET LOCAL vcon_redis.ingress_lists = ' q1 , q2,, ';
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000001', '00000000-0000-8000-8000-000000000001');
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-000000000001', 0, 'Ann'),
                                                       ('00000000-0000-8000-8000-000000000001', 1, 'Bo');
UPDATE vcons SET subject = 'first' WHERE uuid = '00000000-0000-8000-8000-000000000001';
SELECT count(*) AS events_in_this_transaction FROM vcon_redis.outbox WHERE xid = pg_current_xact_id();
COMMIT;
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;

-- Rolled back: nothing. Rolled-back savepoint: only what was kept.
BEGIN;
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000002', '00000000-0000-8000-8000-000000000002');
ROLLBACK;
BEGIN;
UPDATE parties SET name = 'Anne' WHERE vcon_id = '00000000-0000-8000-8000-000000000001' AND party_index = 0;
SAVEPOINT s;
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000003', '00000000-0000-8000-8000-000000000003');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;

-- A creation inside a savepoint that is released still counts as created.
BEGIN;
SET LOCAL vcon_redis.ingress_lists = 'q3';
UPDATE parties SET name = 'Ann' WHERE vcon_id = '00000000-0000-8000-8000-000000000001' AND party_index = 0;
SAVEPOINT s;
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000004', '00000000-0000-8000-8000-000000000004');
RELEASE SAVEPOINT s;
COMMIT;
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;

-- Delete cascades to children: one event per vCon.
DELETE FROM vcons WHERE uuid = '00000000-0000-8000-8000-000000000001';
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;

-- TRUNCATE records every vCon the table holds rows for, before it is emptied.
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000005', '00000000-0000-8000-8000-000000000005');
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-000000000005', 0, 'Cy');
DELETE FROM vcon_redis.outbox;
TRUNCATE parties;
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;
TRUNCATE vcons CASCADE;
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;

-- resync queues every vCon (never as a creation) and coalesces within a transaction.
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000006', '00000000-0000-8000-8000-000000000006'),
                                    ('00000000-0000-8000-8000-000000000007', '00000000-0000-8000-8000-000000000007');
DELETE FROM vcon_redis.outbox;
BEGIN;
SELECT vcon_redis.resync();
SELECT vcon_redis.resync(ARRAY['00000000-0000-8000-8000-000000000007']::uuid[]);
COMMIT;
SELECT vcon_redis.resync(updated_since => now() + interval '1 day');
SELECT * FROM outbox();
SELECT backlog FROM vcon_redis.status();
DELETE FROM vcon_redis.outbox;

-- The child tables' trigger records a vCon once per transaction; a rolled-back savepoint takes
-- its outbox row, and the next statement records the vCon again (once).
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000009', '00000000-0000-8000-8000-000000000009'),
                                    ('00000000-0000-8000-8000-00000000000a', '00000000-0000-8000-8000-00000000000a');
DELETE FROM vcon_redis.outbox;
BEGIN;
SAVEPOINT a;
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-000000000009', 0, 'Di');
ROLLBACK TO SAVEPOINT a;
SELECT count(*) AS after_rollback_to_a FROM vcon_redis.outbox WHERE xid = pg_current_xact_id();
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-000000000009', 1, 'Ed');
INSERT INTO dialog (vcon_id, dialog_index, type) VALUES ('00000000-0000-8000-8000-000000000009', 0, 'text');
SAVEPOINT b;
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-00000000000a', 0, 'Fa');
ROLLBACK TO SAVEPOINT b;
UPDATE parties SET name = 'Eddie' WHERE vcon_id = '00000000-0000-8000-8000-000000000009';
SAVEPOINT c;
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-00000000000a', 1, 'Gus');
RELEASE SAVEPOINT c;
DELETE FROM parties WHERE vcon_id = '00000000-0000-8000-8000-00000000000a';
COMMIT;
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;
-- Savepoints nested in one that rolls back: what the inner ones recorded, released into it, goes
-- with it, and is recorded again (once) by the next statement; what the outer transaction
-- recorded before stays recorded once.
BEGIN;
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-000000000009', 2, 'Hal');
SAVEPOINT outer_sp;
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-000000000009', 3, 'Ivy');
SAVEPOINT inner_sp;
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-00000000000a', 2, 'Jo');
RELEASE SAVEPOINT inner_sp;
ROLLBACK TO SAVEPOINT outer_sp;
SELECT vcon_uuid, created FROM vcon_redis.outbox WHERE xid = pg_current_xact_id() ORDER BY id;
UPDATE parties SET name = 'Hank' WHERE vcon_id = '00000000-0000-8000-8000-000000000009' AND party_index = 2;
INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-00000000000a', 3, 'Kim');
SELECT vcon_uuid, created FROM vcon_redis.outbox WHERE xid = pg_current_xact_id() ORDER BY id;
COMMIT;
DELETE FROM vcon_redis.outbox;
-- A PL/pgSQL exception block is a subtransaction too.
BEGIN;
DO $$
BEGIN
    INSERT INTO parties (vcon_id, party_index, name) VALUES ('00000000-0000-8000-8000-000000000009', 4, 'Lu');
    RAISE EXCEPTION 'undo';
EXCEPTION WHEN raise_exception THEN
    NULL;
END
$$;
SELECT count(*) AS after_the_exception FROM vcon_redis.outbox WHERE xid = pg_current_xact_id();
UPDATE parties SET name = 'Lou' WHERE vcon_id = '00000000-0000-8000-8000-000000000009' AND party_index = 2;
SELECT vcon_uuid, created FROM vcon_redis.outbox WHERE xid = pg_current_xact_id() ORDER BY id;
COMMIT;
DELETE FROM parties WHERE party_index >= 2;
DELETE FROM vcon_redis.outbox;

-- The triggers write the row's columns themselves: they are what the column defaults give.
BEGIN;
SELECT pg_current_xact_id() AS xact \gset
SELECT last_value AS before_id FROM vcon_redis.outbox_id_seq \gset
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-00000000000b', '00000000-0000-8000-8000-00000000000b'),
                                    ('00000000-0000-8000-8000-00000000000c', '00000000-0000-8000-8000-00000000000c');
SELECT count(*) AS events, bool_and(xid = :'xact'::xid8) AS this_xid, bool_and(id > :before_id) AS ids_from_the_sequence,
       count(DISTINCT event_id) AS distinct_event_ids, bool_and(event_id::text ~ '^.{14}4') AS v4_event_ids,
       bool_and(enqueued_at BETWEEN now() AND clock_timestamp()) AS enqueued_now, bool_and(attempts = 0) AS no_attempts,
       bool_and(created) AS created, bool_and(lists IS NULL) AS no_lists
FROM vcon_redis.outbox;
COMMIT;
DELETE FROM vcon_redis.outbox;

-- An outbox with other columns than the triggers know (a later version's, mid-upgrade) gets its
-- rows through INSERT, with its defaults.
BEGIN;
ALTER TABLE vcon_redis.outbox ADD COLUMN note text NOT NULL DEFAULT 'from the default';
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-00000000000d', '00000000-0000-8000-8000-00000000000d');
SELECT vcon_uuid, created, note FROM vcon_redis.outbox;
ROLLBACK;

-- An outbox with a trigger or a CHECK constraint someone added gets its rows through INSERT too, so
-- they run: the trigger stamps the row, the constraint refuses it (and the write with it).
BEGIN;
CREATE FUNCTION pg_temp.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.attempts := 7; RETURN NEW; END $$;
CREATE TRIGGER stamp BEFORE INSERT ON vcon_redis.outbox FOR EACH ROW EXECUTE FUNCTION pg_temp.stamp();
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-00000000000d', '00000000-0000-8000-8000-00000000000d');
SELECT vcon_uuid, attempts FROM vcon_redis.outbox;
ROLLBACK;
BEGIN;
ALTER TABLE vcon_redis.outbox ADD CONSTRAINT no_new_events CHECK (attempts > 0);
\set VERBOSITY terse
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-00000000000d', '00000000-0000-8000-8000-00000000000d');
\set VERBOSITY default
ROLLBACK;
-- and once they are gone, the direct path again (still the outbox's defaults, no trigger)
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-00000000000d', '00000000-0000-8000-8000-00000000000d');
SELECT vcon_uuid, attempts FROM vcon_redis.outbox;
DELETE FROM vcons WHERE uuid = '00000000-0000-8000-8000-00000000000d';
DELETE FROM vcon_redis.outbox;

-- SQL that writes outbox rows itself (resync, here) in the same transaction: a capture after it
-- coalesces into its row (ON CONFLICT), a creation marks it created.
BEGIN;
SELECT vcon_redis.resync(ARRAY['00000000-0000-8000-8000-00000000000b', '00000000-0000-8000-8000-00000000000c']::uuid[]);
UPDATE vcons SET subject = 'resynced' WHERE uuid = '00000000-0000-8000-8000-00000000000b';
DELETE FROM vcons WHERE uuid = '00000000-0000-8000-8000-00000000000c';
SET LOCAL vcon_redis.ingress_lists = 'q4';
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-00000000000c', '00000000-0000-8000-8000-00000000000c');
COMMIT;
SELECT * FROM outbox();
DELETE FROM vcons WHERE uuid IN ('00000000-0000-8000-8000-00000000000b', '00000000-0000-8000-8000-00000000000c');
DELETE FROM vcon_redis.outbox;

-- party_history rows name their vCon by vcon_id, or (other writers, vcon-mcp) only by dialog_id.
INSERT INTO dialog (id, vcon_id, dialog_index, type)
VALUES ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-8000-8000-00000000000a', 0, 'text');
DELETE FROM vcon_redis.outbox;
INSERT INTO party_history (vcon_id, dialog_id, history_index, party_index, event, time)
VALUES (NULL, '00000000-0000-4000-8000-0000000000d1', 0, 0, 'join', now()),
       (NULL, '00000000-0000-4000-8000-0000000000d1', 1, 0, 'drop', now());
INSERT INTO party_history (vcon_id, dialog_id, history_index, party_index, event, time)
SELECT '00000000-0000-8000-8000-000000000009', id, 0, 0, 'join', now() FROM dialog
WHERE vcon_id = '00000000-0000-8000-8000-000000000009';
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;
UPDATE party_history SET event = 'hold' WHERE vcon_id IS NULL;
DELETE FROM party_history WHERE vcon_id IS NOT NULL;
INSERT INTO party_history (vcon_id, dialog_id, history_index, party_index, event, time)
SELECT NULL, id, 0, 0, 'join', now() FROM dialog WHERE false;   -- no row: no event
SELECT * FROM outbox();
DELETE FROM vcon_redis.outbox;
-- It is a statement trigger only, and the table must have a uuid vcon_id.
CREATE TABLE not_a_child (id int);
CREATE TRIGGER t AFTER INSERT ON not_a_child REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vcon_redis._capture_child();
INSERT INTO not_a_child VALUES (1);
DROP TABLE not_a_child;
CREATE TABLE row_level (vcon_id uuid);
CREATE TRIGGER t AFTER INSERT ON row_level FOR EACH ROW EXECUTE FUNCTION vcon_redis._capture_child();
INSERT INTO row_level VALUES (NULL);
DROP TABLE row_level;
SELECT vcon_redis._capture_child();

-- detach removes the triggers only.
SELECT vcon_redis.detach();
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-000000000008', '00000000-0000-8000-8000-000000000008');
SELECT count(*) FROM vcon_redis.outbox;
SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'vcon_redis_capture%';
SELECT attached_schema FROM vcon_redis.status();

-- attach refuses a second schema while one is attached; missing tables without create_tables.
SELECT vcon_redis.attach();
SELECT vcon_redis.attach('elsewhere');
SELECT vcon_redis.detach();
SELECT vcon_redis.attach('nowhere', create_tables => false);
TRUNCATE vcons CASCADE;
DELETE FROM vcon_redis.outbox;
DROP FUNCTION outbox();
