-- search: vcon_redis.search_vcons, search_vcons_content, search_by_tags and their indexes
-- (sql/80_search.sql). Expected output must be stable: every result is ordered.

-- Its own database: other tests of the suite attach and fill the tables of theirs, and the
-- unfiltered searches below must see exactly this file's vCons.
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS vcon_redis_search_regress;
CREATE DATABASE vcon_redis_search_regress;
\c vcon_redis_search_regress
SET client_min_messages = warning;  -- attach's own NOTICEs are not this test's business
CREATE EXTENSION vcon_redis;
SELECT vcon_redis.attach();
RESET client_min_messages;

-- ---------------------------------------------------------------------------------------------
-- Indexes (pg_trgm is not installed in the regression database: btree lower() fallbacks)
-- ---------------------------------------------------------------------------------------------
SELECT tablename, indexname, substr(indexdef, strpos(indexdef, ' USING ') + 1) AS def
FROM pg_indexes
WHERE schemaname = 'public'
  AND indexname IN ('idx_vcons_subject_tsvector_gin', 'vcons_created_at_idx', 'idx_parties_party_tsvector_gin',
                    'idx_dialog_body_tsvector_gin', 'idx_analysis_body_tsvector_gin', 'attachments_tags_idx',
                    'attachments_tags_vcon_idx', 'attachments_tags_later_idx', 'parties_name_lower_idx',
                    'parties_mailto_lower_idx', 'parties_tel_idx')
ORDER BY 1, 2;
-- the stored tsvector columns of content search: vcon-mcp's names, STORED generated columns on the
-- tables attach created (vcon-mcp's definitions)
SELECT a.attrelid::regclass AS tbl, a.attname, a.attgenerated, pg_get_expr(d.adbin, d.adrelid) AS expr
FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid IN ('vcons'::regclass, 'parties'::regclass, 'dialog'::regclass, 'analysis'::regclass)
  AND a.attname LIKE '%tsvector'
ORDER BY 1, 2;

-- idempotent: a second run adds nothing, and an equivalent index under another name is reused
SELECT count(*) AS indexes_before FROM pg_indexes WHERE schemaname = 'public' \gset
ALTER INDEX idx_vcons_subject_tsvector_gin RENAME TO my_subject_fts;
SELECT vcon_redis._create_search_indexes('public');
SET client_min_messages = warning;
SELECT vcon_redis.attach();
RESET client_min_messages;
SELECT count(*) - :indexes_before AS indexes_added FROM pg_indexes WHERE schemaname = 'public';
ALTER INDEX my_subject_fts RENAME TO idx_vcons_subject_tsvector_gin;

-- An existing plain column (vcon-mcp's, kept by its triggers) is used as it is, its rows written
-- before vcon-mcp's migration (NULL) filled in; a missing column is added as a generated one,
-- computed for the rows already there.
CREATE SCHEMA mcp;
CREATE TABLE mcp.vcons (uuid uuid, subject text, subject_tsvector tsvector);
CREATE TABLE mcp.dialog (body text, encoding text);
INSERT INTO mcp.vcons VALUES ('01928e10-0000-8000-8000-0000000000f1', 'Old refund calls', NULL),
                             ('01928e10-0000-8000-8000-0000000000f2', 'kept as written', 'kept'::tsvector);
INSERT INTO mcp.dialog VALUES ('refund please', NULL), ('cmVmdW5k', 'base64url');
SELECT vcon_redis._create_search_columns('mcp');
SELECT subject, subject_tsvector FROM mcp.vcons ORDER BY 1;
SELECT d.body, d.body_tsvector, a.attgenerated
FROM mcp.dialog d, pg_attribute a WHERE a.attrelid = 'mcp.dialog'::regclass AND a.attname = 'body_tsvector'
ORDER BY 1;
DROP SCHEMA mcp CASCADE;
-- a base64url body is bytes, not words: no tsvector (past ~600 KB it would be larger than a
-- tsvector may be, and the write would fail), not searched; a large one saves
BEGIN;
SELECT vcon_redis.save_vcon(jsonb_build_object(
  'vcon', '0.4.0', 'uuid', '01928e10-0000-8000-8000-0000000000f3', 'created_at', '2026-01-09T00:00:00Z',
  'parties', jsonb_build_array(jsonb_build_object('name', 'Rec')),
  'dialog', jsonb_build_array(jsonb_build_object(
     'type', 'recording', 'start', '2026-01-09T00:00:00Z', 'parties', jsonb_build_array(0),
     'mediatype', 'audio/x-wav', 'encoding', 'base64url',
     'body', (SELECT translate(encode(decode(string_agg(md5(i::text), ''), 'hex'), 'base64'), '+/=' || chr(10), '-_')
              FROM generate_series(1, 60000) i)))));
SELECT length(body) > 1000000 AS large, body_tsvector IS NULL AS no_tsvector FROM dialog
WHERE vcon_id = '01928e10-0000-8000-8000-0000000000f3';
ROLLBACK;

SELECT unnest(vcon_redis._search_functions()) AS search_function ORDER BY 1;

-- ---------------------------------------------------------------------------------------------
-- Tag parsing (split at the FIRST colon; text, structured and double-encoded bodies; never fails)
-- ---------------------------------------------------------------------------------------------
SELECT b AS body, vcon_redis._tag_array(b) AS tags
FROM (VALUES ('["dealer:7","url:https://x.example/a:b","flag","b:2","b:2"]'),
             ('"[\"k:v\"]"'),
             ('{"team":"red","n":1,"a:b":"skipped"}'),
             ('[1, true, null, "ok:yes"]'),
             ('not json ['),
             ('["unterminated'),
             ('plain text'),
             ('[]'),
             ('["\u0000:x"]'),
             ('["\ud800:x"]'),
             ('["\u0041:\u0042"]'),
             ('["bad\escape"]'),
             ('[["nested:x"]]'),
             ('[01]')) AS t(b)
ORDER BY 1;
SELECT vcon_redis._tag_array('["a:b"]'::jsonb) AS from_jsonb, vcon_redis._tag_array(NULL::text) AS from_null;

-- The C parser against the PL/pgSQL implementation it replaced (0.2.0's, kept here as the
-- reference): equal results on the cases above and on 6 000 bodies assembled from JSON fragments
-- (valid, malformed, escaped, double-encoded, repeated keys), in both modes.
CREATE SCHEMA tag_ref;
CREATE FUNCTION tag_ref.json_shape(body text) RETURNS text
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

CREATE FUNCTION tag_ref.tag_array_text(body text, nested boolean) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    shape text;
BEGIN
    -- The shape nearly every tags body has, an array of strings without escapes, is recognised by
    -- one simple pattern; _json_shape's full grammar (~10x slower) is for the rest.
    IF body ~ '^[ \t\n\r]*\[[ \t\n\r]*(?:"[^"\\\x01-\x1f]*"[ \t\n\r]*(?:,[ \t\n\r]*"[^"\\\x01-\x1f]*"[ \t\n\r]*)*)?\][ \t\n\r]*$' THEN
        RETURN vcon_redis._tag_array(body::jsonb);
    END IF;
    shape := tag_ref.json_shape(body);
    IF shape IS NULL THEN
        RETURN NULL;                -- not JSON (or not a flat one): no tags, never an error
    ELSIF shape = 'string' THEN
        IF nested THEN
            RETURN NULL;            -- at most one level of double encoding
        END IF;
        RETURN tag_ref.tag_array_text(body::jsonb #>> '{}', true);
    END IF;
    RETURN vcon_redis._tag_array(body::jsonb);
END
$$;
CREATE TEMP TABLE tag_corpus AS
WITH frag(i, f) AS (
    SELECT row_number() OVER (), f FROM unnest(ARRAY[
        '[', ']', '{', '}', ',', ':', ' ', E'\n', '"', '\', '"k:v"', '"k"', '"a:b:c"', '"dup"', '"x"',
        '"url:https://e.example/a:b"', '1', '-0.5e3', '01', '1.', 'true', 'false', 'null', 'nul',
        '"\u00e9:x"', '"\ud83d\ude00:y"', '"\udc00"', '"\ud800"', '"\u0000"', '"\u0041"', '"a\"b:c"',
        '"\t:tab"', E'"raw\ttab"', '"\/"', '"\q"', '"é:ü"', '"k":"v"', '"dup":"1"', '"dup":2',
        '"a:b":"c"', '[]', '{}', '"[\"k:v\"]"', '"{\"t\":\"r\"}"'
    ]) AS f
), nfrag AS (SELECT count(*) AS n FROM frag),
strs(i, f) AS (  -- the fragments that are one JSON string
    SELECT row_number() OVER (), f FROM frag WHERE f ~ '^"([^"\\]|\\.)*"$'
), nstrs AS (SELECT count(*) AS n FROM strs)
SELECT g, string_agg(f.f, '' ORDER BY k) AS b
FROM generate_series(1, 4000) g
CROSS JOIN LATERAL generate_series(1, 1 + (g * 7919) % 9) k
JOIN frag f ON f.i = 1 + ((g * 104729 + k * 1299709 + k * k * 15485863) % (SELECT n FROM nfrag))
GROUP BY g
UNION ALL  -- well-formed arrays and objects of those strings, and their double encodings
SELECT 5000 + g, CASE g % 3 WHEN 0 THEN '[' || string_agg(f.f, ', ') || ', ' || min(f.f) || ']'
                            WHEN 1 THEN '{' || string_agg(f.f || ':' || f.f, ',') || ',' || min(f.f)
                                        || CASE WHEN g % 2 = 0 THEN ':"last"}' ELSE ':7}' END
                            ELSE to_json('[' || string_agg(f.f, ',') || ']')::text END
FROM generate_series(1, 2000) g
CROSS JOIN LATERAL generate_series(1, 1 + g % 5) k
JOIN strs f ON f.i = 1 + ((g * 31 + k * 17) % (SELECT n FROM nstrs))
GROUP BY g;
SELECT count(*) AS bodies,
       count(*) FILTER (WHERE vcon_redis._tag_array_text(b, false) IS NOT NULL) AS with_tags,
       count(*) FILTER (WHERE vcon_redis._tag_array_text(b, false) IS DISTINCT FROM tag_ref.tag_array_text(b, false)
                           OR vcon_redis._tag_array_text(b, true) IS DISTINCT FROM tag_ref.tag_array_text(b, true)) AS differ
FROM tag_corpus;
SELECT b, vcon_redis._tag_array_text(b, false) AS c, tag_ref.tag_array_text(b, false) AS ref
FROM tag_corpus
WHERE vcon_redis._tag_array_text(b, false) IS DISTINCT FROM tag_ref.tag_array_text(b, false)
   OR vcon_redis._tag_array_text(b, true) IS DISTINCT FROM tag_ref.tag_array_text(b, true)
LIMIT 5;
DROP SCHEMA tag_ref CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Data
-- ---------------------------------------------------------------------------------------------
-- v1 and v6 share created_at (ties are ordered by uuid).
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000001",
  "created_at": "2026-01-01T10:00:00Z", "subject": "Billing question about an invoice",
  "parties": [
    {"name": "Alice Smith", "mailto": "mailto:alice@example.com", "tel": "+15551230001"},
    {"name": "Bob Jones", "mailto": "mailto:bob@corp.example", "tel": "+15559990002"}],
  "dialog": [
    {"type": "text", "start": "2026-01-01T10:00:00Z", "parties": [0, 1], "originator": 0,
     "mediatype": "text/plain", "encoding": "none",
     "body": "Hello, my invoice for March shows a double charge. Could you refund the second payment?"}],
  "analysis": [
    {"type": "summary", "dialog": 0, "vendor": "example", "encoding": "json",
     "body": {"summary": "Customer disputes a double charge on the March invoice", "sentiment": "negative"}}],
  "attachments": [
    {"purpose": "tags", "start": "2026-01-01T10:00:00Z", "party": 0, "encoding": "json",
     "body": ["dealer:7", "status:open", "url:https://example.com/a:b"]}]
}$$::jsonb);

SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000002",
  "created_at": "2026-01-02T10:00:00Z", "subject": "Router outage",
  "parties": [
    {"name": "Carol White", "mailto": "carol@example.org", "tel": "+44 20 7946 0000"},
    {"name": "Support Agent", "mailto": "mailto:agent@isp.example"}],
  "dialog": [
    {"type": "text", "start": "2026-01-02T10:00:00Z", "parties": [0, 1], "originator": 0,
     "mediatype": "text/plain", "encoding": "none",
     "body": "The router keeps dropping the connection every evening."},
    {"type": "text", "start": "2026-01-02T10:01:00Z", "parties": [0, 1], "originator": 1,
     "mediatype": "text/plain", "encoding": "base64url", "body": "aW52b2ljZQ"}],
  "attachments": [
    {"purpose": "tags", "start": "2026-01-02T10:00:00Z", "party": 0, "encoding": "json",
     "body": ["dealer:7", "status:closed"]}]
}$$::jsonb);

SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000003",
  "created_at": "2026-01-03T10:00:00Z", "subject": "100% refund_request",
  "parties": [{"name": "Dave O'Brien", "tel": "+15551230003"}],
  "analysis": [
    {"type": "transcript", "vendor": "example", "encoding": "none",
     "body": "Dave asked for a full refund of the subscription."}]
}$$::jsonb);

-- v4: written by plain SQL the way vcon-mcp writes tags: attachments.type = 'tags', purpose NULL,
-- body the JSON text of the array.
INSERT INTO vcons (id, uuid, subject, created_at)
VALUES ('01928e10-0000-8000-8000-000000000004', '01928e10-0000-8000-8000-000000000004',
        'Plain SQL vCon', '2026-01-04T10:00:00Z');
INSERT INTO parties (vcon_id, party_index, name, mailto)
VALUES ('01928e10-0000-8000-8000-000000000004', 0, 'Erin Black', 'erin@example.net');
INSERT INTO attachments (vcon_id, attachment_index, type, purpose, body, encoding)
VALUES ('01928e10-0000-8000-8000-000000000004', 0, 'tags', NULL, '["dealer:9","status:open"]', 'json'),
       ('01928e10-0000-8000-8000-000000000004', 1, 'tags', NULL, 'not json [', 'json');

-- v5: its tags are split over two tags attachments (a vCon's tags are their union)
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000005",
  "created_at": "2026-01-05T10:00:00Z", "subject": "Escalation",
  "parties": [{"name": "Frank Green", "mailto": "mailto:frank@example.com"}],
  "attachments": [
    {"purpose": "tags", "start": "2026-01-05T10:00:00Z", "party": 0, "encoding": "json", "body": ["dealer:9"]},
    {"purpose": "notes", "start": "2026-01-05T10:00:00Z", "party": 0, "encoding": "none", "body": "dealer:9 priority:high"},
    {"purpose": "tags", "start": "2026-01-05T10:00:00Z", "party": 0, "encoding": "json", "body": ["priority:high"]}]
}$$::jsonb);

SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000006",
  "created_at": "2026-01-01T10:00:00Z", "subject": "Invoice follow-up",
  "parties": [{"name": "Alice Smith", "mailto": "mailto:alice@example.com"}]
}$$::jsonb);

SELECT uuid, subject, created_at FROM vcons ORDER BY created_at, uuid;
SELECT vcon_id, attachment_index, type, purpose, body FROM attachments ORDER BY 1, 2;

-- ---------------------------------------------------------------------------------------------
-- search_vcons
-- ---------------------------------------------------------------------------------------------
-- no filter: everything, created_at DESC then uuid; counts; total_count
SELECT * FROM vcon_redis.search_vcons();
-- subject: case-insensitive substring; LIKE metacharacters are literal
SELECT uuid, subject, total_count FROM vcon_redis.search_vcons(subject_filter => 'INVOICE');
SELECT uuid, subject FROM vcon_redis.search_vcons(subject_filter => '100%');
SELECT uuid, subject FROM vcon_redis.search_vcons(subject_filter => 'refund_');
SELECT uuid, subject FROM vcon_redis.search_vcons(subject_filter => '%');
SELECT uuid, subject FROM vcon_redis.search_vcons(subject_filter => 'o_t');
-- party name
SELECT uuid, subject FROM vcon_redis.search_vcons(party_name => 'alice');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_name => 'o''brien');
-- party email, with and without mailto: on either side
SELECT uuid, subject FROM vcon_redis.search_vcons(party_email => 'ALICE@example.com');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_email => 'mailto:carol@example.org');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_email => 'MailTo:erin@');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_email => 'example.com');
-- an address is found through its local part, then checked whole: another domain finds nothing,
-- a local part that only ends in the one searched for is found, LIKE characters are literal
SELECT vcon_redis._email_local_part(e) FROM (VALUES ('alice@example.com'), ('bob@x.example'), ('erin@'),
    ('@example.com'), ('example.com'), ('al%ce@x')) AS t(e);
SELECT uuid, subject FROM vcon_redis.search_vcons(party_email => 'alice@corp.example');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_email => 'lice@example.com');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_email => 'a_ice@example.com');
SELECT uuid, subject, total_count FROM vcon_redis.search_vcons(party_email => 'agent@isp.example', lim => 1);
-- party tel substring
SELECT uuid, subject FROM vcon_redis.search_vcons(party_tel => '555123');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_tel => '7946 0000');
-- several party filters must hold for the same party
SELECT uuid, subject FROM vcon_redis.search_vcons(party_name => 'alice', party_tel => '+1555');
SELECT uuid, subject FROM vcon_redis.search_vcons(party_name => 'alice', party_email => 'bob@');
-- dates (inclusive) and combined filters
SELECT uuid, subject FROM vcon_redis.search_vcons(start_date => '2026-01-02T10:00:00Z');
SELECT uuid, subject FROM vcon_redis.search_vcons(end_date => '2026-01-02T10:00:00Z');
SELECT uuid, subject, total_count FROM vcon_redis.search_vcons(
    start_date => '2026-01-02T00:00:00Z', end_date => '2026-01-04T23:59:59Z');
SELECT uuid, subject FROM vcon_redis.search_vcons(subject_filter => 'invoice', party_name => 'smith',
    start_date => '2026-01-01T10:00:00Z', end_date => '2026-01-01T10:00:00Z');
SELECT count(*) FROM vcon_redis.search_vcons(start_date => '2026-02-01T00:00:00Z', end_date => '2026-01-01T00:00:00Z');
-- positional call, as the server makes it
SELECT uuid, total_count FROM vcon_redis.search_vcons(NULL, 'smith', NULL, NULL, NULL, NULL, 10, 0);
-- pagination: total_count is the count of all matches on every page
SELECT uuid, total_count FROM vcon_redis.search_vcons(lim => 2, off => 0);
SELECT uuid, total_count FROM vcon_redis.search_vcons(lim => 2, off => 2);
SELECT uuid, total_count FROM vcon_redis.search_vcons(lim => 2, off => 4);
SELECT count(*) FROM vcon_redis.search_vcons(lim => 2, off => 6);
-- with_count => false: a full page skips the count (total_count NULL); a short page, the last one,
-- still knows the total from its own rows
SELECT uuid, total_count FROM vcon_redis.search_vcons(lim => 2, off => 0, with_count => false);
SELECT uuid, total_count FROM vcon_redis.search_vcons(lim => 4, off => 4, with_count => false);
-- NULL lim/off mean the defaults (10, 0)
SELECT count(*) FROM vcon_redis.search_vcons(lim => NULL, off => NULL);
-- lim is capped at 1000
BEGIN;
INSERT INTO vcons (id, uuid, subject, created_at)
SELECT u, u, 'bulk ' || g, timestamptz '2025-01-01' + g * interval '1 minute'
FROM generate_series(1, 1001) g, LATERAL (SELECT md5('bulk' || g)::uuid AS u) x;
SELECT count(*) AS rows, min(total_count) AS total FROM vcon_redis.search_vcons(subject_filter => 'bulk', lim => 5000);
ROLLBACK;
-- party filters list the vCons of the parties they match, up to _search_party_rows() parties;
-- past that they test the parties of each vCon instead: the same pages and totals either way
BEGIN;
INSERT INTO vcons (id, uuid, subject, created_at)
SELECT u, u, 'crowd ' || g, timestamptz '2025-01-01' + g * interval '1 minute'
FROM generate_series(1, 1001) g, LATERAL (SELECT md5('crowd' || g)::uuid AS u) x;
INSERT INTO parties (vcon_id, party_index, name, tel)
SELECT md5('crowd' || g)::uuid, 0, 'Crowd Member ' || g, '+1 555 0100' FROM generate_series(1, 1001) g;
INSERT INTO parties (vcon_id, party_index, name)
SELECT md5('crowd' || g)::uuid, 1, 'Crowd Guest ' || g FROM generate_series(1, 3) g;
SELECT vcon_redis._search_party_rows() AS listed_at_most;
SELECT subject, total_count FROM vcon_redis.search_vcons(party_name => 'crowd', lim => 3);
SELECT subject, total_count FROM vcon_redis.search_vcons(party_name => 'crowd', lim => 3, off => 999);
SELECT subject, total_count FROM vcon_redis.search_vcons(party_name => 'crowd member', lim => 3,
    end_date => timestamptz '2025-01-01' + interval '5 minutes');
SELECT subject, total_count FROM vcon_redis.search_vcons(party_name => 'crowd member 100', lim => 2);
SELECT subject, total_count FROM vcon_redis.search_vcons(party_name => 'crowd guest', party_tel => '0100');
SELECT subject, total_count FROM vcon_redis.search_vcons(party_name => 'crowd guest', subject_filter => 'crowd 2');
SELECT count(*) FROM vcon_redis.search_vcons(party_name => 'crowd guest', party_tel => '0199');
ROLLBACK;
-- errors
SELECT * FROM vcon_redis.search_vcons(lim => 0);
SELECT * FROM vcon_redis.search_vcons(off => -1);

-- ---------------------------------------------------------------------------------------------
-- search_vcons_content
-- ---------------------------------------------------------------------------------------------
-- subject, text dialog and analysis (the string values of a JSON body); not the base64url dialog of v2
SELECT vcon_id, content_type, content_index, round(relevance_score::numeric, 4) AS score, snippet
FROM vcon_redis.search_vcons_content('invoice');
-- ranking: the subject outranks the same word in a dialog
SELECT vcon_id, content_type, content_index, round(relevance_score::numeric, 4) AS score, snippet
FROM vcon_redis.search_vcons_content('refund');
-- parties: name, mailto and tel through the 'simple' configuration (unstemmed), snippet of all
-- three; ranked with the english query as vcon-mcp does, so 'Alice' (english 'alic') ranks 0 and
-- 'Smith' (the same in both) does not
SELECT vcon_id, content_type, content_index, round(relevance_score::numeric, 4) AS score, snippet
FROM vcon_redis.search_vcons_content('Alice');
SELECT vcon_id, content_type, content_index, round(relevance_score::numeric, 4) AS score
FROM vcon_redis.search_vcons_content('smith') WHERE content_type = 'party';
SELECT vcon_id, content_type, content_index, snippet FROM vcon_redis.search_vcons_content('alice@example.com');
-- web search syntax: phrase, OR, negation
SELECT vcon_id, content_type, content_index, snippet FROM vcon_redis.search_vcons_content('"double charge"');
SELECT vcon_id, content_type, content_index FROM vcon_redis.search_vcons_content('router or escalation');
SELECT vcon_id, content_type, content_index FROM vcon_redis.search_vcons_content('invoice -march');
-- stemming ('charges' finds 'charge')
SELECT vcon_id, content_type, content_index FROM vcon_redis.search_vcons_content('charges');
-- dates filter on the vCon's created_at, for every content type
SELECT vcon_id, content_type, content_index
FROM vcon_redis.search_vcons_content('invoice OR refund OR router', start_date => '2026-01-02T00:00:00Z');
SELECT vcon_id, content_type, content_index
FROM vcon_redis.search_vcons_content('invoice OR refund OR router', end_date => '2026-01-01T23:59:59Z');
-- lim
SELECT vcon_id, content_type, content_index FROM vcon_redis.search_vcons_content('invoice', lim => 1);
-- only stop words: nothing, quietly
SELECT count(*) FROM vcon_redis.search_vcons_content('the and of');
-- no match
SELECT count(*) FROM vcon_redis.search_vcons_content('zeppelin');
-- ranking planned in parallel workers (it reads every hit): the snippets, whose _search_text
-- starts a subtransaction for a JSON body, are made by a statement of their own, which a
-- subtransaction may run in (a statement with a parallel plan runs wholly in parallel mode)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET min_parallel_index_scan_size = 0;
SELECT vcon_id, content_type, content_index, round(relevance_score::numeric, 4) AS score, snippet
FROM vcon_redis.search_vcons_content('invoice');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET min_parallel_index_scan_size;
-- positional call
SELECT vcon_id, content_type FROM vcon_redis.search_vcons_content('outage', NULL, NULL, 10);
-- lim capped at 100; snippets: at most 3 fragments, at most 500 characters
BEGIN;
INSERT INTO vcons (id, uuid, subject, created_at)
SELECT u, u, 'zebra crossing ' || g, timestamptz '2025-01-01' + g * interval '1 minute'
FROM generate_series(1, 101) g, LATERAL (SELECT md5('zebra' || g)::uuid AS u) x;
SELECT count(*) FROM vcon_redis.search_vcons_content('zebra', lim => 1000);
INSERT INTO dialog (vcon_id, dialog_index, type, body, encoding)
VALUES ('01928e10-0000-8000-8000-000000000006', 0, 'text',
        repeat('The quick brown fox jumps over the lazy dog near the river bank. ', 40) || 'giraffe '
        || repeat('Nothing to see here, just filler words to make the text long. ', 40) || 'giraffe '
        || repeat('More filler sentences follow in this very long message body. ', 40) || 'giraffe '
        || repeat('And even more filler to push it past any limit. ', 40) || 'giraffe end', NULL);
SELECT content_type, length(snippet) <= 500 AS short_enough,
       array_length(string_to_array(snippet, ' ... '), 1) AS fragments, snippet
FROM vcon_redis.search_vcons_content('giraffe');
ROLLBACK;
-- JSON bodies: matched and ranked on the raw body (vcon-mcp's body_tsvector: keys and numbers are
-- words too), highlighted in their string values (_search_text), not in JSON syntax.
-- The shapes: the generator's transcript (array of segments), the conserver's (an object with
-- nested segments), a summary object written by plain SQL as vcon-mcp does (JSON text, encoding
-- none), a double-encoded body, and plain text that only looks like JSON at its first character.
SELECT b AS body, vcon_redis._search_text(b) AS search_text
FROM (VALUES ('[{"speaker": 1, "text": "Hello \"there\" \u00e9", "start": 1.6}, {"speaker": 0, "text": "Bye"}]'),
             ('{"transcript": "one", "segments": [{"id": 0, "text": "two", "words": [{"w": "two"}]}], "n": 1.5}'),
             ('"[\"double\", \"encoded\"]"'),
             ('"just quoted"'),
             ('[inaudible] hello [laughs]'),
             ('{"unterminated": "x'),
             ('{"nul": "\u0000"}'),
             ('{"keys": {"only": 1, "and": [true, null, 2]}}'),
             ('{}'),
             ('plain text'),
             ('')) AS t(b)
ORDER BY 1;
BEGIN;
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000008",
  "created_at": "2026-01-08T10:00:00Z", "subject": "Parcel",
  "parties": [{"name": "Hana Gold"}, {"name": "Agent Ivo"}],
  "dialog": [{"type": "recording", "start": "2026-01-08T10:00:00Z", "parties": [0, 1],
              "url": "https://example.com/r.wav", "mediatype": "audio/x-wav"}],
  "analysis": [
    {"type": "transcript", "dialog": 0, "vendor": "example", "encoding": "json",
     "body": [{"speaker": 1, "text": "Your delivery is booked for Monday morning.", "start": 1.5},
              {"speaker": 0, "text": "Monday is no good, I am away until Thursday.", "start": 4.0},
              {"speaker": 1, "text": "Then I will move the delivery to Thursday afternoon.", "start": 9.2}]},
    {"type": "transcript", "dialog": 0, "vendor": "conserver", "encoding": "json",
     "body": {"transcript": "Parcel tracking question.", "confidence": 0.93,
              "segments": [{"id": 0, "speaker": "Agent", "text": "The courier confirmed the delivery slot.",
                            "words": [{"word": "courier", "start": 0.4}]}]}}]
}$$::jsonb);
INSERT INTO analysis (vcon_id, analysis_index, type, vendor, body, encoding)
VALUES ('01928e10-0000-8000-8000-000000000008', 2, 'summary', 'vcon-mcp',
        '{"summary": "Delivery moved to Thursday", "delivery_window": 3, "speaker": "delivery"}', 'none'),
       ('01928e10-0000-8000-8000-000000000008', 3, 'summary', 'double',
        '"{\"summary\": \"Second delivery attempt\"}"', 'json'),
       ('01928e10-0000-8000-8000-000000000008', 4, 'notes', 'human', '[draft] delivery {maybe}', 'none');
SELECT vcon_id, content_type, content_index, round(relevance_score::numeric, 4) AS score, snippet,
       snippet ~ '["{}\\]|speaker|start' AS has_json_syntax
FROM vcon_redis.search_vcons_content('delivery')
WHERE vcon_id = '01928e10-0000-8000-8000-000000000008';
-- keys and numbers are words of the raw body, as in vcon-mcp
SELECT count(*) AS key_hits FROM vcon_redis.search_vcons_content('speaker OR segments OR confidence OR words');
SELECT count(*) AS number_hits FROM vcon_redis.search_vcons_content('0.93');
-- phrases across one value, not across syntax
SELECT content_index, snippet FROM vcon_redis.search_vcons_content('"courier confirmed"');
SELECT vcon_redis.search_vcons_content_count('thursday') AS vcons_with_thursday;
ROLLBACK;
-- errors
SELECT * FROM vcon_redis.search_vcons_content('');
SELECT * FROM vcon_redis.search_vcons_content('   ');
SELECT * FROM vcon_redis.search_vcons_content(NULL);
SELECT * FROM vcon_redis.search_vcons_content('invoice', lim => 0);

-- ---------------------------------------------------------------------------------------------
-- search_by_tags
-- ---------------------------------------------------------------------------------------------
-- purpose = 'tags' (save_vcon / the conserver) and type = 'tags' (vcon-mcp, v4), newest first
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "7"}');
SELECT * FROM vcon_redis.search_by_tags('{"status": "open"}');
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "7", "status": "open"}');
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "9"}');
-- all pairs needed; the union of a vCon's tags attachments counts (v5)
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "9", "priority": "high"}');
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "9", "status": "open"}');
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "9", "status": "closed"}');
-- values containing ':' (split at the first colon), no prefix matches
SELECT * FROM vcon_redis.search_by_tags('{"url": "https://example.com/a:b"}');
SELECT * FROM vcon_redis.search_by_tags('{"url": "https"}');
SELECT * FROM vcon_redis.search_by_tags('{"url": "https://example.com/a"}');
-- values are case-sensitive, unknown keys match nothing
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "7", "Status": "open"}');
-- lim
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "7"}', 1);
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "7"}', 1000);
-- the tags filter of the other searches (vcon-mcp's `tags`): every pair, '{}' filters nothing
SELECT uuid, subject FROM vcon_redis.search_vcons(tags => '{"dealer": "7"}');
SELECT uuid, total_count FROM vcon_redis.search_vcons(tags => '{"dealer": "9", "priority": "high"}');
SELECT count(*) FROM vcon_redis.search_vcons(tags => '{}');
SELECT uuid FROM vcon_redis.search_vcons(party_name => 'alice', tags => '{"status": "open"}');
SELECT vcon_id, content_type, content_index
FROM vcon_redis.search_vcons_content('invoice OR refund OR router', tags => '{"dealer": "7"}');
SELECT count(*) FROM vcon_redis.search_vcons_content('invoice OR refund OR router', tags => '{"dealer": "nobody"}');
-- include_count: the distinct vCons with a hit, whatever the limit
SELECT vcon_redis.search_vcons_content_count('invoice OR refund OR router') AS vcons,
       (SELECT count(DISTINCT vcon_id) FROM vcon_redis.search_vcons_content('invoice OR refund OR router', lim => 100)) AS distinct_hits;
SELECT vcon_redis.search_vcons_content_count('invoice OR refund OR router', tags => '{"dealer": "7"}');
SELECT vcon_redis.search_vcons_content_count('the and of');
SELECT vcon_redis.search_vcons_content_count('invoice OR refund', start_date => '2026-01-02T00:00:00Z');
SELECT vcon_redis.search_vcons_content_count('');
SELECT uuid FROM vcon_redis.search_vcons(tags => '["dealer:7"]');
SELECT count(*) FROM vcon_redis.search_vcons_content('invoice', tags => '{"dealer": 7}');
-- a string body holding the array text (vcon-mcp's JSON.stringify), and lim capped at 100
BEGIN;
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000007",
  "created_at": "2026-01-07T10:00:00Z", "subject": "String tags body",
  "parties": [{"name": "Gina Blue"}],
  "attachments": [
    {"purpose": "tags", "start": "2026-01-07T10:00:00Z", "party": 0, "encoding": "json",
     "body": "[\"team:blue\",\"note:a:b:c\"]"}]
}$$::jsonb);
SELECT body FROM attachments WHERE vcon_id = '01928e10-0000-8000-8000-000000000007';
SELECT * FROM vcon_redis.search_by_tags('{"team": "blue", "note": "a:b:c"}');
INSERT INTO vcons (id, uuid, subject, created_at)
SELECT u, u, 'tagged ' || g, timestamptz '2025-01-01' + g * interval '1 minute'
FROM generate_series(1, 101) g, LATERAL (SELECT md5('tagged' || g)::uuid AS u) x;
INSERT INTO attachments (vcon_id, attachment_index, purpose, body, encoding)
SELECT md5('tagged' || g)::uuid, 0, 'tags', '["bulk:yes"]', 'json' FROM generate_series(1, 101) g;
SELECT count(*) FROM vcon_redis.search_by_tags('{"bulk": "yes"}', 1000);
SELECT count(*) FROM vcon_redis.search_by_tags('{"bulk": "yes"}');
ROLLBACK;
-- tags spread over two tags attachments whatever their attachment_index (one of two distinct
-- indexes is not 0, here -1 and 0); one tags attachment off index 0 alone is no spread
BEGIN;
INSERT INTO vcons (id, uuid, subject, created_at)
VALUES ('01928e10-0000-8000-8000-000000000008', '01928e10-0000-8000-8000-000000000008', 'Spread', '2026-01-08'),
       ('01928e10-0000-8000-8000-000000000009', '01928e10-0000-8000-8000-000000000009', 'One', '2026-01-09');
INSERT INTO attachments (vcon_id, attachment_index, type, body, encoding)
VALUES ('01928e10-0000-8000-8000-000000000008', -1, 'tags', '["zone:1"]', 'json'),
       ('01928e10-0000-8000-8000-000000000008', 0, 'tags', '["shift:2"]', 'json'),
       ('01928e10-0000-8000-8000-000000000009', 3, 'tags', '["zone:1"]', 'json');
SELECT * FROM vcon_redis.search_by_tags('{"zone": "1", "shift": "2"}');
SELECT uuid, total_count FROM vcon_redis.search_vcons(tags => '{"zone": "1", "shift": "2"}');
SELECT * FROM vcon_redis.search_by_tags('{"zone": "1"}');
ROLLBACK;
-- a tags row changed by plain SQL is found at once (no materialized view to refresh)
UPDATE attachments SET body = '["dealer:7","status:open"]'
WHERE vcon_id = '01928e10-0000-8000-8000-000000000004' AND attachment_index = 0;
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "7"}');
-- errors
SELECT * FROM vcon_redis.search_by_tags('{}');
SELECT * FROM vcon_redis.search_by_tags('["dealer:7"]');
SELECT * FROM vcon_redis.search_by_tags(NULL);
SELECT * FROM vcon_redis.search_by_tags('{"dealer": 7}');
SELECT * FROM vcon_redis.search_by_tags('{"a:b": "c"}');
SELECT * FROM vcon_redis.search_by_tags('{"": "c"}');
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "7"}', 0);

-- parallel mode: the functions run in parallel workers (no subtransactions in tag parsing)
SET force_parallel_mode = on;
SELECT vcon_id, attachment_index, vcon_redis._tag_array(body) FROM attachments ORDER BY 1, 2;
SELECT * FROM vcon_redis.search_by_tags('{"dealer": "9", "priority": "high"}');
SELECT uuid, total_count FROM vcon_redis.search_vcons(party_name => 'alice');
SELECT vcon_id, content_type, content_index FROM vcon_redis.search_vcons_content('refund');
RESET force_parallel_mode;
-- two pairs or more: a page that the newest lim × 80 vCons fill (lim 1 and 2, a bounded walk) and
-- one they do not (lim 3: every match from the GIN index) list the same vCons in the same order
SELECT array_agg(vcon_id) FROM vcon_redis.search_by_tags('{"dealer": "7", "status": "open"}', 1)
UNION ALL SELECT array_agg(vcon_id) FROM vcon_redis.search_by_tags('{"dealer": "7", "status": "open"}', 2)
UNION ALL SELECT array_agg(vcon_id) FROM vcon_redis.search_by_tags('{"dealer": "7", "status": "open"}', 3);
-- search_vcons with two pairs and no other filter pages through _tag_page (the bounded walk, else
-- the GIN index): the same rows, order and total_count as its generic statement (which a start date
-- that filters nothing selects), for every lim and off, full pages (walked) and short (GIN)
SELECT l, o, n, same FROM (VALUES ('{"dealer": "7", "status": "open"}'::jsonb)) AS x(t),
     generate_series(1, 3) AS l, generate_series(0, 2) AS o,
     LATERAL (SELECT count(*) AS n,
                     array_agg((s.uuid, s.total_count)::text ORDER BY s.created_at DESC, s.uuid)
                     IS NOT DISTINCT FROM
                     (SELECT array_agg((g.uuid, g.total_count)::text ORDER BY g.created_at DESC, g.uuid)
                      FROM vcon_redis.search_vcons(tags => x.t, lim => l, off => o, start_date => '-infinity') g)
                     AS same
              FROM vcon_redis.search_vcons(tags => x.t, lim => l, off => o) s) AS r
ORDER BY 1, 2;

-- ---------------------------------------------------------------------------------------------
-- The search expressions match the indexes (plan shape only; seq scans disabled for stability)
-- ---------------------------------------------------------------------------------------------
SET enable_seqscan = off;
BEGIN;
DROP INDEX attachments_tags_vcon_idx;   -- else the tiny table may be read through it
EXPLAIN (COSTS OFF)
SELECT a.vcon_id FROM attachments a
WHERE (a.purpose = 'tags' OR a.type = 'tags') AND vcon_redis._tag_array(a.body) @> '{dealer:7}'::text[];
ROLLBACK;
-- the candidates of tags spread over several tags attachments (_tag_spread_matches)
EXPLAIN (COSTS OFF)
SELECT s.vcon_id FROM attachments s WHERE (s.purpose = 'tags' OR s.type = 'tags') AND s.attachment_index <> 0;
EXPLAIN (COSTS OFF)
SELECT v.uuid FROM vcons v WHERE v.subject_tsvector IS NOT NULL AND v.subject_tsvector @@ websearch_to_tsquery('english', 'invoice');
EXPLAIN (COSTS OFF)
SELECT c.vcon_id FROM dialog c WHERE c.body_tsvector IS NOT NULL AND c.body_tsvector @@ websearch_to_tsquery('english', 'invoice');
EXPLAIN (COSTS OFF)
SELECT c.vcon_id FROM analysis c WHERE c.body_tsvector IS NOT NULL AND c.body_tsvector @@ websearch_to_tsquery('english', 'invoice');
EXPLAIN (COSTS OFF)
SELECT c.vcon_id FROM parties c WHERE c.party_tsvector IS NOT NULL AND c.party_tsvector @@ websearch_to_tsquery('simple', 'alice');
RESET enable_seqscan;

-- the search functions are STABLE; PARALLEL SAFE but for search_vcons_content, PARALLEL RESTRICTED
-- because its snippets call vcon_redis._search_text (JSON bodies), which starts a subtransaction,
-- which workers may not
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel
FROM pg_proc p WHERE p.oid IN ('vcon_redis._search_text(text)'::regprocedure, 'vcon_redis._json_or_null(text)'::regprocedure)
ORDER BY 1;
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel
FROM pg_proc p WHERE p.oid = ANY (vcon_redis._search_functions()) ORDER BY 1;

\c :regress_db
DROP DATABASE vcon_redis_search_regress;
