-- Attaching to an existing vcon-mcp database: _create_tables on vcon-mcp's tables moves no data
-- (catalog-only ADD COLUMNs: no table is rewritten), relaxes none of its constraints, and the data
-- functions then read vcon-mcp's rows and write vCons into that schema.
SET client_min_messages = warning;
\set VERBOSITY terse
\i tests/regress/data/vcon_mcp_schema.sql

-- Rows as vcon-mcp's batch writer leaves them: id = uuid, REAL durations, analysis dialog as an
-- array, tags as an attachment with type = 'tags' and a stringified JSON body, nulls in columns.
INSERT INTO mcp.vcons (id, uuid, vcon_version, subject, created_at, updated_at, extensions, critical, tenant_id)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc50', '01928e10-193e-8231-b9a2-279e0d16bc50', '0.4.0', 'Billing call',
        '2025-07-01 10:00:00.123456+00', '2025-07-01 10:05:00+00', '{}', NULL, 'tenant-a'),
       ('01928e10-193e-8231-b9a2-279e0d16bc51', '01928e10-193e-8231-b9a2-279e0d16bc51', '0.3.0', NULL,
        '2025-07-02 11:00:00+00', '2025-07-02 11:00:00+00', NULL, NULL, NULL);
INSERT INTO mcp.parties (vcon_id, party_index, tel, name, mailto, uuid, metadata)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc50', 0, '+15551112222', 'Customer', NULL, NULL, '{}'),
       ('01928e10-193e-8231-b9a2-279e0d16bc50', 1, NULL, 'Agent', 'agent@example.com', 'agent-7', '{"team": "b"}');
INSERT INTO mcp.dialog (vcon_id, dialog_index, type, start_time, duration_seconds, parties, originator, mediatype, url, content_hash, session_id)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc50', 0, 'recording', '2025-07-01 10:00:01+00', 57.168, '{0,1}', NULL,
        'audio/x-mp3', 'https://example.com/call.mp3', 'sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ', NULL);
INSERT INTO mcp.analysis (vcon_id, analysis_index, type, dialog_indices, vendor, product, body, encoding, mediatype, confidence)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc50', 0, 'transcript', '{0}', 'deepgram', 'nova-2',
        '[{"speaker":0,"text":"hello"}]', 'json', 'application/json', 0.93),
       ('01928e10-193e-8231-b9a2-279e0d16bc50', 1, 'summary', '{0}', 'openai', NULL, 'Customer asked about a bill.', 'none', 'text/plain', NULL);
INSERT INTO mcp.attachments (vcon_id, attachment_index, type, body, encoding)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc50', 0, 'tags', '["topic:billing","priority:high"]', 'json');

CREATE TEMP TABLE before AS
SELECT c.relname, c.relfilenode,
       (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid) AS constraints
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'mcp' AND c.relkind = 'r';
CREATE TEMP TABLE rows_before AS
SELECT 'vcons' AS t, (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM mcp.vcons x) AS rows
UNION ALL SELECT 'parties', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM mcp.parties x)
UNION ALL SELECT 'dialog', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM mcp.dialog x)
UNION ALL SELECT 'analysis', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM mcp.analysis x)
UNION ALL SELECT 'attachments', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM mcp.attachments x);

SELECT vcon_redis._create_tables('mcp');
SELECT vcon_redis._create_tables('mcp');   -- idempotent

-- No table was rewritten, no constraint added or dropped, no existing column changed.
SELECT b.relname, c.relfilenode = b.relfilenode AS not_rewritten,
       (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid) = b.constraints AS same_constraints
FROM before b JOIN pg_class c ON c.relname = b.relname
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'mcp'
ORDER BY b.relname;
-- every existing row keeps every value; the added columns are NULL
SELECT b.t, b.rows = CASE b.t
        WHEN 'vcons' THEN (SELECT jsonb_agg(to_jsonb(x) - 'extra' - 'doc_updated_at' ORDER BY x.id) FROM mcp.vcons x)
        WHEN 'parties' THEN (SELECT jsonb_agg(to_jsonb(x) - 'extra' ORDER BY x.id) FROM mcp.parties x)
        WHEN 'dialog' THEN (SELECT jsonb_agg(to_jsonb(x) - 'extra' - 'duration' - 'body_json' ORDER BY x.id) FROM mcp.dialog x)
        WHEN 'analysis' THEN (SELECT jsonb_agg(to_jsonb(x) - 'extra' - 'body_json' ORDER BY x.id) FROM mcp.analysis x)
        WHEN 'attachments' THEN (SELECT jsonb_agg(to_jsonb(x) - 'extra' - 'body_json' ORDER BY x.id) FROM mcp.attachments x)
    END AS unchanged
FROM rows_before b ORDER BY b.t;
SELECT count(*) AS dialog_rows, count(*) FILTER (WHERE extra IS NULL AND duration IS NULL AND body_json IS NULL) AS new_columns_null
FROM mcp.dialog;
-- vcon-mcp's CHECKs are still there, unrelaxed
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid IN ('mcp.dialog'::regclass, 'mcp.party_history'::regclass) AND contype = 'c' ORDER BY conname;
-- the lookup indexes the data functions need (party_history by vcon_id and dialog_id)
SELECT indexrelid::regclass AS index FROM pg_index WHERE indrelid = 'mcp.party_history'::regclass ORDER BY 1;

-- Point the data functions at mcp: attach() when some other schema is attached, restore it after.
SELECT set_config('vcon_test.prev_schema', coalesce((SELECT schema_name FROM vcon_redis.config), ''), false) IS NOT NULL AS remembered;
DO $$ BEGIN
    IF EXISTS (SELECT FROM vcon_redis.config) THEN
        PERFORM vcon_redis.detach((SELECT schema_name FROM vcon_redis.config));
    END IF;
    PERFORM vcon_redis.attach('mcp');
END $$;
SET search_path = mcp, public;

-- The pre-existing vcon-mcp rows read as a sensible document.
SELECT jsonb_pretty(vcon_redis.vcon_json('01928e10-193e-8231-b9a2-279e0d16bc50'));
SELECT vcon_redis.vcon_json('01928e10-193e-8231-b9a2-279e0d16bc51');

-- save_vcon writes into mcp, and the document comes back whole.
SELECT vcon_redis.save_vcon('{"uuid": "01928e10-193e-8231-b9a2-279e0d16bc52", "created_at": "2025-07-03T09:00:00Z",
    "parties": [{"tel": "+15550001111", "name": "A", "validation": "none", "type": "person"}, {"mailto": "b@example.com"}],
    "dialog": [{"type": "recording", "start": "2025-07-03T09:00:01Z", "duration": 33.12, "parties": [0, 1], "mediatype": "audio/x-wav",
                "encoding": "base64url", "body": "UklGRg", "party_history": [{"party": 1, "time": "2025-07-03T09:00:02Z", "event": "join"}]}],
    "analysis": [{"type": "summary", "dialog": 0, "vendor": "v", "mediatype": "text/plain", "encoding": "none", "body": "ok"}],
    "attachments": [{"purpose": "tags", "start": "2025-07-03T09:00:00Z", "party": 0, "dialog": 0, "mediatype": "application/json", "encoding": "json", "body": ["topic:x"]}]}');
SELECT vcon_redis.vcon_json('01928e10-193e-8231-b9a2-279e0d16bc52') - 'created_at' AS saved_doc;
SELECT (SELECT count(*) FROM mcp.vcons WHERE uuid = '01928e10-193e-8231-b9a2-279e0d16bc52') AS in_mcp_vcons,
       (SELECT count(*) FROM mcp.party_history) AS in_mcp_party_history,
       (SELECT type FROM mcp.attachments WHERE vcon_id = '01928e10-193e-8231-b9a2-279e0d16bc52') AS tags_type_for_vcon_mcp;
-- vcon-mcp's 4-value dialog CHECK is kept: a recording-set is refused by its constraint, nothing written
SELECT vcon_redis.save_vcon('{"uuid": "01928e10-193e-8231-b9a2-279e0d16bc53", "created_at": "2025-07-03T09:00:00Z", "parties": [{}],
    "dialog": [{"type": "recording-set", "start": "2025-07-03T09:00:01Z", "parties": [0], "recordings": [1]},
               {"type": "recording", "start": "2025-07-03T09:00:01Z", "parties": [0], "recording_set": 0, "url": "https://example.com/r.wav",
                "content_hash": "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ"}]}');
SELECT count(*) AS not_written FROM mcp.vcons WHERE uuid = '01928e10-193e-8231-b9a2-279e0d16bc53';
-- Another client's UPDATEs of rows save_vcon wrote show in the document (the BEFORE UPDATE
-- triggers clear our columns of the rows whose document columns it changed): a dialog body
-- rewritten as plain text while body_json said JSON, party 1 renamed, the tags attachment's type,
-- vcons.updated_at. An UPDATE of no document column (tenant_id) keeps them (party 0's type).
UPDATE mcp.dialog SET body = 'plain text now', encoding = 'none' WHERE vcon_id = '01928e10-193e-8231-b9a2-279e0d16bc52';
UPDATE mcp.parties SET tenant_id = 't' WHERE vcon_id = '01928e10-193e-8231-b9a2-279e0d16bc52';
UPDATE mcp.parties SET name = 'B2' WHERE vcon_id = '01928e10-193e-8231-b9a2-279e0d16bc52' AND party_index = 1;
UPDATE mcp.attachments SET type = 'labels' WHERE vcon_id = '01928e10-193e-8231-b9a2-279e0d16bc52';
UPDATE mcp.vcons SET updated_at = '2025-07-04T00:00:00Z' WHERE uuid = '01928e10-193e-8231-b9a2-279e0d16bc52';
SELECT vcon_redis.vcon_json('01928e10-193e-8231-b9a2-279e0d16bc52') - 'created_at' AS after_other_clients;
SELECT vcon_redis.delete_vcon('01928e10-193e-8231-b9a2-279e0d16bc52') AS deleted;

-- Restore: detach mcp, re-attach what was attached before.
RESET search_path;
DO $$
BEGIN
    PERFORM vcon_redis.detach('mcp');
    IF current_setting('vcon_test.prev_schema', true) <> '' THEN
        PERFORM vcon_redis.attach(current_setting('vcon_test.prev_schema', true));
    END IF;
END $$;
DROP SCHEMA mcp CASCADE;
