-- save_vcon / vcon_json / vcon_json_many / delete_vcon: what is stored, what comes back, replace
-- semantics (UPDATE of the vcons row, no ghost children), refusal of invalid documents, and the
-- document read from rows that another client (vcon-mcp) wrote with plain SQL.
SET client_min_messages = warning;
\set VERBOSITY default
\set SHOW_CONTEXT never
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM vcon_redis.config) THEN
        PERFORM vcon_redis.attach('public');
    END IF;
END $$;
SELECT set_config('search_path', quote_ident(schema_name) || ', public', false) IS NOT NULL AS on_attached_schema
FROM vcon_redis.config;

-- Watch the vcons row: a re-save must UPDATE it, never DELETE + INSERT (the capture triggers read
-- an INSERT as "created" and push the uuid to the ingress queues).
CREATE TEMP TABLE vcons_ops (op text, vcon uuid);
CREATE FUNCTION pg_temp.log_vcons_op() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vcons_ops VALUES (TG_OP, coalesce(NEW.uuid, OLD.uuid));
    RETURN NULL;
END $$;
CREATE TRIGGER zz_test_log_ops AFTER INSERT OR UPDATE OR DELETE ON vcons
    FOR EACH ROW EXECUTE FUNCTION pg_temp.log_vcons_op();

CREATE FUNCTION pg_temp.counts(u uuid) RETURNS text LANGUAGE sql AS $$
    SELECT format('vcons=%s parties=%s dialog=%s party_history=%s analysis=%s attachments=%s',
        (SELECT count(*) FROM vcons WHERE uuid = u), (SELECT count(*) FROM parties WHERE vcon_id = u),
        (SELECT count(*) FROM dialog WHERE vcon_id = u),
        (SELECT count(*) FROM party_history WHERE dialog_id IN (SELECT id FROM dialog WHERE vcon_id = u)),
        (SELECT count(*) FROM analysis WHERE vcon_id = u), (SELECT count(*) FROM attachments WHERE vcon_id = u))
$$;

-- 1. A document using every member shape the vcon-mcp columns cannot hold: it comes back equal,
--    apart from dates in UTC (documented normalisation).
SELECT $json${"vcon": "0.0.1", "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05.120-05:00", "subject": "Everything", "extensions": ["x-ext"], "critical": ["x-ext"], "x-top": {"k": [1, null, {}]}, "amended": {"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc40", "x": 1}, "group": [{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc41"}], "parties": [{"tel": "+12345678901", "name": "Alice", "validation": "none", "type": "person", "org": "Acme", "dept": "Sales", "role": "agent", "meta": {"a": null}, "jCard": ["vcard", []], "civicaddress": {"country": "US"}, "timezone": "UTC", "uuid": "p-1", "sip": "sip:a@example.com", "did": "did:web:example.com"}, {}, {"mailto": "c@example.com"}], "dialog": [{"type": "recording-set", "start": "2025-01-02T08:04:05Z", "parties": [0, 1], "recordings": [1, 2], "session_id": {"local": "a", "remote": "b"}, "x-d": true}, {"type": "recording", "start": "2025-01-02T08:04:05.5Z", "duration": 33.12, "parties": [[0], null, [1, 2]], "recording_set": 0, "mediatype": "audio/x-mp3", "url": "https://example.com/a.mp3", "content_hash": ["sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ", "sha256-abc"], "party_history": [{"party": 0, "time": "2025-01-02T08:04:05Z", "event": "join"}, {"party": 1, "time": "2025-01-02T08:04:06Z", "event": "keydown", "button": "5", "x-h": 1}]}, {"type": "recording", "start": "2025-01-02T08:04:05Z", "duration": 0.5600001000000001, "parties": 2, "originator": 2, "mediatype": "audio/x-wav", "encoding": "base64url", "body": "UklGRg", "filename": "a.wav"}, {"type": "text", "start": "2025-01-02T08:04:05Z", "duration": 0, "parties": [0, 2], "mediatype": "text/plain", "encoding": "none", "body": "{\"looks\": \"like json\"}", "message_id": "<m@x>", "application": "chat"}, {"type": "transfer", "start": "2025-01-02T08:04:05Z", "transferee": 0, "transferor": 1, "transfer_target": 2, "original": 1, "target_dialog": [2], "consultation": [1, 3]}, {"type": "incomplete", "start": "2025-01-02T08:04:05Z", "parties": [0], "disposition": "no-answer", "duration": 12}], "analysis": [{"type": "transcript", "dialog": 1, "vendor": "v", "product": "p", "schema": "s", "mediatype": "application/json", "encoding": "json", "body": [{"t": 0.5600001000000001, "x": null}], "x-a": "y"}, {"type": "summary", "dialog": [1], "attachment": 0, "vendor": "v", "mediatype": "text/plain", "encoding": "none", "body": ""}, {"type": "sentiment", "dialog": [1, 2], "vendor": "v", "mediatype": "application/json", "encoding": "json", "body": 42}, {"type": "report", "vendor": "v", "url": "https://example.com/r", "content_hash": "sha256-abc"}], "attachments": [{"purpose": "tags", "start": "2025-01-02T08:04:05Z", "party": 0, "dialog": 0, "mediatype": "application/json", "encoding": "json", "body": ["a:1", "b:2"]}, {"purpose": "notes", "type": "legacy-kept", "start": "2025-01-02T08:04:05Z", "party": 1, "dialog": 3, "mediatype": "text/plain", "encoding": "none", "body": "note"}]}$json$::jsonb AS full \gset
SELECT vcon_redis.save_vcon(:'full');
SELECT pg_temp.counts('019f15a6-a752-826f-b9a2-279e0d16bc46');
SELECT jsonb_pretty(vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46'));
SELECT vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46')
       = jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'full'::jsonb,
             '{created_at}', '"2025-01-02T08:04:05.12Z"'),
             '{dialog,0,start}', '"2025-01-02T08:04:05Z"'),
             '{dialog,1,start}', '"2025-01-02T08:04:05.5Z"'),
             '{dialog,1,party_history,0,time}', '"2025-01-02T08:04:05Z"')
       AS equal_but_dates;
-- body JSON types and numbers, one by one
SELECT d.ord, jsonb_typeof(d.e -> 'body') AS body_type, d.e -> 'body' AS body, d.e -> 'duration' AS duration
FROM jsonb_array_elements(vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46') -> 'dialog') WITH ORDINALITY d(e, ord);
SELECT a.ord, jsonb_typeof(a.e -> 'body') AS body_type, a.e -> 'body' AS body, a.e -> 'dialog' AS dialog
FROM jsonb_array_elements(vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46') -> 'analysis') WITH ORDINALITY a(e, ord);
-- vcon-mcp's columns are filled for vcon-mcp's readers (REAL duration, int[] parties, type = purpose)
SELECT dialog_index, type, duration_seconds, duration, parties, transfer_target, target_dialog, body_json
FROM dialog WHERE vcon_id = '019f15a6-a752-826f-b9a2-279e0d16bc46' ORDER BY dialog_index;
SELECT attachment_index, type, purpose, mimetype, body, body_json
FROM attachments WHERE vcon_id = '019f15a6-a752-826f-b9a2-279e0d16bc46' ORDER BY attachment_index;
SELECT vcon_version, critical, must_support, amended = appended AS appended_in_sync, group_data, extra
FROM vcons WHERE uuid = '019f15a6-a752-826f-b9a2-279e0d16bc46';

-- 2. Re-saving the canonical document changes nothing (a fixed point).
SELECT vcon_redis.vcon_json(vcon_redis.save_vcon(vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46')))
       = vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46') AS fixed_point;

-- 3. Replace with fewer children: the vcons row is UPDATEd, no ghost rows remain.
TRUNCATE vcons_ops;
SELECT vcon_redis.save_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z",
    "parties": [{"name": "Only", "validation": "none"}],
    "dialog": [{"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "text/plain", "encoding": "none", "body": "short"}]}');
SELECT op, vcon FROM vcons_ops;
SELECT pg_temp.counts('019f15a6-a752-826f-b9a2-279e0d16bc46');
SELECT vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46');

-- 4. Legacy names and null/empty members: renamed and dropped.
SELECT jsonb_pretty(vcon_redis.vcon_json(vcon_redis.save_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc42", "vcon": "0.0.1",
    "created_at": "2024-03-16T16:09:20.701906", "updated_at": "2024-03-16T16:09:20+02:00",
    "appended": {"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46"}, "must_support": ["e"], "extensions": ["e"],
    "subject": null, "redacted": {}, "group": [], "tags": {}, "meta": {"kept": true},
    "parties": [{"name": "A", "validation": "none", "tel": null, "meta": {}}, {"mailto": "b@example.com"}],
    "dialog": [{"type": "text", "start": "2024-03-16T16:09:20.701736", "parties": [0, 1], "mimetype": "text/plain", "encoding": "none", "body": "hello", "alg": "SHA-512", "signature": "abc", "duration": null},
               {"type": "transfer", "start": "2024-03-16T16:09:21Z", "transferee": 0, "transferor": 1, "transfer-target": 1, "original": 0, "target-dialog": 0}],
    "analysis": [{"type": "summary", "vendor": "v", "schema_version": "1.0", "dialog": 0, "mimetype": "text/plain", "encoding": "none", "body": "s", "extra": {}}],
    "attachments": [{"type": "generation_info", "start": "2024-03-16T16:09:20Z", "party": 0, "dialog": 0, "mimetype": "application/json", "encoding": "json", "body": {"model": "x"}},
                    {"type": "tags", "purpose": "tags2", "start": "2024-03-16T16:09:20Z", "party": 0, "dialog": 0, "mediatype": "application/json", "mimetype": "text/plain", "encoding": "json", "body": "[\"a:1\"]"}]}')));

-- 5. A missing created_at is stored as the time of the first save and kept on later saves.
SELECT vcon_redis.save_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc43", "parties": [{}]}');
SELECT created_at AS first_created_at FROM vcons WHERE uuid = '019f15a6-a752-826f-b9a2-279e0d16bc43' \gset
SELECT vcon_redis.save_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc43", "parties": [{}, {}]}');
SELECT created_at = :'first_created_at' AS created_at_kept,
       vcon_redis.vcon_json(uuid) ? 'created_at' AS emitted,
       vcon_redis.vcon_json(uuid) ? 'updated_at' AS no_updated_at_invented
FROM vcons WHERE uuid = '019f15a6-a752-826f-b9a2-279e0d16bc43';

-- 6. Upper-case uuid: stored and returned in the canonical lower-case form.
SELECT vcon_redis.save_vcon('{"uuid": "019F15A6-A752-826F-B9A2-279E0D16BC44", "created_at": "2025-01-02T03:04:05Z", "parties": [{}]}');
SELECT vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc44') ->> 'uuid' AS uuid;

-- 7. Invalid documents: an ERROR naming the first problem, DETAIL listing all, nothing written.
SELECT count(*) AS vcons_before FROM vcons \gset
SELECT vcon_redis.save_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc45", "created_at": "2025-01-02T03:04:05Z",
    "parties": [{}, {}, {}],
    "dialog": [{"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0], "body": "a", "encoding": "none", "mediatype": "text/plain"},
               {"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0], "body": "a", "encoding": "none", "mediatype": "text/plain"},
               {"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0, 5], "duration": -1, "body": "a", "encoding": "none", "mediatype": "text/plain"}]}');
SELECT vcon_redis.save_vcon('{"created_at": "2025-01-02T03:04:05Z"}');
SELECT vcon_redis.save_vcon('"not an object"');
-- replacing an existing vCon with an invalid document leaves it untouched
SELECT vcon_redis.save_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": null}');
SELECT count(*) = :vcons_before AS nothing_written, pg_temp.counts('019f15a6-a752-826f-b9a2-279e0d16bc45') AS bad_one,
       pg_temp.counts('019f15a6-a752-826f-b9a2-279e0d16bc46') AS untouched
FROM vcons;

-- 8. vcon_json_many: set-based, absent uuids are not returned; vcon_json of an absent uuid is NULL.
SELECT m.uuid, m.doc ->> 'created_at' AS created_at
FROM vcon_redis.vcon_json_many(ARRAY['019f15a6-a752-826f-b9a2-279e0d16bc46', '00000000-0000-0000-0000-000000000000',
                                     '019f15a6-a752-826f-b9a2-279e0d16bc42']::uuid[]) m
ORDER BY m.uuid;
SELECT vcon_redis.vcon_json('00000000-0000-0000-0000-000000000000') IS NULL AS absent_is_null;
SELECT count(*) FROM vcon_redis.vcon_json_many('{}');

-- 9. Rows written with plain SQL by another client, vcon-mcp style (only its columns, extra NULL):
--    a sensible document, no nulls, its legacy columns read as current members.
INSERT INTO vcons (id, uuid, vcon_version, subject, created_at, updated_at, must_support, appended)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc47', '01928e10-193e-8231-b9a2-279e0d16bc47', '0.3.0', 'From vcon-mcp',
        '2025-05-06T07:08:09.5+00', '2025-05-06T07:09:00+00', '{x}', '{"uuid": "01928e10-193e-8231-b9a2-279e0d16bc40"}');
INSERT INTO parties (vcon_id, party_index, tel, name, metadata)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc47', 0, '+15551230000', 'Caller', '{"internal": 1}'),
       ('01928e10-193e-8231-b9a2-279e0d16bc47', 1, NULL, 'Agent', '{}');
INSERT INTO dialog (vcon_id, dialog_index, type, start_time, duration_seconds, parties, mediatype, body, encoding, session_id_legacy)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc47', 0, 'text', '2025-05-06T07:08:09+00', 33.12, '{0,1}', 'text/plain', 'hi', 'none', 'sess-1');
INSERT INTO analysis (vcon_id, analysis_index, type, dialog_indices, vendor, body, encoding)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc47', 0, 'summary', '{0}', 'openai', '42', 'none');
INSERT INTO attachments (vcon_id, attachment_index, type, body, encoding)
VALUES ('01928e10-193e-8231-b9a2-279e0d16bc47', 0, 'tags', '["customer:acme","topic:billing"]', 'json');
SELECT jsonb_pretty(vcon_redis.vcon_json('01928e10-193e-8231-b9a2-279e0d16bc47'));

-- 10. Another client changing duration_seconds of a save_vcon row: the document follows it.
UPDATE dialog SET duration_seconds = 99.5 WHERE vcon_id = '019f15a6-a752-826f-b9a2-279e0d16bc46';
SELECT vcon_redis.vcon_json('019f15a6-a752-826f-b9a2-279e0d16bc46') #> '{dialog,0,duration}' AS duration;

-- 11. delete_vcon: true once, then false; children gone.
SELECT vcon_redis.delete_vcon('019f15a6-a752-826f-b9a2-279e0d16bc46') AS deleted,
       vcon_redis.delete_vcon('019f15a6-a752-826f-b9a2-279e0d16bc46') AS deleted_again;
SELECT pg_temp.counts('019f15a6-a752-826f-b9a2-279e0d16bc46');

-- 12. What public producers write is stored exactly and read back identically (the warnings of
--     validate_vcon): vcon-zip's shortened sha512 digests, vcon-lib's (< 0.9.5) bare base64 hash and
--     the `SHA-512:<base64>` form, py-vcon's analysis without vendor, vcon-server's https URL without
--     content_hash, an s3:// URL, ietf-meeting-vcons' "video" dialog; an explicit empty vendor stays.
SELECT $json${"uuid": "01955450-1234-5678-9abc-def012345678", "created_at": "2023-11-19T11:00:00Z",
    "parties": [{"tel": "+1-555-0300", "name": "Customer"}, {"tel": "+1-555-0400", "name": "Support Agent"}],
    "dialog": [{"type": "recording", "start": "2023-11-19T11:00:00Z", "duration": 600, "parties": [0, 1], "mediatype": "audio/wav",
                "url": "https://example.com/recordings/call123.wav", "content_hash": "sha512-ExampleHashValue123ABC"},
               {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "audio/wav",
                "url": "https://example.com/r2.wav", "content_hash": "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="},
               {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "audio/wav",
                "url": "https://example.com/r3.wav", "content_hash": ["SHA-512:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==", "sha256-n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"]},
               {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0], "mediatype": "audio/mpeg", "url": "https://fake-vcons.s3.amazonaws.com/x.mp3?X-Amz-Signature=abc"},
               {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0], "mediatype": "audio/x-wav", "url": "s3://bucket/x.wav", "content_hash": "SHA-512:abc"},
               {"type": "video", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "video/mp4", "url": "https://www.youtube.com/watch?v=abc"}],
    "analysis": [{"type": "transcript", "dialog": 0, "encoding": "json", "body": "{\"text\": \"hi\"}", "mediatype": "application/json"},
                 {"type": "summary", "dialog": [1], "vendor": "", "encoding": "none", "body": "s", "mediatype": "text/plain"},
                 {"type": "summary", "dialog": 2, "vendor": "openai", "encoding": "none", "body": "t", "mediatype": "text/plain"}],
    "attachments": [{"purpose": "document", "url": "https://example.com/attachments/ticket.pdf", "content_hash": "sha512-ExamplePDFHash456DEF", "mediatype": "application/pdf"}]}$json$::jsonb AS producers \gset
SELECT count(*) FILTER (WHERE severity = 'error') AS errors, count(*) FILTER (WHERE severity = 'warning') AS warnings
FROM vcon_redis.validate_vcon(:'producers');
SELECT vcon_redis.vcon_json(vcon_redis.save_vcon(:'producers')) = :'producers'::jsonb AS round_trips;
SELECT vcon_redis.vcon_json(vcon_redis.save_vcon(vcon_redis.vcon_json('01955450-1234-5678-9abc-def012345678')))
       = :'producers'::jsonb AS fixed_point;
-- vcon-mcp's NOT NULL vendor column holds '' for the analysis without one
SELECT analysis_index, vendor, extra FROM analysis WHERE vcon_id = '01955450-1234-5678-9abc-def012345678' ORDER BY analysis_index;
SELECT d.ord - 1 AS dialog, d.e -> 'content_hash' AS content_hash
FROM jsonb_array_elements(vcon_redis.vcon_json('01955450-1234-5678-9abc-def012345678') -> 'dialog') WITH ORDINALITY d(e, ord);

-- 13. Strict mode: the same document is refused (the first MUST it breaks), nothing written; a url
--     that is not a URL at all is refused in either mode.
SELECT pg_temp.counts('01955450-1234-5678-9abc-def012345678') AS before_strict;
BEGIN;
SET LOCAL vcon_redis.validation = strict;
SELECT vcon_redis.save_vcon(jsonb_set(:'producers'::jsonb, '{subject}', '"changed"'));
ROLLBACK;
SELECT pg_temp.counts('01955450-1234-5678-9abc-def012345678') AS after_strict,
       vcon_redis.vcon_json('01955450-1234-5678-9abc-def012345678') = :'producers'::jsonb AS unchanged;
SELECT vcon_redis.save_vcon(jsonb_set(:'producers'::jsonb, '{dialog,4,url}', '"not-a-url"'));

-- clean up
SELECT vcon_redis.delete_vcon('01955450-1234-5678-9abc-def012345678') AS cleaned_producers;
SELECT count(*) FILTER (WHERE vcon_redis.delete_vcon(u)) AS cleaned
FROM unnest(ARRAY['019f15a6-a752-826f-b9a2-279e0d16bc42', '019f15a6-a752-826f-b9a2-279e0d16bc43',
                  '019f15a6-a752-826f-b9a2-279e0d16bc44', '01928e10-193e-8231-b9a2-279e0d16bc47']::uuid[]) u;
DROP TRIGGER zz_test_log_ops ON vcons;
