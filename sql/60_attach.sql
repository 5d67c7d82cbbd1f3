-- attach / detach: bind the extension to the schema holding the vCon tables.
--
-- attach runs with the caller's rights for everything a table owner does anyway: it creates
-- vcon-mcp's tables when they are missing (owned by the caller), or only adds our nullable columns
-- and search indexes to an existing vcon-mcp database (no data moves; content search's stored
-- tsvector columns, sql/80_search.sql, are filled where vcon-mcp left them NULL, or added as
-- generated columns to tables that lack them). Then _bind, as the
-- extension's owner, installs the capture triggers, records the schema, and points the data
-- functions at it through views: vcon_redis.<table> is a security_invoker view of <schema>.<table>,
-- so the data functions name tables unqualified, with a search_path of pg_catalog and vcon_redis
-- only, whose objects nobody but the extension's owner can create (nothing created in the attached
-- schema can capture a name they use), while every read and write through a view is still checked
-- against the caller's own privileges and row-level security policies.
--
-- Who may attach: the owner of the tables (or a member of the owning role), no superuser needed.
-- _bind checks it itself, against session_user (inside a SECURITY DEFINER function current_user is
-- the definer): the session's user must be able to SET ROLE to the owner of every vCon table.

-- Raises unless nothing or `schema` itself is attached (one attached schema per database).
CREATE OR REPLACE FUNCTION vcon_redis._check_not_attached_elsewhere(schema name) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    attached name := (SELECT c.schema_name FROM vcon_redis.config c);
BEGIN
    IF attached IS NOT NULL AND attached <> schema THEN
        RAISE EXCEPTION 'vcon_redis is attached to schema "%"', attached
            USING HINT = format('Run SELECT vcon_redis.detach(%L) first.', attached);
    END IF;
END
$$;

-- Raises unless the session's user may act as the owner of every vCon table of `schema`.
CREATE OR REPLACE FUNCTION vcon_redis._check_owner(schema name, action text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    may_act boolean;
BEGIN
    FOR t IN SELECT * FROM vcon_redis._captured_tables(schema) LOOP
        -- PostgreSQL 16 separates "may SET ROLE to it" from membership; 15 knows only MEMBER
        may_act := CASE WHEN current_setting('server_version_num')::int >= 160000
                        THEN pg_has_role(session_user, t.owner, 'SET')
                        ELSE pg_has_role(session_user, t.owner, 'MEMBER') END;
        IF NOT may_act THEN
            RAISE EXCEPTION 'permission denied to % schema "%"', action, schema
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = format('Table "%s".%s is owned by %s; %s is not a member of that role.',
                                      schema, t.table_name, t.owner::regrole, session_user);
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._bind(schema name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    PERFORM vcon_redis._check_not_attached_elsewhere(schema);
    IF NOT EXISTS (SELECT FROM vcon_redis._captured_tables(schema) WHERE table_name = 'vcons') THEN
        RAISE EXCEPTION 'table "%".vcons does not exist', schema
            USING HINT = 'Call vcon_redis.attach(schema, create_tables => true) to create the vCon tables.';
    END IF;
    PERFORM vcon_redis._check_owner(schema, 'attach');
    FOR t IN SELECT * FROM vcon_redis._captured_tables(schema) LOOP
        IF t.kind NOT IN ('r', 'p') THEN
            RAISE EXCEPTION '"%".% is not a table', schema, t.table_name;
        END IF;
        IF to_regclass(format('vcon_redis.%I', t.table_name)) IS NOT NULL THEN
            EXECUTE format('DROP VIEW vcon_redis.%I', t.table_name);
        END IF;
        EXECUTE format('CREATE VIEW vcon_redis.%1$I WITH (security_invoker = true) AS SELECT * FROM %2$I.%1$I;
                        GRANT SELECT, INSERT, UPDATE, DELETE ON vcon_redis.%1$I TO PUBLIC',
                       t.table_name, schema);
    END LOOP;
    PERFORM vcon_redis._install_capture(schema);
    INSERT INTO vcon_redis.config (schema_name) VALUES (schema)
    ON CONFLICT (singleton) DO UPDATE SET schema_name = excluded.schema_name;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis.attach(schema name DEFAULT 'public', create_tables boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM vcon_redis._check_not_attached_elsewhere(schema);  -- before creating anything
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = schema) THEN
        IF NOT create_tables THEN
            RAISE EXCEPTION 'schema "%" does not exist', schema;
        END IF;
        EXECUTE format('CREATE SCHEMA %I', schema);
    END IF;
    IF create_tables THEN
        PERFORM vcon_redis._create_tables(schema);
    END IF;
    IF to_regclass(format('%I.vcons', schema)) IS NOT NULL THEN
        PERFORM vcon_redis._create_search_indexes(schema);
    END IF;
    PERFORM vcon_redis._bind(schema);
END
$$;

-- Removes the capture triggers only; tables, data, pending outbox events and the views stay, so
-- the worker still drains what was captured before.
CREATE OR REPLACE FUNCTION vcon_redis._unbind(schema name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM vcon_redis._check_owner(schema, 'detach');
    PERFORM vcon_redis._remove_capture(schema);
    DELETE FROM vcon_redis.config WHERE schema_name = schema;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis.detach(schema name DEFAULT 'public')
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT vcon_redis._unbind(schema) $$;
