-- The canonical vCon document, assembled from the tables: the one definition of the document shape.
--
-- vcon_json_many(uuids) builds many documents set-based (one aggregate query per child table, no
-- per-uuid loop): the worker calls it for a whole outbox batch, the read server on a cache miss.
-- vcon_json(uuid) is its single row. Rules (the fidelity contract, README "Normalisations"):
--   * members come from the vcon-mcp columns, then `extra` is merged over them (extra wins);
--   * NULL columns, '{}'/'[]' jsonb and empty arrays are omitted, never emitted as null;
--   * dates are RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.ffffff]Z, fraction trimmed of trailing zeros;
--   * children are ordered by *_index, party_history by history_index (then time);
--   * rows written by other clients (extra IS NULL: only vcon-mcp's columns) read as vcon-mcp
--     reads them, minus its nulls: vcon←vcon_version, updated_at←updated_at, amended←appended and
--     critical←must_support when the current column is empty, attachment purpose←type when purpose
--     is empty, session_id←session_id_legacy, a one-element analysis dialog as a scalar.

CREATE FUNCTION vcon_redis._rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN extract(microseconds FROM t)::bigint % 1000000 = 0 THEN ''
                   ELSE rtrim(to_char(t AT TIME ZONE 'UTC', '.US'), '0') END
           || 'Z'
$$;

-- An int[] column as a document value: one element → scalar, more → array, none → omitted.
CREATE FUNCTION vcon_redis._ints_json(a integer[]) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE cardinality(a) WHEN 0 THEN NULL WHEN 1 THEN to_jsonb(a[1]) ELSE to_jsonb(a) END
$$;

-- {key: v} when v is a value worth emitting, else {}.
CREATE FUNCTION vcon_redis._member(key text, v jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL OR v IN ('null'::jsonb, '{}'::jsonb, '[]'::jsonb) THEN '{}'::jsonb
                ELSE jsonb_build_object(key, v) END
$$;

-- A text body column back as its JSON value.
CREATE FUNCTION vcon_redis._body(body text, body_json boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN body IS NULL THEN '{}'::jsonb
                WHEN body_json THEN jsonb_build_object('body', body::jsonb)
                ELSE jsonb_build_object('body', body) END
$$;

CREATE FUNCTION vcon_redis.vcon_json_many(uuids uuid[])
RETURNS TABLE (uuid uuid, doc jsonb)
-- VOLATILE, not STABLE: a STABLE function reads with its caller's snapshot, so
-- vcon_json(save_vcon(doc)) in one statement would not see the rows just saved.
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH p AS (
        SELECT t.vcon_id, jsonb_agg(
                   jsonb_strip_nulls(jsonb_build_object(
                       'tel', t.tel, 'sip', t.sip, 'stir', t.stir, 'mailto', t.mailto, 'name', t.name,
                       'did', t.did, 'validation', t.validation, 'gmlpos', t.gmlpos,
                       'timezone', t.timezone, 'uuid', t.uuid))
                   || vcon_redis._member('jCard', t.jcard)
                   || vcon_redis._member('civicaddress', t.civicaddress)
                   || coalesce(t.extra, '{}')
                   ORDER BY t.party_index) AS j
        FROM parties t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), h AS (
        SELECT t.dialog_id, jsonb_agg(
                   jsonb_strip_nulls(jsonb_build_object(
                       'party', t.party_index, 'time', vcon_redis._rfc3339(t.time), 'event', t.event,
                       'dtmf', t.dtmf))
                   || coalesce(t.extra, '{}')
                   ORDER BY t.history_index, t.time, t.id) AS j
        FROM party_history t
        WHERE t.dialog_id IN (SELECT d.id FROM dialog d WHERE d.vcon_id = ANY (uuids))
        GROUP BY t.dialog_id
    ), d AS (
        SELECT t.vcon_id, jsonb_agg(
                   jsonb_strip_nulls(jsonb_build_object(
                       'type', t.type,
                       'start', vcon_redis._rfc3339(t.start_time),
                       -- exact value unless another client changed duration_seconds since
                       'duration', CASE WHEN t.duration IS NOT NULL
                                             AND t.duration_seconds IS NOT DISTINCT FROM t.duration::real
                                        THEN t.duration ELSE t.duration_seconds::numeric END,
                       'parties', CASE WHEN cardinality(t.parties) > 0 THEN to_jsonb(t.parties) END,
                       'originator', t.originator, 'mediatype', t.mediatype, 'filename', t.filename,
                       'encoding', t.encoding, 'url', t.url, 'content_hash', t.content_hash,
                       'disposition', t.disposition, 'application', t.application,
                       'message_id', t.message_id, 'transferee', t.transferee,
                       'transferor', t.transferor,
                       'transfer_target', vcon_redis._ints_json(t.transfer_target),
                       'original', vcon_redis._ints_json(t.original),
                       'consultation', vcon_redis._ints_json(t.consultation),
                       'target_dialog', vcon_redis._ints_json(t.target_dialog)))
                   || vcon_redis._body(t.body, t.body_json)
                   || vcon_redis._member('session_id', coalesce(t.session_id, to_jsonb(nullif(t.session_id_legacy, ''))))
                   || vcon_redis._member('party_history', h.j)
                   || coalesce(t.extra, '{}')
                   ORDER BY t.dialog_index) AS j
        FROM dialog t
        LEFT JOIN h ON h.dialog_id = t.id
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), a AS (
        SELECT t.vcon_id, jsonb_agg(
                   jsonb_strip_nulls(jsonb_build_object(
                       'type', t.type, 'dialog', vcon_redis._ints_json(t.dialog_indices),
                       'mediatype', t.mediatype, 'filename', t.filename, 'vendor', t.vendor,
                       'product', t.product, 'schema', t.schema, 'encoding', t.encoding,
                       'url', t.url, 'content_hash', t.content_hash))
                   || vcon_redis._body(t.body, t.body_json)
                   || coalesce(t.extra, '{}')
                   ORDER BY t.analysis_index) AS j
        FROM analysis t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), f AS (
        SELECT t.vcon_id, jsonb_agg(
                   jsonb_strip_nulls(jsonb_build_object(
                       -- our rows mirror purpose into type; other clients' rows may have only type
                       'purpose', CASE WHEN t.extra IS NULL THEN coalesce(t.purpose, t.type) ELSE t.purpose END,
                       'type', CASE WHEN t.extra IS NULL AND t.purpose IS NOT NULL
                                         AND t.type IS DISTINCT FROM t.purpose THEN t.type END,
                       'start', vcon_redis._rfc3339(t.start_time), 'party', t.party,
                       'dialog', t.dialog, 'mediatype', t.mimetype, 'filename', t.filename,
                       'encoding', t.encoding, 'url', t.url, 'content_hash', t.content_hash))
                   || vcon_redis._body(t.body, t.body_json)
                   || coalesce(t.extra, '{}')
                   ORDER BY t.attachment_index) AS j
        FROM attachments t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    )
    SELECT v.uuid,
           jsonb_strip_nulls(jsonb_build_object(
               'vcon', CASE WHEN v.extra IS NULL THEN v.vcon_version END,
               'uuid', v.uuid,
               'created_at', vcon_redis._rfc3339(v.created_at),
               'updated_at', vcon_redis._rfc3339(CASE WHEN v.extra IS NULL THEN v.updated_at
                                                      ELSE v.doc_updated_at END),
               'subject', v.subject,
               'extensions', CASE WHEN cardinality(v.extensions) > 0 THEN to_jsonb(v.extensions) END,
               'critical', CASE WHEN cardinality(v.critical) > 0 THEN to_jsonb(v.critical)
                                WHEN v.extra IS NULL AND cardinality(v.must_support) > 0
                                THEN to_jsonb(v.must_support) END))
           || vcon_redis._member('redacted', v.redacted)
           || vcon_redis._member('amended', CASE WHEN v.extra IS NULL AND v.amended IN ('{}', 'null')
                                                 THEN v.appended ELSE v.amended END)
           || vcon_redis._member('group', v.group_data)
           || vcon_redis._member('parties', p.j)
           || vcon_redis._member('dialog', d.j)
           || vcon_redis._member('analysis', a.j)
           || vcon_redis._member('attachments', f.j)
           || coalesce(v.extra, '{}')
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

CREATE FUNCTION vcon_redis.vcon_json(vcon_uuid uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    RETURN (SELECT m.doc FROM vcon_redis.vcon_json_many(ARRAY[vcon_uuid]) m);
END
$fn$;

COMMENT ON FUNCTION vcon_redis.vcon_json(uuid) IS 'the canonical vCon document, NULL when absent';
