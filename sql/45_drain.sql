-- The worker's second read of an outbox batch whose first read failed: the documents of its vCons,
-- or why one cannot be built. (The first read calls _vcon_texts directly: extension/src/outbox_spi.cpp.)
--
-- _drain_documents(uuids) is _vcon_texts(uuids) (vcon_json_many's documents as the compact text
-- Redis holds) that isolates a bad vCon instead of failing the batch: when the set-based build
-- raises a data error, each vCon is built alone, and a vCon whose own build fails comes back with
-- its error (the worker dead-letters its events and removes its cache key) while every other vCon
-- comes back with its document. It costs a subtransaction, which the worker pays only for a batch
-- whose first read failed.
--
-- Only errors that belong to the data of one vCon are isolated: data exceptions (class 22: a
-- malformed JSON body, a value out of range), program limits (class 54: a document too large),
-- errors raised by PL/pgSQL (P0) and internal errors (XX000). Anything else — a missing column
-- after DDL, a lock or statement timeout, out of memory — is the database's state, not the
-- vCon's: it fails the batch, and the worker backs off and retries it whole. So does an error that
-- every vCon of the batch hits alike (with more than one vCon, that is not one vCon's fault).

CREATE OR REPLACE FUNCTION vcon_redis._vcon_data_error(state text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT left(state, 2) IN ('22', '54', 'P0') OR state = 'XX000' $$;

-- work_mem: a batch's documents pass through tuplestores (_vcon_texts's and this function's RETURN
-- QUERY); with the default 4 MB a batch of 500 realistic vCons (~5 MB) spilled to temporary files.
CREATE OR REPLACE FUNCTION vcon_redis._drain_documents(uuids uuid[])
RETURNS TABLE (uuid uuid, doc text, error text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
AS $$
#variable_conflict use_column
DECLARE
    u uuid;
    state text;
    message text;
    failed int := 0;
    first_state text;
BEGIN
    BEGIN
        -- _vcon_texts materialises every row before this RETURN QUERY sees the first, so an error
        -- leaves nothing half-returned
        RETURN QUERY SELECT m.uuid, m.doc, NULL::text FROM vcon_redis._vcon_texts(uuids) m;
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
        IF NOT vcon_redis._vcon_data_error(state) THEN
            RAISE;
        END IF;
    END;
    FOREACH u IN ARRAY uuids LOOP
        BEGIN
            RETURN QUERY SELECT m.uuid, m.doc, NULL::text FROM vcon_redis._vcon_texts(ARRAY[u]) m;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            IF NOT vcon_redis._vcon_data_error(state) THEN
                RAISE;
            END IF;
            failed := failed + 1;
            first_state := coalesce(first_state, state);
            RETURN QUERY SELECT u, NULL::text, format('document cannot be built: %s (SQLSTATE %s)', message, state);
        END;
    END LOOP;
    IF failed > 1 AND failed = cardinality(uuids) THEN
        RAISE EXCEPTION 'every vCon of the batch failed to build (first: SQLSTATE %)', first_state
            USING HINT = 'Not one vCon''s data: check the attached tables and vcon_redis.vcon_json().';
    END IF;
END
$$;
