-- The vCon tables: vcon-mcp's layout, plus the few columns that make the stored document faithful.
--
-- _create_tables(schema) creates vcons, parties, dialog, analysis, attachments, party_history and
-- groups with vcon-mcp's column names, types and constraints (its supabase/migrations, net state)
-- when they are missing (_create_missing_tables). On a database that already holds vcon-mcp's
-- tables it moves no data: it only adds nullable columns (_add_missing_columns, catalog-only) and
-- the lookup indexes the data functions need (_create_lookup_indexes), installs the triggers below
-- (_install_others_update_triggers), and relaxes none of vcon-mcp's constraints.
--
-- Our columns (vcon-mcp ignores them):
--   <every table>.extra jsonb   document members kept verbatim: unknown/extension members and members
--                                no vcon-mcp column can hold (party type/org/dept, dialog recordings,
--                                recording_set, nested or scalar dialog parties, analysis attachment,
--                                content_hash arrays, party_history button …). On output a key in
--                                extra wins over the column of the same member. NULL = the row was
--                                written by another client (vcon-mcp style), '{}' = by save_vcon.
--   dialog.duration numeric      exact duration (vcon-mcp's duration_seconds is REAL, ~6 digits)
--   dialog/analysis/attachments.body_json boolean
--                                true when `body` holds the JSON text of a non-string body, so an
--                                object body comes back as an object and a string stays a string
--   vcons.doc_updated_at         the document's updated_at; vcon-mcp's NOT NULL updated_at column
--                                cannot say "absent"
--   party_history.history_index  array position (vcon-mcp has no order column)
--
-- Our columns describe the row as save_vcon wrote it. Another client's UPDATE of a column the
-- document reads makes them stale (a body rewritten as plain text while body_json says JSON; a new
-- attachment type hidden behind extra), so _create_tables also installs BEFORE UPDATE row triggers
-- (vcon_redis_others_update) that keep them honest, cheaply (a WHEN clause, no call otherwise):
--   * child rows (parties, dialog, analysis, attachments, party_history): save_vcon never updates
--     them (it replaces children by delete + insert), so an UPDATE that changes a document column
--     (not the *_index renumbering, not tenant_id or tsvector upkeep) and leaves `extra` as it was
--     is another client's: extra, body_json and duration are cleared and the row reads from then on
--     as that client's row (members that only extra held, e.g. a party's type, go with it);
--   * vcons rows, which save_vcon does update: what save_vcon writes satisfies updated_at =
--     coalesce(doc_updated_at, now()) and vcon_version = extra.vcon (first 10 characters, or
--     '0.4.0'). A row that breaks either was changed by someone else: doc_updated_at takes the new
--     updated_at, extra.vcon the new vcon_version; unknown top-level members stay. (A foreign
--     `SET updated_at = now()` on a document without updated_at cannot be told apart from a save;
--     the document then keeps having no updated_at.)
--
-- Full-text search columns and indexes are not created here: sql/80_search.sql owns them.

CREATE OR REPLACE FUNCTION vcon_redis._create_tables(schema name)
RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM vcon_redis._create_missing_tables(schema);
    PERFORM vcon_redis._add_missing_columns(schema);
    PERFORM vcon_redis._create_lookup_indexes(schema);
    PERFORM vcon_redis._install_others_update_triggers(schema);
END
$fn$;

-- vcon-mcp's tables, each created only when missing (IF NOT EXISTS would NOTICE), in
-- _vcon_mcp_tables()' order (the references).
CREATE OR REPLACE FUNCTION vcon_redis._create_missing_tables(schema name)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    s constant text := quote_ident(schema);
    enc_check constant text :=
        'CHECK (encoding IS NULL OR encoding IN (''base64url'', ''json'', ''none''))';
    t record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = schema) THEN
        EXECUTE format('CREATE SCHEMA %s', s);
    END IF;
    FOR t IN SELECT * FROM vcon_redis._vcon_mcp_tables() LOOP
        CONTINUE WHEN to_regclass(format('%s.%I', s, t.name)) IS NOT NULL;
        EXECUTE format(t.ddl, s, enc_check);
    END LOOP;
END
$fn$;

-- vcon-mcp's layout (its supabase/migrations, net state): one CREATE TABLE per table, in the order
-- their references need, each a format() template: %1$s the schema, %2$s the encoding CHECK.
-- dialog.type deliberately has no CHECK here: vcon-mcp's 4-value CHECK lacks the draft's
-- recording-set, and real data carries other types (e.g. "video"), which validate_vcon reports as
-- warnings. An existing vcon-mcp CHECK is left as it is.
CREATE OR REPLACE FUNCTION vcon_redis._vcon_mcp_tables()
RETURNS TABLE (name text, ddl text)
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT * FROM (VALUES
        ('vcons', $t$
        CREATE TABLE %1$s.vcons (
            id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            uuid              uuid UNIQUE NOT NULL,
            vcon_version      varchar(10) NOT NULL DEFAULT '0.3.0',
            subject           text,
            created_at        timestamptz NOT NULL DEFAULT now(),
            updated_at        timestamptz NOT NULL DEFAULT now(),
            basename          text,
            filename          text,
            processed_by      text,
            done              boolean DEFAULT false,
            corrupt           boolean DEFAULT false,
            privacy_processed jsonb DEFAULT '{}',
            redaction_rules   jsonb DEFAULT '{}',
            redacted          jsonb DEFAULT '{}',
            appended          jsonb DEFAULT '{}',
            amended           jsonb DEFAULT '{}',
            group_data        jsonb DEFAULT '[]',
            extensions        text[],
            must_support      text[],
            critical          text[],
            tenant_id         text
        )$t$),
        ('parties', $t$
        CREATE TABLE %1$s.parties (
            id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            vcon_id         uuid NOT NULL REFERENCES %1$s.vcons (uuid) ON DELETE CASCADE,
            party_index     integer NOT NULL,
            tel text, sip text, stir text, mailto text, name text, did text, validation text,
            gmlpos text, timezone text,
            jcard           jsonb,
            civicaddress    jsonb,
            uuid            text,
            data_subject_id text,
            metadata        jsonb DEFAULT '{}',
            tenant_id       text,
            UNIQUE (vcon_id, party_index)
        )$t$),
        ('dialog', $t$
        CREATE TABLE %1$s.dialog (
            id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            vcon_id           uuid NOT NULL REFERENCES %1$s.vcons (uuid) ON DELETE CASCADE,
            dialog_index      integer NOT NULL,
            type              text NOT NULL,
            start_time        timestamptz,
            duration_seconds  real,
            parties           integer[],
            originator        integer,
            mediatype         text,
            filename          text,
            body              text,
            encoding          text %2$s,
            url               text,
            content_hash      text,
            disposition       text,
            session_id        jsonb,
            session_id_legacy text,
            application       text,
            message_id        text,
            size_bytes        bigint,
            metadata          jsonb,
            transferee        integer,
            transferor        integer,
            transfer_target   integer[],
            original          integer[],
            consultation      integer[],
            target_dialog     integer[],
            tenant_id         text,
            UNIQUE (vcon_id, dialog_index)
        )$t$),
        ('party_history', $t$
        CREATE TABLE %1$s.party_history (
            id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            -- nullable: vcon-mcp's writers give only dialog_id (the capture finds the vCon through it)
            vcon_id     uuid REFERENCES %1$s.vcons (uuid) ON DELETE CASCADE,
            dialog_id   uuid REFERENCES %1$s.dialog (id) ON DELETE CASCADE,
            party_index integer NOT NULL,
            time        timestamptz NOT NULL,
            event       text NOT NULL CHECK (event IN ('join', 'drop', 'hold', 'unhold', 'mute',
                            'unmute', 'dtmfdown', 'dtmfup', 'keydown', 'keyup')),
            dtmf        text,
            tenant_id   text
        )$t$),
        ('analysis', $t$
        CREATE TABLE %1$s.analysis (
            id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            vcon_id        uuid NOT NULL REFERENCES %1$s.vcons (uuid) ON DELETE CASCADE,
            analysis_index integer NOT NULL,
            type           text NOT NULL,
            dialog_indices integer[],
            mediatype      text,
            filename       text,
            vendor         text NOT NULL,
            product        text,
            schema         text,
            body           text,
            encoding       text %2$s,
            url            text,
            content_hash   text,
            created_at     timestamptz DEFAULT now(),
            confidence     real,
            metadata       jsonb,
            tenant_id      text,
            UNIQUE (vcon_id, analysis_index)
        )$t$),
        ('attachments', $t$
        CREATE TABLE %1$s.attachments (
            id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            vcon_id          uuid NOT NULL REFERENCES %1$s.vcons (uuid) ON DELETE CASCADE,
            attachment_index integer NOT NULL,
            type             text,
            purpose          text,
            start_time       timestamptz,
            party            integer,
            dialog           integer,
            mimetype         text,
            filename         text,
            body             text,
            encoding         text %2$s,
            url              text,
            content_hash     text,
            size_bytes       bigint,
            metadata         jsonb,
            created_at       timestamptz NOT NULL DEFAULT now(),
            updated_at       timestamptz NOT NULL DEFAULT now(),
            tenant_id        text,
            UNIQUE (vcon_id, attachment_index)
        )$t$),
        ('groups', $t$
        CREATE TABLE %1$s.groups (
            id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            vcon_id      uuid NOT NULL REFERENCES %1$s.vcons (uuid) ON DELETE CASCADE,
            group_index  integer,
            uuid         uuid,
            body         text,
            encoding     text CHECK (encoding = 'json'),
            url          text,
            content_hash text,
            tenant_id    text,
            UNIQUE (vcon_id, group_index)
        )$t$)
    ) AS v(name, ddl)
$fn$;

CREATE OR REPLACE FUNCTION vcon_redis._add_missing_columns(schema name)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    s constant text := quote_ident(schema);
    c record;
BEGIN
    -- Every column the data functions read or write, so an older vcon-mcp schema (before its
    -- 20251120150000 migration, say) works too. Nullable, no volatile default: catalog-only.
    FOR c IN SELECT * FROM (VALUES
        ('vcons', 'vcon_version', 'varchar(10)'), ('vcons', 'subject', 'text'),
        ('vcons', 'redacted', 'jsonb'), ('vcons', 'appended', 'jsonb'), ('vcons', 'amended', 'jsonb'),
        ('vcons', 'group_data', 'jsonb'), ('vcons', 'extensions', 'text[]'),
        ('vcons', 'must_support', 'text[]'), ('vcons', 'critical', 'text[]'),
        ('vcons', 'extra', 'jsonb'), ('vcons', 'doc_updated_at', 'timestamptz'),
        ('parties', 'sip', 'text'), ('parties', 'did', 'text'), ('parties', 'timezone', 'text'),
        ('parties', 'jcard', 'jsonb'), ('parties', 'civicaddress', 'jsonb'),
        ('parties', 'uuid', 'text'), ('parties', 'extra', 'jsonb'),
        ('dialog', 'session_id', 'jsonb'), ('dialog', 'session_id_legacy', 'text'),
        ('dialog', 'application', 'text'), ('dialog', 'message_id', 'text'),
        ('dialog', 'transferee', 'integer'), ('dialog', 'transferor', 'integer'),
        ('dialog', 'transfer_target', 'integer[]'), ('dialog', 'original', 'integer[]'),
        ('dialog', 'consultation', 'integer[]'), ('dialog', 'target_dialog', 'integer[]'),
        ('dialog', 'duration', 'numeric'), ('dialog', 'body_json', 'boolean'),
        ('dialog', 'extra', 'jsonb'),
        ('party_history', 'vcon_id', 'uuid'), ('party_history', 'dtmf', 'text'),
        ('party_history', 'history_index', 'integer'), ('party_history', 'extra', 'jsonb'),
        ('analysis', 'schema', 'text'), ('analysis', 'body_json', 'boolean'),
        ('analysis', 'extra', 'jsonb'),
        ('attachments', 'purpose', 'text'), ('attachments', 'body_json', 'boolean'),
        ('attachments', 'extra', 'jsonb')
    ) AS v(tbl, col, typ) LOOP
        CONTINUE WHEN EXISTS (SELECT FROM pg_attribute a
                              WHERE a.attrelid = format('%s.%I', s, c.tbl)::regclass
                                AND a.attname = c.col AND NOT a.attisdropped);
        EXECUTE format('ALTER TABLE %s.%I ADD COLUMN %I %s', s, c.tbl, c.col, c.typ);
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION vcon_redis._create_lookup_indexes(schema name)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    s constant text := quote_ident(schema);
    ix record;
BEGIN
    -- Lookup indexes of the write and read paths: by vcon_id on every child (the UNIQUE
    -- (vcon_id, *_index) constraints already serve), party_history by vcon_id and dialog_id.
    -- Skipped when any index of the table already starts with that column, whatever its name.
    FOR ix IN SELECT * FROM (VALUES
        ('vcons', 'uuid'), ('parties', 'vcon_id'), ('dialog', 'vcon_id'), ('analysis', 'vcon_id'),
        ('attachments', 'vcon_id'), ('groups', 'vcon_id'),
        ('party_history', 'vcon_id'), ('party_history', 'dialog_id')
    ) AS v(tbl, col) LOOP
        CONTINUE WHEN EXISTS (
            SELECT FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = format('%s.%I', s, ix.tbl)::regclass AND a.attname = ix.col);
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s.%I (%I)',
                       ix.tbl || '_' || ix.col || '_idx', s, ix.tbl, ix.col);
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION vcon_redis._install_others_update_triggers(schema name)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    s constant text := quote_ident(schema);
    g record;
BEGIN
    -- Another client's UPDATE of a row save_vcon wrote (file header). Child tables: the columns the
    -- document reads, our own and the *_index ones excepted. Created only where missing, like the
    -- columns and indexes, so attaching again needs no DDL privilege.
    FOR g IN SELECT v.tbl, v.fn, coalesce(v.cond, format('OLD.extra IS NOT NULL AND NEW.extra IS NOT DISTINCT FROM OLD.extra '
                                                          'AND (%s) IS DISTINCT FROM (%s)',
                                                          regexp_replace(v.cols, '(\w+)', 'OLD.\1', 'g'),
                                                          regexp_replace(v.cols, '(\w+)', 'NEW.\1', 'g'))) AS cond
             FROM (VALUES
        ('parties', '_child_changed_by_others', NULL,
         'tel, sip, stir, mailto, name, did, validation, gmlpos, timezone, jcard, civicaddress, uuid'),
        ('dialog', '_child_changed_by_others', NULL,
         'type, start_time, duration_seconds, parties, originator, mediatype, filename, body, encoding, url, '
         'content_hash, disposition, session_id, session_id_legacy, application, message_id, transferee, '
         'transferor, transfer_target, original, consultation, target_dialog'),
        ('analysis', '_child_changed_by_others', NULL,
         'type, dialog_indices, mediatype, filename, vendor, product, schema, body, encoding, url, content_hash'),
        ('attachments', '_child_changed_by_others', NULL,
         'type, purpose, start_time, party, dialog, mimetype, filename, body, encoding, url, content_hash'),
        ('party_history', '_child_changed_by_others', NULL, 'party_index, time, event, dtmf'),
        ('vcons', '_vcons_changed_by_others',
         'NEW.extra IS NOT NULL AND (NEW.updated_at IS DISTINCT FROM coalesce(NEW.doc_updated_at, now()) '
         'OR NEW.vcon_version IS DISTINCT FROM coalesce(nullif(left(NEW.extra ->> ''vcon'', 10), ''''), ''0.4.0''))',
         NULL)
    ) AS v(tbl, fn, cond, cols) LOOP
        CONTINUE WHEN EXISTS (SELECT FROM pg_trigger
                              WHERE tgrelid = format('%s.%I', s, g.tbl)::regclass
                                AND tgname = 'vcon_redis_others_update');
        EXECUTE format('CREATE TRIGGER vcon_redis_others_update BEFORE UPDATE ON %s.%I FOR EACH ROW '
                       'WHEN (%s) EXECUTE FUNCTION vcon_redis.%I()', s, g.tbl, g.cond, g.fn);
    END LOOP;
END
$fn$;

-- A child row save_vcon wrote, changed by another client: from now on it is that client's row.
CREATE OR REPLACE FUNCTION vcon_redis._child_changed_by_others() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp  -- it runs as any writer: nothing it names may be captured
AS $$
BEGIN
    -- sets only the columns the table has (extra everywhere, body_json and duration on some)
    RETURN jsonb_populate_record(NEW, '{"extra": null, "body_json": null, "duration": null}');
END
$$;

-- A vcons row save_vcon wrote, whose updated_at or vcon_version another client changed. (Trigger
-- functions and their WHEN clauses name nothing in schema vcon_redis: they run as the writer.)
CREATE OR REPLACE FUNCTION vcon_redis._vcons_changed_by_others() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.updated_at IS DISTINCT FROM coalesce(NEW.doc_updated_at, now()) THEN
        NEW.doc_updated_at := NEW.updated_at;
    END IF;
    -- vcon_version as save_vcon writes it: extra.vcon's first 10 characters, or 0.4.0
    IF NEW.vcon_version IS DISTINCT FROM coalesce(nullif(left(NEW.extra ->> 'vcon', 10), ''), '0.4.0')
       AND jsonb_typeof(NEW.extra) = 'object' THEN
        NEW.extra := NEW.extra || jsonb_build_object('vcon', NEW.vcon_version);
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION vcon_redis._create_tables(name) IS
    'creates vcon-mcp''s vCon tables in the schema when missing; on existing ones only adds vcon_redis''s nullable columns and lookup indexes';

