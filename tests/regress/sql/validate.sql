-- validate_vcon: one synthesised vCon per rule (errors for structural problems and what cannot be
-- stored faithfully, warnings for SHOULDs and for MUSTs broken without loss, which strict mode makes
-- errors), legacy names normalised rather than reported, what public producers write accepted, and
-- the vcon-server invalid fixtures each rejected for their intended defect.
SET client_min_messages = warning;

-- A clean, current vCon: no problem at all.
SELECT * FROM vcon_redis.validate_vcon('{
  "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z",
  "parties": [{"tel": "+12345678901", "name": "Alice", "validation": "none"}, {"mailto": "bob@example.com"}],
  "dialog": [{"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0, 1],
              "mediatype": "text/plain", "encoding": "none", "body": "hi"}],
  "analysis": [{"type": "summary", "vendor": "acme", "dialog": 0, "mediatype": "text/plain",
                "encoding": "none", "body": "greeting"}],
  "attachments": [{"purpose": "tags", "start": "2025-01-02T03:04:05Z", "party": 0, "dialog": 0,
                   "mediatype": "application/json", "encoding": "json", "body": ["a:1"]}]}');

-- Not an object, signed and encrypted forms.
SELECT * FROM vcon_redis.validate_vcon('[]');
SELECT * FROM vcon_redis.validate_vcon('{"payload": "x", "signatures": []}');
SELECT * FROM vcon_redis.validate_vcon('{"ciphertext": "x", "recipients": []}');

-- uuid: missing, wrong type, malformed, upper case and version (warnings).
SELECT * FROM vcon_redis.validate_vcon('{"created_at": "2025-01-02T03:04:05Z", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": 42, "created_at": "2025-01-02T03:04:05Z", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "123", "created_at": "2025-01-02T03:04:05Z", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019F15A6-A752-426F-B9A2-279E0D16BC46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}]}');

-- Dates: missing created_at (warning), no offset (warning), not a date, impossible date,
-- wrong type, lower-case t/z accepted.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2024-03-16T16:09:20.701906", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "Mon, 1 Jan 2024 00:00:00 GMT", "updated_at": "2024-02-30T00:00:00Z", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": 1700000000, "updated_at": "2024-01-01T25:00:00Z", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2024-01-01t10:00:00.5z", "updated_at": "2024-01-01T10:00:00-05:00", "parties": [{}]}');

-- vcon member: wrong type, empty, legacy value, current value; subject type.
SELECT * FROM vcon_redis.validate_vcon('{"vcon": 1, "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}], "subject": ["x"]}');
SELECT * FROM vcon_redis.validate_vcon('{"vcon": "", "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"vcon": "0.0.1", "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}]}');
SELECT * FROM vcon_redis.validate_vcon('{"vcon": "0.4.0", "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}], "subject": null}');

-- Top-level arrays: null parties is an error (other nulls are dropped), non-arrays, typed
-- elements, critical not in extensions, nothing of substance.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": null, "dialog": {}, "analysis": "x", "attachments": null}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}, 3], "extensions": ["a", 1], "critical": ["a", "b"]}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [], "group": [], "redacted": {}}');

-- redacted / amended: both, missing type, amended without uuid or url, url without hash.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}], "redacted": {"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc40", "type": "PII"}, "amended": {"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc41"}}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}], "redacted": {"url": "https://example.com/x"}}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}], "appended": {"product": "x"}}');
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}], "redacted": []}');

-- Parties: typed members, civicaddress object, did syntax, name without validation, type values,
-- tel syntax.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z",
  "parties": [{"tel": 15551234, "mailto": ["a"], "civicaddress": "Main St", "did": "urn:x", "name": "Al"},
              {"type": "robot", "tel": "call me", "org": 5, "validation": "none", "name": "B"}]}');

-- Dialog type: missing, wrong type, outside the draft enum (a warning: real data has "video").
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}],
  "dialog": [{"start": "2025-01-02T03:04:05Z"}, {"type": 3, "start": "2025-01-02T03:04:05Z"},
             {"type": "video", "start": "2025-01-02T03:04:05Z", "parties": [0], "url": "https://example.com/v"}]}');

-- Dialog parties and indices: the message format of the design, nested per-channel arrays with
-- null placeholders, bad element types, originator, transfer and dialog references.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z",
  "parties": [{}, {}, {}],
  "dialog": [{"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0, 1], "body": "a", "encoding": "none", "mediatype": "text/plain"},
             {"type": "text", "start": "2025-01-02T03:04:05Z", "parties": 1, "body": "a", "encoding": "none", "mediatype": "text/plain"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0, 5], "originator": 3, "url": "https://example.com/a", "content_hash": "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [[0, 1], null, [2, 7]], "url": "https://example.com/a", "content_hash": "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [-1, "0", 1.5, [[0]]], "url": "https://example.com/a", "content_hash": "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ"},
             {"type": "transfer", "start": "2025-01-02T03:04:05Z", "transferee": 0, "transferor": 9, "transfer_target": [1, 4], "original": 0, "target_dialog": 6, "consultation": [7]},
             {"type": "text", "parties": "0", "body": "x", "encoding": "none", "mediatype": "text/plain"}]}');

-- Duration: negative, not a number, integer and float accepted.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}],
  "dialog": [{"type": "incomplete", "start": "2025-01-02T03:04:05Z", "parties": [0], "disposition": "busy", "duration": -30},
             {"type": "incomplete", "start": "2025-01-02T03:04:05Z", "parties": [0], "disposition": "busy", "duration": "long"},
             {"type": "incomplete", "start": "2025-01-02T03:04:05Z", "parties": [0], "disposition": "busy", "duration": 0},
             {"type": "incomplete", "start": "2025-01-02T03:04:05Z", "parties": [0], "disposition": "busy", "duration": 33.12}]}');

-- Per-type rules: incomplete needs a disposition from the enum and no content; transfer has no
-- parties or content; recording-set needs recordings; disposition elsewhere is a warning.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}, {}],
  "dialog": [{"type": "incomplete", "start": "2025-01-02T03:04:05Z", "parties": [0]},
             {"type": "incomplete", "start": "2025-01-02T03:04:05Z", "parties": [0], "disposition": "ANSWERED", "body": "x", "encoding": "none"},
             {"type": "transfer", "parties": [0, 1], "mediatype": "audio/x-wav", "transferee": 0, "transferor": 1, "original": 0, "target_dialog": 3},
             {"type": "recording-set", "start": "2025-01-02T03:04:05Z", "parties": [0, 1]},
             {"type": "recording-set", "start": "2025-01-02T03:04:05Z", "parties": [0, 1], "recordings": [4, 9]},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0, 1], "recording_set": 4, "disposition": "failed", "url": "https://example.com/r", "content_hash": "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ"},
             {"type": "transfer"}]}');

-- Content: encoding enum, body without encoding (warning), base64url alphabet and padding,
-- encoding none with an object body (warning), url without hash or https, bad hashes, mediatype.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}],
  "dialog": [{"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "encoding": "base64", "body": "AAAA"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "body": "AAAA"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "encoding": "base64url", "body": "ab+/"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "encoding": "base64url", "body": "QQ=="},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "encoding": "base64url", "body": {"a": 1}},
             {"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "text/plain", "encoding": "none", "body": {"a": 1}},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "url": "s3://bucket/x.wav"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio", "url": "https://example.com/x", "content_hash": "SHA-512:abc"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": 12345, "url": "https://example.com/x", "content_hash": ["sha512-abc", 5]},
             {"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0], "encoding": "none", "body": "no mediatype"},
             {"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "text/plain", "encoding": 7, "body": ""}]}');

-- party_history: required members, index range, event enum, key events need button, legacy dtmf.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}, {}],
  "dialog": [{"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0, 1], "url": "https://example.com/r", "content_hash": "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ",
              "party_history": [{"party": 0, "time": "2025-01-02T03:04:05Z", "event": "join"},
                                {"party": 4, "time": "yesterday", "event": "wave"},
                                {"event": "keydown", "party": 1, "time": "2025-01-02T03:04:06Z"},
                                {"party": 1, "time": "2025-01-02T03:04:07Z", "event": "dtmfdown"},
                                {},
                                "join"]}]}');

-- Analysis and attachments: required members, index ranges, legacy schema_version and type
-- renamed (no finding), attachment members the draft requires but real data omits (warnings).
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}],
  "dialog": [{"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "text/plain", "encoding": "none", "body": "x"}],
  "analysis": [{"dialog": [0, 3], "attachment": 2, "mediatype": "text/plain", "encoding": "none", "body": "s"},
               {"type": "sentiment", "vendor": "v", "schema_version": "1", "dialog": 0, "mediatype": "application/json", "encoding": "json", "body": {"score": 0.5}},
               {"type": 5, "vendor": "v", "mediatype": "text/plain", "encoding": "none", "body": "s"}],
  "attachments": [{"type": "tags", "encoding": "json", "body": "[\"a:1\"]"},
                  {"purpose": "x", "start": "2025-01-02", "party": 3, "dialog": -1, "mediatype": "text/plain", "encoding": "none", "body": "b"}]}');

-- Legacy names are renamed, not reported: mimetype, appended, must_support, transfer-target,
-- target-dialog, attachment type, analysis schema_version; nulls and empties are dropped.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z",
  "appended": {"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc40"}, "must_support": ["x"], "extensions": ["x"], "subject": null, "group": [], "redacted": {},
  "parties": [{"name": "A", "validation": "none", "tel": null}, {}],
  "dialog": [{"type": "text", "start": "2025-01-02T03:04:05Z", "parties": [0, 1], "mimetype": "text/plain", "encoding": "none", "body": "x", "meta": {}},
             {"type": "transfer", "start": "2025-01-02T03:04:05Z", "transferee": 0, "transferor": 1, "transfer-target": 1, "original": 0, "target-dialog": 0}],
  "analysis": [{"type": "summary", "vendor": "v", "schema_version": "1", "dialog": 0, "mimetype": "text/plain", "encoding": "none", "body": "s"}],
  "attachments": [{"type": "tags", "start": "2025-01-02T03:04:05Z", "party": 0, "dialog": 0, "mimetype": "application/json", "encoding": "json", "body": ["a:1"]}]}');

-- What public producers write, each deviation losing nothing: stored as given, so warnings only.
--   vcon-zip (test fixtures): sha512 tokens with a shortened digest, legacy mimetype/type;
--   vcon-lib before 0.9.5: a content_hash of bare padded base64 (SHA-256);
--   the `SHA-512:<base64>` form (algorithm name and standard base64) seen in deployments;
--   py-vcon (Vcon.add_analysis without a vendor): an analysis without vendor;
--   vcon-server datasets and fixtures: https URL without content_hash, an s3:// URL;
--   ietf-meeting-vcons: a "video" dialog with a YouTube URL.
SELECT * FROM vcon_redis.validate_vcon('{"vcon": "0.3.0", "uuid": "01955450-1234-5678-9abc-def012345678", "created_at": "2023-11-19T11:00:00Z",
  "parties": [{"tel": "+1-555-0300", "name": "Customer"}, {"tel": "+1-555-0400", "name": "Support Agent"}],
  "dialog": [{"type": "recording", "start": "2023-11-19T11:00:00Z", "duration": 600, "parties": [0, 1], "mimetype": "audio/wav",
              "url": "https://example.com/recordings/call123.wav", "content_hash": "sha512-ExampleHashValue123ABC"},
             {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "audio/wav",
              "url": "https://example.com/r2.wav", "content_hash": "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="},
             {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "audio/wav",
              "url": "https://example.com/r3.wav", "content_hash": ["SHA-512:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==", "sha256-n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"]},
             {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0], "mediatype": "audio/mpeg", "url": "https://fake-vcons.s3.amazonaws.com/x.mp3?X-Amz-Signature=abc"},
             {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0], "mediatype": "audio/x-wav", "url": "s3://bucket/x.wav"},
             {"type": "video", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "video/mp4", "url": "https://www.youtube.com/watch?v=abc"}],
  "analysis": [{"type": "transcript", "dialog": 0, "encoding": "json", "body": "{\"text\": \"hi\"}", "mediatype": "application/json"}],
  "attachments": [{"type": "document", "url": "https://example.com/attachments/ticket.pdf", "content_hash": "sha512-ExamplePDFHash456DEF", "mimetype": "application/pdf"}]}');

-- Structural breakage stays an error: a url that is not a URL at all (no scheme), whatever else.
SELECT * FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2025-01-02T03:04:05Z", "parties": [{}],
  "dialog": [{"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "url": "not-a-url"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "url": "/var/spool/calls/a.wav"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "url": ""},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "url": "https://example.com/a b.wav", "content_hash": "sha256-abc"},
             {"type": "recording", "start": "2025-01-02T03:04:05Z", "parties": [0], "mediatype": "audio/x-wav", "url": 42}],
  "redacted": {"type": "PII", "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc40", "url": "unredacted.json", "content_hash": "SHA-512:abc"}}');

-- Strict mode (vcon_redis.validation = strict, SET LOCAL for one transaction): every MUST of the
-- draft broken above is an error; SHOULDs stay warnings. Back to tolerant after the transaction.
BEGIN;
SET LOCAL vcon_redis.validation = strict;
SELECT * FROM vcon_redis.validate_vcon('{"vcon": "", "uuid": "01955450-1234-5678-9abc-def012345678", "created_at": "2023-11-19T11:00:00",
  "parties": [{"did": "urn:x"}, {}], "redacted": {"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc40"}, "amended": {"product": "x"},
  "dialog": [{"type": "video", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "video/mp4", "url": "http://example.com/v.mp4"},
             {"type": "text", "start": "2023-11-19T11:00:00Z", "parties": [0, 1], "mediatype": "text", "body": "hi"},
             {"type": "incomplete", "start": "2023-11-19T11:00:00Z", "parties": [0], "encoding": "none", "body": "x", "mediatype": "text/plain"},
             {"type": "recording-set", "start": "2023-11-19T11:00:00Z", "parties": [0]},
             {"type": "recording", "start": "2023-11-19T11:00:00Z", "parties": [0], "mediatype": "audio/x-wav", "encoding": "base64url", "body": "ab+/=",
              "party_history": [{"party": 0, "time": "2023-11-19T11:00:00Z", "event": "keydown"}]},
             {"type": "text", "start": "2023-11-19T11:00:00Z", "parties": [0], "mediatype": "text/plain", "encoding": "none", "body": {"a": 1}}],
  "analysis": [{"type": "summary", "dialog": 1, "mediatype": "text/plain", "encoding": "none", "body": "s"}],
  "attachments": [{"purpose": "tags", "mediatype": "application/json", "encoding": "json", "body": ["a:1"], "url": "https://example.com/t", "content_hash": "sha512-short"}]}');
SELECT current_setting('vcon_redis.validation') AS inside;
COMMIT;
SELECT current_setting('vcon_redis.validation') AS after_commit;
SELECT count(*) FILTER (WHERE severity = 'error') AS errors_when_tolerant
FROM vcon_redis.validate_vcon('{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "parties": [{}],
  "dialog": [{"type": "video", "start": "2023-11-19T11:00:00", "parties": [0], "mediatype": "video/mp4", "url": "http://example.com/v.mp4"}]}');
SET vcon_redis.validation = bogus;

-- The vcon-server invalid fixtures (read client-side when ../shared/samples exists; the output is
-- the same either way): each gives at least one error naming its intended defect.
\set f_bad_duration `cat ../shared/samples/invalid/vcon-server_bad_duration.json 2>/dev/null || echo null`
\set f_bad_party_ref `cat ../shared/samples/invalid/vcon-server_bad_party_ref.json 2>/dev/null || echo null`
\set f_empty `cat ../shared/samples/invalid/vcon-server_empty_vcon.json 2>/dev/null || echo null`
\set f_missing_uuid `cat ../shared/samples/invalid/vcon-server_missing_uuid_and_vcon_version.json 2>/dev/null || echo null`
\set f_null_parties `cat ../shared/samples/invalid/vcon-server_null_parties.json 2>/dev/null || echo null`
\set f_out_of_range `cat ../shared/samples/invalid/vcon-server_out_of_range_party_indices.json 2>/dev/null || echo null`
-- (The empty vcon string loses nothing: a warning, which strict mode makes an error; the fixture is
-- refused for its uuid and created_at either way.)
SELECT f.name,
       f.doc = 'null' OR EXISTS (SELECT FROM vcon_redis.validate_vcon(f.doc) v
                                 WHERE v.severity = f.severity AND v.path = f.path AND v.message = f.message) AS found_with_its_severity
FROM (VALUES
    ('bad_duration', :'f_bad_duration'::jsonb, 'error', 'dialog[0].duration', 'must not be negative (got -30)'),
    ('bad_party_ref', :'f_bad_party_ref'::jsonb, 'error', 'dialog[0].parties[1]', 'party index 99 out of range (2 parties)'),
    ('empty_vcon uuid', :'f_empty'::jsonb, 'error', 'uuid', 'not a UUID (8-4-4-4-12 hex digits): ""'),
    ('empty_vcon created_at', :'f_empty'::jsonb, 'error', 'created_at', 'not an RFC 3339 date-time: ""'),
    ('empty_vcon vcon', :'f_empty'::jsonb, 'warning', 'vcon', 'empty version string (omit the deprecated vcon member or use "0.4.0")'),
    ('missing_uuid', :'f_missing_uuid'::jsonb, 'error', 'uuid', 'missing (required)'),
    ('null_parties', :'f_null_parties'::jsonb, 'error', 'parties', 'must be an array (got null)'),
    ('out_of_range parties', :'f_out_of_range'::jsonb, 'error', 'dialog[0].parties[1]', 'party index 5 out of range (2 parties)'),
    ('out_of_range originator', :'f_out_of_range'::jsonb, 'error', 'dialog[0].originator', 'party index 7 out of range (2 parties)')
) AS f(name, doc, severity, path, message);

-- A recording, text or recording-set dialog without parties: a warning (recommended); other types
-- say nothing.
SELECT d ->> 'type' AS type, v.severity, v.path, v.message
FROM (VALUES ('{"type": "text", "start": "2024-01-01T00:00:00Z", "body": "hi", "encoding": "none", "mediatype": "text/plain"}'::jsonb),
             ('{"type": "transfer", "start": "2024-01-01T00:00:00Z"}'::jsonb)) AS t(d)
LEFT JOIN LATERAL (SELECT * FROM vcon_redis.validate_vcon(jsonb_build_object(
    'uuid', '019f15a6-a752-826f-b9a2-279e0d16bc46', 'created_at', '2024-01-01T00:00:00Z',
    'parties', '[{"tel": "+15551230000"}]'::jsonb, 'dialog', jsonb_build_array(d)))
    WHERE path = 'dialog[0].parties') v ON true
ORDER BY 1;
