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
