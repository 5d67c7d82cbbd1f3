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
-- What goes into each column (the mapping to vcon-mcp's columns) is sql/28_rows.sql; this file is
-- the statements.
--
-- Tables are named through vcon_redis.<table>, the views attach() makes of the attached schema's
-- tables (sql/60_attach.sql). save_vcon and delete_vcon pin no search_path: they run as the caller,
-- under the caller's search_path, so the writes they make behave exactly like the same statements
-- sent by the caller — including the caller's own triggers on the tables (e.g. vcon-mcp's
-- embedding queue and tenant triggers), which name their objects unqualified.

-- Refuses a document with errors: the first in the message, all of them in the detail.
CREATE OR REPLACE FUNCTION vcon_redis._refuse_errors(problems vcon_redis.problem[]) RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE
    errs constant text[] := ARRAY(SELECT format('%s: %s', p.path, p.message)
                                  FROM unnest(problems) p WHERE p.severity = 'error');
BEGIN
    IF cardinality(errs) > 0 THEN
        RAISE EXCEPTION 'invalid vCon: %', errs[1]
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = array_to_string(errs, E'\n'),
                  HINT = 'vcon_redis.validate_vcon(doc) lists every problem; nothing was written.';
    END IF;
END
$fn$;

-- Stores the vcons row of the normalised document n, whose uuid is u: an existing uuid UPDATEs its
-- row and deletes its old children (save_vcon then inserts the new ones); a new one INSERTs it.
CREATE OR REPLACE FUNCTION vcon_redis._store_vcon_row(u uuid, n jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    v record;
    attempts int := 0;
BEGIN
    SELECT * INTO v FROM vcon_redis._vcon_row(n);

    -- Existing uuid: UPDATE. New: INSERT; if a concurrent save inserted the same uuid meanwhile,
    -- ON CONFLICT waits for it to commit and we go round again to the UPDATE.
    LOOP
        -- Look before updating: an UPDATE that matches no row still fires the statement-level
        -- capture trigger, a cost every new vCon would pay for nothing.
        IF EXISTS (SELECT FROM vcon_redis.vcons WHERE vcons.uuid = u) THEN
            UPDATE vcon_redis.vcons SET
                vcon_version = v.vcon_version,
                subject = v.subject,
                created_at = coalesce(v.created_at, vcons.created_at),     -- created_at should not change
                updated_at = coalesce(v.updated_at, now()),
                doc_updated_at = v.updated_at,
                redacted = v.redacted,
                amended = v.amended,
                appended = v.amended,           -- vcon-mcp keeps both in sync
                group_data = v.group_data,
                extensions = v.extensions,
                critical = v.critical,
                must_support = v.critical,
                extra = v.extra
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
        VALUES (u, u, v.vcon_version, v.subject, coalesce(v.created_at, now()), coalesce(v.updated_at, now()),
                v.updated_at, v.redacted, v.amended, v.amended, v.group_data, v.extensions, v.critical,
                v.critical, v.extra)
        ON CONFLICT DO NOTHING;          -- uuid (or id = uuid) taken meanwhile: update instead
        EXIT WHEN FOUND;
        attempts := attempts + 1;
        IF attempts > 3 THEN             -- e.g. a vcon-mcp row whose id is this uuid, uuid another
            RAISE EXCEPTION 'save_vcon: cannot insert or update vCon %', u
                USING ERRCODE = 'unique_violation';
        END IF;
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION vcon_redis.save_vcon(doc jsonb)
RETURNS uuid
LANGUAGE plpgsql AS $fn$
DECLARE
    -- read from a table, doc may be a compressed TOAST value that every -> would decompress again:
    -- jsonb || '{}' hands back one plain in-memory copy
    plain jsonb := CASE WHEN jsonb_typeof(doc) = 'object' THEN doc || '{}' ELSE doc END;
    n jsonb := vcon_redis._normalize(plain);
    u uuid;
BEGIN
    PERFORM vcon_redis._refuse_errors(vcon_redis._problems(plain, n));

    u := (n ->> 'uuid')::uuid;
    PERFORM vcon_redis._store_vcon_row(u, n);

    -- All children in one statement (a statement has a fixed cost, its triggers included); an
    -- absent array gives jsonb_array_elements(NULL), no rows. party_history needs dialog.id.
    WITH p AS (
        INSERT INTO vcon_redis.parties (vcon_id, party_index, tel, sip, stir, mailto, name, did, validation,
                             gmlpos, timezone, jcard, civicaddress, uuid, extra)
        SELECT u, r.* FROM vcon_redis._party_rows(n -> 'parties') r
    ), a AS (
        INSERT INTO vcon_redis.analysis (vcon_id, analysis_index, type, dialog_indices, mediatype, filename,
                              vendor, product, schema, body, body_json, encoding, url, content_hash,
                              extra)
        SELECT u, r.* FROM vcon_redis._analysis_rows(n -> 'analysis') r
    ), f AS (
        INSERT INTO vcon_redis.attachments (vcon_id, attachment_index, type, purpose, start_time, party, dialog,
                                 mimetype, filename, body, body_json, encoding, url, content_hash,
                                 extra)
        SELECT u, r.* FROM vcon_redis._attachment_rows(n -> 'attachments') r
    ), d AS (
        INSERT INTO vcon_redis.dialog AS t (vcon_id, dialog_index, type, start_time, duration_seconds,
            duration, parties, originator, mediatype, filename, body, body_json, encoding,
            url, content_hash, disposition, session_id, application, message_id, transferee,
            transferor, transfer_target, original, consultation, target_dialog, extra)
        SELECT u, r.* FROM vcon_redis._dialog_rows(n -> 'dialog') r
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
