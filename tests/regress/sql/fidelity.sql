-- Fidelity contract over the sample files (../shared/samples, read client-side by psql): for every
-- valid sample vcon_json(save_vcon(doc)) equals doc after the documented normalisations only, and a
-- second save is a fixed point; every invalid sample is refused with its intended defect and writes
-- nothing. Missing sample files count as passing, so the output is the same without them.
-- The expected document is computed here by an independent implementation of the normalisations.
SET client_min_messages = warning;
\set VERBOSITY terse
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM vcon_redis.config) THEN
        PERFORM vcon_redis.attach('public');
    END IF;
END $$;
SELECT set_config('search_path', quote_ident(schema_name) || ', public', false) IS NOT NULL AS on_attached_schema
FROM vcon_redis.config;

-- The documented normalisations, written independently of sql/20_normalize.sql, sql/21_dates.sql
-- and sql/40_json.sql:
--   legacy names renamed when the current name is absent; null, {} and [] members dropped (a body
--   only when null); dates as UTC RFC 3339 with the fraction trimmed (no offset = UTC); a missing
--   created_at becomes the stored save time; uuid in lower case.
CREATE FUNCTION pg_temp.utc(v jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT to_jsonb((to_json(CASE WHEN v #>> '{}' ~ '([Zz]|[+-]\d\d:\d\d)$' THEN (v #>> '{}')::timestamptz
                                  ELSE (v #>> '{}')::timestamp AT TIME ZONE 'UTC' END AT TIME ZONE 'UTC') #>> '{}') || 'Z')
$$;
CREATE FUNCTION pg_temp.members(o jsonb, renames text[][], dates text[]) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := '{}';
    kv record;
    i int;
BEGIN
    FOR kv IN SELECT key, value FROM jsonb_each(o) LOOP
        CONTINUE WHEN kv.value = 'null' OR (kv.key <> 'body' AND kv.value IN ('{}', '[]'));
        r := r || jsonb_build_object(kv.key, CASE WHEN kv.key = ANY (dates) THEN pg_temp.utc(kv.value) ELSE kv.value END);
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(renames, 1), 0) LOOP
        IF r ? renames[i][1] AND NOT r ? renames[i][2] THEN
            r := (r - renames[i][1]) || jsonb_build_object(renames[i][2], r -> renames[i][1]);
        END IF;
    END LOOP;
    RETURN r;
END $$;
CREATE FUNCTION pg_temp.each(a jsonb, renames text[][], dates text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(pg_temp.members(e, renames, dates) ORDER BY i) FROM jsonb_array_elements(a) WITH ORDINALITY x(e, i)
$$;
CREATE FUNCTION pg_temp.expected(doc jsonb, stored_created_at text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    d jsonb := pg_temp.members(doc, ARRAY[['appended', 'amended'], ['must_support', 'critical']], ARRAY['created_at', 'updated_at']);
    k text;
    j int;
BEGIN
    d := d || jsonb_build_object('uuid', lower(d ->> 'uuid'));
    IF NOT d ? 'created_at' THEN
        d := d || jsonb_build_object('created_at', stored_created_at);
    END IF;
    FOREACH k IN ARRAY ARRAY['redacted', 'amended'] LOOP
        IF jsonb_typeof(d -> k) = 'object' THEN
            d := d - k || CASE WHEN pg_temp.members(d -> k, '{}', '{}') = '{}' THEN '{}'
                               ELSE jsonb_build_object(k, pg_temp.members(d -> k, '{}', '{}')) END;
        END IF;
    END LOOP;
    IF d ? 'parties' THEN d := jsonb_set(d, '{parties}', pg_temp.each(d -> 'parties', '{}', '{}')); END IF;
    IF d ? 'analysis' THEN d := jsonb_set(d, '{analysis}', pg_temp.each(d -> 'analysis', ARRAY[['mimetype', 'mediatype'], ['schema_version', 'schema']], '{}')); END IF;
    IF d ? 'attachments' THEN d := jsonb_set(d, '{attachments}', pg_temp.each(d -> 'attachments', ARRAY[['mimetype', 'mediatype'], ['type', 'purpose']], ARRAY['start'])); END IF;
    IF d ? 'dialog' THEN
        d := jsonb_set(d, '{dialog}', pg_temp.each(d -> 'dialog', ARRAY[['mimetype', 'mediatype'], ['transfer-target', 'transfer_target'], ['target-dialog', 'target_dialog']], ARRAY['start']));
        FOR j IN 0 .. jsonb_array_length(d -> 'dialog') - 1 LOOP
            IF d -> 'dialog' -> j ? 'party_history' THEN
                d := jsonb_set(d, ARRAY['dialog', j::text, 'party_history'], pg_temp.each(d -> 'dialog' -> j -> 'party_history', '{}', ARRAY['time']));
            END IF;
        END LOOP;
    END IF;
    RETURN d;
END $$;

-- Where a stored document differs from the expectation (only shown on failure).
CREATE FUNCTION pg_temp.diff(a jsonb, b jsonb, path text DEFAULT '') RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    IF jsonb_typeof(a) = 'object' AND jsonb_typeof(b) = 'object' THEN
        FOR k IN SELECT key FROM jsonb_each(a) UNION SELECT key FROM jsonb_each(b) LOOP
            RETURN QUERY SELECT * FROM pg_temp.diff(a -> k, b -> k, path || '.' || k);
        END LOOP;
    ELSIF jsonb_typeof(a) = 'array' AND jsonb_typeof(b) = 'array' AND jsonb_array_length(a) = jsonb_array_length(b) THEN
        FOR k IN SELECT generate_series(0, jsonb_array_length(a) - 1) LOOP
            RETURN QUERY SELECT * FROM pg_temp.diff(a -> k::int, b -> k::int, path || '[' || k || ']');
        END LOOP;
    ELSIF a IS DISTINCT FROM b THEN
        RETURN NEXT format('%s: %s -> %s', path, left(a::text, 60), left(b::text, 60));
    END IF;
END $$;

CREATE TEMP TABLE samples (name text, doc jsonb);
\set s01 `cat ../shared/samples/01_ietf-core03_ab_call_int_rec.vcon.json 2>/dev/null || echo null`
\set s02 `cat ../shared/samples/02_ietf-core03_ab_call_ext_rec.vcon.json 2>/dev/null || echo null`
\set s03 `cat ../shared/samples/03_ietf-core03_ab_call_ext_rec_amended.vcon.json 2>/dev/null || echo null`
\set s04 `cat ../shared/samples/04_ietf-core03_ab_call_ext_rec_redacted.vcon.json 2>/dev/null || echo null`
\set s07 `cat ../shared/samples/07_ietf-core03_ab_email_acct_prob_thread.vcon.json 2>/dev/null || echo null`
\set s08 `cat ../shared/samples/08_vcon-js_interop1_call.vcon.json 2>/dev/null || echo null`
\set s10 `cat ../shared/samples/10_vcon-server_dataset_recording-url.vcon.json 2>/dev/null || echo null`
\set s12 `cat ../shared/samples/12_ietf-meeting-vcons_ietf110_6lo.vcon.json 2>/dev/null || echo null`
INSERT INTO samples VALUES ('01_int_rec', :'s01'), ('02_ext_rec', :'s02'), ('03_amended', :'s03'),
    ('04_redacted', :'s04'), ('07_email', :'s07'), ('08_vcon-js', :'s08'), ('10_vcon-server', :'s10'),
    ('12_ietf-meeting', :'s12');
DELETE FROM samples WHERE doc = 'null';

CREATE TEMP TABLE results AS
SELECT s.name, s.doc, NULL::uuid AS u, NULL::jsonb AS stored, NULL::jsonb AS resaved,
       (SELECT count(*) FROM vcon_redis.validate_vcon(s.doc) v WHERE v.severity = 'error') AS errors
FROM samples s;
UPDATE results SET u = vcon_redis.save_vcon(doc) WHERE errors = 0;
UPDATE results SET stored = vcon_redis.vcon_json(u);
UPDATE results SET resaved = vcon_redis.vcon_json(vcon_redis.save_vcon(stored));

SELECT n.name,
       r.name IS NULL OR (r.errors = 0 AND r.stored = pg_temp.expected(r.doc, r.stored ->> 'created_at')) AS round_trips,
       r.name IS NULL OR r.resaved = r.stored AS fixed_point
FROM unnest(ARRAY['01_int_rec', '02_ext_rec', '03_amended', '04_redacted', '07_email', '08_vcon-js',
                  '10_vcon-server', '12_ietf-meeting']) n(name)
LEFT JOIN results r ON r.name = n.name
ORDER BY n.name;
-- details of any failure (no rows when all pass)
SELECT r.name, d FROM results r, pg_temp.diff(pg_temp.expected(r.doc, r.stored ->> 'created_at'), r.stored) d;
SELECT r.name, v.path, v.message FROM results r, vcon_redis.validate_vcon(r.doc) v WHERE v.severity = 'error';

-- Invalid samples: refused with the intended defect as the error message; nothing written.
\set i1 `cat ../shared/samples/invalid/vcon-server_bad_duration.json 2>/dev/null || echo null`
\set i2 `cat ../shared/samples/invalid/vcon-server_bad_party_ref.json 2>/dev/null || echo null`
\set i3 `cat ../shared/samples/invalid/vcon-server_empty_vcon.json 2>/dev/null || echo null`
\set i4 `cat ../shared/samples/invalid/vcon-server_missing_uuid_and_vcon_version.json 2>/dev/null || echo null`
\set i5 `cat ../shared/samples/invalid/vcon-server_null_parties.json 2>/dev/null || echo null`
\set i6 `cat ../shared/samples/invalid/vcon-server_out_of_range_party_indices.json 2>/dev/null || echo null`
CREATE TEMP TABLE invalid (name text, doc jsonb, want text);
INSERT INTO invalid VALUES
    ('bad_duration', :'i1', 'invalid vCon: dialog[0].duration: must not be negative (got -30)'),
    ('bad_party_ref', :'i2', 'invalid vCon: dialog[0].parties[1]: party index 99 out of range (2 parties)'),
    ('empty_vcon', :'i3', 'invalid vCon: uuid: not a UUID (8-4-4-4-12 hex digits): ""'),
    ('missing_uuid_and_vcon_version', :'i4', 'invalid vCon: uuid: missing (required)'),
    ('null_parties', :'i5', 'invalid vCon: parties: must be an array (got null)'),
    ('out_of_range_party_indices', :'i6', 'invalid vCon: dialog[0].parties[1]: party index 5 out of range (2 parties)');
CREATE FUNCTION pg_temp.rows_now() RETURNS bigint LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM vcons) + (SELECT count(*) FROM parties) + (SELECT count(*) FROM dialog)
         + (SELECT count(*) FROM analysis) + (SELECT count(*) FROM attachments) + (SELECT count(*) FROM party_history)
$$;
CREATE FUNCTION pg_temp.refusal(doc jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM vcon_redis.save_vcon(doc);
    RETURN 'saved!';
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN SQLERRM;
END $$;
SELECT pg_temp.rows_now() AS rows_before \gset
SELECT name, doc = 'null' OR pg_temp.refusal(doc) = want AS refused_for_its_defect
FROM invalid ORDER BY name;
SELECT pg_temp.rows_now() = :rows_before AS nothing_written;
SELECT name, pg_temp.refusal(doc) FROM invalid WHERE doc <> 'null' AND pg_temp.refusal(doc) <> want;

-- The one-expression helpers of save_vcon are inlined: EXPLAIN VERBOSE shows their bodies, never a
-- call to them. (vcon_json_many is C: tests/regress/sql/document.sql.)
CREATE TEMP TABLE explained (line text);
DO $$
DECLARE
    l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF)
        SELECT vcon_redis._body_column(e), vcon_redis._body_json_column(e),
               vcon_redis._array_member(e, ''content_hash''), vcon_redis._string_value(e -> ''url'')
        FROM analysis t, LATERAL to_jsonb(t) AS e' LOOP
        INSERT INTO explained VALUES (l);
    END LOOP;
END
$$;
SELECT count(*) AS helper_calls_left FROM explained
WHERE line ~ '_(body_column|body_json_column|array_member|string_value)\(';

-- So are the row functions of sql/28_rows.sql that save_vcon's INSERTs select from: the plan scans
-- jsonb_array_elements, never a Function Scan of them.
TRUNCATE explained;
DO $$
DECLARE
    l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF)
        SELECT * FROM vcon_redis._vcon_row($1), vcon_redis._party_rows($1 -> ''parties''),
               vcon_redis._dialog_rows($1 -> ''dialog''), vcon_redis._analysis_rows($1 -> ''analysis''),
               vcon_redis._attachment_rows($1 -> ''attachments'')' USING '{}'::jsonb LOOP
        INSERT INTO explained VALUES (l);
    END LOOP;
END
$$;
SELECT count(*) AS row_function_scans_left FROM explained WHERE line ~ '_(vcon|party|dialog|analysis|attachment)_rows?\(';
SELECT count(*) > 0 AS scans_the_arrays FROM explained WHERE line ~ 'jsonb_array_elements';

-- clean up
SELECT count(*) FILTER (WHERE vcon_redis.delete_vcon(u)) = count(u) AS cleaned FROM results;
