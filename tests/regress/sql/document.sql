-- document: vcon_json_many (C, extension/src/vcon_document.cpp) and _vcon_texts against the SQL
-- definition they replaced, kept below as the reference (sql/40_json.sql of 0.3.0 before the C
-- builder): on every vCon this suite has saved by now (it runs last), the sample vCons, rows written
-- by other clients (extra IS NULL) with every vcon-mcp rule, unicode escapes, huge numbers, an
-- extra that repeats a column's member, non-object extras, and a malformed body, vcon_json(u)::text
-- must be byte-identical to the reference's, and _vcon_texts(u) to its compact text (what Redis
-- holds: jsonb::text without the space after ',' and ':').
SET client_min_messages = warning;
\set VERBOSITY terse
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM vcon_redis.config) THEN
        PERFORM vcon_redis.attach('public');
    END IF;
END $$;
SELECT set_config('search_path', quote_ident(schema_name) || ', public', false) IS NOT NULL AS on_attached_schema
FROM vcon_redis.config;

-- The reference: the SQL definition of the document before the C builder.
CREATE FUNCTION pg_temp._obj_text(members text, extra jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN extra IS NULL OR jsonb_typeof(extra) = 'object' THEN '{' ELSE '[{' END
           || concat_ws(',', members, CASE WHEN jsonb_typeof(extra) = 'object'
                                           THEN nullif(left(substr(extra::text, 2), -1), '') END)
           || CASE WHEN extra IS NULL OR jsonb_typeof(extra) = 'object' THEN '}'
                   WHEN jsonb_typeof(extra) <> 'array' THEN '},' || extra::text || ']'
                   WHEN extra = '[]' THEN '}]'
                   ELSE '},' || substr(extra::text, 2) END
$$;

-- The helpers below are SQL functions of one expression, which the planner inlines into
-- vcon_json_many's query (tests/regress/sql/fidelity.sql checks it with EXPLAIN VERBOSE): one
-- definition each, no per-row call.

-- A timestamp as a JSON string, RFC 3339 in UTC with the fraction trimmed of trailing zeros:
-- "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"; NULL for NULL.
CREATE FUNCTION pg_temp._rfc3339_json(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '"' || rtrim(rtrim(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z"'
$$;

-- An int[]/text[] column that a document holds as a scalar when it has one element: NULL (member
-- omitted) when empty, the element when one, the array otherwise.
CREATE FUNCTION pg_temp._scalar_or_array_json(a anyarray) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE cardinality(a) WHEN 0 THEN NULL WHEN 1 THEN to_json(a[1])::text ELSE to_json(a)::text END
$$;

-- The member "key": v of a jsonb column, omitted (NULL) when v is NULL, null, {} or [].
CREATE FUNCTION pg_temp._jsonb_member(key text, v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v NOT IN ('null', '{}', '[]') THEN '"' || key || '":' || v::text END
$$;

-- A body as JSON text: a JSON body (body_json) as its own text, checked to be one JSON value by
-- ::json (a malformed one fails as body::jsonb did; the final parse normalises it); otherwise the
-- JSON string, except, with `foreign_json`, another client's text body with encoding none or none
-- given that starts like JSON, read as vcon-mcp reads it (_parsed_body).
CREATE FUNCTION pg_temp._body_json(body text, body_json boolean, encoding text, foreign_json boolean)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN body_json THEN body::json::text
                WHEN foreign_json AND body_json IS NULL AND (encoding IS NULL OR encoding = 'none')
                     AND body ~ '^[[:space:]]*([[{"0-9-]|true|false|null)'
                THEN vcon_redis._parsed_body(body)
                ELSE to_json(body)::text END
$$;

CREATE FUNCTION pg_temp.old_json_many(uuids uuid[])
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
SET search_path = pg_catalog, vcon_redis, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET work_mem = '64MB'
AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH p AS (
        SELECT t.vcon_id, '[' || string_agg(
                   pg_temp._obj_text(concat_ws(',',
                       '"did":' || to_json(t.did)::text, '"sip":' || to_json(t.sip)::text,
                       '"tel":' || to_json(t.tel)::text,
                       '"name":' || to_json(t.name)::text, '"stir":' || to_json(t.stir)::text,
                       '"uuid":' || to_json(t.uuid)::text,
                       pg_temp._jsonb_member(CASE WHEN t.extra IS NULL THEN 'jcard' ELSE 'jCard' END, t.jcard),
                       '"gmlpos":' || to_json(t.gmlpos)::text, '"mailto":' || to_json(t.mailto)::text,
                       '"timezone":' || to_json(t.timezone)::text,
                       '"validation":' || to_json(t.validation)::text,
                       pg_temp._jsonb_member('civicaddress', t.civicaddress)),
                     t.extra),
                   ',' ORDER BY t.party_index) || ']' AS j
        FROM parties t
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), h AS (
        SELECT t.dialog_id, '[' || string_agg(
                   pg_temp._obj_text(concat_ws(',',
                       '"dtmf":' || to_json(t.dtmf)::text,
                       '"time":' || pg_temp._rfc3339_json(t.time),
                       '"event":' || to_json(t.event)::text,
                       '"party":' || t.party_index::text),
                     t.extra),
                   ',' ORDER BY t.history_index, t.time, t.id) || ']' AS j
        FROM party_history t
        WHERE t.dialog_id IN (SELECT d.id FROM dialog d WHERE d.vcon_id = ANY (uuids))
        GROUP BY t.dialog_id
    ), d AS (
        SELECT t.vcon_id, '[' || string_agg(
                   pg_temp._obj_text(concat_ws(',',
                       '"url":' || to_json(t.url)::text,
                       '"body":' || pg_temp._body_json(t.body, t.body_json, t.encoding, false),
                       '"type":' || to_json(t.type)::text,
                       '"start":' || pg_temp._rfc3339_json(t.start_time),
                       -- exact value unless another client changed duration_seconds since; a REAL
                       -- as its shortest exact text (float4out), as vcon-mcp reads it, never ::numeric
                       -- (6 significant digits: 1234.567 would become 1234.57)
                       '"duration":' || CASE WHEN t.duration IS NOT NULL
                                                  AND t.duration_seconds IS NOT DISTINCT FROM t.duration::real
                                             THEN to_json(t.duration) ELSE to_json(t.duration_seconds) END::text,
                       '"encoding":' || to_json(t.encoding)::text,
                       '"filename":' || to_json(t.filename)::text,
                       '"original":' || pg_temp._scalar_or_array_json(t.original),
                       CASE WHEN cardinality(t.parties) > 0 THEN '"parties":' || to_json(t.parties)::text END,
                       '"mediatype":' || to_json(t.mediatype)::text,
                       '"message_id":' || to_json(t.message_id)::text,
                       '"originator":' || t.originator::text,
                       CASE WHEN t.session_id IS NOT NULL
                            THEN pg_temp._jsonb_member('session_id', t.session_id)
                            ELSE '"session_id":' || to_json(nullif(t.session_id_legacy, ''))::text END,
                       '"transferee":' || t.transferee::text, '"transferor":' || t.transferor::text,
                       '"application":' || to_json(t.application)::text,
                       '"disposition":' || to_json(t.disposition)::text,
                       '"consultation":' || pg_temp._scalar_or_array_json(t.consultation),
                       '"content_hash":' || to_json(t.content_hash)::text,
                       '"party_history":' || h.j,
                       '"target_dialog":' || pg_temp._scalar_or_array_json(t.target_dialog),
                       '"transfer_target":' || pg_temp._scalar_or_array_json(t.transfer_target)),
                     t.extra),
                   ',' ORDER BY t.dialog_index) || ']' AS j
        FROM dialog t
        LEFT JOIN h ON h.dialog_id = t.id
        WHERE t.vcon_id = ANY (uuids)
        GROUP BY t.vcon_id
    ), a AS (
        SELECT t.vcon_id, '[' || string_agg(
                   pg_temp._obj_text(concat_ws(',',
                       '"url":' || to_json(t.url)::text,
                       '"body":' || pg_temp._body_json(t.body, t.body_json, t.encoding, true),
                       '"type":' || to_json(t.type)::text,
                       '"dialog":' || pg_temp._scalar_or_array_json(t.dialog_indices),
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
                   pg_temp._obj_text(concat_ws(',',
                       '"url":' || to_json(t.url)::text,
                       '"body":' || pg_temp._body_json(t.body, t.body_json, t.encoding, true),
                       -- our rows mirror purpose into type (a document's own type is in extra);
                       -- other clients' type is what they look up ("tags", "strolid_dealer")
                       '"type":' || to_json(CASE WHEN t.extra IS NULL THEN t.type END)::text,
                       '"party":' || t.party::text,
                       '"start":' || pg_temp._rfc3339_json(t.start_time),
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
           pg_temp._obj_text(concat_ws(',',
               '"uuid":"' || v.uuid::text || '"',
               '"vcon":' || to_json(CASE WHEN v.extra IS NULL THEN v.vcon_version END)::text,
               pg_temp._jsonb_member('group', v.group_data),
               '"dialog":' || d.j,
               CASE WHEN v.extra IS NULL AND v.amended IN ('{}', 'null')
                    THEN pg_temp._jsonb_member('amended', v.appended)
                    ELSE pg_temp._jsonb_member('amended', v.amended)
               END,
               '"parties":' || p.j,
               '"subject":' || to_json(v.subject)::text,
               '"analysis":' || a.j,
               '"critical":' || CASE WHEN cardinality(v.critical) > 0 THEN to_json(v.critical)::text
                                     WHEN v.extra IS NULL AND cardinality(v.must_support) > 0
                                     THEN to_json(v.must_support)::text END,
               pg_temp._jsonb_member('redacted', v.redacted),
               '"created_at":' || pg_temp._rfc3339_json(v.created_at),
               CASE WHEN cardinality(v.extensions) > 0 THEN '"extensions":' || to_json(v.extensions)::text END,
               '"updated_at":' || pg_temp._rfc3339_json(CASE WHEN v.extra IS NULL THEN v.updated_at ELSE v.doc_updated_at END),
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


-- compact_json (common/json/compact.hpp) of jsonb::text: every space outside a string removed
-- (jsonb's output has no other whitespace outside strings).
CREATE FUNCTION pg_temp.compact(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(t, '("(?:[^"\\]|\\.)*")| ', '\1', 'g')
$$;

-- The sample vCons (read client-side by psql; a missing file is skipped).
CREATE TEMP TABLE samples (name text, doc jsonb);
\set s01 `cat ../shared/samples/01_ietf-core03_ab_call_int_rec.vcon.json 2>/dev/null || echo null`
\set s02 `cat ../shared/samples/02_ietf-core03_ab_call_ext_rec.vcon.json 2>/dev/null || echo null`
\set s03 `cat ../shared/samples/03_ietf-core03_ab_call_ext_rec_amended.vcon.json 2>/dev/null || echo null`
\set s04 `cat ../shared/samples/04_ietf-core03_ab_call_ext_rec_redacted.vcon.json 2>/dev/null || echo null`
\set s07 `cat ../shared/samples/07_ietf-core03_ab_email_acct_prob_thread.vcon.json 2>/dev/null || echo null`
\set s08 `cat ../shared/samples/08_vcon-js_interop1_call.vcon.json 2>/dev/null || echo null`
\set s10 `cat ../shared/samples/10_vcon-server_dataset_recording-url.vcon.json 2>/dev/null || echo null`
\set s12 `cat ../shared/samples/12_ietf-meeting-vcons_ietf110_6lo.vcon.json 2>/dev/null || echo null`
INSERT INTO samples VALUES ('01', :'s01'), ('02', :'s02'), ('03', :'s03'), ('04', :'s04'), ('07', :'s07'),
                           ('08', :'s08'), ('10', :'s10'), ('12', :'s12');
SELECT count(vcon_redis.save_vcon(doc)) >= 0 AS samples_saved FROM samples WHERE doc <> 'null';

-- Strings with a character to escape at every offset of the 8-byte words the compact text's writer
-- scans at once (AppendString), next to multibyte characters.
SELECT count(vcon_redis.save_vcon(jsonb_build_object(
    'vcon', '0.4.0', 'uuid', format('01928e10-d0c0-8000-8000-1000000000%s', lpad(k::text, 2, '0')),
    'created_at', '2026-02-03T04:05:06Z',
    'subject', repeat('a', k) || chr(10) || repeat('b', 20 - k) || '"' || repeat('é', k) || '\' || chr(1),
    'parties', jsonb_build_array(jsonb_build_object('name', repeat('x', k) || chr(31) || repeat('y', 9))))))
    AS escapes_saved
FROM generate_series(0, 17) k;

-- Documents saved by save_vcon with unicode escapes, control characters, huge and precise numbers,
-- and extension members at every level.
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-d0c0-8000-8000-000000000001", "created_at": "2026-02-03T04:05:06.789+02:00",
  "subject": "caf\u00e9 \ud83d\ude00 tab\there \u0001 quote\" back\\slash \/",
  "x-top": {"b": 1, "a": [1e400, -0.0, 123456789012345678901234567890.000123, 1E-7, 33.12, 0.5600001000000001]},
  "parties": [{"name": "\u00e9l\u00e8ve", "tel": "+1555", "x-p": null, "meta": {}},
              {"mailto": "a@example.com", "jCard": ["vcard", []], "civicaddress": {"country": "US"}}],
  "dialog": [{"type": "text", "start": "2026-02-03T04:05:06Z", "parties": [0, 1], "originator": 0,
              "mediatype": "text/plain", "body": "{\"looks\": \"like json\"}", "encoding": "none",
              "duration": 1234.5670, "party_history": [{"party": 1, "event": "join", "time": "2026-02-03T04:05:07.5Z", "x-h": true}]},
             {"type": "recording", "start": "2026-02-03T04:06:00.000001Z", "duration": 3.0, "parties": 1,
              "url": "https://example.com/a.wav", "content_hash": "sha512-abc", "session_id": {"local": "x", "remote": "y"},
              "transfer_target": [0], "original": [0, 1]}],
  "analysis": [{"type": "transcript", "dialog": 0, "vendor": "v", "encoding": "json",
                "body": {"z": 1, "a": [1, 2.50], "m": "\u001fx", "z": 2}},
               {"type": "summary", "dialog": [0, 1], "vendor": "", "body": "plain text", "encoding": "none"}],
  "attachments": [{"purpose": "tags", "body": ["a:b", "c:d"], "encoding": "json", "start": "2026-02-03T04:05:06Z", "party": 0, "dialog": 0},
                  {"type": "other", "body": "aGVsbG8", "encoding": "base64url", "mediatype": "text/plain"}],
  "amended": {"uuid": "01928e10-d0c0-8000-8000-0000000000aa"}, "critical": ["x-top"], "extensions": ["x-top"]
}$$) IS NOT NULL AS saved_escapes;

-- Rows written by other clients (extra IS NULL, vcon-mcp's columns only).
INSERT INTO vcons (uuid, vcon_version, subject, created_at, updated_at, appended, amended, must_support,
                   critical, extensions, redacted, group_data)
VALUES ('01928e10-d0c0-8000-8000-000000000002', '0.3.0', 'other client', '2025-07-01 10:00:00.120000+00',
        '2025-07-01 10:05:00+00', '{"uuid": "01928e10-d0c0-8000-8000-0000000000bb"}', '{}', '{must}', '{}', NULL,
        '{}', '[{"uuid": "01928e10-d0c0-8000-8000-0000000000cc"}]');
INSERT INTO parties (vcon_id, party_index, tel, name, jcard, uuid)
VALUES ('01928e10-d0c0-8000-8000-000000000002', 0, '+15551112222', 'Customer', '["vcard", []]', 'p-0'),
       ('01928e10-d0c0-8000-8000-000000000002', 1, NULL, NULL, 'null', NULL);
INSERT INTO dialog (vcon_id, dialog_index, type, start_time, duration_seconds, parties, originator, body, encoding,
                    session_id_legacy, transferee, target_dialog, consultation)
VALUES ('01928e10-d0c0-8000-8000-000000000002', 0, 'text', '2025-07-01 10:00:01+00', 1234.567, '{0,1}', 1,
        '{"a": 1}', 'none', 'legacy-session', 0, '{1}', '{}'),
       ('01928e10-d0c0-8000-8000-000000000002', 1, 'recording', 'infinity', 57.168, '{1}', NULL, NULL, NULL,
        '', NULL, NULL, '{0,1}');
INSERT INTO party_history (vcon_id, dialog_id, party_index, time, event, history_index)
SELECT d.vcon_id, d.id, 1, '2025-07-01 10:00:02.5+00', 'join', 0 FROM dialog d
WHERE d.vcon_id = '01928e10-d0c0-8000-8000-000000000002' AND d.dialog_index = 0;
INSERT INTO party_history (vcon_id, dialog_id, party_index, time, event, history_index, dtmf)
SELECT d.vcon_id, d.id, 0, '2025-07-01 10:00:01+00', 'drop', 1, '5' FROM dialog d
WHERE d.vcon_id = '01928e10-d0c0-8000-8000-000000000002' AND d.dialog_index = 0;
INSERT INTO analysis (vcon_id, analysis_index, type, dialog_indices, vendor, product, body, encoding, mediatype)
VALUES ('01928e10-d0c0-8000-8000-000000000002', 0, 'transcript', '{0}', 'deepgram', 'nova-2',
        ' {"b": 2, "a": 1, "a": 3, "n": 1.50, "big": 1e400}', NULL, 'application/json'),
       ('01928e10-d0c0-8000-8000-000000000002', 1, 'summary', '{0,1}', '', NULL, '[not json', 'none', NULL),
       ('01928e10-d0c0-8000-8000-000000000002', 2, 'summary', '{}', 'x', NULL, '"\u0000 refused by jsonb"', 'none', NULL),
       ('01928e10-d0c0-8000-8000-000000000002', 3, 'summary', NULL, 'x', NULL, 'null', NULL, NULL),
       ('01928e10-d0c0-8000-8000-000000000002', 4, 'summary', NULL, 'x', NULL, '{"kept": "a string"}', 'json', NULL),
       ('01928e10-d0c0-8000-8000-000000000002', 5, 'summary', NULL, 'x', NULL, 'true', 'none', NULL),
       ('01928e10-d0c0-8000-8000-000000000002', 6, 'summary', NULL, 'x', NULL, 'plain words', NULL, NULL);
INSERT INTO attachments (vcon_id, attachment_index, type, purpose, body, encoding, party, dialog, start_time, mimetype)
VALUES ('01928e10-d0c0-8000-8000-000000000002', 0, 'tags', NULL, '["topic:billing"]', NULL, 0, 0,
        '2025-07-01 10:00:00+00', 'application/json'),
       ('01928e10-d0c0-8000-8000-000000000002', 1, 'strolid_dealer', 'purpose', '{"dealer": 7}', 'json', NULL, NULL, NULL, NULL);

-- int[] columns as another client may write them, which the builder writes itself (IntArrayMember):
-- more dimensions, lower bounds other than 1 (a one-element array has no a[1] then: omitted), NULL
-- elements, one NULL element, the int4 extremes.
INSERT INTO vcons (uuid, vcon_version, created_at)
VALUES ('01928e10-d0c0-8000-8000-000000000006', '0.3.0', '2025-07-01 10:00:00+00');
INSERT INTO dialog (vcon_id, dialog_index, type, parties, original, consultation, target_dialog, transfer_target)
VALUES ('01928e10-d0c0-8000-8000-000000000006', 0, 'text', '{{7}}', '{{1,2},{3,4}}', '[2:2]={5}', '{NULL}',
        '{1,NULL,-2147483648}'),
       ('01928e10-d0c0-8000-8000-000000000006', 1, 'text', '[0:1]={0,1}', '[0:0]={3}', '{{{9}}}', '{2147483647}',
        '{{NULL,1}}'),
       ('01928e10-d0c0-8000-8000-000000000006', 2, 'text', '{}', '{NULL,NULL}', '[1:1]={6}', NULL, '{0}');
INSERT INTO analysis (vcon_id, analysis_index, type, dialog_indices, vendor)
VALUES ('01928e10-d0c0-8000-8000-000000000006', 0, 'summary', '{{0,1}}', 'x'),
       ('01928e10-d0c0-8000-8000-000000000006', 1, 'summary', '[3:3]={1}', 'x'),
       ('01928e10-d0c0-8000-8000-000000000006', 2, 'summary', '{-1}', 'x');

-- An extra that repeats a column's member (extra wins), and non-object extras (never written by
-- save_vcon: `object || extra` makes an array).
UPDATE parties SET extra = '{"name": "from extra", "tel": null}'
WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000001' AND party_index = 0;
UPDATE parties SET extra = '"a scalar"'
WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000001' AND party_index = 1;
UPDATE analysis SET extra = '[1, {"x": 2}]'
WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000001' AND analysis_index = 0;
UPDATE attachments SET extra = '[]'
WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000001' AND attachment_index = 1;
SELECT vcon_redis.save_vcon($${"vcon": "0.4.0", "uuid": "01928e10-d0c0-8000-8000-000000000003",
  "created_at": "2026-01-01T00:00:00Z", "subject": "top-level extra", "dialog": [{"type": "text", "body": "hi"}]}$$)
  IS NOT NULL AS saved_top;
UPDATE vcons SET extra = '[{"x": 1}, 2]' WHERE uuid = '01928e10-d0c0-8000-8000-000000000003';
UPDATE dialog SET extra = 'null' WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000003';

-- Extras merged into the columns' members in jsonb's key order (BeginMember): keys before, between
-- and after the columns', keys equal to a column's (extra wins) including the child arrays
-- ("dialog", "parties", "party_history": their rows are then skipped, and the next vCon's read
-- from after them), on objects at every level.
SELECT vcon_redis.save_vcon($${"vcon": "0.4.0", "uuid": "01928e10-d0c0-8000-8000-000000000007",
  "created_at": "2026-01-01T00:00:00Z", "subject": "merged extras",
  "parties": [{"name": "a"}, {"tel": "+1"}], "analysis": [{"type": "t", "vendor": "v", "body": "b", "encoding": "none"}],
  "dialog": [{"type": "text", "body": "hi", "parties": [0, 1], "party_history": [{"party": 0, "event": "join", "time": "2026-01-01T00:00:01Z"}]},
             {"type": "text", "body": "there", "party_history": [{"party": 1, "event": "drop", "time": "2026-01-01T00:00:02Z"}]}]
}$$) IS NOT NULL AS saved_merged;
UPDATE vcons SET extra = extra || '{"a": 1, "dialog": "from extra", "parties": [], "zzzzzzzzzzzzzzzzzzzz": 2, "subjects": 3}'
WHERE uuid = '01928e10-d0c0-8000-8000-000000000007';
UPDATE analysis SET extra = '{"body": 1, "vendor": "e", "zz": {}}'
WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000007';
UPDATE party_history SET extra = '{"time": "t", "a": [], "party": null}'
WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000002' AND history_index = 0;
SELECT vcon_redis.save_vcon($${"vcon": "0.4.0", "uuid": "01928e10-d0c0-8000-8000-000000000008",
  "created_at": "2026-01-01T00:00:00Z", "subject": "after the merged one",
  "dialog": [{"type": "text", "body": "next", "party_history": [{"party": 0, "event": "join", "time": "2026-01-01T00:00:03Z"}]}],
  "parties": [{"name": "b"}]}$$) IS NOT NULL AS saved_after_merged;
UPDATE dialog SET extra = '{"": 0, "body": {"from": "extra"}, "party_history": null, "typ": 1, "types": [2]}'
WHERE vcon_id = '01928e10-d0c0-8000-8000-000000000008';

-- JSON bodies as stored text (body_json): _vcon_texts copies one already in jsonb's output form
-- (extension/src/canonical_json.cpp) and parses any other; either way the comparison below holds. In
-- that form, with separators and escapes inside strings, every scalar, empty and deep containers,
-- and next to it each way a text can differ from that form: key order, a repeated key, spacing,
-- exponents, negative zero, escapes jsonb does not write, an escaped key, a number or a nesting
-- too large for the copy.
INSERT INTO vcons (uuid, extra) VALUES ('01928e10-d0c0-8000-8000-000000000005', '{}');
INSERT INTO analysis (vcon_id, analysis_index, type, vendor, body, body_json, encoding, extra)
SELECT '01928e10-d0c0-8000-8000-000000000005', b.i, 'x', 'v', b.body, true, 'json', '{}'
FROM (VALUES
    (0, '{"a": 1, "bb": [1, 2.50, -0.5, 0, 0.000, -12.340, "x, y: z", true, false, null], "ccc": {"": null, "k": "\u001f\n\"\\é\t\u000b"}}'),
    (1, '[]'), (2, '{}'), (3, '[{}, [], [[]], {"a": {}}]'), (4, '"a string, body"'), (5, '-7'), (6, 'true'),
    (7, 'null'), (8, repeat('[', 50) || repeat(']', 50)), (9, '{"b": 1, "a": 2}'), (10, '{"a": 1, "a": 2}'),
    (11, '{"aa": 1, "b": 2}'), (12, '{"a":1}'), (13, '[1,2]'), (14, ' [1]'), (15, '[1] '), (16, '{"a": 1,  "b": 2}'),
    (17, '[1e2, 1.0E+2]'), (18, '[-0]'), (19, '[-0.00]'), (20, '["\/", "\u0041", "\u00e9", "\u000A", "\ud83d\ude00"]'),
    (21, '{"k\u0065y": 1}'), (22, '[' || repeat('9', 1001) || ']'), (23, repeat('[', 1100) || repeat(']', 1100)),
    (24, '[0.1, 10, 100.0100]'), (25, '["\u0008"]'), (26, '{"a" : 1}'), (27, '["\u001F"]')
) AS b(i, body);
SELECT left(doc, 560) AS compact_bodies FROM vcon_redis._vcon_texts('{01928e10-d0c0-8000-8000-000000000005}');

-- Every vCon: vcon_json_many and vcon_json are the reference's jsonb, byte for byte; _vcon_texts is
-- its compact text.
CREATE TEMP TABLE compared AS
SELECT uuid, o.doc AS old, n.doc AS new, t.doc AS compact, vcon_redis.vcon_json(uuid) AS single
FROM pg_temp.old_json_many(ARRAY(SELECT v.uuid FROM vcons v)) o
FULL JOIN vcon_redis.vcon_json_many(ARRAY(SELECT v.uuid FROM vcons v)) n USING (uuid)
FULL JOIN vcon_redis._vcon_texts(ARRAY(SELECT v.uuid FROM vcons v)) t USING (uuid);
SELECT count(*) >= 3 AS vcons_compared,
       count(*) FILTER (WHERE old::text IS DISTINCT FROM new::text) AS vcon_json_many_differs,
       count(*) FILTER (WHERE old::text IS DISTINCT FROM single::text) AS vcon_json_differs,
       count(*) FILTER (WHERE pg_temp.compact(old::text) IS DISTINCT FROM compact) AS compact_text_differs
FROM compared;
SELECT uuid, old::text AS reference, new::text AS built FROM compared
WHERE old::text IS DISTINCT FROM new::text OR pg_temp.compact(old::text) IS DISTINCT FROM compact;
-- (the cases above are in the comparison, and look as the rules say)
SELECT new FROM compared WHERE uuid = '01928e10-d0c0-8000-8000-000000000002';
SELECT jsonb_array_length(new) AS top_array, new -> 0 -> 'dialog' AS dialog, new -> 1 AS extra1, new -> 2 AS extra2
FROM compared WHERE uuid = '01928e10-d0c0-8000-8000-000000000003';
SELECT new -> 'parties' AS parties, new -> 'analysis' -> 0 AS analysis0, new -> 'attachments' -> 1 AS attachment1
FROM compared WHERE uuid = '01928e10-d0c0-8000-8000-000000000001';
SELECT compact FROM compared WHERE uuid = '01928e10-d0c0-8000-8000-000000000001';
SELECT regexp_replace(compact, '"updated_at":"[^"]*",', '') AS merged_extras FROM compared
WHERE uuid IN ('01928e10-d0c0-8000-8000-000000000007', '01928e10-d0c0-8000-8000-000000000008') ORDER BY uuid;
SELECT new -> 'dialog' AS int_arrays_dialog, new -> 'analysis' AS int_arrays_analysis
FROM compared WHERE uuid = '01928e10-d0c0-8000-8000-000000000006';
-- an absent uuid gives no row, as before
SELECT count(*) AS absent FROM vcon_redis.vcon_json_many('{01928e10-d0c0-8000-8000-0000000000ff}');
-- the uuids asked in any order, repeated or NULL (the builder sorts them and drops NULLs): one row
-- per vCon found, in uuid order
SELECT array_agg(uuid) AS asked_any_order
FROM vcon_redis._vcon_texts('{01928e10-d0c0-8000-8000-000000000003,NULL,01928e10-d0c0-8000-8000-000000000001,01928e10-d0c0-8000-8000-000000000003,01928e10-d0c0-8000-8000-0000000000ff}');

-- Dialogs that tie on dialog_index (possible only without vcon-mcp's UNIQUE (vcon_id, dialog_index)):
-- in id order, as ORDER BY vcon_id, dialog_index, id gives them (the read orders by the first two, the
-- builder the ties: extension/src/vcon_document.cpp, OrderDialogTies).
BEGIN;
ALTER TABLE dialog DROP CONSTRAINT dialog_vcon_id_dialog_index_key;
SELECT vcon_redis.save_vcon('{"uuid": "01928e10-d0c0-8000-8000-0000000000d1", "created_at": "2025-07-01T00:00:00Z",
  "parties": [{"name": "a"}],
  "dialog": [{"type": "text", "body": "one", "encoding": "none", "parties": [0]},
             {"type": "text", "body": "two", "encoding": "none", "parties": [0]},
             {"type": "text", "body": "three", "encoding": "none", "parties": [0]},
             {"type": "text", "body": "four", "encoding": "none", "parties": [0]}]}') IS NOT NULL AS saved;
-- the ids in the reverse of the rows' order, which a sort of the ties alone would keep
UPDATE dialog SET dialog_index = CASE WHEN dialog_index < 3 THEN 0 ELSE 1 END,
                  id = ('01928e10-d0c0-8000-8000-0000000000e' || (9 - dialog_index))::uuid
WHERE vcon_id = '01928e10-d0c0-8000-8000-0000000000d1';
SELECT (SELECT array_agg(e ->> 'body' ORDER BY n)
        FROM jsonb_array_elements(vcon_redis.vcon_json(u) -> 'dialog') WITH ORDINALITY AS a(e, n)) AS bodies,
       (SELECT t.doc FROM vcon_redis._vcon_texts(ARRAY[u]) t) = pg_temp.compact(vcon_redis.vcon_json(u)::text)
           AS compact_text_same
FROM (VALUES ('01928e10-d0c0-8000-8000-0000000000d1'::uuid)) AS v(u);
ROLLBACK;

-- A malformed JSON body fails both alike (a data error: the drain dead-letters that vCon alone).
INSERT INTO vcons (uuid, extra) VALUES ('01928e10-d0c0-8000-8000-000000000004', '{}');
INSERT INTO dialog (vcon_id, dialog_index, type, body, body_json, extra)
VALUES ('01928e10-d0c0-8000-8000-000000000004', 0, 'text', '{"unterminated": ', true, '{}');
CREATE FUNCTION pg_temp.failure(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.failure('SELECT * FROM pg_temp.old_json_many(''{01928e10-d0c0-8000-8000-000000000004}'')') AS reference,
       pg_temp.failure('SELECT * FROM vcon_redis.vcon_json_many(''{01928e10-d0c0-8000-8000-000000000004}'')') AS built,
       pg_temp.failure('SELECT * FROM vcon_redis._vcon_texts(''{01928e10-d0c0-8000-8000-000000000004}'')') AS compact;
SELECT uuid, doc IS NOT NULL AS has_document, error
FROM vcon_redis._drain_documents('{01928e10-d0c0-8000-8000-000000000004,01928e10-d0c0-8000-8000-000000000003}')
ORDER BY uuid;
DELETE FROM vcons WHERE uuid = '01928e10-d0c0-8000-8000-000000000004';
