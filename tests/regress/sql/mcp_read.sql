-- mcp_read: the SQL behind the read server's other MCP tools and resources: unique_tags and
-- tagged_vcon_count (sql/82_tags.sql), vcon_ids (sql/84_listing.sql), distinct_values,
-- shape_graph, coverage and _uri_component (sql/86_shape.sql), aggregate_by_dealer
-- (sql/88_aggregate.sql). Expected output must be stable: every result is ordered.

-- Its own database: unfiltered results below must see exactly this file's vCons.
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS vcon_redis_mcp_read_regress;
CREATE DATABASE vcon_redis_mcp_read_regress;
\c vcon_redis_mcp_read_regress
SET client_min_messages = warning;
CREATE EXTENSION vcon_redis;
SELECT vcon_redis.attach();
RESET client_min_messages;

-- v1 and v2 share created_at (keyset ties are ordered by uuid, descending).
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000001", "created_at": "2026-01-01T10:00:00Z",
  "subject": "one", "parties": [{"name": "A"}],
  "analysis": [{"type": "summary", "vendor": "x", "encoding": "none", "body": "s1"},
               {"type": "transcript", "vendor": "x", "encoding": "none", "body": "t1"}],
  "attachments": [{"purpose": "tags", "encoding": "json", "body": ["dept:sales", "tier:gold", "url:https://x/a:b"]},
                  {"type": "strolid_dealer", "encoding": "json",
                   "body": "{\"id\": 7, \"name\": \"Seven Motors\", \"team\": {\"id\": 3, \"name\": \"Red\"}}"}]
}$$::jsonb) IS NOT NULL AS saved;
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000002", "created_at": "2026-01-01T10:00:00Z",
  "subject": "two", "parties": [{"name": "B"}],
  "analysis": [{"type": "summary", "vendor": "x", "encoding": "none", "body": "s2"}],
  "attachments": [{"purpose": "tags", "encoding": "json", "body": ["dept:sales", "tier:silver"]},
                  {"type": "strolid_dealer", "encoding": "json", "body": "{\"id\": \"7\", \"name\": \"Seven Motors\"}"}]
}$$::jsonb) IS NOT NULL AS saved;
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000003", "created_at": "2026-01-02T10:00:00Z",
  "subject": "three", "parties": [{"name": "C"}],
  "attachments": [{"purpose": "tags", "encoding": "json", "body": ["dept:support", "flag"]},
                  {"purpose": "notes", "encoding": "none", "body": "free text"},
                  {"type": "strolid_dealer", "encoding": "none", "body": "not json"},
                  {"type": "strolid_dealer", "encoding": "json", "body": "{\"id\": 9, \"name\": \"Nine & Co\"}"}]
}$$::jsonb) IS NOT NULL AS saved;
SELECT vcon_redis.save_vcon($${
  "vcon": "0.4.0", "uuid": "01928e10-0000-8000-8000-000000000004", "created_at": "2026-01-03T10:00:00Z",
  "subject": "four", "parties": [{"name": "D"}]
}$$::jsonb) IS NOT NULL AS saved;

-- ---------------------------------------------------------------------------------------------
-- unique_tags / tagged_vcon_count
-- ---------------------------------------------------------------------------------------------
SELECT * FROM vcon_redis.unique_tags();
SELECT * FROM vcon_redis.unique_tags('EP', 2);     -- case-insensitive substring of the key
SELECT * FROM vcon_redis.unique_tags(NULL, NULL);
SELECT * FROM vcon_redis.unique_tags(NULL, 0);     -- error
SELECT vcon_redis.tagged_vcon_count();

-- ---------------------------------------------------------------------------------------------
-- vcon_ids: newest first, keyset pages
-- ---------------------------------------------------------------------------------------------
SELECT * FROM vcon_redis.vcon_ids(2);
SELECT * FROM vcon_redis.vcon_ids(2, '2026-01-01T10:00:00Z', '01928e10-0000-8000-8000-000000000002');
SELECT * FROM vcon_redis.vcon_ids(10, '2026-01-02T10:00:00Z');   -- a timestamp alone: strictly older
SELECT * FROM vcon_redis.vcon_ids(0);                              -- error
SELECT * FROM vcon_redis.vcon_ids(1, NULL, '01928e10-0000-8000-8000-000000000002');  -- error

-- ---------------------------------------------------------------------------------------------
-- discovery, shape graph, coverage
-- ---------------------------------------------------------------------------------------------
SELECT * FROM vcon_redis.distinct_values('attachment_type');
SELECT * FROM vcon_redis.distinct_values('attachment_purpose');
SELECT * FROM vcon_redis.distinct_values('analysis_type');
SELECT * FROM vcon_redis.distinct_values('dialog_type');            -- error
SELECT n ->> 'id' AS id, n ->> 'kind' AS kind, n ->> 'label' AS label, n -> 'vcon_count' AS vcon_count
FROM jsonb_array_elements(vcon_redis.shape_graph() -> 'nodes') WITH ORDINALITY AS t(n, i) ORDER BY i;
SELECT e ->> 'id' AS id, e ->> 'source' AS source, e ->> 'target' AS target, e -> 'joint_vcon_count' AS joint
FROM jsonb_array_elements(vcon_redis.shape_graph() -> 'edges') WITH ORDINALITY AS t(e, i) ORDER BY i;
SELECT vcon_redis.shape_graph() - 'generated_at' - 'nodes' - 'edges' AS rest;
SELECT vcon_redis.shape_graph() ->> 'generated_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS iso_generated_at;
SELECT vcon_redis.coverage();
SELECT s, vcon_redis._uri_component(s) FROM (VALUES ('plain-_.!~*''()'), ('a b/c?d'), ('été'), ('')) AS t(s) ORDER BY 1;

-- ---------------------------------------------------------------------------------------------
-- aggregate_by_dealer
-- ---------------------------------------------------------------------------------------------
SELECT * FROM vcon_redis.aggregate_by_dealer();
SELECT * FROM vcon_redis.aggregate_by_dealer('{"tier": "gold"}');
SELECT * FROM vcon_redis.aggregate_by_dealer('{"dept": "sales"}', '2026-01-01', '2026-01-01T23:59:59Z', 2, 5);
SELECT * FROM vcon_redis.aggregate_by_dealer(NULL, NULL, NULL, 1, 501);   -- error
SELECT * FROM vcon_redis.aggregate_by_dealer('{"a:b": "c"}');             -- error
SELECT vcon_redis._jsonb_or_null('{"a": 1}'), vcon_redis._jsonb_or_null('nope');

-- ---------------------------------------------------------------------------------------------
-- Row-level security applies to the caller: a role that sees only some vCons counts only those.
-- ---------------------------------------------------------------------------------------------
SET client_min_messages = warning;
DROP ROLE IF EXISTS mcp_read_reader;
RESET client_min_messages;
CREATE ROLE mcp_read_reader;
GRANT USAGE ON SCHEMA public TO mcp_read_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO mcp_read_reader;
ALTER TABLE vcons ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_one ON vcons FOR SELECT TO mcp_read_reader USING (subject = 'one');
CREATE POLICY only_one ON attachments FOR SELECT TO mcp_read_reader
    USING (vcon_id = '01928e10-0000-8000-8000-000000000001');
SET ROLE mcp_read_reader;
SELECT * FROM vcon_redis.unique_tags();
SELECT * FROM vcon_redis.vcon_ids(10);
SELECT * FROM vcon_redis.aggregate_by_dealer();
RESET ROLE;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE vcon_redis_mcp_read_regress;
DROP ROLE mcp_read_reader;
