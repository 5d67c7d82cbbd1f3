-- Roles and privileges, tested as the roles real deployments use (sql/90_privileges.sql):
--   * an application role with ordinary table grants writes, reads and searches through every
--     path, and each write is captured, without any privilege on the extension's internals;
--   * no such role can write, read or redirect the outbox, hang a capture function on a table of
--     its own, resync, touch dead letters, or attach/detach tables it does not own;
--   * the owner of the tables attaches and detaches them without superuser;
--   * Supabase's role set (authenticator → SET ROLE anon / authenticated / service_role, JWT claims
--     in request.jwt.claims, row-level security policies like vcon-mcp's) works as deployed;
--   * nothing created in the attached schema changes what the extension's functions do;
--   * every SECURITY DEFINER function pins its search_path.
-- Its own database: roles, grants and RLS here must not leak into the other tests' tables.
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS vcon_redis_priv_regress;
CREATE DATABASE vcon_redis_priv_regress;
\c vcon_redis_priv_regress
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION vcon_redis;
SELECT vcon_redis.attach('public');

-- Roles are cluster-wide: create them once (the suite may run again on the same cluster).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['regress_vr_app', 'regress_vr_owner', 'regress_vr_other'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r);
        END IF;
    END LOOP;
    -- Supabase's role set, as its images create it (service_role bypasses row-level security;
    -- authenticator logs in and switches role per request, inheriting nothing).
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
        CREATE ROLE authenticator LOGIN NOINHERIT;
    END IF;
END $$;
GRANT anon, authenticated, service_role TO authenticator;

-- The application role: ordinary grants on the vCon tables, nothing on vcon_redis.
GRANT USAGE ON SCHEMA public TO regress_vr_app;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO regress_vr_app;

CREATE FUNCTION pg_temp.events() RETURNS TABLE (vcon_uuid uuid, created boolean, lists text[])
LANGUAGE sql AS $$ SELECT vcon_uuid, created, lists FROM vcon_redis.outbox ORDER BY id $$;

-- ---------------------------------------------------------------------------------------------
-- An application role writes, reads and searches; every write is captured.
-- ---------------------------------------------------------------------------------------------
SET SESSION AUTHORIZATION regress_vr_app;
SELECT vcon_redis.save_vcon('{"uuid":"00000000-0000-8000-8000-0000000000a1","created_at":"2026-01-01T00:00:00Z",
    "subject":"app role call","parties":[{"name":"Ann","tel":"+15550001"}],
    "dialog":[{"type":"text","start":"2026-01-01T00:00:00Z","parties":[0],"encoding":"none","body":"hello from the app"}]}');
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000a1') ->> 'subject' AS subject;
SELECT count(*) AS found FROM vcon_redis.search_vcons(subject_filter => 'app role');
SELECT count(*) AS found FROM vcon_redis.search_vcons(party_name => 'ann');
SELECT count(*) AS found FROM vcon_redis.search_vcons_content('hello');
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-0000000000a2', '00000000-0000-8000-8000-0000000000a2');
UPDATE parties SET name = 'Anne' WHERE vcon_id = '00000000-0000-8000-8000-0000000000a1';
SELECT vcon_redis.delete_vcon('00000000-0000-8000-8000-0000000000a2') AS deleted;
SELECT worker_state IS NOT NULL AS sees_status, backlog > 0 AS sees_backlog, attached_schema FROM vcon_redis.status();
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.events();
DELETE FROM vcon_redis.outbox;

-- party_history rows written the vcon-mcp way (dialog_id only, vcon_id NULL) are captured
-- through their dialog, and do not fail the write.
SET SESSION AUTHORIZATION regress_vr_app;
INSERT INTO party_history (dialog_id, party_index, time, event)
SELECT id, 0, '2026-01-01T00:00:01Z', 'join' FROM dialog WHERE vcon_id = '00000000-0000-8000-8000-0000000000a1';
TRUNCATE party_history;
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.events();
DELETE FROM vcon_redis.outbox;

-- ---------------------------------------------------------------------------------------------
-- What no such role can do.
-- ---------------------------------------------------------------------------------------------
SET SESSION AUTHORIZATION regress_vr_app;
INSERT INTO vcon_redis.outbox (vcon_uuid, created, lists) VALUES ('00000000-0000-8000-8000-0000000000a1', true, '{stolen}');
UPDATE vcon_redis.outbox SET lists = '{stolen}';
DELETE FROM vcon_redis.outbox;
SELECT count(*) FROM vcon_redis.outbox;
SELECT count(*) FROM vcon_redis.dead_letters;
UPDATE vcon_redis.config SET schema_name = 'elsewhere';
SELECT vcon_redis.resync();
SELECT vcon_redis.retry_dead_letters();
SELECT vcon_redis.discard_dead_letters();
SELECT vcon_redis._install_capture('public');
SELECT vcon_redis._remove_capture('public');
SELECT vcon_redis.detach('public');
SELECT vcon_redis.attach('public');
-- hanging a capture function on a table of one's own would forge events
CREATE TEMP TABLE fake (uuid uuid);
CREATE TRIGGER forge AFTER INSERT ON fake REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vcon_redis._capture_vcons();
-- the superuser's settings
SET vcon_redis.allowed_lists = '';
SET vcon_redis.redis_url = 'redis://127.0.0.1:1/0';
RESET SESSION AUTHORIZATION;
SELECT count(*) AS forged_events FROM vcon_redis.outbox;
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgname LIKE 'vcon_redis_capture%';

-- Which functions a role without grants may execute: every SECURITY DEFINER function and every
-- function that writes the outbox is listed; the public API is executable, the writers are not.
SELECT p.oid::regprocedure AS function, p.prosecdef AS definer,
       has_function_privilege('regress_vr_app', p.oid, 'EXECUTE') AS app_may_execute
FROM pg_proc p
WHERE p.pronamespace = 'vcon_redis'::regnamespace
  AND (p.prosecdef OR NOT has_function_privilege('regress_vr_app', p.oid, 'EXECUTE'))
ORDER BY p.oid::regprocedure::text;
-- Every SECURITY DEFINER function pins search_path, pg_catalog first and pg_temp last; the only
-- exceptions are in C and pin it themselves for the one statement they plan (capture.cpp).
SELECT p.oid::regprocedure AS unpinned, l.lanname AS language
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'vcon_redis'::regnamespace AND p.prosecdef
  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c
                  WHERE c LIKE 'search_path=pg_catalog,%' AND c LIKE '%pg_temp');
-- Every table and view of the extension, and who may touch it.
SELECT c.relname, c.relkind,
       has_table_privilege('regress_vr_app', c.oid, 'SELECT') AS app_select,
       has_table_privilege('regress_vr_app', c.oid, 'INSERT') AS app_insert
FROM pg_class c
WHERE c.relnamespace = 'vcon_redis'::regnamespace AND c.relkind IN ('r', 'v')
ORDER BY c.relname;

-- ---------------------------------------------------------------------------------------------
-- Which Redis lists a writer may name is the superuser's choice; repeats push once.
-- ---------------------------------------------------------------------------------------------
SET vcon_redis.allowed_lists = 'queue_*, audit';
SET SESSION AUTHORIZATION regress_vr_app;
BEGIN;
SET LOCAL vcon_redis.ingress_lists = 'queue_a, audit, queue_a,,queue_b';
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-0000000000a3', '00000000-0000-8000-8000-0000000000a3');
COMMIT;
BEGIN;
SET LOCAL vcon_redis.ingress_lists = 'queue_a,secrets';
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-0000000000a4', '00000000-0000-8000-8000-0000000000a4');
ROLLBACK;
BEGIN;
SET LOCAL vcon_redis.ingress_lists = 'vcon:00000000-0000-8000-8000-0000000000a1';
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-0000000000a4', '00000000-0000-8000-8000-0000000000a4');
ROLLBACK;
-- the lists allowed above, once the superuser narrows what is allowed: refused (the triggers keep
-- the last answer only for the settings it was given)
RESET SESSION AUTHORIZATION;
SET vcon_redis.allowed_lists = 'queue_*';
SET SESSION AUTHORIZATION regress_vr_app;
BEGIN;
SET LOCAL vcon_redis.ingress_lists = 'queue_a, audit, queue_a,,queue_b';
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-0000000000a4', '00000000-0000-8000-8000-0000000000a4');
ROLLBACK;
RESET SESSION AUTHORIZATION;
RESET vcon_redis.allowed_lists;
SELECT * FROM pg_temp.events();
DELETE FROM vcon_redis.outbox;

-- ---------------------------------------------------------------------------------------------
-- Objects created in the attached schema cannot capture a name the extension's functions use.
-- ---------------------------------------------------------------------------------------------
GRANT CREATE ON SCHEMA public TO regress_vr_other;
SET SESSION AUTHORIZATION regress_vr_other;
CREATE FUNCTION public.to_json(text) RETURNS json LANGUAGE sql AS $$ SELECT '"hijacked"'::json $$;
CREATE FUNCTION public.concat_ws(text, VARIADIC text[]) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
CREATE TABLE public.outbox (vcon_uuid uuid);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_vr_app;
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000a1') -> 'parties' -> 0 ->> 'name' AS party_name;
RESET SESSION AUTHORIZATION;
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000a1') -> 'parties' -> 0 ->> 'name' AS party_name_as_superuser;
DROP FUNCTION public.to_json(text);
DROP FUNCTION public.concat_ws(text, VARIADIC text[]);
DROP TABLE public.outbox;
REVOKE CREATE ON SCHEMA public FROM regress_vr_other;

-- ---------------------------------------------------------------------------------------------
-- Supabase as deployed: authenticator switches role per request; vcon-mcp's tenant policies.
-- ---------------------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['vcons', 'parties', 'dialog', 'analysis', 'attachments', 'party_history', 'groups'] LOOP
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON public.%I FOR ALL TO authenticated
                          USING (tenant_id IS NULL OR tenant_id = (current_setting('request.jwt.claims', true)::jsonb ->> 'tenant'))
                          WITH CHECK (tenant_id IS NULL OR tenant_id = (current_setting('request.jwt.claims', true)::jsonb ->> 'tenant'))$p$,
                       t || '_tenant_isolation', t);
    END LOOP;
END $$;
UPDATE vcons SET tenant_id = 't2' WHERE uuid = '00000000-0000-8000-8000-0000000000a1';
DELETE FROM vcon_redis.outbox;

SET SESSION AUTHORIZATION authenticator;
-- service_role (vcon-mcp's writer through PostgREST): one transaction per request
BEGIN;
SET LOCAL ROLE service_role;
SELECT set_config('request.jwt.claims', '{"role":"service_role"}', true) IS NOT NULL AS claims;
SELECT vcon_redis.save_vcon('{"uuid":"00000000-0000-8000-8000-0000000000b1","created_at":"2026-01-01T00:00:00Z",
    "subject":"service role call","parties":[{"name":"Sam"}]}');
INSERT INTO attachments (vcon_id, attachment_index, type, body, encoding)
VALUES ('00000000-0000-8000-8000-0000000000b1', 0, 'tags', '["topic:billing"]', 'json');
SELECT count(*) AS tagged FROM vcon_redis.search_by_tags('{"topic":"billing"}');
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000a1') ->> 'subject' AS sees_other_tenant;
COMMIT;
-- authenticated, tenant t1: writes its own rows, cannot see or write tenant t2's
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","tenant":"t1"}', true) IS NOT NULL AS claims;
INSERT INTO vcons (id, uuid, tenant_id, subject)
VALUES ('00000000-0000-8000-8000-0000000000c1', '00000000-0000-8000-8000-0000000000c1', 't1', 'tenant one');
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000c1') ->> 'subject' AS own_tenant;
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000a1') AS other_tenant;
SELECT count(*) AS other_tenant_found FROM vcon_redis.search_vcons(subject_filter => 'app role');
-- (its party rows carry no tenant: the party filter lists them, the vcons row stays hidden)
SELECT count(*) AS other_tenant_found FROM vcon_redis.search_vcons(party_name => 'ann');
COMMIT;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","tenant":"t1"}', true) IS NOT NULL AS claims;
INSERT INTO vcons (id, uuid, tenant_id) VALUES ('00000000-0000-8000-8000-0000000000c2', '00000000-0000-8000-8000-0000000000c2', 't2');
ROLLBACK;
-- anon: no policy, so no rows in or out
BEGIN;
SET LOCAL ROLE anon;
INSERT INTO vcons (id, uuid) VALUES ('00000000-0000-8000-8000-0000000000d1', '00000000-0000-8000-8000-0000000000d1');
ROLLBACK;
BEGIN;
SET LOCAL ROLE anon;
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000b1') AS anon_reads;
SELECT worker_state IS NOT NULL AS anon_sees_status FROM vcon_redis.status();
COMMIT;
-- and none of them may attach or detach the tables of the schema's owner
SET ROLE service_role;
SELECT vcon_redis.detach('public');
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.events();
DELETE FROM vcon_redis.outbox;

-- ---------------------------------------------------------------------------------------------
-- The owner of the tables attaches and detaches them without superuser.
-- ---------------------------------------------------------------------------------------------
SELECT vcon_redis.detach('public');
SELECT current_database() AS db \gset
GRANT CREATE ON DATABASE :"db" TO regress_vr_owner;
SET SESSION AUTHORIZATION regress_vr_owner;
SELECT vcon_redis.attach('owned');
SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
WHERE c.relnamespace = 'owned'::regnamespace AND c.relkind = 'r' ORDER BY 1;
INSERT INTO owned.vcons (id, uuid) VALUES ('00000000-0000-8000-8000-0000000000e1', '00000000-0000-8000-8000-0000000000e1');
SELECT vcon_redis.vcon_json('00000000-0000-8000-8000-0000000000e1') ->> 'uuid' AS owner_reads;
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.events();
-- another role cannot take the attachment away, nor attach it again
SET SESSION AUTHORIZATION regress_vr_other;
SELECT vcon_redis.detach('owned');
SELECT vcon_redis.attach('owned', create_tables => false);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_vr_owner;
SELECT vcon_redis.detach('owned');
RESET SESSION AUTHORIZATION;
SELECT attached_schema FROM vcon_redis.status();

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE vcon_redis_priv_regress;
