-- The canonical vCon document, assembled from the tables: the one definition of the document shape.
--
-- vcon_json_many(uuids) builds many documents set-based (one read per table for all of them, no
-- per-uuid loop), in C (extension/src/vcon_document.cpp): the worker calls it for a whole outbox
-- batch (sql/45_drain.sql), the read server on a cache miss. vcon_json(uuid) is its single row.
-- Rules (the fidelity contract, README "Normalisations"):
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

-- A body another client stored as text with encoding none (or none given), as vcon-mcp reads it
-- back (deserializeBody: JSON.parse when the text is JSON, else the string; vcon_json_many's reads
-- of analysis and attachments call it for such bodies that start like JSON): the JSON text of the
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

CREATE OR REPLACE FUNCTION vcon_redis.vcon_json_many(uuids uuid[])
RETURNS TABLE (uuid uuid, doc jsonb)
-- VOLATILE, not STABLE: its reads take a fresh snapshot, so vcon_json(save_vcon(doc)) in one
-- statement sees the rows just saved.
-- Its six reads are prepared once per session as generic plans (index probes on vcon_id = ANY).
-- enable_seqscan = off: those plans live as long as the worker's session; made while the tables
-- were small or not yet analysed they would scan whole tables for every batch as they grow. Every
-- lookup here is by vcon_id/uuid, which is always indexed.
-- enable_bitmapscan = off: an index scan on (vcon_id, *_index) returns the rows in the order read,
-- where a bitmap scan needs a sort on top; for the few vCons of a worker batch under a steady stream
-- starting those two extra nodes was most of each read's executor start-up (a read of 3 vCons 0.86x
-- the time; a bulk batch of 500 the same).
LANGUAGE C VOLATILE STRICT
SET enable_seqscan = off
SET enable_bitmapscan = off
AS 'MODULE_PATHNAME', 'vcon_redis_vcon_json_many';

COMMENT ON FUNCTION vcon_redis.vcon_json_many(uuid[]) IS
    'the canonical documents of the given vCons (absent uuids are not returned)';

-- The same documents as the text Redis holds: vcon_json_many's jsonb::text without the space after
-- ',' and ':' (common/json/compact.hpp's compact_json of it, byte for byte), written straight from
-- the built value: the worker's read (sql/45_drain.sql) needs no jsonb, no jsonb output and no
-- compaction pass.
CREATE OR REPLACE FUNCTION vcon_redis._vcon_texts(uuids uuid[])
RETURNS TABLE (uuid uuid, doc text)
LANGUAGE C VOLATILE STRICT
SET enable_seqscan = off
SET enable_bitmapscan = off
SET search_path = pg_catalog, vcon_redis, pg_temp
AS 'MODULE_PATHNAME', 'vcon_redis_vcon_texts';

CREATE OR REPLACE FUNCTION vcon_redis.vcon_json(vcon_uuid uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    RETURN (SELECT m.doc FROM vcon_redis.vcon_json_many(ARRAY[vcon_uuid]) m);
END
$fn$;

COMMENT ON FUNCTION vcon_redis.vcon_json(uuid) IS 'the canonical vCon document, NULL when absent';
