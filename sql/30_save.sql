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
CREATE OR REPLACE FUNCTION vcon_redis._array_shape_to_keep(e jsonb, k text, scalar_is_default boolean) RETURNS jsonb
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

-- The `body` of an element as its column stores it: a string as itself, any other JSON value as
-- its text (body_json says which, NULL when there is no body).
CREATE OR REPLACE FUNCTION vcon_redis._body_column(e jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(e -> 'body') = 'string' THEN e ->> 'body' ELSE (e -> 'body')::text END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._body_json_column(e jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN e ? 'body' THEN jsonb_typeof(e -> 'body') <> 'string' END
$$;

-- {k: e[k]} when member k of e is an array (a shape its scalar column cannot hold: kept in
-- extra), else {}.
CREATE OR REPLACE FUNCTION vcon_redis._array_member(e jsonb, k text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(e -> k) = 'array' THEN jsonb_build_object(k, e -> k) ELSE '{}' END
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
    created := vcon_redis._to_timestamptz(n ->> 'created_at');
    updated := vcon_redis._to_timestamptz(n ->> 'updated_at');
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
               vcon_redis._body_column(e),
               vcon_redis._body_json_column(e),
               e ->> 'encoding', e ->> 'url',
               vcon_redis._string_value(e -> 'content_hash'),
               (e - ARRAY['type', 'dialog', 'mediatype', 'filename', 'vendor', 'product', 'schema',
                          'body', 'encoding', 'url', 'content_hash'])
               || vcon_redis._array_shape_to_keep(e, 'dialog', true)
               || CASE WHEN e ->> 'vendor' = '' THEN '{"vendor": ""}' ELSE '{}' END::jsonb
               || vcon_redis._array_member(e, 'content_hash')
        FROM jsonb_array_elements(n -> 'analysis') WITH ORDINALITY AS x(e, i)
    ), f AS (
        -- `type` mirrors `purpose` so vcon-mcp's tag features (type = 'tags') see our tags; a
        -- document `type` next to a `purpose` is an unknown member and stays in extra.
        INSERT INTO vcon_redis.attachments (vcon_id, attachment_index, type, purpose, start_time, party, dialog,
                                 mimetype, filename, body, body_json, encoding, url, content_hash,
                                 extra)
        SELECT u, x.i - 1, coalesce(e ->> 'type', e ->> 'purpose'), e ->> 'purpose',
               vcon_redis._to_timestamptz(e ->> 'start'), (e ->> 'party')::integer, (e ->> 'dialog')::integer,
               e ->> 'mediatype', e ->> 'filename',
               vcon_redis._body_column(e),
               vcon_redis._body_json_column(e),
               e ->> 'encoding', e ->> 'url',
               vcon_redis._string_value(e -> 'content_hash'),
               (e - ARRAY['purpose', 'start', 'party', 'dialog', 'mediatype', 'filename', 'body',
                          'encoding', 'url', 'content_hash'])
               || vcon_redis._array_member(e, 'content_hash')
        FROM jsonb_array_elements(n -> 'attachments') WITH ORDINALITY AS x(e, i)
    ), d AS (
        INSERT INTO vcon_redis.dialog AS t (vcon_id, dialog_index, type, start_time, duration_seconds,
            duration, parties, originator, mediatype, filename, body, body_json, encoding,
            url, content_hash, disposition, session_id, application, message_id, transferee,
            transferor, transfer_target, original, consultation, target_dialog, extra)
        SELECT u, (x.i - 1)::integer, e ->> 'type', vcon_redis._to_timestamptz(e ->> 'start'),
               (e ->> 'duration')::real, (e ->> 'duration')::numeric,
               -- flat for vcon-mcp: nested channels and null placeholders are kept in extra
               CASE WHEN NOT e ? 'parties' THEN NULL
                    WHEN jsonb_typeof(e -> 'parties') = 'number' THEN vcon_redis._int_array(e -> 'parties')
                    WHEN NOT jsonb_path_exists(e -> 'parties', 'strict $[*] ? (@.type() != "number")')
                        THEN vcon_redis._int_array(e -> 'parties')
                    ELSE ARRAY(SELECT (v #>> '{}')::integer
                               FROM jsonb_path_query(e -> 'parties', 'lax $[*][*] ? (@ != null)') v) END,
               (e ->> 'originator')::integer, e ->> 'mediatype', e ->> 'filename',
               vcon_redis._body_column(e),
               vcon_redis._body_json_column(e),
               e ->> 'encoding', e ->> 'url',
               vcon_redis._string_value(e -> 'content_hash'),
               e ->> 'disposition', e -> 'session_id', e ->> 'application', e ->> 'message_id',
               CASE WHEN jsonb_typeof(e -> 'transferee') = 'number' THEN (e ->> 'transferee')::integer END,
               CASE WHEN jsonb_typeof(e -> 'transferor') = 'number' THEN (e ->> 'transferor')::integer END,
               vcon_redis._int_array(e -> 'transfer_target'), vcon_redis._int_array(e -> 'original'),
               vcon_redis._int_array(e -> 'consultation'), vcon_redis._int_array(e -> 'target_dialog'),
               (e - ARRAY['type', 'start', 'duration', 'parties', 'originator', 'mediatype', 'filename',
                          'body', 'encoding', 'url', 'content_hash', 'disposition', 'session_id',
                          'application', 'message_id', 'transferee', 'transferor', 'transfer_target',
                          'original', 'consultation', 'target_dialog', 'party_history'])
               || vcon_redis._array_shape_to_keep(e, 'parties', false)
               || vcon_redis._array_shape_to_keep(e, 'transfer_target', true)
               || vcon_redis._array_shape_to_keep(e, 'original', true)
               || vcon_redis._array_shape_to_keep(e, 'consultation', true)
               || vcon_redis._array_shape_to_keep(e, 'target_dialog', true)
               || vcon_redis._array_member(e, 'transferee')
               || vcon_redis._array_member(e, 'transferor')
               || vcon_redis._array_member(e, 'content_hash')
        FROM jsonb_array_elements(n -> 'dialog') WITH ORDINALITY AS x(e, i)
        RETURNING t.id, t.dialog_index
    )
    INSERT INTO vcon_redis.party_history (vcon_id, dialog_id, history_index, party_index, time, event, extra)
    SELECT u, d.id, h.j - 1, (h.e ->> 'party')::integer, vcon_redis._to_timestamptz(h.e ->> 'time'),
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
