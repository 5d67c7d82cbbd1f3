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
--   * no per-row SQL function call is left: _obj_text and the helpers below are inlined, and
--     _parsed_body is reached only for other clients' analysis/attachment bodies that start like JSON.

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

-- The helpers below are SQL functions of one expression, which the planner inlines into
-- vcon_json_many's query (tests/regress/sql/fidelity.sql checks it with EXPLAIN VERBOSE): one
-- definition each, no per-row call.

-- A timestamp as a JSON string, RFC 3339 in UTC with the fraction trimmed of trailing zeros:
-- "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"; NULL for NULL.
CREATE OR REPLACE FUNCTION vcon_redis._rfc3339_json(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '"' || rtrim(rtrim(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z"'
$$;

-- An int[]/text[] column that a document holds as a scalar when it has one element: NULL (member
-- omitted) when empty, the element when one, the array otherwise.
CREATE OR REPLACE FUNCTION vcon_redis._scalar_or_array_json(a anyarray) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE cardinality(a) WHEN 0 THEN NULL WHEN 1 THEN to_json(a[1])::text ELSE to_json(a)::text END
$$;

-- The member "key": v of a jsonb column, omitted (NULL) when v is NULL, null, {} or [].
CREATE OR REPLACE FUNCTION vcon_redis._jsonb_member(key text, v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v NOT IN ('null', '{}', '[]') THEN '"' || key || '":' || v::text END
$$;

-- A body as JSON text: a JSON body (body_json) as its own text, checked to be one JSON value by
-- ::json (a malformed one fails as body::jsonb did; the final parse normalises it); otherwise the
-- JSON string, except, with `foreign_json`, another client's text body with encoding none or none
-- given that starts like JSON, read as vcon-mcp reads it (_parsed_body).
CREATE OR REPLACE FUNCTION vcon_redis._body_json(body text, body_json boolean, encoding text, foreign_json boolean)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN body_json THEN body::json::text
                WHEN foreign_json AND body_json IS NULL AND (encoding IS NULL OR encoding = 'none')
                     AND body ~ '^[[:space:]]*([[{"0-9-]|true|false|null)'
                THEN vcon_redis._parsed_body(body)
                ELSE to_json(body)::text END
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
-- work_mem = 64MB: RETURN QUERY collects the documents in a tuplestore, which spilled to disk for a
-- worker batch (sql/45_drain.sql).
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET work_mem = '64MB'
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
                       vcon_redis._jsonb_member(CASE WHEN t.extra IS NULL THEN 'jcard' ELSE 'jCard' END, t.jcard),
                       '"gmlpos":' || to_json(t.gmlpos)::text, '"mailto":' || to_json(t.mailto)::text,
                       '"timezone":' || to_json(t.timezone)::text,
                       '"validation":' || to_json(t.validation)::text,
                       vcon_redis._jsonb_member('civicaddress', t.civicaddress)),
                     t.extra),
                   ',' ORDER BY t.party_index) || ']' AS j
        FROM parties t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), h AS (
        SELECT t.dialog_id, '[' || string_agg(
                   vcon_redis._obj_text(concat_ws(',',
                       '"dtmf":' || to_json(t.dtmf)::text,
                       '"time":' || vcon_redis._rfc3339_json(t.time),
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
                       '"body":' || vcon_redis._body_json(t.body, t.body_json, t.encoding, false),
                       '"type":' || to_json(t.type)::text,
                       '"start":' || vcon_redis._rfc3339_json(t.start_time),
                       -- exact value unless another client changed duration_seconds since; a REAL
                       -- as its shortest exact text (float4out), as vcon-mcp reads it, never ::numeric
                       -- (6 significant digits: 1234.567 would become 1234.57)
                       '"duration":' || CASE WHEN t.duration IS NOT NULL
                                                  AND t.duration_seconds IS NOT DISTINCT FROM t.duration::real
                                             THEN to_json(t.duration) ELSE to_json(t.duration_seconds) END::text,
                       '"encoding":' || to_json(t.encoding)::text,
                       '"filename":' || to_json(t.filename)::text,
                       '"original":' || vcon_redis._scalar_or_array_json(t.original),
                       CASE WHEN cardinality(t.parties) > 0 THEN '"parties":' || to_json(t.parties)::text END,
                       '"mediatype":' || to_json(t.mediatype)::text,
                       '"message_id":' || to_json(t.message_id)::text,
                       '"originator":' || t.originator::text,
                       CASE WHEN t.session_id IS NOT NULL
                            THEN vcon_redis._jsonb_member('session_id', t.session_id)
                            ELSE '"session_id":' || to_json(nullif(t.session_id_legacy, ''))::text END,
                       '"transferee":' || t.transferee::text, '"transferor":' || t.transferor::text,
                       '"application":' || to_json(t.application)::text,
                       '"disposition":' || to_json(t.disposition)::text,
                       '"consultation":' || vcon_redis._scalar_or_array_json(t.consultation),
                       '"content_hash":' || to_json(t.content_hash)::text,
                       '"party_history":' || h.j,
                       '"target_dialog":' || vcon_redis._scalar_or_array_json(t.target_dialog),
                       '"transfer_target":' || vcon_redis._scalar_or_array_json(t.transfer_target)),
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
                       '"body":' || vcon_redis._body_json(t.body, t.body_json, t.encoding, true),
                       '"type":' || to_json(t.type)::text,
                       '"dialog":' || vcon_redis._scalar_or_array_json(t.dialog_indices),
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
                       '"body":' || vcon_redis._body_json(t.body, t.body_json, t.encoding, true),
                       -- our rows mirror purpose into type (a document's own type is in extra);
                       -- other clients' type is what they look up ("tags", "strolid_dealer")
                       '"type":' || to_json(CASE WHEN t.extra IS NULL THEN t.type END)::text,
                       '"party":' || t.party::text,
                       '"start":' || vcon_redis._rfc3339_json(t.start_time),
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
               vcon_redis._jsonb_member('group', v.group_data),
               '"dialog":' || d.j,
               CASE WHEN v.extra IS NULL AND v.amended IN ('{}', 'null')
                    THEN vcon_redis._jsonb_member('amended', v.appended)
                    ELSE vcon_redis._jsonb_member('amended', v.amended)
               END,
               '"parties":' || p.j,
               '"subject":' || to_json(v.subject)::text,
               '"analysis":' || a.j,
               '"critical":' || CASE WHEN cardinality(v.critical) > 0 THEN to_json(v.critical)::text
                                     WHEN v.extra IS NULL AND cardinality(v.must_support) > 0
                                     THEN to_json(v.must_support)::text END,
               vcon_redis._jsonb_member('redacted', v.redacted),
               '"created_at":' || vcon_redis._rfc3339_json(v.created_at),
               CASE WHEN cardinality(v.extensions) > 0 THEN '"extensions":' || to_json(v.extensions)::text END,
               '"updated_at":' || vcon_redis._rfc3339_json(CASE WHEN v.extra IS NULL THEN v.updated_at ELSE v.doc_updated_at END),
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
