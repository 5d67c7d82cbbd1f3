-- Upgrade 0.1.0 → 0.2.0, frozen at the release of 0.2.0 (built by Makefile.pgxs from that
-- release's sql/upgrade/0.1.0--0.2.0.{pre,post}.sql and sql/*.sql); never edited since.
\echo Use "ALTER EXTENSION vcon_redis UPDATE" to load this file. \quit
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

-- sql/05_native.sql
-- Functions implemented in C++ by vcon_redis.so (extension/src/).

-- Called by the capture triggers once per statement: marks this transaction so that its commit
-- wakes the worker. Cheap and cannot fail; outside a preloaded library it does nothing.
-- PARALLEL RESTRICTED: the flag must be set in the leader, whose commit is the one that counts.
CREATE OR REPLACE FUNCTION vcon_redis._wake() RETURNS void
    AS 'MODULE_PATHNAME', 'vcon_redis_wake'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- The worker's published state (shared memory), read by vcon_redis.status().
-- state: not_preloaded | not_running | starting | connecting | draining | idle | redis_down
--        (Redis unreachable, timing out or answering errors) | error (an SQL error in the worker's
--        batch) | no_extension (the worker's database lacks the extension) | stopping
CREATE OR REPLACE FUNCTION vcon_redis._worker_state(
    OUT preloaded boolean,
    OUT worker_pid integer,
    OUT state text,
    OUT events_applied bigint,
    OUT pushes bigint,
    OUT batches bigint,
    OUT reconnects bigint,
    OUT last_error text,
    OUT last_error_at timestamptz,
    OUT last_success_at timestamptz,
    OUT last_lag_ms double precision,
    OUT redis_url text)
    AS 'MODULE_PATHNAME', 'vcon_redis_worker_state'
    LANGUAGE C VOLATILE;

-- sql/10_tables.sql
-- The vCon tables: vcon-mcp's layout, plus the few columns that make the stored document faithful.
--
-- _create_tables(schema) creates vcons, parties, dialog, analysis, attachments, party_history and
-- groups with vcon-mcp's column names, types and constraints (reference §1.1) when they are missing.
-- On a database that already holds vcon-mcp's tables it moves no data: it only adds nullable columns
-- (ADD COLUMN IF NOT EXISTS, catalog-only) and the lookup indexes the data functions need, and it
-- relaxes none of vcon-mcp's constraints.
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
DECLARE
    s constant text := quote_ident(schema);
    enc_check constant text :=
        'CHECK (encoding IS NULL OR encoding IN (''base64url'', ''json'', ''none''))';
    t text;
    c record;
    ix record;
    g record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = schema) THEN
        EXECUTE format('CREATE SCHEMA %s', s);
    END IF;

    -- vcon-mcp's layout. dialog.type deliberately has no CHECK here: vcon-mcp's 4-value CHECK lacks
    -- the draft's recording-set, and real data carries other types (e.g. "video"), which
    -- validate_vcon reports as warnings. An existing vcon-mcp CHECK is left as it is.
    -- One statement per table, each only when the table is missing (IF NOT EXISTS would NOTICE).
    IF to_regclass(format('%s.%I', s, 'vcons')) IS NULL THEN
        EXECUTE format($t$
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
        )$t$, s, enc_check);
    END IF;
    IF to_regclass(format('%s.%I', s, 'parties')) IS NULL THEN
        EXECUTE format($t$
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
        )$t$, s, enc_check);
    END IF;
    IF to_regclass(format('%s.%I', s, 'dialog')) IS NULL THEN
        EXECUTE format($t$
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
        )$t$, s, enc_check);
    END IF;
    IF to_regclass(format('%s.%I', s, 'party_history')) IS NULL THEN
        EXECUTE format($t$
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
        )$t$, s, enc_check);
    END IF;
    IF to_regclass(format('%s.%I', s, 'analysis')) IS NULL THEN
        EXECUTE format($t$
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
        )$t$, s, enc_check);
    END IF;
    IF to_regclass(format('%s.%I', s, 'attachments')) IS NULL THEN
        EXECUTE format($t$
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
        )$t$, s, enc_check);
    END IF;
    IF to_regclass(format('%s.%I', s, 'groups')) IS NULL THEN
        EXECUTE format($t$
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
        )$t$, s, enc_check);
    END IF;

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


-- sql/20_normalize.sql
-- Normalisation: the document as save_vcon stores it, before dates are normalised in the columns.
--
-- Legacy member names become the current ones when the current name is absent (mimetype,
-- appended, must_support, transfer-target, target-dialog, attachment type, analysis
-- schema_version); members whose value is null, {} or [] are dropped (a body only when null).
-- Nothing else changes: unknown members, bodies and nested values stay verbatim. Validation
-- (sql/25_validate.sql) reports problems of the normalised document under the current names.

-- One object level: drop members whose value is null, {} or []; `body` is content, so only a null
-- body is dropped. Nested values are never touched (bodies and extension members stay verbatim).
CREATE OR REPLACE FUNCTION vcon_redis._strip(o jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(o) IS DISTINCT FROM 'object'
             OR NOT jsonb_path_exists(o, 'strict $.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*))')
        THEN o
        ELSE coalesce((SELECT jsonb_object_agg(key, value) FROM jsonb_each(o)
                       WHERE value <> 'null'
                         AND (key = 'body' OR value NOT IN ('{}'::jsonb, '[]'::jsonb))), '{}')
    END
$$;

-- A legacy name becomes the current one only when the current one is absent; otherwise the legacy
-- member stays as an unknown member, verbatim.
CREATE OR REPLACE FUNCTION vcon_redis._rename(o jsonb, legacy text, current text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN o ? legacy AND NOT o ? current
                THEN (o - legacy) || jsonb_build_object(current, o -> legacy)
                ELSE o END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._normalize_element(e jsonb, kind text) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    IF jsonb_typeof(e) IS DISTINCT FROM 'object' THEN
        RETURN e;
    END IF;
    e := vcon_redis._strip(e);
    IF kind = 'parties' THEN
        RETURN e;
    END IF;
    e := vcon_redis._rename(e, 'mimetype', 'mediatype');
    IF kind = 'dialog' THEN
        e := vcon_redis._rename(vcon_redis._rename(e, 'transfer-target', 'transfer_target'),
                                'target-dialog', 'target_dialog');
        IF jsonb_typeof(e -> 'party_history') = 'array' THEN
            e := jsonb_set(e, '{party_history}',
                           (SELECT jsonb_agg(vcon_redis._strip(h) ORDER BY i)
                            FROM jsonb_array_elements(e -> 'party_history') WITH ORDINALITY AS x(h, i)));
        END IF;
    ELSIF kind = 'analysis' THEN
        e := vcon_redis._rename(e, 'schema_version', 'schema');
    ELSIF kind = 'attachments' THEN
        e := vcon_redis._rename(e, 'type', 'purpose');
    END IF;
    RETURN e;
END
$$;

-- Does the document need _normalize at all? One jsonpath pass: any null/empty member where
-- _normalize looks, or any legacy name. Most documents are already normal and skip the rebuild.
CREATE OR REPLACE FUNCTION vcon_redis._needs_normalize(doc jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_path_exists(doc, 'strict $ ? (exists(@.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.parties[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.dialog[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.analysis[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.attachments[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.dialog[*].party_history[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.redacted.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.amended.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.appended)
                 || exists(@.must_support)
                 || exists(@.dialog[*].mimetype)
                 || exists(@.analysis[*].mimetype)
                 || exists(@.attachments[*].mimetype)
                 || exists(@.dialog[*]."transfer-target")
                 || exists(@.dialog[*]."target-dialog")
                 || exists(@.analysis[*].schema_version)
                 || exists(@.attachments[*].type))', '{}', true)
$$;

-- The document as save_vcon stores it (before dates are normalised, which happens in the columns).
CREATE OR REPLACE FUNCTION vcon_redis._normalize(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    k text;
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' OR NOT vcon_redis._needs_normalize(doc) THEN
        RETURN doc;
    END IF;
    doc := vcon_redis._strip(doc);
    doc := vcon_redis._rename(vcon_redis._rename(doc, 'appended', 'amended'), 'must_support', 'critical');
    FOREACH k IN ARRAY ARRAY['redacted', 'amended'] LOOP
        IF jsonb_typeof(doc -> k) = 'object' THEN
            doc := jsonb_set(doc, ARRAY[k], vcon_redis._strip(doc -> k));
            IF doc -> k = '{}' THEN
                doc := doc - k;
            END IF;
        END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['parties', 'dialog', 'analysis', 'attachments'] LOOP
        IF jsonb_typeof(doc -> k) = 'array' THEN
            doc := jsonb_set(doc, ARRAY[k],
                             (SELECT jsonb_agg(vcon_redis._normalize_element(e, k) ORDER BY i)
                              FROM jsonb_array_elements(doc -> k) WITH ORDINALITY AS x(e, i)));
        END IF;
    END LOOP;
    RETURN doc;
END
$$;

-- sql/21_dates.sql
-- Dates: which strings are RFC 3339 date-times, and the instant each one names.
--
-- A document's dates are stored as timestamptz and given back in one form, UTC
-- (YYYY-MM-DDTHH:MM:SS[.ffffff]Z). A date without an offset (legacy conserver data) is taken as UTC.

-- NULL when s is an RFC 3339 date-time with an offset; 'no offset' when it is one without an
-- offset (legacy conserver data); otherwise the error message. Checked without casting, so a bad
-- date never raises (PostgreSQL 15 has no soft cast), and whatever passes casts safely.
CREATE OR REPLACE FUNCTION vcon_redis._date_problem(s text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    m text[];
    y int; mo int; d int;
BEGIN
    -- fast path: the common, unambiguous form (day <= 28 needs no calendar)
    IF s ~ '^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-](0[0-9]|1[0-5]):[0-5][0-9])$' THEN
        RETURN NULL;
    END IF;
    m := regexp_match(s, '^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]+)?)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))?$');
    IF m IS NULL OR m[6] IS NULL AND m[8] IS NOT NULL THEN
        RETURN format('not an RFC 3339 date-time: %s', to_jsonb(left(s, 60)));
    END IF;
    y := m[1]::int; mo := m[2]::int; d := m[3]::int;
    IF y < 1 OR mo NOT BETWEEN 1 AND 12 OR d < 1
       OR d > extract(day FROM make_date(y, mo, 1) + interval '1 month - 1 day')
       OR m[4]::int > 23 OR m[5]::int > 59 OR coalesce(m[6]::int, 0) > 60
       OR coalesce(m[9]::int, 0) > 15 OR coalesce(m[10]::int, 0) > 59 THEN
        RETURN format('not a valid date-time: %s', to_jsonb(left(s, 60)));
    END IF;
    IF m[8] IS NULL THEN
        RETURN 'no offset';
    END IF;
    RETURN NULL;
END
$$;

-- The instant of a date that passed _date_problem; a value without offset is taken as UTC.
CREATE OR REPLACE FUNCTION vcon_redis._ts(s text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s ~ '([Zz]|[+-][0-9]{2}:[0-9]{2})$' THEN upper(s)::timestamptz
                ELSE upper(s)::timestamp AT TIME ZONE 'UTC' END
$$;

-- sql/25_validate.sql
-- Validation: every problem of a vCon document against draft-ietf-vcon-vcon-core, as data.
--
-- validate_vcon(doc) returns (severity, path, message) rows and writes nothing; save_vcon refuses a
-- document with any 'error'. Each check has one of three levels:
--   error    structural breakage, or a document that cannot be stored faithfully: not an object,
--            wrong JSON types, missing or malformed uuid, unparseable dates, dangling or negative
--            indices, a url that is not a URL (no RFC 3986 scheme), negative durations, encodings
--            outside base64url/json/none, members the tables require (dialog and analysis type,
--            party_history party/time/event from the enum).
--   must     a MUST of the draft that real producers break while losing nothing: the document is
--            stored exactly and read back identically (created_at missing, dates without offset,
--            non-https url, url without content_hash, a content_hash that is not an
--            <alg>-<base64url> token, analysis without vendor, a dialog type outside the draft's
--            enum such as "video", the per-type dialog rules, …). A warning, or an error when
--            vcon_redis.validation = strict.
--   warning  SHOULDs and deprecated forms.
-- Legacy member names (mimetype, appended, must_support, transfer-target, target-dialog,
-- attachment type, analysis schema_version) are not problems: _normalize renames them first, and
-- paths use the current names. Null and empty ({} / []) members are dropped by _normalize too,
-- except that a null top-level parties/dialog/analysis/attachments/extensions/critical is an error.

-- (The row type vcon_redis.problem is in sql/01_types.sql.)

-- Whether this session validates strictly: vcon_redis.validation = strict (a user setting, so
-- SET LOCAL applies it to one transaction). tolerant, the default, also when the module is not loaded.
CREATE OR REPLACE FUNCTION vcon_redis._strict() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('vcon_redis.validation', true) = 'strict', false)
$$;


-- ---------------------------------------------------------------------------------------------
-- Small checks returning a message or NULL
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION vcon_redis._got(v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) IN ('number', 'boolean', 'null') THEN v::text
                WHEN jsonb_typeof(v) = 'string' AND length(v #>> '{}') <= 40 THEN v::text
                ELSE jsonb_typeof(v) END
$$;

-- An index into an array of n elements named what (party, dialog, attachment).
CREATE OR REPLACE FUNCTION vcon_redis._index_problem(v jsonb, n int, what text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(v) IS DISTINCT FROM 'number' OR v::text !~ '^[0-9]{1,15}$'
            THEN format('must be a %s index, a non-negative integer (got %s)', what, vcon_redis._got(v))
        WHEN v::text::bigint >= n
            THEN format('%s index %s out of range (%s %s)', what, v::text, n,
                        CASE WHEN n = 1 THEN what WHEN what = 'party' THEN 'parties' ELSE what || 's' END)
    END
$$;

-- ---------------------------------------------------------------------------------------------
-- The checks
-- ---------------------------------------------------------------------------------------------

-- The start of a string value for a message, as JSON (at most 24 characters).
CREATE OR REPLACE FUNCTION vcon_redis._quote(s text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_jsonb(CASE WHEN length(s) > 24 THEN left(s, 24) || '…' ELSE s END)::text
$$;

-- One content_hash token at path (ContentHash: `<alg>-<base64url digest>`, alg lower case without
-- hyphens, a sha512 digest is 86 characters). Producers write other forms (`SHA-512:<base64>`,
-- vcon-lib's bare base64 before 0.9.5, vcon-zip's shortened digests): any string is stored as given.
CREATE OR REPLACE FUNCTION vcon_redis._hash_problem(h jsonb, path text) RETURNS vcon_redis.problem
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(h) <> 'string'
            THEN ('error', path, format('must be a string or an array of strings (got %s)', vcon_redis._got(h)))::vcon_redis.problem
        WHEN h #>> '{}' !~ '^[a-z0-9]+-[A-Za-z0-9_-]+$'
            THEN ('must', path, format('not a content hash token <alg>-<base64url digest>: %s', vcon_redis._quote(h #>> '{}')))::vcon_redis.problem
        WHEN h #>> '{}' ~ '^sha512-' AND length(h #>> '{}') <> 93
            THEN ('must', path, format('sha512 digest must be 86 base64url characters (got %s)', length(h #>> '{}') - 7))::vcon_redis.problem
    END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._hash_array_problems(a jsonb, p text)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_agg(vcon_redis._hash_problem(h, format('%s.content_hash[%s]', p, i - 1)) ORDER BY i)
    FROM jsonb_array_elements(a) WITH ORDINALITY AS x(h, i)
$$;

-- A url member at path: not a string or not a URL at all (no RFC 3986 `scheme ":"`, e.g.
-- "not-a-url" or a bare file path) is an error; characters a URL cannot hold and a scheme other than
-- https break a MUST of the draft but are stored as given.
CREATE OR REPLACE FUNCTION vcon_redis._url_problem(v jsonb, path text) RETURNS vcon_redis.problem
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(v) <> 'string'
            THEN ('error', path, format('must be a string (got %s)', vcon_redis._got(v)))::vcon_redis.problem
        WHEN v #>> '{}' !~ '^[A-Za-z][A-Za-z0-9+.-]*:'
            THEN ('error', path, format('not a URL (no scheme, as in https://…): %s', vcon_redis._quote(v #>> '{}')))::vcon_redis.problem
        WHEN v #>> '{}' ~ '[[:space:][:cntrl:]"<>\\^`{|}]'
            THEN ('must', path, 'has characters a URL cannot hold (space, control, ", <, >, {, }, |, \, ^ or `)')::vcon_redis.problem
        WHEN v #>> '{}' !~* '^https://'
            THEN ('must', path, 'not an https URL (the draft requires https)')::vcon_redis.problem
    END
$$;

-- Content members shared by dialog, analysis and attachments (§2.3 of the draft).
CREATE OR REPLACE FUNCTION vcon_redis._content_problems(o jsonb, p text, kind text, redacted boolean)
RETURNS vcon_redis.problem[]
-- One SQL expression (inlined into the caller's plan), not PL/pgSQL statements: this runs for
-- every dialog, analysis and attachment of every save.
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
        CASE WHEN o ? 'encoding' AND jsonb_typeof(o -> 'encoding') <> 'string'
                 THEN ('error', p || '.encoding', format('must be a string (got %s)', vcon_redis._got(o -> 'encoding')))::vcon_redis.problem
             WHEN o ->> 'encoding' NOT IN ('base64url', 'json', 'none')
                 THEN ('error', p || '.encoding', format('unknown encoding %s (must be base64url, json or none)', o -> 'encoding'))::vcon_redis.problem
        END,
        CASE WHEN o ? 'body' AND NOT o ? 'encoding' AND o -> 'body' <> '""'
                 THEN ('must', p || '.body', 'body without encoding (the draft requires encoding for a non-empty body)')::vcon_redis.problem
        END,
        CASE WHEN NOT o ? 'body' OR jsonb_typeof(o -> 'encoding') IS DISTINCT FROM 'string' THEN NULL
             WHEN o ->> 'encoding' = 'base64url' THEN
                 CASE WHEN jsonb_typeof(o -> 'body') <> 'string'
                          THEN ('error', p || '.body', format('must be a string with encoding base64url (got %s)', jsonb_typeof(o -> 'body')))::vcon_redis.problem
                      WHEN o ->> 'body' ~ '^[A-Za-z0-9_-]*$' THEN NULL
                      WHEN o ->> 'body' ~ '^[A-Za-z0-9_-]*={1,2}$'
                          THEN ('must', p || '.body', 'base64url body has = padding')::vcon_redis.problem
                      ELSE ('must', p || '.body', 'not base64url (characters outside A-Z a-z 0-9 - _)')::vcon_redis.problem
                 END
             WHEN o ->> 'encoding' = 'none' AND jsonb_typeof(o -> 'body') <> 'string'
                 THEN ('must', p || '.body', format('encoding none expects a string body (got %s)', jsonb_typeof(o -> 'body')))::vcon_redis.problem
        END,
        CASE WHEN o ? 'body' AND o ? 'url' THEN ('warning', p, 'has both body and url')::vcon_redis.problem END,
        CASE WHEN o ? 'url' THEN vcon_redis._url_problem(o -> 'url', p || '.url') END,
        CASE WHEN o ? 'url' AND NOT o ? 'content_hash'
                 THEN ('must', p || '.content_hash', 'missing (the draft requires content_hash with url)')::vcon_redis.problem
        END]
        || CASE WHEN jsonb_typeof(o -> 'content_hash') = 'array' THEN vcon_redis._hash_array_problems(o -> 'content_hash', p)
                ELSE ARRAY[vcon_redis._hash_problem(o -> 'content_hash', p || '.content_hash')] END
        || ARRAY[
        CASE WHEN o ? 'mediatype' THEN
                 CASE WHEN jsonb_typeof(o -> 'mediatype') <> 'string'
                          THEN ('error', p || '.mediatype', format('must be a string (got %s)', vcon_redis._got(o -> 'mediatype')))::vcon_redis.problem
                      WHEN o ->> 'mediatype' !~ '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+\s*(;.*)?$'
                          THEN ('must', p || '.mediatype', format('not a media type type/subtype: %s', vcon_redis._got(o -> 'mediatype')))::vcon_redis.problem
                 END
             WHEN o ? 'body' AND o -> 'body' <> '""'
                 THEN ('must', p || '.mediatype', 'missing for inline content')::vcon_redis.problem
        END,
        CASE WHEN o ? 'filename' AND jsonb_typeof(o -> 'filename') <> 'string'
                 THEN ('error', p || '.filename', format('must be a string (got %s)', vcon_redis._got(o -> 'filename')))::vcon_redis.problem
        END,
        CASE WHEN kind IN ('recording', 'text') AND NOT o ? 'body' AND NOT o ? 'url' AND NOT redacted
                 THEN ('warning', p, format('%s dialog without body or url', kind))::vcon_redis.problem
        END], NULL)
$$;


-- Members that must be strings when present.
CREATE OR REPLACE FUNCTION vcon_redis._string_problems(o jsonb, p text, keys text[])
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    k text;
    r vcon_redis.problem[];
BEGIN
    FOREACH k IN ARRAY keys LOOP
        IF jsonb_typeof(o -> k) <> 'string' THEN
            r := r || ('error', p || '.' || k, format('must be a string (got %s)', vcon_redis._got(o -> k)))::vcon_redis.problem;
        END IF;
    END LOOP;
    RETURN r;
END
$$;

-- The problem of a date member that failed the fast check of _date_member.
CREATE OR REPLACE FUNCTION vcon_redis._date_slow(s text, path text)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    msg text := vcon_redis._date_problem(s);
BEGIN
    IF msg IS NULL THEN
        RETURN NULL;
    ELSIF msg = 'no offset' THEN
        RETURN ARRAY[('must', path, 'date-time without UTC offset; taken as UTC')::vcon_redis.problem];
    END IF;
    RETURN ARRAY[('error', path, msg)::vcon_redis.problem];
END
$$;

-- A Date member k of o (path p || k); when it is absent, `missing` is the message at level
-- `missing_level` (NULL: optional). SQL, inlined: the common well-formed date costs one regular
-- expression.
CREATE OR REPLACE FUNCTION vcon_redis._date_member(o jsonb, p text, k text, missing text, missing_level text)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN NOT o ? k THEN
            CASE WHEN missing IS NOT NULL THEN ARRAY[(missing_level, p || k, missing)::vcon_redis.problem] END
        WHEN jsonb_typeof(o -> k) <> 'string' THEN
            ARRAY[('error', p || k, format('must be an RFC 3339 date-time string (got %s)', vcon_redis._got(o -> k)))::vcon_redis.problem]
        WHEN o ->> k ~ '^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-](0[0-9]|1[0-5]):[0-5][0-9])$'
            THEN NULL
        ELSE vcon_redis._date_slow(o ->> k, p || k)
    END
$$;

-- UnsignedInt or UnsignedInt[] member indexing an array of n `what`s.
CREATE OR REPLACE FUNCTION vcon_redis._indices_problems(o jsonb, p text, k text, n int, what text, allow_array boolean)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[] := '{}';
    v jsonb := o -> k;
    e jsonb;
    i int := 0;
    msg text;
BEGIN
    IF v IS NULL THEN
        RETURN r;
    END IF;
    IF jsonb_typeof(v) = 'array' AND allow_array THEN
        FOR e IN SELECT x FROM jsonb_array_elements(v) x LOOP
            msg := vcon_redis._index_problem(e, n, what);
            IF msg IS NOT NULL THEN
                r := r || ('error', format('%s.%s[%s]', p, k, i), msg)::vcon_redis.problem;
            END IF;
            i := i + 1;
        END LOOP;
    ELSE
        msg := vcon_redis._index_problem(v, n, what);
        IF msg IS NOT NULL THEN
            r := r || ('error', p || '.' || k, msg)::vcon_redis.problem;
        END IF;
    END IF;
    RETURN r;
END
$$;

-- The string value of a member, NULL when absent or not a string.
CREATE OR REPLACE FUNCTION vcon_redis._str(v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}' END
$$;

-- Members a dialog of a draft type must not have (-04 §4.3.1.6 Table 1, the X entries).
CREATE OR REPLACE FUNCTION vcon_redis._forbidden(typ text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE typ
        WHEN 'transfer' THEN ARRAY['parties', 'originator', 'mediatype', 'filename', 'body', 'url',
                                   'encoding', 'content_hash', 'session_id', 'party_history',
                                   'recordings', 'recording_set', 'message_id']
        WHEN 'incomplete' THEN ARRAY['mediatype', 'filename', 'body', 'url', 'encoding', 'content_hash',
                                     'recordings', 'recording_set', 'message_id', 'transferee',
                                     'transferor', 'transfer_target', 'original', 'consultation', 'target_dialog']
        WHEN 'recording-set' THEN ARRAY['mediatype', 'filename', 'body', 'url', 'encoding', 'content_hash',
                                        'recording_set', 'message_id', 'transferee', 'transferor',
                                        'transfer_target', 'original', 'consultation', 'target_dialog']
        WHEN 'recording' THEN ARRAY['recordings', 'transferee', 'transferor', 'transfer_target',
                                    'original', 'consultation', 'target_dialog']
        WHEN 'text' THEN ARRAY['recordings', 'recording_set', 'transferee', 'transferor', 'transfer_target',
                               'original', 'consultation', 'target_dialog']
    END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._forbidden_problems(o jsonb, p text, typ text)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[];
    k text;
BEGIN
    FOREACH k IN ARRAY vcon_redis._forbidden(typ) LOOP
        IF o ? k THEN
            r := r || ('must', p || '.' || k, format('not allowed in a dialog of type %s', typ))::vcon_redis.problem;
        END IF;
    END LOOP;
    RETURN r;
END
$$;

-- dialog parties beyond the common flat list: nested per-channel arrays, null placeholders, errors.
CREATE OR REPLACE FUNCTION vcon_redis._dialog_parties_problems(e jsonb, p text, np int)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[];
    e2 jsonb;
    h jsonb;
    i int;
    j int;
    msg text;
BEGIN
    IF jsonb_typeof(e) = 'array' AND e::text ~ '^\[([0-9]{1,9}(, [0-9]{1,9})*)?\]$'
       AND NOT jsonb_path_exists(e, '$[*] ? (@ >= $n)', jsonb_build_object('n', np)) THEN
        NULL;  -- the common case: a flat list of valid indices
    ELSIF jsonb_typeof(e) = 'array' THEN
        i := 0;
        FOR e2 IN SELECT x FROM jsonb_array_elements(e) x LOOP
            IF jsonb_typeof(e2) = 'array' THEN
                j := 0;
                FOR h IN SELECT x FROM jsonb_array_elements(e2) x LOOP
                    msg := vcon_redis._index_problem(h, np, 'party');
                    IF msg IS NOT NULL THEN
                        r := r || ('error', format('%s.parties[%s][%s]', p, i, j), msg)::vcon_redis.problem;
                    END IF;
                    j := j + 1;
                END LOOP;
            ELSIF jsonb_typeof(e2) <> 'null' THEN
                msg := vcon_redis._index_problem(e2, np, 'party');
                IF msg IS NOT NULL THEN
                    r := r || ('error', format('%s.parties[%s]', p, i), msg)::vcon_redis.problem;
                END IF;
            END IF;
            i := i + 1;
        END LOOP;
    ELSIF e IS NOT NULL THEN
        msg := vcon_redis._index_problem(e, np, 'party');
        IF msg IS NOT NULL THEN
            r := r || ('error', p || '.parties', msg)::vcon_redis.problem;
        END IF;
    END IF;
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._party_history_problems(o jsonb, p text, np int)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[];
    h jsonb;
    i int;
    k text;
    ev text;
BEGIN
    -- party_history (§4.3.13.1)
    IF o ? 'party_history' THEN
        IF jsonb_typeof(o -> 'party_history') <> 'array' THEN
            r := r || ('error', p || '.party_history', format('must be an array (got %s)', vcon_redis._got(o -> 'party_history')))::vcon_redis.problem;
        ELSE
            i := 0;
            FOR h IN SELECT x FROM jsonb_array_elements(o -> 'party_history') x LOOP
                k := format('%s.party_history[%s]', p, i);
                IF jsonb_typeof(h) <> 'object' THEN
                    r := r || ('error', k, format('must be an object (got %s)', vcon_redis._got(h)))::vcon_redis.problem;
                ELSE
                    IF NOT h ? 'party' THEN
                        r := r || ('error', k || '.party', 'missing (required)')::vcon_redis.problem;
                    ELSE
                        r := r || vcon_redis._indices_problems(h, k, 'party', np, 'party', false);
                    END IF;
                    IF NOT h ? 'time' THEN
                        r := r || ('error', k || '.time', 'missing (required)')::vcon_redis.problem;
                    ELSE
                        r := r || vcon_redis._date_member(h, k || '.', 'time', NULL, NULL);
                    END IF;
                    ev := CASE WHEN jsonb_typeof(h -> 'event') = 'string' THEN h ->> 'event' END;
                    IF NOT h ? 'event' THEN
                        r := r || ('error', k || '.event', 'missing (required)')::vcon_redis.problem;
                    ELSIF ev IS NULL OR ev NOT IN ('join', 'drop', 'hold', 'unhold', 'mute', 'unmute',
                                                   'keydown', 'keyup', 'dtmfdown', 'dtmfup') THEN
                        r := r || ('error', k || '.event', format('unknown event %s (must be join, drop, hold, unhold, mute, unmute, keydown or keyup)', vcon_redis._got(h -> 'event')))::vcon_redis.problem;
                    ELSIF ev IN ('dtmfdown', 'dtmfup') THEN
                        r := r || ('warning', k || '.event', format('legacy event %s (core-01); keydown/keyup with button since core-02', ev))::vcon_redis.problem;
                    ELSIF ev IN ('keydown', 'keyup') AND NOT h ? 'button' THEN
                        r := r || ('must', k || '.button', format('missing (required for %s)', ev))::vcon_redis.problem;
                    END IF;
                    r := r || vcon_redis._string_problems(h, k, ARRAY['button']);
                END IF;
                i := i + 1;
            END LOOP;
        END IF;
    END IF;
    RETURN r;
END
$$;

-- One dialog. A single SQL expression (inlined into the caller's plan, far cheaper than PL/pgSQL
-- statements); the rare nested cases are delegated to the helpers above.
CREATE OR REPLACE FUNCTION vcon_redis._dialog_problems(o jsonb, p text, np int, nd int, redacted boolean)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(
        ARRAY[
            CASE WHEN NOT o ? 'type' THEN ('error', p || '.type', 'missing (required)')::vcon_redis.problem
                 WHEN jsonb_typeof(o -> 'type') <> 'string'
                     THEN ('error', p || '.type', format('must be a string (got %s)', vcon_redis._got(o -> 'type')))::vcon_redis.problem
                 WHEN o ->> 'type' NOT IN ('recording', 'text', 'transfer', 'incomplete', 'recording-set')
                     THEN ('must', p || '.type', format('%s is not a dialog type of the draft (recording, text, transfer, incomplete, recording-set)', o -> 'type'))::vcon_redis.problem
            END]
        || vcon_redis._date_member(o, p || '.', 'start',
               CASE WHEN vcon_redis._str(o -> 'type') IN ('recording', 'text', 'incomplete', 'recording-set')
                    THEN 'missing (recommended)' END, 'warning')
        || ARRAY[
            CASE WHEN NOT o ? 'duration' THEN NULL
                 WHEN jsonb_typeof(o -> 'duration') <> 'number'
                     THEN ('error', p || '.duration', format('must be a number of seconds (got %s)', vcon_redis._got(o -> 'duration')))::vcon_redis.problem
                 WHEN (o ->> 'duration')::numeric < 0
                     THEN ('error', p || '.duration', format('must not be negative (got %s)', o -> 'duration'))::vcon_redis.problem
                 WHEN (o ->> 'duration')::numeric >= 1e15
                     THEN ('error', p || '.duration', format('too large (got %s)', o -> 'duration'))::vcon_redis.problem
            END]
        -- parties: UnsignedInt | (UnsignedInt | UnsignedInt[] | null)[]; null only as a channel placeholder
        || CASE WHEN NOT o ? 'parties' THEN NULL
                -- the common case, a flat list of valid indices, without a function call
                WHEN jsonb_typeof(o -> 'parties') = 'array'
                     AND (o -> 'parties')::text ~ '^\[([0-9]{1,9}(, [0-9]{1,9})*)?\]$'
                     AND NOT jsonb_path_exists(o -> 'parties', '$[*] ? (@ >= $n)', jsonb_build_object('n', np))
                    THEN NULL
                WHEN o ? 'parties' THEN vcon_redis._dialog_parties_problems(o -> 'parties', p, np)
                WHEN vcon_redis._str(o -> 'type') IN ('recording', 'text', 'recording-set')
                    THEN ARRAY[('warning', p || '.parties', 'missing (recommended)')::vcon_redis.problem]
           END
        || CASE WHEN o ?| ARRAY['originator', 'transferee', 'transferor', 'transfer_target', 'original',
                                'consultation', 'target_dialog', 'recording_set'] THEN
                   vcon_redis._indices_problems(o, p, 'originator', np, 'party', false)
                   || vcon_redis._indices_problems(o, p, 'transferee', np, 'party', true)
                   || vcon_redis._indices_problems(o, p, 'transferor', np, 'party', true)
                   || vcon_redis._indices_problems(o, p, 'transfer_target', np, 'party', true)
                   || vcon_redis._indices_problems(o, p, 'original', nd, 'dialog', true)
                   || vcon_redis._indices_problems(o, p, 'consultation', nd, 'dialog', true)
                   || vcon_redis._indices_problems(o, p, 'target_dialog', nd, 'dialog', true)
                   || vcon_redis._indices_problems(o, p, 'recording_set', nd, 'dialog', false)
           END
        || CASE WHEN NOT o ? 'recordings' THEN NULL
                WHEN jsonb_typeof(o -> 'recordings') <> 'array'
                    THEN ARRAY[('error', p || '.recordings', format('must be an array of dialog indices (got %s)', vcon_redis._got(o -> 'recordings')))::vcon_redis.problem]
                ELSE vcon_redis._indices_problems(o, p, 'recordings', nd, 'dialog', true)
           END
        || CASE WHEN o ?| ARRAY['disposition', 'application', 'message_id']
                THEN vcon_redis._string_problems(o, p, ARRAY['disposition', 'application', 'message_id']) END
        || vcon_redis._content_problems(o, p, vcon_redis._str(o -> 'type'), redacted)
        -- per-type rules (-04 §4.3.1.6), only for the draft's types
        || ARRAY[
            CASE WHEN vcon_redis._str(o -> 'type') = 'incomplete' THEN
                     CASE WHEN NOT o ? 'disposition'
                              THEN ('must', p || '.disposition', 'missing (required for an incomplete dialog)')::vcon_redis.problem
                          WHEN o ->> 'disposition' NOT IN ('no-answer', 'congestion', 'failed', 'busy', 'hung-up', 'voicemail-no-message')
                              THEN ('must', p || '.disposition', format('unknown disposition %s (must be no-answer, congestion, failed, busy, hung-up or voicemail-no-message)', vcon_redis._got(o -> 'disposition')))::vcon_redis.problem
                     END
                 WHEN o ? 'disposition' AND vcon_redis._str(o -> 'type') IN ('recording', 'text', 'transfer', 'recording-set')
                     THEN ('warning', p || '.disposition', format('should only be used on an incomplete dialog (type %s)', o ->> 'type'))::vcon_redis.problem
            END,
            CASE WHEN vcon_redis._str(o -> 'type') = 'recording-set' AND NOT o ? 'recordings'
                     THEN ('must', p || '.recordings', 'missing (required for a recording-set dialog)')::vcon_redis.problem
            END]
        || CASE WHEN o ?| vcon_redis._forbidden(vcon_redis._str(o -> 'type'))
                THEN vcon_redis._forbidden_problems(o, p, o ->> 'type') END
        || CASE WHEN vcon_redis._str(o -> 'type') = 'transfer' THEN ARRAY[
               CASE WHEN NOT o ? 'transferee' THEN ('warning', p || '.transferee', 'missing (recommended for a transfer dialog)')::vcon_redis.problem END,
               CASE WHEN NOT o ? 'transferor' THEN ('warning', p || '.transferor', 'missing (recommended for a transfer dialog)')::vcon_redis.problem END,
               CASE WHEN NOT o ? 'original' THEN ('warning', p || '.original', 'missing (recommended for a transfer dialog)')::vcon_redis.problem END,
               CASE WHEN NOT o ? 'target_dialog' THEN ('warning', p || '.target_dialog', 'missing (recommended for a transfer dialog)')::vcon_redis.problem END]
           END
        || CASE WHEN o ? 'party_history' THEN vcon_redis._party_history_problems(o, p, np) END,
        NULL)
$$;

-- One party, one analysis, one attachment: SQL expressions like _dialog_problems.
CREATE OR REPLACE FUNCTION vcon_redis._party_problems(o jsonb, p text)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
            CASE WHEN jsonb_typeof(o -> 'tel') <> 'string'
                     THEN ('error', p || '.tel', format('must be a string (got %s)', vcon_redis._got(o -> 'tel')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'sip') <> 'string'
                     THEN ('error', p || '.sip', format('must be a string (got %s)', vcon_redis._got(o -> 'sip')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'stir') <> 'string'
                     THEN ('error', p || '.stir', format('must be a string (got %s)', vcon_redis._got(o -> 'stir')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'mailto') <> 'string'
                     THEN ('error', p || '.mailto', format('must be a string (got %s)', vcon_redis._got(o -> 'mailto')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'name') <> 'string'
                     THEN ('error', p || '.name', format('must be a string (got %s)', vcon_redis._got(o -> 'name')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'did') <> 'string'
                     THEN ('error', p || '.did', format('must be a string (got %s)', vcon_redis._got(o -> 'did')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'validation') <> 'string'
                     THEN ('error', p || '.validation', format('must be a string (got %s)', vcon_redis._got(o -> 'validation')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'gmlpos') <> 'string'
                     THEN ('error', p || '.gmlpos', format('must be a string (got %s)', vcon_redis._got(o -> 'gmlpos')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'uuid') <> 'string'
                     THEN ('error', p || '.uuid', format('must be a string (got %s)', vcon_redis._got(o -> 'uuid')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'timezone') <> 'string'
                     THEN ('error', p || '.timezone', format('must be a string (got %s)', vcon_redis._got(o -> 'timezone')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'type') <> 'string'
                     THEN ('error', p || '.type', format('must be a string (got %s)', vcon_redis._got(o -> 'type')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'org') <> 'string'
                     THEN ('error', p || '.org', format('must be a string (got %s)', vcon_redis._got(o -> 'org')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'dept') <> 'string'
                     THEN ('error', p || '.dept', format('must be a string (got %s)', vcon_redis._got(o -> 'dept')))::vcon_redis.problem END,
            CASE WHEN o ? 'civicaddress' AND jsonb_typeof(o -> 'civicaddress') <> 'object'
                     THEN ('error', p || '.civicaddress', format('must be an object (got %s)', vcon_redis._got(o -> 'civicaddress')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'did') = 'string' AND o ->> 'did' !~ '^did:[a-z0-9]+:'
                     THEN ('must', p || '.did', 'not a DID URI (did:<method>:…)')::vcon_redis.problem END,
            CASE WHEN o ? 'name' AND NOT o ? 'validation'
                     THEN ('warning', p || '.validation', 'missing (recommended when name is present)')::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'type') = 'string' AND o ->> 'type' NOT IN ('person', 'bot', 'organization')
                     THEN ('warning', p || '.type', format('%s is not person, bot or organization', o -> 'type'))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'tel') = 'string' AND o ->> 'tel' !~ '^(tel:)?\+?[0-9A-Fa-f*#().-]+(;.*)?$'
                     THEN ('warning', p || '.tel', 'not a TEL URL')::vcon_redis.problem END
        ], NULL)
$$;

CREATE OR REPLACE FUNCTION vcon_redis._analysis_problems(o jsonb, p text, nd int, na int, redacted boolean)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
            CASE WHEN NOT o ? 'type' THEN ('error', p || '.type', 'missing (required)')::vcon_redis.problem END,
            CASE WHEN NOT o ? 'vendor' THEN ('must', p || '.vendor', 'missing (required by the draft)')::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'type') <> 'string'
                     THEN ('error', p || '.type', format('must be a string (got %s)', vcon_redis._got(o -> 'type')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'vendor') <> 'string'
                     THEN ('error', p || '.vendor', format('must be a string (got %s)', vcon_redis._got(o -> 'vendor')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'product') <> 'string'
                     THEN ('error', p || '.product', format('must be a string (got %s)', vcon_redis._got(o -> 'product')))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'schema') <> 'string'
                     THEN ('error', p || '.schema', format('must be a string (got %s)', vcon_redis._got(o -> 'schema')))::vcon_redis.problem END]
        || CASE WHEN o ? 'dialog' THEN vcon_redis._indices_problems(o, p, 'dialog', nd, 'dialog', true) END
        || CASE WHEN o ? 'attachment' THEN vcon_redis._indices_problems(o, p, 'attachment', na, 'attachment', true) END
        || vcon_redis._content_problems(o, p, 'analysis', redacted)
        || ARRAY[
            CASE WHEN jsonb_typeof(o -> 'type') = 'string'
                      AND o ->> 'type' NOT IN ('report', 'sentiment', 'summary', 'transcript', 'translation', 'tts')
                     THEN ('warning', p || '.type', format('%s is not one of report, sentiment, summary, transcript, translation, tts', o -> 'type'))::vcon_redis.problem END
        ], NULL)
$$;

CREATE OR REPLACE FUNCTION vcon_redis._attachment_problems(o jsonb, p text, np int, nd int, redacted boolean)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
            CASE WHEN jsonb_typeof(o -> 'purpose') <> 'string'
                     THEN ('error', p || '.purpose', format('must be a string (got %s)', vcon_redis._got(o -> 'purpose')))::vcon_redis.problem END]
        || vcon_redis._date_member(o, p || '.', 'start', 'missing (required by the draft)', 'must')
        || CASE WHEN o ? 'party' THEN vcon_redis._indices_problems(o, p, 'party', np, 'party', false)
                ELSE ARRAY[('must', p || '.party', 'missing (required by the draft)')::vcon_redis.problem] END
        || CASE WHEN o ? 'dialog' THEN vcon_redis._indices_problems(o, p, 'dialog', nd, 'dialog', false)
                ELSE ARRAY[('must', p || '.dialog', 'missing (required by the draft)')::vcon_redis.problem] END
        || vcon_redis._content_problems(o, p, 'attachment', redacted),
        NULL)
$$;

-- All problems of a document: raw is the input, n = _normalize(raw).
CREATE OR REPLACE FUNCTION vcon_redis._problems(raw jsonb, n jsonb)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[] := '{}';
    k text;
    o jsonb;
    p text;
    i int;
    np int;
    nd int;
    na int;
    redacted boolean;
    u text;
    level text;
BEGIN
    IF jsonb_typeof(raw) IS DISTINCT FROM 'object' THEN
        RETURN ARRAY[('error', '$', format('a vCon must be a JSON object (got %s)', coalesce(jsonb_typeof(raw), 'SQL NULL')))::vcon_redis.problem];
    END IF;
    IF raw ? 'payload' AND raw ? 'signatures' THEN
        RETURN ARRAY[('error', '$', 'signed vCon (JWS): not supported; store the unsigned vCon of its payload')::vcon_redis.problem];
    ELSIF raw ? 'ciphertext' AND raw ? 'recipients' THEN
        RETURN ARRAY[('error', '$', 'encrypted vCon (JWE): not supported; store the unsigned vCon')::vcon_redis.problem];
    END IF;

    -- uuid
    IF NOT n ? 'uuid' THEN
        r := r || ('error', 'uuid', 'missing (required)')::vcon_redis.problem;
    ELSIF jsonb_typeof(n -> 'uuid') <> 'string' THEN
        r := r || ('error', 'uuid', format('must be a string (got %s)', vcon_redis._got(n -> 'uuid')))::vcon_redis.problem;
    ELSE
        u := n ->> 'uuid';
        IF u !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
            r := r || ('error', 'uuid', format('not a UUID (8-4-4-4-12 hex digits): %s', vcon_redis._got(n -> 'uuid')))::vcon_redis.problem;
        ELSE
            IF u <> lower(u) THEN
                r := r || ('warning', 'uuid', 'upper-case hex digits; stored and returned in lower case')::vcon_redis.problem;
            END IF;
            IF substr(u, 15, 1) <> '8' THEN
                r := r || ('warning', 'uuid', format('UUID version %s; the draft recommends version 8', substr(u, 15, 1)))::vcon_redis.problem;
            END IF;
        END IF;
    END IF;

    r := r || vcon_redis._date_member(n, '', 'created_at', 'missing (required by the draft); save_vcon stores the time of the first save', 'must')
           || vcon_redis._date_member(n, '', 'updated_at', NULL, NULL);

    IF raw ? 'vcon' THEN
        IF jsonb_typeof(raw -> 'vcon') <> 'string' THEN
            r := r || ('error', 'vcon', format('must be a string (got %s)', vcon_redis._got(raw -> 'vcon')))::vcon_redis.problem;
        ELSIF raw ->> 'vcon' = '' THEN
            r := r || ('must', 'vcon', 'empty version string (omit the deprecated vcon member or use "0.4.0")')::vcon_redis.problem;
        ELSIF raw ->> 'vcon' <> '0.4.0' THEN
            r := r || ('warning', 'vcon', format('deprecated member; %s is not the current syntax version "0.4.0"', raw -> 'vcon'))::vcon_redis.problem;
        END IF;
    END IF;
    IF n ? 'subject' AND jsonb_typeof(n -> 'subject') <> 'string' THEN
        r := r || ('error', 'subject', format('must be a string (got %s)', vcon_redis._got(n -> 'subject')))::vcon_redis.problem;
    END IF;

    -- arrays: null is an error here (a null parties is not "no parties" to a consumer indexing it)
    FOREACH k IN ARRAY ARRAY['parties', 'dialog', 'analysis', 'attachments', 'extensions', 'critical', 'must_support'] LOOP
        IF raw ? k AND jsonb_typeof(raw -> k) <> 'array' THEN
            r := r || ('error', k, format('must be an array (got %s)', vcon_redis._got(raw -> k)))::vcon_redis.problem;
        END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['extensions', 'critical'] LOOP
        IF jsonb_typeof(n -> k) = 'array' THEN
            i := 0;
            FOR o IN SELECT x FROM jsonb_array_elements(n -> k) x LOOP
                IF jsonb_typeof(o) <> 'string' THEN
                    r := r || ('error', format('%s[%s]', k, i), format('must be a string (got %s)', vcon_redis._got(o)))::vcon_redis.problem;
                ELSIF k = 'critical' AND NOT coalesce(n -> 'extensions' @> jsonb_build_array(o), false) THEN
                    r := r || ('warning', format('%s[%s]', k, i), format('%s is not listed in extensions', o))::vcon_redis.problem;
                END IF;
                i := i + 1;
            END LOOP;
        END IF;
    END LOOP;

    -- redacted / amended (§4.1.8, §4.1.9)
    IF n ? 'redacted' AND n ? 'amended' THEN
        r := r || ('must', 'amended', 'redacted and amended are mutually exclusive')::vcon_redis.problem;
    END IF;
    FOREACH k IN ARRAY ARRAY['redacted', 'amended'] LOOP
        o := n -> k;
        CONTINUE WHEN o IS NULL;
        IF jsonb_typeof(o) <> 'object' THEN
            r := r || ('error', k, format('must be an object (got %s)', vcon_redis._got(o)))::vcon_redis.problem;
            CONTINUE;
        END IF;
        r := r || vcon_redis._string_problems(o, k, ARRAY['uuid', 'type']);
        r := r || array_remove(ARRAY[CASE WHEN o ? 'url' THEN vcon_redis._url_problem(o -> 'url', k || '.url') END]
                               || CASE WHEN jsonb_typeof(o -> 'content_hash') = 'array'
                                       THEN vcon_redis._hash_array_problems(o -> 'content_hash', k)
                                       ELSE ARRAY[vcon_redis._hash_problem(o -> 'content_hash', k || '.content_hash')] END,
                               NULL);
        IF k = 'redacted' AND NOT o ? 'type' THEN
            r := r || ('must', 'redacted.type', 'missing (required by the draft)')::vcon_redis.problem;
        END IF;
        IF k = 'redacted' AND NOT o ? 'uuid' THEN
            r := r || ('warning', 'redacted.uuid', 'missing (recommended: without it the unredacted version cannot be found)')::vcon_redis.problem;
        END IF;
        IF k = 'amended' AND NOT o ? 'uuid' AND NOT o ? 'url' THEN
            r := r || ('must', 'amended', 'needs uuid or url')::vcon_redis.problem;
        END IF;
        IF o ? 'url' AND NOT o ? 'content_hash' THEN
            r := r || ('must', k || '.content_hash', 'missing (the draft requires content_hash with url)')::vcon_redis.problem;
        END IF;
    END LOOP;
    redacted := n ? 'redacted';

    np := CASE WHEN jsonb_typeof(n -> 'parties') = 'array' THEN jsonb_array_length(n -> 'parties') ELSE 0 END;
    nd := CASE WHEN jsonb_typeof(n -> 'dialog') = 'array' THEN jsonb_array_length(n -> 'dialog') ELSE 0 END;
    na := CASE WHEN jsonb_typeof(n -> 'attachments') = 'array' THEN jsonb_array_length(n -> 'attachments') ELSE 0 END;
    IF np + nd + na = 0 AND jsonb_typeof(n -> 'analysis') IS DISTINCT FROM 'array' THEN
        r := r || ('warning', '$', 'none of parties, dialog, analysis, attachments')::vcon_redis.problem;
    END IF;

    FOREACH k IN ARRAY ARRAY['parties', 'dialog', 'analysis', 'attachments'] LOOP
        CONTINUE WHEN jsonb_typeof(n -> k) IS DISTINCT FROM 'array';
        i := 0;
        FOR o IN SELECT x FROM jsonb_array_elements(n -> k) x LOOP
            p := format('%s[%s]', k, i);
            i := i + 1;
            IF jsonb_typeof(o) <> 'object' THEN
                r := r || ('error', p, format('must be an object (got %s)', vcon_redis._got(o)))::vcon_redis.problem;
                CONTINUE;
            END IF;
            r := r || CASE k
                WHEN 'parties' THEN vcon_redis._party_problems(o, p)
                WHEN 'dialog' THEN vcon_redis._dialog_problems(o, p, np, nd, redacted)
                WHEN 'analysis' THEN vcon_redis._analysis_problems(o, p, nd, na, redacted)
                ELSE vcon_redis._attachment_problems(o, p, np, nd, redacted)
            END;
        END LOOP;
    END LOOP;

    -- A MUST broken without loss: an error under vcon_redis.validation = strict, else a warning.
    IF EXISTS (SELECT FROM unnest(r) x WHERE x.severity = 'must') THEN
        level := CASE WHEN vcon_redis._strict() THEN 'error' ELSE 'warning' END;
        r := ARRAY(SELECT (CASE WHEN x.severity = 'must' THEN level ELSE x.severity END, x.path, x.message)::vcon_redis.problem
                   FROM unnest(r) WITH ORDINALITY AS x(severity, path, message, i)
                   ORDER BY x.i);
    END IF;
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis.validate_vcon(doc jsonb)
RETURNS TABLE (severity text, path text, message text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p.severity, p.path, p.message
    FROM (SELECT CASE WHEN jsonb_typeof(doc) = 'object' THEN doc || '{}' ELSE doc END AS plain) d,   -- detoast once
         unnest(vcon_redis._problems(d.plain, vcon_redis._normalize(d.plain))) WITH ORDINALITY AS p(severity, path, message, ord)
    ORDER BY p.severity = 'warning', p.ord
$$;

COMMENT ON FUNCTION vcon_redis.validate_vcon(jsonb) IS
    'every problem of a vCon document (errors first), without writing; save_vcon refuses documents with errors';

-- sql/30_save.sql
-- Writing a whole vCon: save_vcon(doc) validates, normalises and stores it; delete_vcon(uuid) removes it.
--
-- A save is all-or-nothing and replaces the whole vCon: a new uuid INSERTs its vcons row; an existing
-- one UPDATEs it (never delete+insert: the capture triggers read a vcons INSERT as "created" and
-- push the uuid to the ingress queues) and replaces every child row (delete, then insert), so a
-- re-post with fewer children leaves no ghost rows (vcon-mcp leaves them). Three statements at most:
-- the vcons row, one DELETE of the old children (replace only), and one INSERT of all children
-- (writable CTEs, one set-based INSERT … SELECT over jsonb_array_elements per table, never a loop
-- per element).
--
-- Column mapping follows vcon-mcp (start→start_time, duration→duration_seconds, attachment
-- mediatype→mimetype, analysis dialog→dialog_indices …), so vcon-mcp reads our rows; what its
-- columns cannot hold exactly goes to `extra`/`duration`/`body_json` (sql/10_tables.sql), so
-- vcon_json gives the document back.
--
-- Tables are named through vcon_redis.<table>, the views attach() makes of the attached schema's
-- tables (sql/60_attach.sql). save_vcon and delete_vcon pin no search_path: they run as the caller,
-- under the caller's search_path, so the writes they make behave exactly like the same statements
-- sent by the caller — including the caller's own triggers on the tables (e.g. vcon-mcp's
-- embedding queue and tenant triggers), which name their objects unqualified.

-- int[] of an UnsignedInt or a flat UnsignedInt[] (validated), NULL when absent.
CREATE OR REPLACE FUNCTION vcon_redis._int_array(v jsonb) RETURNS integer[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'array' THEN translate(v::text, '[]', '{}')::integer[]
        WHEN 'number' THEN ARRAY[v::text::integer]
    END
$$;

-- Members of an element that an int[] column holds only in its flat, array form: the ones whose
-- shape must be kept in `extra`. `scalar_is_default`: the column is emitted as a scalar when it has
-- one element (analysis dialog, transfer indices), so a one-element *array* is what needs keeping;
-- otherwise (dialog parties) a scalar or a nested/null-holding array needs keeping.
CREATE OR REPLACE FUNCTION vcon_redis._shape_extra(e jsonb, k text, scalar_is_default boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN NOT e ? k THEN '{}'
        WHEN scalar_is_default AND jsonb_typeof(e -> k) = 'array' AND jsonb_array_length(e -> k) = 1
            THEN jsonb_build_object(k, e -> k)
        WHEN scalar_is_default THEN '{}'
        WHEN jsonb_typeof(e -> k) <> 'array' THEN jsonb_build_object(k, e -> k)
        WHEN jsonb_path_exists(e -> k, 'strict $[*] ? (@.type() != "number")') THEN jsonb_build_object(k, e -> k)
        ELSE '{}'
    END::jsonb
$$;

CREATE OR REPLACE FUNCTION vcon_redis.save_vcon(doc jsonb)
RETURNS uuid
LANGUAGE plpgsql AS $fn$
DECLARE
    -- read from a table, doc may be a compressed TOAST value that every -> would decompress again:
    -- jsonb || '{}' hands back one plain in-memory copy
    plain jsonb := CASE WHEN jsonb_typeof(doc) = 'object' THEN doc || '{}' ELSE doc END;
    n jsonb := vcon_redis._normalize(plain);
    problems vcon_redis.problem[] := vcon_redis._problems(plain, n);
    errs text[];
    u uuid;
    created timestamptz;
    updated timestamptz;
    exts text[];
    crit text[];
    grp jsonb;
    top_extra jsonb;
    version text;
    attempts int := 0;
BEGIN
    SELECT array_agg(format('%s: %s', p.path, p.message))
      INTO errs
      FROM unnest(problems) p
     WHERE p.severity = 'error';
    IF errs IS NOT NULL THEN
        RAISE EXCEPTION 'invalid vCon: %', errs[1]
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = array_to_string(errs, E'\n'),
                  HINT = 'vcon_redis.validate_vcon(doc) lists every problem; nothing was written.';
    END IF;

    u := (n ->> 'uuid')::uuid;
    created := vcon_redis._ts(n ->> 'created_at');
    updated := vcon_redis._ts(n ->> 'updated_at');
    IF n ? 'extensions' THEN
        exts := ARRAY(SELECT jsonb_array_elements_text(n -> 'extensions'));
    END IF;
    IF n ? 'critical' THEN
        crit := ARRAY(SELECT jsonb_array_elements_text(n -> 'critical'));
    END IF;
    -- legacy top-level group: vcon-mcp keeps it in group_data; a non-array one stays in extra
    IF jsonb_typeof(n -> 'group') = 'array' THEN
        grp := n -> 'group';
    END IF;
    -- `vcon` lives in extra: vcon_version is NOT NULL in vcon-mcp and cannot say "absent"
    top_extra := n - ARRAY['uuid', 'created_at', 'updated_at', 'subject', 'redacted', 'amended',
                       'extensions', 'critical', 'parties', 'dialog', 'analysis', 'attachments']
               - CASE WHEN grp IS NULL THEN '' ELSE 'group' END;
    version := coalesce(nullif(left(n ->> 'vcon', 10), ''), '0.4.0');

    -- Existing uuid: UPDATE. New: INSERT; if a concurrent save inserted the same uuid meanwhile,
    -- ON CONFLICT waits for it to commit and we go round again to the UPDATE.
    LOOP
        -- Look before updating: an UPDATE that matches no row still fires the statement-level
        -- capture trigger, a cost every new vCon would pay for nothing.
        IF EXISTS (SELECT FROM vcon_redis.vcons WHERE vcons.uuid = u) THEN
            UPDATE vcon_redis.vcons SET
                vcon_version = version,
                subject = n ->> 'subject',
                created_at = coalesce(created, vcons.created_at),     -- created_at should not change
                updated_at = coalesce(updated, now()),
                doc_updated_at = updated,
                redacted = coalesce(n -> 'redacted', '{}'),
                amended = coalesce(n -> 'amended', '{}'),
                appended = coalesce(n -> 'amended', '{}'),           -- vcon-mcp keeps both in sync
                group_data = coalesce(grp, '[]'),
                extensions = exts,
                critical = crit,
                must_support = crit,
                extra = top_extra
            WHERE vcons.uuid = u;
            IF FOUND THEN
                -- one statement for all old children (each statement has a fixed cost, triggers included)
                WITH h AS (DELETE FROM vcon_redis.party_history WHERE vcon_id = u),
                     d AS (DELETE FROM vcon_redis.dialog WHERE vcon_id = u),
                     p AS (DELETE FROM vcon_redis.parties WHERE vcon_id = u),
                     a AS (DELETE FROM vcon_redis.analysis WHERE vcon_id = u)
                DELETE FROM vcon_redis.attachments WHERE vcon_id = u;
                EXIT;
            END IF;
        END IF;
        -- a missing created_at (the IETF example files) becomes the time of the first save
        INSERT INTO vcon_redis.vcons (id, uuid, vcon_version, subject, created_at, updated_at, doc_updated_at,
                           redacted, amended, appended, group_data, extensions, critical,
                           must_support, extra)
        VALUES (u, u, version, n ->> 'subject', coalesce(created, now()), coalesce(updated, now()),
                updated, coalesce(n -> 'redacted', '{}'), coalesce(n -> 'amended', '{}'),
                coalesce(n -> 'amended', '{}'), coalesce(grp, '[]'), exts, crit, crit, top_extra)
        ON CONFLICT DO NOTHING;          -- uuid (or id = uuid) taken meanwhile: update instead
        EXIT WHEN FOUND;
        attempts := attempts + 1;
        IF attempts > 3 THEN             -- e.g. a vcon-mcp row whose id is this uuid, uuid another
            RAISE EXCEPTION 'save_vcon: cannot insert or update vCon %', u
                USING ERRCODE = 'unique_violation';
        END IF;
    END LOOP;

    -- All children in one statement (a statement has a fixed cost, its triggers included); an
    -- absent array gives jsonb_array_elements(NULL), no rows. party_history needs dialog.id.
    WITH p AS (
        INSERT INTO vcon_redis.parties (vcon_id, party_index, tel, sip, stir, mailto, name, did, validation,
                             gmlpos, timezone, jcard, civicaddress, uuid, extra)
        SELECT u, x.i - 1, e ->> 'tel', e ->> 'sip', e ->> 'stir', e ->> 'mailto', e ->> 'name',
               e ->> 'did', e ->> 'validation', e ->> 'gmlpos', e ->> 'timezone', e -> 'jCard',
               e -> 'civicaddress', e ->> 'uuid',
               e - ARRAY['tel', 'sip', 'stir', 'mailto', 'name', 'did', 'validation', 'gmlpos',
                         'timezone', 'jCard', 'civicaddress', 'uuid']
        FROM jsonb_array_elements(n -> 'parties') WITH ORDINALITY AS x(e, i)
    ), a AS (
        INSERT INTO vcon_redis.analysis (vcon_id, analysis_index, type, dialog_indices, mediatype, filename,
                              vendor, product, schema, body, body_json, encoding, url, content_hash,
                              extra)
        SELECT u, x.i - 1, e ->> 'type', vcon_redis._int_array(e -> 'dialog'), e ->> 'mediatype',
               -- vendor is NOT NULL in vcon-mcp's schema: an absent vendor is stored as '', an
               -- explicit "" also in extra (which vcon_json lets win over the column)
               e ->> 'filename', coalesce(e ->> 'vendor', ''), e ->> 'product', e ->> 'schema',
               CASE WHEN jsonb_typeof(e -> 'body') = 'string' THEN e ->> 'body' ELSE (e -> 'body')::text END,
               CASE WHEN e ? 'body' THEN jsonb_typeof(e -> 'body') <> 'string' END,
               e ->> 'encoding', e ->> 'url',
               CASE WHEN jsonb_typeof(e -> 'content_hash') = 'string' THEN e ->> 'content_hash' END,
               (e - ARRAY['type', 'dialog', 'mediatype', 'filename', 'vendor', 'product', 'schema',
                          'body', 'encoding', 'url', 'content_hash'])
               || vcon_redis._shape_extra(e, 'dialog', true)
               || CASE WHEN e ->> 'vendor' = '' THEN '{"vendor": ""}' ELSE '{}' END::jsonb
               || CASE WHEN jsonb_typeof(e -> 'content_hash') = 'array'
                       THEN jsonb_build_object('content_hash', e -> 'content_hash') ELSE '{}' END
        FROM jsonb_array_elements(n -> 'analysis') WITH ORDINALITY AS x(e, i)
    ), f AS (
        -- `type` mirrors `purpose` so vcon-mcp's tag features (type = 'tags') see our tags; a
        -- document `type` next to a `purpose` is an unknown member and stays in extra.
        INSERT INTO vcon_redis.attachments (vcon_id, attachment_index, type, purpose, start_time, party, dialog,
                                 mimetype, filename, body, body_json, encoding, url, content_hash,
                                 extra)
        SELECT u, x.i - 1, coalesce(e ->> 'type', e ->> 'purpose'), e ->> 'purpose',
               vcon_redis._ts(e ->> 'start'), (e ->> 'party')::integer, (e ->> 'dialog')::integer,
               e ->> 'mediatype', e ->> 'filename',
               CASE WHEN jsonb_typeof(e -> 'body') = 'string' THEN e ->> 'body' ELSE (e -> 'body')::text END,
               CASE WHEN e ? 'body' THEN jsonb_typeof(e -> 'body') <> 'string' END,
               e ->> 'encoding', e ->> 'url',
               CASE WHEN jsonb_typeof(e -> 'content_hash') = 'string' THEN e ->> 'content_hash' END,
               (e - ARRAY['purpose', 'start', 'party', 'dialog', 'mediatype', 'filename', 'body',
                          'encoding', 'url', 'content_hash'])
               || CASE WHEN jsonb_typeof(e -> 'content_hash') = 'array'
                       THEN jsonb_build_object('content_hash', e -> 'content_hash') ELSE '{}' END
        FROM jsonb_array_elements(n -> 'attachments') WITH ORDINALITY AS x(e, i)
    ), d AS (
        INSERT INTO vcon_redis.dialog AS t (vcon_id, dialog_index, type, start_time, duration_seconds,
            duration, parties, originator, mediatype, filename, body, body_json, encoding,
            url, content_hash, disposition, session_id, application, message_id, transferee,
            transferor, transfer_target, original, consultation, target_dialog, extra)
        SELECT u, (x.i - 1)::integer, e ->> 'type', vcon_redis._ts(e ->> 'start'),
               (e ->> 'duration')::real, (e ->> 'duration')::numeric,
               -- flat for vcon-mcp: nested channels and null placeholders are kept in extra
               CASE WHEN NOT e ? 'parties' THEN NULL
                    WHEN jsonb_typeof(e -> 'parties') = 'number' THEN vcon_redis._int_array(e -> 'parties')
                    WHEN NOT jsonb_path_exists(e -> 'parties', 'strict $[*] ? (@.type() != "number")')
                        THEN vcon_redis._int_array(e -> 'parties')
                    ELSE ARRAY(SELECT (v #>> '{}')::integer
                               FROM jsonb_path_query(e -> 'parties', 'lax $[*][*] ? (@ != null)') v) END,
               (e ->> 'originator')::integer, e ->> 'mediatype', e ->> 'filename',
               CASE WHEN jsonb_typeof(e -> 'body') = 'string' THEN e ->> 'body' ELSE (e -> 'body')::text END,
               CASE WHEN e ? 'body' THEN jsonb_typeof(e -> 'body') <> 'string' END,
               e ->> 'encoding', e ->> 'url',
               CASE WHEN jsonb_typeof(e -> 'content_hash') = 'string' THEN e ->> 'content_hash' END,
               e ->> 'disposition', e -> 'session_id', e ->> 'application', e ->> 'message_id',
               CASE WHEN jsonb_typeof(e -> 'transferee') = 'number' THEN (e ->> 'transferee')::integer END,
               CASE WHEN jsonb_typeof(e -> 'transferor') = 'number' THEN (e ->> 'transferor')::integer END,
               vcon_redis._int_array(e -> 'transfer_target'), vcon_redis._int_array(e -> 'original'),
               vcon_redis._int_array(e -> 'consultation'), vcon_redis._int_array(e -> 'target_dialog'),
               (e - ARRAY['type', 'start', 'duration', 'parties', 'originator', 'mediatype', 'filename',
                          'body', 'encoding', 'url', 'content_hash', 'disposition', 'session_id',
                          'application', 'message_id', 'transferee', 'transferor', 'transfer_target',
                          'original', 'consultation', 'target_dialog', 'party_history'])
               || vcon_redis._shape_extra(e, 'parties', false)
               || vcon_redis._shape_extra(e, 'transfer_target', true)
               || vcon_redis._shape_extra(e, 'original', true)
               || vcon_redis._shape_extra(e, 'consultation', true)
               || vcon_redis._shape_extra(e, 'target_dialog', true)
               || CASE WHEN jsonb_typeof(e -> 'transferee') = 'array'
                       THEN jsonb_build_object('transferee', e -> 'transferee') ELSE '{}' END
               || CASE WHEN jsonb_typeof(e -> 'transferor') = 'array'
                       THEN jsonb_build_object('transferor', e -> 'transferor') ELSE '{}' END
               || CASE WHEN jsonb_typeof(e -> 'content_hash') = 'array'
                       THEN jsonb_build_object('content_hash', e -> 'content_hash') ELSE '{}' END
        FROM jsonb_array_elements(n -> 'dialog') WITH ORDINALITY AS x(e, i)
        RETURNING t.id, t.dialog_index
    )
    INSERT INTO vcon_redis.party_history (vcon_id, dialog_id, history_index, party_index, time, event, extra)
    SELECT u, d.id, h.j - 1, (h.e ->> 'party')::integer, vcon_redis._ts(h.e ->> 'time'),
           h.e ->> 'event', h.e - ARRAY['party', 'time', 'event']
    FROM d
    CROSS JOIN LATERAL jsonb_array_elements(n -> 'dialog' -> d.dialog_index -> 'party_history')
               WITH ORDINALITY AS h(e, j);

    RETURN u;
END
$fn$;

COMMENT ON FUNCTION vcon_redis.save_vcon(jsonb) IS
    'validates, normalises and stores a whole vCon (insert, or replace the vCon with that uuid); returns its uuid';

CREATE OR REPLACE FUNCTION vcon_redis.delete_vcon(vcon_uuid uuid)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    -- children go by ON DELETE CASCADE (vcon-mcp's FKs do the same)
    DELETE FROM vcon_redis.vcons WHERE uuid = vcon_uuid;
    RETURN FOUND;
END
$fn$;

COMMENT ON FUNCTION vcon_redis.delete_vcon(uuid) IS 'deletes a vCon and its child rows; false when absent';

-- sql/40_json.sql
-- The canonical vCon document, assembled from the tables: the one definition of the document shape.
--
-- vcon_json_many(uuids) builds many documents set-based (one aggregate query per child table, no
-- per-uuid loop): the worker calls it for a whole outbox batch, the read server on a cache miss.
-- vcon_json(uuid) is its single row. Rules (the fidelity contract, README "Normalisations"):
--   * members come from the vcon-mcp columns, then `extra` is merged over them (extra wins);
--   * NULL columns, '{}'/'[]' jsonb and empty arrays are omitted, never emitted as null;
--   * dates are RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.ffffff]Z, fraction trimmed of trailing zeros;
--   * children are ordered by *_index, party_history by history_index (then time);
--   * rows written by other clients (extra IS NULL: only vcon-mcp's columns) read as vcon-mcp's
--     getVCon reads them, minus its nulls: vcon←vcon_version, updated_at←updated_at, party
--     jcard (vcon-mcp's member name), duration←duration_seconds as the REAL's exact text, analysis
--     and attachment bodies with encoding none/absent parsed when they are JSON text (its
--     deserializeBody; encoding json and dialog bodies stay strings, as it returns them),
--     attachment type as stored; and, beyond what it returns: amended←appended and
--     critical←must_support when the current column is empty, attachment purpose←type when purpose
--     is empty, session_id←session_id_legacy, a one-element analysis dialog as a scalar.
--     A row save_vcon wrote and another client then changed reads as that client's row: see the
--     BEFORE UPDATE triggers of sql/10_tables.sql.

-- How the text is built (this function is the worker's bottleneck, so it is written for speed):
-- every object is assembled as JSON *text* and the whole document is parsed into jsonb exactly once,
-- at the end. Building jsonb level by level instead (jsonb_build_object, jsonb_strip_nulls, `||`,
-- jsonb_agg) re-serialises every nested value at each level, and each `||` on the top level copies
-- the whole document again; the text route is ~2x cheaper for the same result. It gives the same
-- jsonb because jsonb input sorts keys and, for a repeated key, keeps the last one: members are
-- written column members first, then the members of `extra`, exactly as `columns || extra`.
-- Details that keep the result byte-identical to the jsonb construction:
--   * strings through to_json() (escape_json); jsonb columns and `extra` through their ::text;
--   * an absent member is a NULL element of concat_ws (which skips it), never a JSON null;
--   * a JSON body (body_json) is embedded as its own text after ::json checked it is one JSON value,
--     so a malformed body still fails as body::jsonb did; the final parse normalises it;
--   * members are listed in jsonb's key order (shorter first, then bytewise), so the final parse's
--     key sort finds them already sorted;
--   * no per-row SQL function call is left except _obj_text, which the planner inlines, and
--     _parsed_body, reached only for other clients' analysis/attachment bodies that start like JSON.

-- '{' || members || ',' || <members of extra> || '}', as text: exactly the JSON text of
-- `(members as an object) || extra` for extra NULL or an object, and for a non-object extra (never
-- written by save_vcon) the array that `||` then makes. `members` is used once and `extra` is a
-- plain column at every call site, so the planner inlines the function.
CREATE OR REPLACE FUNCTION vcon_redis._obj_text(members text, extra jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN extra IS NULL OR jsonb_typeof(extra) = 'object' THEN '{' ELSE '[{' END
           || concat_ws(',', members, CASE WHEN jsonb_typeof(extra) = 'object'
                                           THEN nullif(left(substr(extra::text, 2), -1), '') END)
           || CASE WHEN extra IS NULL OR jsonb_typeof(extra) = 'object' THEN '}'
                   WHEN jsonb_typeof(extra) <> 'array' THEN '},' || extra::text || ']'
                   WHEN extra = '[]' THEN '}]'
                   ELSE '},' || substr(extra::text, 2) END
$$;

-- A body another client stored as text with encoding none (or none given), as vcon-mcp reads it
-- back (deserializeBody: JSON.parse when the text is JSON, else the string): the JSON text of the
-- value, the JSON string of the text when it is not one JSON value (or not one jsonb can hold, e.g.
-- \u0000), NULL (member omitted) for a JSON null. PL/pgSQL for the exception handler: PostgreSQL 15
-- has no non-throwing JSON validity test.
CREATE OR REPLACE FUNCTION vcon_redis._parsed_body(body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN nullif(body::jsonb::text, 'null');
EXCEPTION WHEN data_exception OR program_limit_exceeded THEN
    RETURN to_json(body)::text;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis.vcon_json_many(uuids uuid[])
RETURNS TABLE (uuid uuid, doc jsonb)
-- VOLATILE, not STABLE: a STABLE function reads with its caller's snapshot, so
-- vcon_json(save_vcon(doc)) in one statement would not see the rows just saved.
-- force_generic_plan: the query is planned once per session, not per call. With the default mode a
-- one-element array (vcon_json, the server's miss path) always looks cheaper as a custom plan, so
-- every call re-planned this six-table query: ~4-5 ms of a ~0.6 ms call. The generic plan (index
-- probes on uuids = ANY) is the right one for a worker batch as well.
-- enable_seqscan = off: that one plan lives as long as the worker's session; made while the tables
-- were small or not yet analysed it would scan whole tables for every batch as they grow. Every
-- lookup here is by vcon_id/uuid, which is always indexed.
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH p AS (
        SELECT t.vcon_id, '[' || string_agg(
                   vcon_redis._obj_text(concat_ws(',',
                       '"did":' || to_json(t.did)::text, '"sip":' || to_json(t.sip)::text,
                       '"tel":' || to_json(t.tel)::text,
                       '"name":' || to_json(t.name)::text, '"stir":' || to_json(t.stir)::text,
                       '"uuid":' || to_json(t.uuid)::text,
                       CASE WHEN t.jcard NOT IN ('null', '{}', '[]')
                            THEN CASE WHEN t.extra IS NULL THEN '"jcard":' ELSE '"jCard":' END || t.jcard::text END,
                       '"gmlpos":' || to_json(t.gmlpos)::text, '"mailto":' || to_json(t.mailto)::text,
                       '"timezone":' || to_json(t.timezone)::text,
                       '"validation":' || to_json(t.validation)::text,
                       CASE WHEN t.civicaddress NOT IN ('null', '{}', '[]')
                            THEN '"civicaddress":' || t.civicaddress::text END),
                     t.extra),
                   ',' ORDER BY t.party_index) || ']' AS j
        FROM parties t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), h AS (
        SELECT t.dialog_id, '[' || string_agg(
                   vcon_redis._obj_text(concat_ws(',',
                       '"dtmf":' || to_json(t.dtmf)::text,
                       '"time":"' || rtrim(rtrim(to_char(t.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z"',
                       '"event":' || to_json(t.event)::text,
                       '"party":' || t.party_index::text),
                     t.extra),
                   ',' ORDER BY t.history_index, t.time, t.id) || ']' AS j
        FROM party_history t
        WHERE t.dialog_id IN (SELECT d.id FROM dialog d WHERE d.vcon_id = ANY (uuids))
        GROUP BY t.dialog_id
    ), d AS (
        SELECT t.vcon_id, '[' || string_agg(
                   vcon_redis._obj_text(concat_ws(',',
                       '"url":' || to_json(t.url)::text,
                       '"body":' || CASE WHEN t.body_json THEN t.body::json::text ELSE to_json(t.body)::text END,
                       '"type":' || to_json(t.type)::text,
                       '"start":"' || rtrim(rtrim(to_char(t.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z"',
                       -- exact value unless another client changed duration_seconds since; a REAL
                       -- as its shortest exact text (float4out), as vcon-mcp reads it, never ::numeric
                       -- (6 significant digits: 1234.567 would become 1234.57)
                       '"duration":' || CASE WHEN t.duration IS NOT NULL
                                                  AND t.duration_seconds IS NOT DISTINCT FROM t.duration::real
                                             THEN to_json(t.duration) ELSE to_json(t.duration_seconds) END::text,
                       '"encoding":' || to_json(t.encoding)::text,
                       '"filename":' || to_json(t.filename)::text,
                       '"original":' || CASE cardinality(t.original) WHEN 0 THEN NULL WHEN 1 THEN to_json(t.original[1])::text ELSE to_json(t.original)::text END,
                       CASE WHEN cardinality(t.parties) > 0 THEN '"parties":' || to_json(t.parties)::text END,
                       '"mediatype":' || to_json(t.mediatype)::text,
                       '"message_id":' || to_json(t.message_id)::text,
                       '"originator":' || t.originator::text,
                       CASE WHEN t.session_id IS NOT NULL
                            THEN CASE WHEN t.session_id NOT IN ('null', '{}', '[]') THEN '"session_id":' || t.session_id::text END
                            ELSE '"session_id":' || to_json(nullif(t.session_id_legacy, ''))::text END,
                       '"transferee":' || t.transferee::text, '"transferor":' || t.transferor::text,
                       '"application":' || to_json(t.application)::text,
                       '"disposition":' || to_json(t.disposition)::text,
                       '"consultation":' || CASE cardinality(t.consultation) WHEN 0 THEN NULL WHEN 1 THEN to_json(t.consultation[1])::text ELSE to_json(t.consultation)::text END,
                       '"content_hash":' || to_json(t.content_hash)::text,
                       '"party_history":' || h.j,
                       '"target_dialog":' || CASE cardinality(t.target_dialog) WHEN 0 THEN NULL WHEN 1 THEN to_json(t.target_dialog[1])::text ELSE to_json(t.target_dialog)::text END,
                       '"transfer_target":' || CASE cardinality(t.transfer_target) WHEN 0 THEN NULL WHEN 1 THEN to_json(t.transfer_target[1])::text ELSE to_json(t.transfer_target)::text END),
                     t.extra),
                   ',' ORDER BY t.dialog_index) || ']' AS j
        FROM dialog t
        LEFT JOIN h ON h.dialog_id = t.id
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), a AS (
        SELECT t.vcon_id, '[' || string_agg(
                   vcon_redis._obj_text(concat_ws(',',
                       '"url":' || to_json(t.url)::text,
                       '"body":' || CASE WHEN t.body_json THEN t.body::json::text
                                         WHEN t.body_json IS NULL AND (t.encoding IS NULL OR t.encoding = 'none')
                                              AND t.body ~ '^[[:space:]]*([[{"0-9-]|true|false|null)'
                                         THEN vcon_redis._parsed_body(t.body)
                                         ELSE to_json(t.body)::text END,
                       '"type":' || to_json(t.type)::text,
                       '"dialog":' || CASE cardinality(t.dialog_indices) WHEN 0 THEN NULL WHEN 1 THEN to_json(t.dialog_indices[1])::text ELSE to_json(t.dialog_indices)::text END,
                       '"schema":' || to_json(t.schema)::text,
                       -- save_vcon stores an absent vendor as '' (vcon-mcp's column is NOT NULL)
                       '"vendor":' || to_json(CASE WHEN t.extra IS NULL THEN t.vendor ELSE nullif(t.vendor, '') END)::text,
                       '"product":' || to_json(t.product)::text,
                       '"encoding":' || to_json(t.encoding)::text,
                       '"filename":' || to_json(t.filename)::text,
                       '"mediatype":' || to_json(t.mediatype)::text,
                       '"content_hash":' || to_json(t.content_hash)::text),
                     t.extra),
                   ',' ORDER BY t.analysis_index) || ']' AS j
        FROM analysis t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), f AS (
        SELECT t.vcon_id, '[' || string_agg(
                   vcon_redis._obj_text(concat_ws(',',
                       '"url":' || to_json(t.url)::text,
                       '"body":' || CASE WHEN t.body_json THEN t.body::json::text
                                         WHEN t.body_json IS NULL AND (t.encoding IS NULL OR t.encoding = 'none')
                                              AND t.body ~ '^[[:space:]]*([[{"0-9-]|true|false|null)'
                                         THEN vcon_redis._parsed_body(t.body)
                                         ELSE to_json(t.body)::text END,
                       -- our rows mirror purpose into type (a document's own type is in extra);
                       -- other clients' type is what they look up ("tags", "strolid_dealer")
                       '"type":' || to_json(CASE WHEN t.extra IS NULL THEN t.type END)::text,
                       '"party":' || t.party::text,
                       '"start":"' || rtrim(rtrim(to_char(t.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z"',
                       '"dialog":' || t.dialog::text,
                       '"purpose":' || to_json(CASE WHEN t.extra IS NULL THEN coalesce(t.purpose, t.type)
                                                    ELSE t.purpose END)::text,
                       '"encoding":' || to_json(t.encoding)::text,
                       '"filename":' || to_json(t.filename)::text,
                       '"mediatype":' || to_json(t.mimetype)::text,
                       '"content_hash":' || to_json(t.content_hash)::text),
                     t.extra),
                   ',' ORDER BY t.attachment_index) || ']' AS j
        FROM attachments t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    )
    SELECT v.uuid,
           vcon_redis._obj_text(concat_ws(',',
               '"uuid":"' || v.uuid::text || '"',
               '"vcon":' || to_json(CASE WHEN v.extra IS NULL THEN v.vcon_version END)::text,
               CASE WHEN v.group_data NOT IN ('null', '{}', '[]') THEN '"group":' || v.group_data::text END,
               '"dialog":' || d.j,
               CASE WHEN v.extra IS NULL AND v.amended IN ('{}', 'null')
                    THEN CASE WHEN v.appended NOT IN ('null', '{}', '[]') THEN '"amended":' || v.appended::text END
                    ELSE CASE WHEN v.amended NOT IN ('null', '{}', '[]') THEN '"amended":' || v.amended::text END
               END,
               '"parties":' || p.j,
               '"subject":' || to_json(v.subject)::text,
               '"analysis":' || a.j,
               '"critical":' || CASE WHEN cardinality(v.critical) > 0 THEN to_json(v.critical)::text
                                     WHEN v.extra IS NULL AND cardinality(v.must_support) > 0
                                     THEN to_json(v.must_support)::text END,
               CASE WHEN v.redacted NOT IN ('null', '{}', '[]') THEN '"redacted":' || v.redacted::text END,
               '"created_at":"' || rtrim(rtrim(to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z"',
               CASE WHEN cardinality(v.extensions) > 0 THEN '"extensions":' || to_json(v.extensions)::text END,
               '"updated_at":"' || rtrim(rtrim(to_char(CASE WHEN v.extra IS NULL THEN v.updated_at ELSE v.doc_updated_at END AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z"',
               '"attachments":' || f.j),
             v.extra)::jsonb
    FROM vcons v
    LEFT JOIN p ON p.vcon_id = v.uuid
    LEFT JOIN d ON d.vcon_id = v.uuid
    LEFT JOIN a ON a.vcon_id = v.uuid
    LEFT JOIN f ON f.vcon_id = v.uuid
    WHERE v.uuid = ANY (uuids);
END
$fn$;

COMMENT ON FUNCTION vcon_redis.vcon_json_many(uuid[]) IS
    'the canonical documents of the given vCons (absent uuids are not returned)';

CREATE OR REPLACE FUNCTION vcon_redis.vcon_json(vcon_uuid uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    RETURN (SELECT m.doc FROM vcon_redis.vcon_json_many(ARRAY[vcon_uuid]) m);
END
$fn$;

COMMENT ON FUNCTION vcon_redis.vcon_json(uuid) IS 'the canonical vCon document, NULL when absent';

-- sql/45_drain.sql
-- The worker's read of one outbox batch: the documents of its vCons, or why one cannot be built.
--
-- _drain_documents(uuids) is vcon_json_many(uuids) that isolates a bad vCon instead of failing the
-- batch: when the set-based build raises a data error, each vCon is built alone, and a vCon whose
-- own build fails comes back with its error (the worker dead-letters its events and removes its
-- cache key) while every other vCon comes back with its document. The happy path costs one
-- subtransaction per batch.
--
-- Only errors that belong to the data of one vCon are isolated: data exceptions (class 22: a
-- malformed JSON body, a value out of range), program limits (class 54: a document too large),
-- errors raised by PL/pgSQL (P0) and internal errors (XX000). Anything else — a missing column
-- after DDL, a lock or statement timeout, out of memory — is the database's state, not the
-- vCon's: it fails the batch, and the worker backs off and retries it whole. So does an error that
-- every vCon of the batch hits alike (with more than one vCon, that is not one vCon's fault).

CREATE OR REPLACE FUNCTION vcon_redis._vcon_data_error(state text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT left(state, 2) IN ('22', '54', 'P0') OR state = 'XX000' $$;

CREATE OR REPLACE FUNCTION vcon_redis._drain_documents(uuids uuid[])
RETURNS TABLE (uuid uuid, doc jsonb, error text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    u uuid;
    state text;
    message text;
    failed int := 0;
    first_state text;
BEGIN
    BEGIN
        -- vcon_json_many is a PL/pgSQL set-returning function: it materialises every row before
        -- this RETURN QUERY sees the first, so an error leaves nothing half-returned
        RETURN QUERY SELECT m.uuid, m.doc, NULL::text FROM vcon_redis.vcon_json_many(uuids) m;
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
        IF NOT vcon_redis._vcon_data_error(state) THEN
            RAISE;
        END IF;
    END;
    FOREACH u IN ARRAY uuids LOOP
        BEGIN
            RETURN QUERY SELECT m.uuid, m.doc, NULL::text FROM vcon_redis.vcon_json_many(ARRAY[u]) m;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            IF NOT vcon_redis._vcon_data_error(state) THEN
                RAISE;
            END IF;
            failed := failed + 1;
            first_state := coalesce(first_state, state);
            RETURN QUERY SELECT u, NULL::jsonb, format('document cannot be built: %s (SQLSTATE %s)', message, state);
        END;
    END LOOP;
    IF failed > 1 AND failed = cardinality(uuids) THEN
        RAISE EXCEPTION 'every vCon of the batch failed to build (first: SQLSTATE %)', first_state
            USING HINT = 'Not one vCon''s data: check the attached tables and vcon_redis.vcon_json().';
    END IF;
END
$$;

-- sql/50_capture.sql
-- Capture triggers: every INSERT, UPDATE, DELETE and TRUNCATE on a vCon table, from any client and
-- any role, becomes an outbox row in the same transaction.
--
-- Statement-level triggers with transition tables: one INSERT … SELECT per statement however many
-- rows it touched, so bulk loads stay cheap. vcons INSERTs mark the event `created` and capture the
-- ingress lists in force (`SET LOCAL vcon_redis.ingress_lists` routes one transaction). Every
-- trigger calls _wake(), which only sets a backend-local flag; the worker is woken at commit.
--
-- Privileges: the writer needs no privilege on the outbox. The trigger functions are SECURITY
-- DEFINER (they run as the extension's owner, the only role that may write the outbox), with
-- search_path pinned to pg_catalog and every other name schema-qualified, so nothing a writer
-- creates can change what they do. No role but the owner may EXECUTE them, so nobody can hang them
-- on a table of their own to forge events (sql/90_privileges.sql); attach() installs them.

-- vcon_redis.ingress_lists as an array without blanks or repeats (first occurrence order); NULL
-- when no list is configured. Raises when a list is refused: one named like a cached document
-- (it starts with vcon_redis.key_prefix) or, when the superuser set vcon_redis.allowed_lists, one
-- that matches none of its patterns (`*` matches any characters).
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

-- The vcons table. Each branch is planned only when it runs, so the DELETE branch never refers
-- to a transition table that a DELETE trigger does not have. A creation merged into an event that
-- was not one gets a fresh event_id (its push guard must be its own).
CREATE OR REPLACE FUNCTION vcon_redis._capture_vcons() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lists text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        lists := vcon_redis._ingress_lists();  -- once per statement, not per row
        INSERT INTO vcon_redis.outbox AS o (vcon_uuid, created, lists)
        SELECT n.uuid, true, lists FROM new_rows n
        ON CONFLICT (xid, vcon_uuid) DO UPDATE
            SET created = true, lists = coalesce(excluded.lists, o.lists),
                event_id = CASE WHEN o.created THEN o.event_id ELSE excluded.event_id END;
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
CREATE OR REPLACE FUNCTION vcon_redis._capture_child() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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

-- The statement listing the vCons of the party_history rows that `rows_sql` selects, in schema s.
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

-- party_history. TG_ARGV[0]: 'vcon_id' when the table has that column, else 'dialog_id'.
CREATE OR REPLACE FUNCTION vcon_redis._capture_history() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols constant text := CASE WHEN TG_ARGV[0] = 'vcon_id' THEN 'vcon_id, dialog_id' ELSE 'dialog_id' END;
BEGIN
    EXECUTE format('INSERT INTO vcon_redis.outbox (vcon_uuid) %s ON CONFLICT (xid, vcon_uuid) DO NOTHING',
                   vcon_redis._history_vcons_sql(TG_TABLE_SCHEMA, TG_ARGV[0] = 'vcon_id', CASE TG_OP
                       WHEN 'INSERT' THEN format('SELECT %s FROM new_rows', cols)
                       WHEN 'DELETE' THEN format('SELECT %s FROM old_rows', cols)
                       ELSE format('SELECT %1$s FROM new_rows UNION ALL SELECT %1$s FROM old_rows', cols) END));
    PERFORM vcon_redis._wake();
    RETURN NULL;
END
$$;

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
        fn := CASE WHEN t.table_name = 'party_history' THEN format('vcon_redis._capture_history(%L)', t.key_column)
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

-- sql/60_attach.sql
-- attach / detach: bind the extension to the schema holding the vCon tables.
--
-- attach runs with the caller's rights for everything a table owner does anyway: it creates
-- vcon-mcp's tables when they are missing (owned by the caller), or only adds our nullable columns
-- and search indexes to an existing vcon-mcp database (no data moves). Then _bind, as the
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

-- sql/70_status.sql
-- Observability and repair: status(), resync(), and the dead-letter functions.
--
-- status() is SECURITY DEFINER so that any role can see the backlog without reading the private
-- outbox; it shows counts and the (masked) configuration, never event contents. resync() and the
-- dead-letter functions write the outbox: only the extension's owner may run them unless it grants
-- them (sql/90_privileges.sql).

CREATE OR REPLACE FUNCTION vcon_redis.status(
    OUT worker_state text,          -- not_preloaded | not_running | starting | connecting | idle | draining
                                    -- | redis_down | error (an SQL error in a batch) | no_extension | stopping
                                    -- | other_database (the worker drains worker_database, not this one)
    OUT worker_pid integer,
    OUT backlog bigint,             -- events committed and not yet applied to Redis
    OUT oldest_event_age interval,
    OUT events_applied bigint,      -- since the server started
    OUT pushes bigint,
    OUT last_error text,
    OUT last_error_at timestamptz,
    OUT last_success_at timestamptz,
    OUT lag_ms double precision,    -- commit → Redis acknowledgement, for the last batch
    OUT redis_url text,             -- password masked
    OUT attached_schema name,
    OUT dead_letters bigint,        -- events set aside by permanent errors (vcon_redis.dead_letters)
    OUT worker_database name)       -- the database the worker drains (vcon_redis.database)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN w.preloaded AND db.name IS DISTINCT FROM current_database() THEN 'other_database'
                ELSE w.state END,
           w.worker_pid, o.n, clock_timestamp() - o.oldest, w.events_applied, w.pushes,
           w.last_error, w.last_error_at, w.last_success_at, w.last_lag_ms, w.redis_url,
           (SELECT c.schema_name FROM vcon_redis.config c),
           (SELECT count(*) FROM vcon_redis.dead_letters),
           db.name
    FROM vcon_redis._worker_state() AS w,
         (SELECT current_setting('vcon_redis.database', true)::name AS name) AS db,
         (SELECT count(*) AS n, min(enqueued_at) AS oldest FROM vcon_redis.outbox) AS o
$$;

-- Queues a cache SET for every vCon, or for the given uuids, or those updated since a time — e.g.
-- after Redis lost its data. Never pushes to ingress lists. Returns the number of events queued.
CREATE OR REPLACE FUNCTION vcon_redis.resync(uuids uuid[] DEFAULT NULL, updated_since timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    INSERT INTO vcon_redis.outbox (vcon_uuid)
    SELECT v.uuid FROM vcons v
    WHERE (uuids IS NULL OR v.uuid = ANY (uuids))
      AND (updated_since IS NULL OR v.updated_at >= updated_since)
    ON CONFLICT (xid, vcon_uuid) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM vcon_redis._wake();
    RETURN n;
END
$$;

-- Puts dead letters (all, or those with the given ids) back at the end of the outbox, keeping
-- their event_id (a push that already happened is not repeated) and their attempts. Several dead
-- letters of one vCon become one event (as one transaction's changes do). Returns the number of
-- dead letters retried.
CREATE OR REPLACE FUNCTION vcon_redis.retry_dead_letters(ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    WITH gone AS (
        DELETE FROM vcon_redis.dead_letters WHERE ids IS NULL OR id = ANY (ids)
        RETURNING *
    ), per_vcon AS (
        -- the creation (if any) decides event_id and lists
        SELECT DISTINCT ON (vcon_uuid) vcon_uuid, created, lists, event_id, enqueued_at,
               max(attempts) OVER (PARTITION BY vcon_uuid) AS attempts,
               bool_or(created) OVER (PARTITION BY vcon_uuid) AS any_created
        FROM gone
        ORDER BY vcon_uuid, created DESC, id
    ), queued AS (
        INSERT INTO vcon_redis.outbox (vcon_uuid, created, lists, event_id, enqueued_at, attempts)
        SELECT vcon_uuid, any_created, lists, event_id, enqueued_at, attempts FROM per_vcon
        ON CONFLICT (xid, vcon_uuid) DO NOTHING
    )
    SELECT count(*) INTO n FROM gone;
    PERFORM vcon_redis._wake();
    RETURN n;
END
$$;

-- Drops dead letters (all, or those with the given ids). Their vCons' cache keys were already
-- removed; the next change of such a vCon is captured as usual. Returns the number dropped.
CREATE OR REPLACE FUNCTION vcon_redis.discard_dead_letters(ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (DELETE FROM vcon_redis.dead_letters WHERE ids IS NULL OR id = ANY (ids) RETURNING 1)
    SELECT count(*) FROM gone
$$;

-- sql/80_search.sql
-- Search over the vCon tables: the SQL behind the read server's MCP tools `search_vcons`,
-- `search_vcons_content` and `search_by_tags` (docs/design.md), plus the indexes they need.
--
-- Like vcon_json_many, the search functions use UNQUALIFIED table names: attach(schema)'s views
-- vcon_redis.<table>, with the search_path that sql/90_privileges.sql pins for the functions
-- `_search_functions()` lists; attach calls `_create_search_indexes(schema)` after
-- `_create_tables(schema)`.
--
-- The queries are built per call (EXECUTE … USING) from the filters actually given, so every call
-- gets a plan for its own filters, and their expressions are spelled exactly like the index
-- expressions below so the planner can use them:
--
--   full text   to_tsvector('english', coalesce(<col>, ''))          GIN, on vcons.subject,
--               parties.name, dialog.body (text dialogs, encoding none/NULL), analysis.body
--               (encoding not base64url)
--   substring   <col> ILIKE '%…%'                                     GIN gin_trgm_ops when pg_trgm
--               is installed in the database (vcon-mcp has these already), else btree lower(<col>)
--   tags        vcon_redis._tag_array(body) @> ARRAY['k:v', …]        GIN, partial on tags attachments
--
-- vcon-mcp keeps trigger-maintained tsvector columns instead; ours are expression indexes, so an
-- install needs no triggers and no extra columns.

-- ---------------------------------------------------------------------------------------------
-- Tags
-- ---------------------------------------------------------------------------------------------

-- 'array', 'object' or 'string' when `body` is JSON text of that shape whose elements/values are
-- all scalars (strings, numbers, true, false, null), NULL otherwise. A body it accepts is one that
-- jsonb input accepts too (it refuses what jsonb refuses: \u0000, unpaired surrogate escapes, raw
-- control characters, whitespace other than space/tab/CR/LF), so the cast after it cannot fail.
-- This replaces an EXCEPTION block: those start a subtransaction, which PostgreSQL 15 forbids in
-- parallel mode, and this runs inside index expressions and PARALLEL SAFE queries.
CREATE OR REPLACE FUNCTION vcon_redis._json_shape(body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
DECLARE
    ws  constant text := '[ \t\n\r]*';
    str text := '"(?:[^"\\\x01-\x1f]|\\["\\/bfnrt]'
                || '|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}'
                || '|\\u(?![dD][89a-fA-F])(?!0000)[0-9a-fA-F]{4})*"';
    val text;
BEGIN
    IF getdatabaseencoding() <> 'UTF8' THEN
        -- jsonb accepts \u escapes of non-ASCII characters only in UTF8 databases
        str := '"(?:[^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u00(?!00)[0-7][0-9a-fA-F])*"';
    END IF;
    IF body ~ ('^' || ws || '\[') THEN
        val := '(?:' || str || '|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)';
        IF body ~ ('^' || ws || '\[' || ws || '(?:' || val || ws || '(?:,' || ws || val || ws || ')*)?\]' || ws || '$') THEN
            RETURN 'array';
        END IF;
    ELSIF body ~ ('^' || ws || '\{') THEN
        val := '(?:' || str || '|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)';
        IF body ~ ('^' || ws || '\{' || ws || '(?:' || str || ws || ':' || ws || val || ws
                   || '(?:,' || ws || str || ws || ':' || ws || val || ws || ')*)?\}' || ws || '$') THEN
            RETURN 'object';
        END IF;
    ELSIF body ~ ('^' || ws || str || ws || '$') THEN
        RETURN 'string';
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION vcon_redis._tag_array_text(body text, nested boolean) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    shape text := vcon_redis._json_shape(body);
BEGIN
    IF shape IS NULL THEN
        RETURN NULL;                -- not JSON (or not a flat one): no tags, never an error
    ELSIF shape = 'string' THEN
        IF nested THEN
            RETURN NULL;            -- at most one level of double encoding
        END IF;
        RETURN vcon_redis._tag_array_text(body::jsonb #>> '{}', true);
    END IF;
    RETURN vcon_redis._tag_array(body::jsonb);
END
$$;

-- The tags of one tags attachment body as a sorted array of 'key:value' strings.
-- A body is a JSON array of "key:value" strings (the conserver and vcon-mcp), or a JSON object of
-- string values; either may arrive double-encoded (a JSON string holding the array text).
-- Key and value are split at the FIRST colon (vcon-mcp's split_part truncates values containing
-- ':'); an element without a colon is the key with an empty value ('key:'). Non-string elements
-- are ignored. Never raises: it is an index expression, and a malformed body must not make an
-- INSERT fail; anything unparsable (or nested deeper than scalars) yields NULL (no tags).
CREATE OR REPLACE FUNCTION vcon_redis._tag_array(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE jsonb_typeof(body)
        WHEN 'array' THEN (
            SELECT array_agg(DISTINCT CASE WHEN strpos(e.v #>> '{}', ':') > 0 THEN e.v #>> '{}'
                                           ELSE (e.v #>> '{}') || ':' END
                             ORDER BY CASE WHEN strpos(e.v #>> '{}', ':') > 0 THEN e.v #>> '{}'
                                           ELSE (e.v #>> '{}') || ':' END)
            FROM jsonb_array_elements(body) AS e(v)
            WHERE jsonb_typeof(e.v) = 'string')
        WHEN 'object' THEN (
            SELECT array_agg(DISTINCT e.key || ':' || (e.value #>> '{}') ORDER BY e.key || ':' || (e.value #>> '{}'))
            FROM jsonb_each(body) AS e
            WHERE jsonb_typeof(e.value) = 'string' AND strpos(e.key, ':') = 0)
        WHEN 'string' THEN vcon_redis._tag_array_text(body #>> '{}', true)
    END
$$;

-- The text form: what the attachments.body TEXT column holds.
CREATE OR REPLACE FUNCTION vcon_redis._tag_array(body text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT vcon_redis._tag_array_text(body, false) $$;

-- {"k":"v",…} → sorted ARRAY['k:v',…], with the argument checks of search_by_tags.
CREATE OR REPLACE FUNCTION vcon_redis._tag_filter(tags jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    e record;
BEGIN
    IF tags IS NULL OR jsonb_typeof(tags) <> 'object' THEN
        RAISE EXCEPTION 'search_by_tags: tags must be a JSON object of "key": "value" pairs, got %',
            coalesce(jsonb_typeof(tags), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF tags = '{}'::jsonb THEN
        RAISE EXCEPTION 'search_by_tags: tags must contain at least one "key": "value" pair'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR e IN SELECT key, value FROM jsonb_each(tags) ORDER BY key LOOP
        IF jsonb_typeof(e.value) <> 'string' THEN
            RAISE EXCEPTION 'search_by_tags: the value of tag "%" must be a string, got %', e.key, jsonb_typeof(e.value)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF e.key = '' OR strpos(e.key, ':') > 0 THEN
            RAISE EXCEPTION 'search_by_tags: tag key "%" must be non-empty and must not contain '':''', e.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT key || ':' || (value #>> '{}') FROM jsonb_each(tags) ORDER BY 1);
END
$$;

-- Escapes LIKE metacharacters so that user input is matched as a literal substring.
CREATE OR REPLACE FUNCTION vcon_redis._like_substring(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '%' || replace(replace(replace(s, '\', '\\'), '%', '\%'), '_', '\_') || '%' $$;

-- ---------------------------------------------------------------------------------------------
-- search_vcons: metadata search with filters and pagination (MCP tool search_vcons)
-- ---------------------------------------------------------------------------------------------
-- Every filter is optional (NULL = not filtered):
--   subject_filter  substring of vcons.subject, case-insensitive
--   party_name   substring of a party's name, case-insensitive
--   party_email  substring of a party's mailto, case-insensitive; a leading 'mailto:' on either
--                side is ignored ('a@x' finds 'mailto:a@x' and 'mailto:a@x' finds 'a@x')
--   party_tel    substring of a party's tel
--   start_date, end_date   vcons.created_at >= start_date, <= end_date
-- The party filters given must hold for one and the same party (as in vcon-mcp), any party.
-- Ordered by created_at DESC, uuid; lim capped at 1000; total_count = number of all matches
-- (the same value on every row; no row, hence no count, when off is past the end).
-- (The subject filter is named subject_filter because an IN parameter may not share the name of
-- the OUT column `subject`; the server calls it positionally.)
CREATE OR REPLACE FUNCTION vcon_redis.search_vcons(
    subject_filter text DEFAULT NULL,
    party_name text DEFAULT NULL,
    party_email text DEFAULT NULL,
    party_tel text DEFAULT NULL,
    start_date timestamptz DEFAULT NULL,
    end_date timestamptz DEFAULT NULL,
    lim integer DEFAULT 10,
    off integer DEFAULT 0)
RETURNS TABLE (uuid uuid, subject text, created_at timestamptz, parties_count integer,
               dialog_count integer, analysis_count integer, attachments_count integer,
               total_count bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    where_v text[] := ARRAY[]::text[];
    where_p text[] := ARRAY[]::text[];
    email text;
    q text;
BEGIN
    lim := coalesce(lim, 10);
    off := coalesce(off, 0);
    IF lim < 1 THEN
        RAISE EXCEPTION 'search_vcons: lim must be at least 1, got %', lim
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF off < 0 THEN
        RAISE EXCEPTION 'search_vcons: off must not be negative, got %', off
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    lim := least(lim, 1000);

    IF subject_filter IS NOT NULL THEN
        where_v := where_v || 'v.subject ILIKE $1'::text;
    END IF;
    IF start_date IS NOT NULL THEN
        where_v := where_v || 'v.created_at >= $5'::text;
    END IF;
    IF end_date IS NOT NULL THEN
        where_v := where_v || 'v.created_at <= $6'::text;
    END IF;
    IF party_name IS NOT NULL THEN
        where_p := where_p || 'p.name ILIKE $2'::text;
    END IF;
    IF party_email IS NOT NULL THEN
        email := regexp_replace(party_email, '^\s*mailto:', '', 'i');
        where_p := where_p || 'p.mailto ILIKE $3'::text;
    END IF;
    IF party_tel IS NOT NULL THEN
        where_p := where_p || 'p.tel ILIKE $4'::text;
    END IF;
    IF cardinality(where_p) > 0 THEN
        where_v := where_v || ('EXISTS (SELECT 1 FROM parties p WHERE p.vcon_id = v.uuid AND '
                               || array_to_string(where_p, ' AND ') || ')')::text;
    END IF;

    q := 'WITH page AS (
              SELECT v.uuid, v.subject, v.created_at, count(*) OVER () AS total_count
              FROM vcons v'
         || CASE WHEN cardinality(where_v) > 0 THEN ' WHERE ' || array_to_string(where_v, ' AND ') ELSE '' END
         || ' ORDER BY v.created_at DESC, v.uuid
              LIMIT $7 OFFSET $8)
          SELECT page.uuid, page.subject, page.created_at,
                 (SELECT count(*) FROM parties c WHERE c.vcon_id = page.uuid)::integer,
                 (SELECT count(*) FROM dialog c WHERE c.vcon_id = page.uuid)::integer,
                 (SELECT count(*) FROM analysis c WHERE c.vcon_id = page.uuid)::integer,
                 (SELECT count(*) FROM attachments c WHERE c.vcon_id = page.uuid)::integer,
                 page.total_count
          FROM page
          ORDER BY page.created_at DESC, page.uuid';

    RETURN QUERY EXECUTE q
        USING vcon_redis._like_substring(subject_filter), vcon_redis._like_substring(party_name),
              vcon_redis._like_substring(email), vcon_redis._like_substring(party_tel),
              start_date, end_date, lim, off;
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- search_vcons_content: full-text search (MCP tool search_vcons_content)
-- ---------------------------------------------------------------------------------------------
-- websearch_to_tsquery('english', query) against
--   'subject'   vcons.subject                                    content_index NULL
--   'dialog'    dialog.body of text dialogs, encoding none/NULL  content_index = dialog_index
--   'analysis'  analysis.body (JSON bodies searched as text; base64url bodies skipped)
--                                                                content_index = analysis_index
--   'party'     parties.name                                     content_index = party_index
-- One row per matching field (a vCon can appear more than once). relevance_score =
-- ts_rank_cd(weights, …, 32) (0..1) with vcon-mcp's weights: subject 1.0, analysis and party 0.4,
-- dialog 0.2; ties by vcon_id, content_type, content_index. snippet = ts_headline(MaxFragments=3,
-- MaxWords=25, MinWords=5, fragments joined by ' ... ', matches in <b></b>), at most 500 chars.
-- start_date/end_date filter on the vCon's created_at. lim defaults to 50, capped at 100.
CREATE OR REPLACE FUNCTION vcon_redis.search_vcons_content(
    query text,
    start_date timestamptz DEFAULT NULL,
    end_date timestamptz DEFAULT NULL,
    lim integer DEFAULT 50)
RETURNS TABLE (vcon_id uuid, content_type text, content_index integer, relevance_score real,
               snippet text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
-- websearch_to_tsquery NOTICEs on stop-word-only queries; the server has no use for them.
SET client_min_messages = warning
AS $fn$
DECLARE
    tsq tsquery;
    vdate text := '';
    cdate text := '';
    cjoin text := '';
    q text;
BEGIN
    IF query IS NULL OR btrim(query) = '' THEN
        RAISE EXCEPTION 'search_vcons_content: query must be a non-empty search string'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    lim := coalesce(lim, 50);
    IF lim < 1 THEN
        RAISE EXCEPTION 'search_vcons_content: lim must be at least 1, got %', lim
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    lim := least(lim, 100);

    tsq := websearch_to_tsquery('english', query);
    IF numnode(tsq) = 0 THEN
        RETURN;     -- only stop words or punctuation: nothing can match
    END IF;

    IF start_date IS NOT NULL THEN
        vdate := vdate || ' AND v.created_at >= $2';
    END IF;
    IF end_date IS NOT NULL THEN
        vdate := vdate || ' AND v.created_at <= $3';
    END IF;
    IF vdate <> '' THEN
        cjoin := ' JOIN vcons v ON v.uuid = c.vcon_id';
        cdate := vdate;
    END IF;

    q := 'WITH hit AS (
              SELECT v.uuid AS vcon_id, ''subject''::text AS content_type, NULL::integer AS content_index,
                     ts_rank_cd(''{1,1,1,1}''::real[], to_tsvector(''english'', coalesce(v.subject, '''')), $1, 32) AS score,
                     v.subject AS txt
              FROM vcons v
              WHERE to_tsvector(''english'', coalesce(v.subject, '''')) @@ $1' || vdate || '
              UNION ALL
              SELECT c.vcon_id, ''dialog'', c.dialog_index,
                     ts_rank_cd(''{0.2,0.2,0.2,0.2}''::real[], to_tsvector(''english'', coalesce(c.body, '''')), $1, 32),
                     c.body
              FROM dialog c' || cjoin || '
              WHERE c.type = ''text'' AND (c.encoding IS NULL OR c.encoding = ''none'')
                AND to_tsvector(''english'', coalesce(c.body, '''')) @@ $1' || cdate || '
              UNION ALL
              SELECT c.vcon_id, ''analysis'', c.analysis_index,
                     ts_rank_cd(''{0.4,0.4,0.4,0.4}''::real[], to_tsvector(''english'', coalesce(c.body, '''')), $1, 32),
                     c.body
              FROM analysis c' || cjoin || '
              WHERE (c.encoding IS NULL OR c.encoding <> ''base64url'')
                AND to_tsvector(''english'', coalesce(c.body, '''')) @@ $1' || cdate || '
              UNION ALL
              SELECT c.vcon_id, ''party'', c.party_index,
                     ts_rank_cd(''{0.4,0.4,0.4,0.4}''::real[], to_tsvector(''english'', coalesce(c.name, '''')), $1, 32),
                     c.name
              FROM parties c' || cjoin || '
              WHERE to_tsvector(''english'', coalesce(c.name, '''')) @@ $1' || cdate || '
          ), top AS (
              SELECT * FROM hit
              ORDER BY score DESC, vcon_id, content_type, content_index NULLS FIRST
              LIMIT $4
          )
          SELECT top.vcon_id, top.content_type, top.content_index, top.score,
                 left(ts_headline(''english'', top.txt, $1,
                      ''MaxFragments=3, MaxWords=25, MinWords=5, FragmentDelimiter=" ... "''), 500)
          FROM top
          ORDER BY top.score DESC, top.vcon_id, top.content_type, top.content_index NULLS FIRST';

    RETURN QUERY EXECUTE q USING tsq, start_date, end_date, lim;
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- search_by_tags (MCP tool search_by_tags)
-- ---------------------------------------------------------------------------------------------
-- tags = {"key":"value",…}, non-empty, string values. A vCon matches when its tags — the union
-- of its tags attachments (purpose = 'tags' OR type = 'tags': the conserver writes `purpose`,
-- vcon-mcp `type`) — contain every pair. Ordered by vcons.created_at DESC, uuid; lim defaults to
-- 50, capped at 100. Reads the tables directly: no materialized view to refresh (vcon-mcp's
-- vcon_tags_mv lags writes).
CREATE OR REPLACE FUNCTION vcon_redis.search_by_tags(tags jsonb, lim integer DEFAULT 50)
RETURNS TABLE (vcon_id uuid)
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    want text[] := vcon_redis._tag_filter(tags);
    hits uuid[];
    more uuid[];
BEGIN
    lim := coalesce(lim, 50);
    IF lim < 1 THEN
        RAISE EXCEPTION 'search_by_tags: lim must be at least 1, got %', lim
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    lim := least(lim, 100);

    -- All pairs in one tags attachment: the GIN index answers this.
    EXECUTE 'SELECT coalesce(array_agg(DISTINCT a.vcon_id), ''{}'') FROM attachments a
             WHERE (a.purpose = ''tags'' OR a.type = ''tags'')
               AND vcon_redis._tag_array(a.body) @> $1'
        INTO hits USING want;

    -- Pairs spread over several tags attachments of one vCon (rare: the conserver and vcon-mcp
    -- both keep one). Only possible with two or more pairs; costs one index-only scan of the
    -- partial index attachments_tags_vcon_idx.
    IF cardinality(want) > 1 THEN
        EXECUTE 'SELECT coalesce(array_agg(s.vcon_id), ''{}'')
                 FROM (SELECT a.vcon_id FROM attachments a
                       WHERE (a.purpose = ''tags'' OR a.type = ''tags'')
                       GROUP BY a.vcon_id HAVING count(*) > 1) s
                 WHERE s.vcon_id <> ALL ($2)
                   AND $1 <@ ARRAY(SELECT unnest(vcon_redis._tag_array(a.body))
                                   FROM attachments a
                                   WHERE a.vcon_id = s.vcon_id
                                     AND (a.purpose = ''tags'' OR a.type = ''tags''))'
            INTO more USING want, hits;
        hits := hits || more;
    END IF;

    RETURN QUERY EXECUTE
        'SELECT v.uuid FROM vcons v WHERE v.uuid = ANY ($1)
         ORDER BY v.created_at DESC, v.uuid
         LIMIT $2'
        USING hits, lim;
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- Wiring for attach()
-- ---------------------------------------------------------------------------------------------

-- The search functions (their search_path is pinned by sql/90_privileges.sql).
CREATE OR REPLACE FUNCTION vcon_redis._search_functions() RETURNS regprocedure[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ARRAY[
        'vcon_redis.search_vcons(text, text, text, text, timestamptz, timestamptz, integer, integer)'::regprocedure,
        'vcon_redis.search_vcons_content(text, timestamptz, timestamptz, integer)'::regprocedure,
        'vcon_redis.search_by_tags(jsonb, integer)'::regprocedure]
$$;

-- Creates the indexes the search functions use on the tables in `schema` (idempotent). An index
-- is skipped when the table already has one with the same definition under another name (e.g.
-- vcon-mcp's trigram indexes). Substring filters get trigram GIN indexes when pg_trgm is
-- installed in this database (in whatever schema), else btree indexes on lower(col) (exact and
-- prefix lookups only); the extension never requires pg_trgm.
CREATE OR REPLACE FUNCTION vcon_redis._create_search_indexes(schema name) RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    trgm text;      -- qualified gin_trgm_ops, or NULL
    tags_pred constant text := '((purpose = ''tags''::text) OR (type = ''tags''::text))';
    ix record;
BEGIN
    SELECT format('%I.gin_trgm_ops', n.nspname) INTO trgm
    FROM pg_extension e
    JOIN pg_opclass o ON o.opcname = 'gin_trgm_ops'
    JOIN pg_am am ON am.oid = o.opcmethod AND am.amname = 'gin'
    JOIN pg_namespace n ON n.oid = o.opcnamespace
    JOIN pg_depend d ON d.classid = 'pg_opclass'::regclass AND d.objid = o.oid
                    AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
    WHERE e.extname = 'pg_trgm'
    LIMIT 1;

    FOR ix IN
        SELECT * FROM (VALUES
            ('vcons', 'vcons_subject_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(subject, ''''::text)))', NULL),
            ('vcons', 'vcons_created_at_idx', 'USING btree (created_at)', NULL),
            ('parties', 'parties_name_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(name, ''''::text)))', NULL),
            ('dialog', 'dialog_body_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(body, ''''::text)))',
             '((type = ''text''::text) AND ((encoding IS NULL) OR (encoding = ''none''::text)))'),
            ('analysis', 'analysis_body_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(body, ''''::text)))',
             '((encoding IS NULL) OR (encoding <> ''base64url''::text))'),
            ('attachments', 'attachments_tags_idx',
             'USING gin (vcon_redis._tag_array(body))', tags_pred),
            ('attachments', 'attachments_tags_vcon_idx', 'USING btree (vcon_id)', tags_pred)
        ) AS t(tbl, name, def, pred)
        UNION ALL
        SELECT * FROM (VALUES
            ('vcons', 'vcons_subject_trgm_idx', format('USING gin (subject %s)', trgm), NULL),
            ('parties', 'parties_name_trgm_idx', format('USING gin (name %s)', trgm), NULL),
            ('parties', 'parties_mailto_trgm_idx', format('USING gin (mailto %s)', trgm), NULL),
            ('parties', 'parties_tel_trgm_idx', format('USING gin (tel %s)', trgm), NULL)
        ) AS t(tbl, name, def, pred)
        WHERE trgm IS NOT NULL
        UNION ALL
        SELECT * FROM (VALUES
            ('parties', 'parties_name_lower_idx', 'USING btree (lower(name))', NULL),
            ('parties', 'parties_mailto_lower_idx', 'USING btree (lower(mailto))', NULL),
            ('parties', 'parties_tel_idx', 'USING btree (tel)', NULL)
        ) AS t(tbl, name, def, pred)
        WHERE trgm IS NULL
    LOOP
        -- Same definition already there under any name? pg_indexes.indexdef is
        -- 'CREATE [UNIQUE] INDEX <name> ON <schema>.<table> USING …'.
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM pg_indexes i
            WHERE i.schemaname = schema AND i.tablename = ix.tbl
              AND (i.indexname = ix.name
                   -- (an opclass is schema-qualified in indexdef only when not on search_path)
                   OR regexp_replace(substr(i.indexdef, strpos(i.indexdef, ' USING ') + 1),
                                     '\S+\.gin_trgm_ops', 'gin_trgm_ops', 'g')
                      = regexp_replace(ix.def || coalesce(' WHERE ' || ix.pred, ''),
                                       '\S+\.gin_trgm_ops', 'gin_trgm_ops', 'g')));
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I %s%s',
                       ix.name, schema, ix.tbl, ix.def, coalesce(' WHERE ' || ix.pred, ''));
    END LOOP;
END
$fn$;

-- sql/90_privileges.sql
-- Who may do what: every grant of the extension, in one place.
--
-- The model (README "Roles and privileges"):
--   * Any role may use the schema and call the public API: save_vcon, vcon_json, vcon_json_many,
--     delete_vcon, validate_vcon, the search functions, status(), attach()/detach(). The data
--     functions run with the caller's rights (through the security_invoker views attach() makes),
--     so what a role can read, write or search is exactly what its grants and row-level security
--     policies on the vCon tables allow.
--   * The outbox, the dead letters and the configuration are private to the extension's owner.
--     Events are written by the capture triggers and by resync() (SECURITY DEFINER), so any role
--     that may write the vCon tables is captured without any privilege on the outbox, and no role
--     can forge, suppress or redirect an event: the trigger functions cannot be attached to other
--     tables (no EXECUTE), the outbox cannot be written directly, and which Redis lists a writer
--     may name is the superuser's vcon_redis.allowed_lists.
--   * resync() and the dead-letter functions are for the extension's owner, who may GRANT them.
--   * Every SECURITY DEFINER function pins search_path to pg_catalog (plus vcon_redis where it
--     names our views) and pg_temp last; so do the readers the worker runs (below).

GRANT USAGE ON SCHEMA vcon_redis TO PUBLIC;
REVOKE ALL ON vcon_redis.outbox, vcon_redis.dead_letters, vcon_redis.config FROM PUBLIC;
GRANT SELECT ON vcon_redis.config TO PUBLIC;    -- only the attached schema's name

-- Trigger functions, their installers and the outbox writers: the extension's owner only.
REVOKE EXECUTE ON FUNCTION
    vcon_redis._capture_vcons(), vcon_redis._capture_child(), vcon_redis._capture_history(),
    vcon_redis._capture_truncate(), vcon_redis._install_capture(name), vcon_redis._remove_capture(name),
    vcon_redis._wake(), vcon_redis.resync(uuid[], timestamptz),
    vcon_redis.retry_dead_letters(bigint[]), vcon_redis.discard_dead_letters(bigint[])
FROM PUBLIC;

-- The readers name the vCon tables unqualified: they find attach()'s views in vcon_redis, and
-- nothing in any other schema. The worker runs vcon_json_many (through _drain_documents) as a
-- superuser: nothing created in the attached schema may capture a name it uses. (The writers,
-- save_vcon and delete_vcon, name the views qualified and run under the caller's own search_path,
-- like the caller's own statements: sql/30_save.sql.)
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY vcon_redis._search_functions()
                       || ARRAY['vcon_redis.vcon_json_many(uuid[])', 'vcon_redis.vcon_json(uuid)']::regprocedure[] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, vcon_redis, pg_temp', f);
    END LOOP;
END
$$;

-- sql/upgrade/0.1.0--0.2.0.post.sql
-- Upgrade 0.1.0 → 0.2.0, part 3 of 3: after the code of 0.2.0 is in place.

-- The attached schema's capture triggers, reinstalled with 0.2.0's functions (party_history is now
-- captured by _capture_history, which also finds the vCon of rows that have only dialog_id).
DO $$
DECLARE
    s name := (SELECT c.schema_name FROM vcon_redis.config c);
BEGIN
    IF s IS NOT NULL THEN
        PERFORM vcon_redis._install_capture(s);
    END IF;
END
$$;

DROP FUNCTION vcon_redis._capture_via_dialog();
DROP FUNCTION vcon_redis._data_functions();

-- What the upgrade cannot do itself: the views vcon_redis.<table> (and the triggers that keep our
-- columns honest) belong to the attached schema, not to the extension, so attach() makes them:
-- after ALTER EXTENSION vcon_redis UPDATE, run SELECT vcon_redis.attach('<schema>') (README).
