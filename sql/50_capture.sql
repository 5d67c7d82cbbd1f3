-- Capture triggers: every INSERT, UPDATE, DELETE and TRUNCATE on a vCon table, from any client and
-- any role, becomes an outbox row in the same transaction.
--
-- Statement-level triggers with transition tables: one trigger call per statement however many
-- rows it touched, so bulk loads stay cheap, and one outbox row per vCon per transaction. vcons
-- INSERTs mark the event `created` and capture the ingress lists in force (`SET LOCAL
-- vcon_redis.ingress_lists` routes one transaction). Every trigger asks for the worker to be woken
-- at commit (a backend-local flag; _wake() from SQL).
--
-- Privileges: the writer needs no privilege on the outbox. The trigger functions are SECURITY
-- DEFINER (they run as the extension's owner, the only role that may write the outbox), with
-- search_path pinned to pg_catalog and every other name schema-qualified, so nothing a writer
-- creates can change what they do. No role but the owner may EXECUTE them, so nobody can hang them
-- on a table of their own to forge events (sql/90_privileges.sql); attach() installs them.

-- vcon_redis.ingress_lists as an array without blanks or repeats (first occurrence order); NULL
-- when no list is configured. Raises when a list is refused: one named like a cached document
-- (it starts with vcon_redis.key_prefix) or, when the superuser set vcon_redis.allowed_lists, one
-- that matches none of its patterns (`*` matches any characters). A function of those three
-- settings only: the capture triggers keep its last answer for the settings it was given.
CREATE OR REPLACE FUNCTION vcon_redis._ingress_lists() RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lists text[];
    allowed constant text[] := string_to_array(nullif(btrim(current_setting('vcon_redis.allowed_lists', true)), ''), ',');
    prefix constant text := current_setting('vcon_redis.key_prefix', true);
    l text;
BEGIN
    SELECT array_agg(name ORDER BY first) INTO lists
    FROM (SELECT btrim(e) AS name, min(i) AS first
          FROM unnest(string_to_array(current_setting('vcon_redis.ingress_lists', true), ',')) WITH ORDINALITY AS t(e, i)
          WHERE btrim(e) <> ''
          GROUP BY btrim(e)) s;
    IF lists IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH l IN ARRAY lists LOOP
        IF coalesce(prefix, '') <> '' AND starts_with(l, prefix) THEN
            RAISE EXCEPTION 'ingress list "%" starts with the document key prefix "%"', l, prefix
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Queue names must not collide with the cached vCon keys.';
        END IF;
        IF allowed IS NOT NULL AND NOT EXISTS (
                SELECT FROM unnest(allowed) AS p
                WHERE l LIKE replace(replace(replace(replace(btrim(p), '\', '\\'), '%', '\%'), '_', '\_'), '*', '%')) THEN
            RAISE EXCEPTION 'ingress list "%" is not allowed', l
                USING ERRCODE = 'insufficient_privilege',
                      HINT = format('vcon_redis.allowed_lists (set by a superuser) allows: %s', array_to_string(allowed, ','));
        END IF;
    END LOOP;
    RETURN lists;
END
$$;

-- The row-writing triggers are C (extension/src/capture.cpp), because they run after every
-- statement on the vCon tables, rows or not: save_vcon alone fires six. Each records a vCon once
-- per transaction, and runs its statements (a qualified INSERT, the ingress-list check, the
-- dialog lookup of party_history) planned with search_path pinned, as the owner: SECURITY DEFINER
-- without a SET clause, which would cost a GUC switch per call.

-- vcons: an INSERT is a creation, routed to _ingress_lists() (asked once per session for the same
-- settings: capture.cpp); a creation merged into an event that was not one gets a fresh event_id
-- (its push guard must be its own). An UPDATE that changes a uuid records the old one too: its
-- document must go.
CREATE OR REPLACE FUNCTION vcon_redis._capture_vcons() RETURNS trigger
    AS 'MODULE_PATHNAME', 'vcon_redis_capture_vcons'
    LANGUAGE C SECURITY DEFINER;

-- Child tables keyed by vcon_id (parties, dialog, analysis, attachments, groups).
CREATE OR REPLACE FUNCTION vcon_redis._capture_child() RETURNS trigger
    AS 'MODULE_PATHNAME', 'vcon_redis_capture_child'
    LANGUAGE C SECURITY DEFINER;

-- The statement listing the vCons of the party_history rows that `rows_sql` selects, in schema s
-- (for TRUNCATE; capture.cpp does the same for the row triggers).
-- vcon-mcp's party_history has only dialog_id; ours also has vcon_id, which other writers may
-- leave NULL. has_vcon_id says which. A row whose dialog is gone (being deleted in the same
-- statement) names no vCon: the dialog's own trigger has recorded it.
CREATE OR REPLACE FUNCTION vcon_redis._history_vcons_sql(s name, has_vcon_id boolean, rows_sql text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('SELECT DISTINCT v FROM (SELECT %s AS v FROM (%s) h LEFT JOIN %I.dialog d ON d.id = h.dialog_id) x
                   WHERE v IS NOT NULL',
                  CASE WHEN has_vcon_id THEN 'coalesce(h.vcon_id, d.vcon_id)' ELSE 'd.vcon_id' END, rows_sql, s)
$$;

-- party_history: vcon_id names the vCon when the table has it and it is set, else the row's dialog
-- does (vcon-mcp's table has only dialog_id).
CREATE OR REPLACE FUNCTION vcon_redis._capture_history() RETURNS trigger
    AS 'MODULE_PATHNAME', 'vcon_redis_capture_history'
    LANGUAGE C SECURITY DEFINER;

-- TRUNCATE fires no row triggers and has no transition table: before the table is emptied,
-- record every vCon it holds rows for. TG_ARGV[0] is the table's key column (as _captured_tables).
CREATE OR REPLACE FUNCTION vcon_redis._capture_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO vcon_redis.outbox (vcon_uuid) %s ON CONFLICT (xid, vcon_uuid) DO NOTHING',
                   CASE WHEN TG_TABLE_NAME = 'party_history'
                        THEN vcon_redis._history_vcons_sql(TG_TABLE_SCHEMA, TG_ARGV[0] = 'vcon_id',
                                 format('SELECT %s FROM %I.%I',
                                        CASE WHEN TG_ARGV[0] = 'vcon_id' THEN 'vcon_id, dialog_id' ELSE 'dialog_id' END,
                                        TG_TABLE_SCHEMA, TG_TABLE_NAME))
                        ELSE format('SELECT DISTINCT %I FROM %I.%I', TG_ARGV[0], TG_TABLE_SCHEMA, TG_TABLE_NAME) END);
    PERFORM vcon_redis._wake();
    RETURN NULL;
END
$$;

-- The vCon tables in capture order, with the column that names their vCon (party_history:
-- 'vcon_id' when it has one, else 'dialog_id'; either way it is captured through its dialog too).
CREATE OR REPLACE FUNCTION vcon_redis._captured_tables(s name)
RETURNS TABLE (table_name name, key_column name, owner oid, kind "char")
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.relname, CASE
        WHEN c.relname = 'vcons' THEN 'uuid'
        WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'vcon_id'
                     AND NOT a.attisdropped) THEN 'vcon_id'
        ELSE 'dialog_id' END::name,
        c.relowner, c.relkind
    FROM unnest(ARRAY['vcons', 'parties', 'dialog', 'analysis', 'attachments', 'party_history', 'groups'])
         WITH ORDINALITY AS t(name, ord)
    JOIN pg_class c ON c.relname = t.name
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s
    ORDER BY t.ord
$$;

CREATE OR REPLACE FUNCTION vcon_redis._remove_capture(s name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tg.tgname, c.relname FROM pg_trigger tg
             JOIN pg_class c ON c.oid = tg.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = s AND tg.tgname LIKE 'vcon\_redis\_capture\_%' LOOP
        EXECUTE format('DROP TRIGGER %I ON %I.%I', t.tgname, s, t.relname);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._install_capture(s name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    fn text;
BEGIN
    PERFORM vcon_redis._remove_capture(s);
    FOR t IN SELECT * FROM vcon_redis._captured_tables(s) LOOP
        fn := CASE WHEN t.table_name = 'party_history' THEN 'vcon_redis._capture_history()'
                   WHEN t.key_column = 'uuid' THEN 'vcon_redis._capture_vcons()'
                   ELSE 'vcon_redis._capture_child()' END;
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_ins AFTER INSERT ON %I.%I
                        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %s',
                       s, t.table_name, fn);
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_upd AFTER UPDATE ON %I.%I
                        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %s', s, t.table_name, fn);
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_del AFTER DELETE ON %I.%I
                        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %s',
                       s, t.table_name, fn);
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_truncate BEFORE TRUNCATE ON %I.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION vcon_redis._capture_truncate(%L)',
                       s, t.table_name, t.key_column);
    END LOOP;
END
$$;
