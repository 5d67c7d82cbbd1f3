-- Normalisation: the document as save_vcon stores it, before dates are normalised in the columns.
--
-- Legacy member names become the current ones when the current name is absent (mimetype,
-- appended, must_support, transfer-target, target-dialog, attachment type, analysis
-- schema_version); members whose value is null, {} or [] are dropped (a body only when null).
-- Nothing else changes: unknown members, bodies and nested values stay verbatim. Validation
-- (sql/25_validate.sql) reports problems of the normalised document under the current names.

-- One object level: drop members whose value is null, {} or []; `body` is content, so only a null
-- body is dropped. Nested values are never touched (bodies and extension members stay verbatim).
CREATE OR REPLACE FUNCTION vcon_redis._strip(o jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(o) IS DISTINCT FROM 'object'
             OR NOT jsonb_path_exists(o, 'strict $.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*))')
        THEN o
        ELSE coalesce((SELECT jsonb_object_agg(key, value) FROM jsonb_each(o)
                       WHERE value <> 'null'
                         AND (key = 'body' OR value NOT IN ('{}'::jsonb, '[]'::jsonb))), '{}')
    END
$$;

-- A legacy name becomes the current one only when the current one is absent; otherwise the legacy
-- member stays as an unknown member, verbatim.
CREATE OR REPLACE FUNCTION vcon_redis._rename(o jsonb, legacy text, current text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN o ? legacy AND NOT o ? current
                THEN (o - legacy) || jsonb_build_object(current, o -> legacy)
                ELSE o END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._normalize_element(e jsonb, kind text) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    IF jsonb_typeof(e) IS DISTINCT FROM 'object' THEN
        RETURN e;
    END IF;
    e := vcon_redis._strip(e);
    IF kind = 'parties' THEN
        RETURN e;
    END IF;
    e := vcon_redis._rename(e, 'mimetype', 'mediatype');
    IF kind = 'dialog' THEN
        e := vcon_redis._rename(vcon_redis._rename(e, 'transfer-target', 'transfer_target'),
                                'target-dialog', 'target_dialog');
        IF jsonb_typeof(e -> 'party_history') = 'array' THEN
            e := jsonb_set(e, '{party_history}',
                           (SELECT jsonb_agg(vcon_redis._strip(h) ORDER BY i)
                            FROM jsonb_array_elements(e -> 'party_history') WITH ORDINALITY AS x(h, i)));
        END IF;
    ELSIF kind = 'analysis' THEN
        e := vcon_redis._rename(e, 'schema_version', 'schema');
    ELSIF kind = 'attachments' THEN
        e := vcon_redis._rename(e, 'type', 'purpose');
    END IF;
    RETURN e;
END
$$;

-- Does the document need _normalize at all? One jsonpath pass: any null/empty member where
-- _normalize looks, or any legacy name. Most documents are already normal and skip the rebuild.
CREATE OR REPLACE FUNCTION vcon_redis._needs_normalize(doc jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_path_exists(doc, 'strict $ ? (exists(@.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.parties[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.dialog[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.analysis[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.attachments[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.dialog[*].party_history[*].* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.redacted.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.amended.* ? (@ == null || @.type() == "array" && @.size() == 0 || @.type() == "object" && !exists(@.*)))
                 || exists(@.appended)
                 || exists(@.must_support)
                 || exists(@.dialog[*].mimetype)
                 || exists(@.analysis[*].mimetype)
                 || exists(@.attachments[*].mimetype)
                 || exists(@.dialog[*]."transfer-target")
                 || exists(@.dialog[*]."target-dialog")
                 || exists(@.analysis[*].schema_version)
                 || exists(@.attachments[*].type))', '{}', true)
$$;

-- The document as save_vcon stores it (before dates are normalised, which happens in the columns).
CREATE OR REPLACE FUNCTION vcon_redis._normalize(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    k text;
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' OR NOT vcon_redis._needs_normalize(doc) THEN
        RETURN doc;
    END IF;
    doc := vcon_redis._strip(doc);
    doc := vcon_redis._rename(vcon_redis._rename(doc, 'appended', 'amended'), 'must_support', 'critical');
    FOREACH k IN ARRAY ARRAY['redacted', 'amended'] LOOP
        IF jsonb_typeof(doc -> k) = 'object' THEN
            doc := jsonb_set(doc, ARRAY[k], vcon_redis._strip(doc -> k));
            IF doc -> k = '{}' THEN
                doc := doc - k;
            END IF;
        END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['parties', 'dialog', 'analysis', 'attachments'] LOOP
        IF jsonb_typeof(doc -> k) = 'array' THEN
            doc := jsonb_set(doc, ARRAY[k],
                             (SELECT jsonb_agg(vcon_redis._normalize_element(e, k) ORDER BY i)
                              FROM jsonb_array_elements(doc -> k) WITH ORDINALITY AS x(e, i)));
        END IF;
    END LOOP;
    RETURN doc;
END
$$;
