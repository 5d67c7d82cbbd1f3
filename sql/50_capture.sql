-- Capture triggers: every INSERT, UPDATE, DELETE and TRUNCATE on a vCon table, from any client,
-- becomes an outbox row in the same transaction.
--
-- Statement-level triggers with transition tables: one INSERT … SELECT per statement however many
-- rows it touched, so bulk loads stay cheap. vcons INSERTs mark the event `created` and capture the
-- ingress lists in force (`SET LOCAL vcon_redis.ingress_lists` routes one transaction). Every
-- trigger calls _wake(), which only sets a backend-local flag; the worker is woken at commit.

-- vcon_redis.ingress_lists as an array; NULL when no list is configured.
CREATE FUNCTION vcon_redis._ingress_lists() RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(array(
        SELECT btrim(l)
        FROM unnest(string_to_array(coalesce(current_setting('vcon_redis.ingress_lists', true), ''), ',')) AS l
        WHERE btrim(l) <> ''), '{}')
$$;

-- The vcons table. Each branch is planned only when it runs, so the DELETE branch never refers
-- to a transition table that a DELETE trigger does not have.
CREATE FUNCTION vcon_redis._capture_vcons() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    lists text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        lists := vcon_redis._ingress_lists();  -- once per statement, not per row
        INSERT INTO vcon_redis.outbox AS o (vcon_uuid, created, lists)
        SELECT n.uuid, true, lists FROM new_rows n
        ON CONFLICT (xid, vcon_uuid) DO UPDATE SET created = true, lists = coalesce(excluded.lists, o.lists);
    ELSIF TG_OP = 'UPDATE' THEN
        -- old_rows too: an UPDATE that changes a uuid removes the old document
        INSERT INTO vcon_redis.outbox (vcon_uuid)
        SELECT uuid FROM new_rows UNION SELECT uuid FROM old_rows
        ON CONFLICT (xid, vcon_uuid) DO NOTHING;
    ELSE
        INSERT INTO vcon_redis.outbox (vcon_uuid)
        SELECT uuid FROM old_rows
        ON CONFLICT (xid, vcon_uuid) DO NOTHING;
    END IF;
    PERFORM vcon_redis._wake();
    RETURN NULL;
END
$$;

-- Child tables keyed by vcon_id (parties, dialog, analysis, attachments, groups).
CREATE FUNCTION vcon_redis._capture_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO vcon_redis.outbox (vcon_uuid)
        SELECT DISTINCT vcon_id FROM new_rows
        ON CONFLICT (xid, vcon_uuid) DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO vcon_redis.outbox (vcon_uuid)
        SELECT vcon_id FROM new_rows UNION SELECT vcon_id FROM old_rows
        ON CONFLICT (xid, vcon_uuid) DO NOTHING;
    ELSE
        INSERT INTO vcon_redis.outbox (vcon_uuid)
        SELECT DISTINCT vcon_id FROM old_rows
        ON CONFLICT (xid, vcon_uuid) DO NOTHING;
    END IF;
    PERFORM vcon_redis._wake();
    RETURN NULL;
END
$$;

-- Grandchild tables keyed by dialog_id (party_history in vcon-mcp's layout): the vCon is found
-- through the dialog table of the same schema. When the dialog itself is being deleted, its own
-- trigger has recorded the vCon already.
CREATE FUNCTION vcon_redis._capture_via_dialog() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    rows_sql text;
BEGIN
    rows_sql := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT dialog_id FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT dialog_id FROM old_rows'
        ELSE 'SELECT dialog_id FROM new_rows UNION SELECT dialog_id FROM old_rows' END;
    EXECUTE format(
        'INSERT INTO vcon_redis.outbox (vcon_uuid)
         SELECT DISTINCT d.vcon_id FROM %I.dialog d WHERE d.id IN (%s)
         ON CONFLICT (xid, vcon_uuid) DO NOTHING', TG_TABLE_SCHEMA, rows_sql);
    PERFORM vcon_redis._wake();
    RETURN NULL;
END
$$;

-- TRUNCATE fires no row triggers and has no transition table: before the table is emptied,
-- record every vCon it holds rows for. TG_ARGV[0] is the SELECT list naming them.
CREATE FUNCTION vcon_redis._capture_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[0] = 'dialog_id' THEN
        EXECUTE format(
            'INSERT INTO vcon_redis.outbox (vcon_uuid)
             SELECT DISTINCT d.vcon_id FROM %1$I.dialog d JOIN %1$I.%2$I h ON h.dialog_id = d.id
             ON CONFLICT (xid, vcon_uuid) DO NOTHING', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    ELSE
        EXECUTE format(
            'INSERT INTO vcon_redis.outbox (vcon_uuid)
             SELECT DISTINCT %3$I FROM %1$I.%2$I
             ON CONFLICT (xid, vcon_uuid) DO NOTHING', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0]);
    END IF;
    PERFORM vcon_redis._wake();
    RETURN NULL;
END
$$;

-- The vCon tables in capture order, with the column that names their vCon.
CREATE FUNCTION vcon_redis._captured_tables(s name)
RETURNS TABLE (table_name name, key_column name)
LANGUAGE sql STABLE AS $$
    SELECT c.relname, CASE
        WHEN c.relname = 'vcons' THEN 'uuid'
        WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'vcon_id'
                     AND NOT a.attisdropped) THEN 'vcon_id'
        ELSE 'dialog_id' END::name
    FROM unnest(ARRAY['vcons', 'parties', 'dialog', 'analysis', 'attachments', 'party_history', 'groups'])
         WITH ORDINALITY AS t(name, ord)
    JOIN pg_class c ON c.relname = t.name AND c.relkind IN ('r', 'p')
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s
    ORDER BY t.ord
$$;

CREATE FUNCTION vcon_redis._remove_capture(s name) RETURNS void
LANGUAGE plpgsql AS $$
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

CREATE FUNCTION vcon_redis._install_capture(s name) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    fn text;
BEGIN
    PERFORM vcon_redis._remove_capture(s);
    FOR t IN SELECT * FROM vcon_redis._captured_tables(s) LOOP
        fn := CASE t.key_column WHEN 'uuid' THEN 'vcon_redis._capture_vcons'
                                WHEN 'vcon_id' THEN 'vcon_redis._capture_child'
                                ELSE 'vcon_redis._capture_via_dialog' END;
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_ins AFTER INSERT ON %I.%I
                        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                       s, t.table_name, fn);
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_upd AFTER UPDATE ON %I.%I
                        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION %s()', s, t.table_name, fn);
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_del AFTER DELETE ON %I.%I
                        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                       s, t.table_name, fn);
        EXECUTE format('CREATE TRIGGER vcon_redis_capture_truncate BEFORE TRUNCATE ON %I.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION vcon_redis._capture_truncate(%L)',
                       s, t.table_name, t.key_column);
    END LOOP;
END
$$;
