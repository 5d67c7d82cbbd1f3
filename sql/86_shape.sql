-- What the corpus is made of: the read server's MCP discovery resources
-- (vcon://v1/discovery/attachments/types|purposes, vcon://v1/discovery/analysis/types) and the
-- shape graph (vcon://v1/graph/shape, tool vcon_graph_shape), with vcon-mcp's result shapes.
-- Read attach()'s views unqualified with a pinned search_path, with the caller's rights.

-- The distinct non-blank values of one classification column and how many entries carry each,
-- most frequent first (ties by value): kind 'attachment_type', 'attachment_purpose' or
-- 'analysis_type'.
CREATE OR REPLACE FUNCTION vcon_redis.distinct_values(kind text)
RETURNS TABLE (value text, count bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    IF kind = 'attachment_type' THEN
        RETURN QUERY SELECT a.type, count(*) FROM attachments a
                     WHERE btrim(a.type) <> '' GROUP BY a.type ORDER BY 2 DESC, 1;
    ELSIF kind = 'attachment_purpose' THEN
        RETURN QUERY SELECT a.purpose, count(*) FROM attachments a
                     WHERE btrim(a.purpose) <> '' GROUP BY a.purpose ORDER BY 2 DESC, 1;
    ELSIF kind = 'analysis_type' THEN
        RETURN QUERY SELECT a.type, count(*) FROM analysis a
                     WHERE btrim(a.type) <> '' GROUP BY a.type ORDER BY 2 DESC, 1;
    ELSE
        RAISE EXCEPTION 'distinct_values: kind must be attachment_type, attachment_purpose or analysis_type, got %',
            coalesce(kind, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$fn$;

COMMENT ON FUNCTION vcon_redis.distinct_values(text) IS
    'distinct attachment types/purposes or analysis types with their entry counts (MCP discovery resources)';

-- vcon-mcp's shape graph (schema_version 1.0.0): nodes for analysis types, attachment purposes,
-- legacy attachment types (attachments without a purpose) and tag keys, each with the number of
-- distinct vCons that have it; edges between analysis types and attachment purposes that occur
-- in the same vCon (the 400 most frequent). Node ids are '<kind>:<label>' with the label
-- percent-encoded as JavaScript's encodeURIComponent does.
CREATE OR REPLACE FUNCTION vcon_redis.shape_graph()
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $fn$
DECLARE
    nodes jsonb;
    edges jsonb;
    tagged bigint;
BEGIN
    WITH n AS (
        SELECT 1 AS ord, 'analysis_type' AS kind, btrim(a.type) AS label, count(DISTINCT a.vcon_id) AS vcons
        FROM analysis a WHERE btrim(a.type) <> '' GROUP BY 3
        UNION ALL
        SELECT 2, 'attachment_purpose', btrim(a.purpose), count(DISTINCT a.vcon_id)
        FROM attachments a WHERE btrim(a.purpose) <> '' GROUP BY 3
        UNION ALL
        SELECT 3, 'attachment_type_legacy', btrim(a.type), count(DISTINCT a.vcon_id)
        FROM attachments a WHERE btrim(a.type) <> '' AND coalesce(btrim(a.purpose), '') = '' GROUP BY 3
        UNION ALL
        SELECT 4, 'tag_key', split_part(t.tag, ':', 1), count(DISTINCT a.vcon_id)
        FROM attachments a CROSS JOIN LATERAL unnest(vcon_redis._tag_array(a.body)) AS t(tag)
        WHERE (a.purpose = 'tags' OR a.type = 'tags') AND split_part(t.tag, ':', 1) <> ''
        GROUP BY 3
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', n.kind || ':' || vcon_redis._uri_component(n.label),
               'kind', n.kind, 'label', n.label, 'vcon_count', n.vcons)
           ORDER BY n.ord, n.vcons DESC, n.label), '[]')
    INTO nodes FROM n;

    WITH e AS (
        SELECT btrim(a.type) AS atype, btrim(att.purpose) AS purpose, count(DISTINCT a.vcon_id) AS joint
        FROM analysis a JOIN attachments att ON att.vcon_id = a.vcon_id
        WHERE btrim(a.type) <> '' AND btrim(att.purpose) <> ''
        GROUP BY 1, 2
        ORDER BY 3 DESC, 1, 2
        LIMIT 400
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', 'edge:analysis_type_with_attachment_purpose:' || vcon_redis._uri_component(e.atype)
                     || ':' || vcon_redis._uri_component(e.purpose),
               'kind', 'analysis_type_with_attachment_purpose',
               'source', 'analysis_type:' || vcon_redis._uri_component(e.atype),
               'target', 'attachment_purpose:' || vcon_redis._uri_component(e.purpose),
               'joint_vcon_count', e.joint)
           ORDER BY e.joint DESC, e.atype, e.purpose), '[]')
    INTO edges FROM e;

    SELECT count(DISTINCT a.vcon_id) INTO tagged
    FROM attachments a
    WHERE (a.purpose = 'tags' OR a.type = 'tags') AND cardinality(vcon_redis._tag_array(a.body)) > 0;

    RETURN jsonb_build_object(
        'schema_version', '1.0.0',
        'generated_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'corpus', jsonb_build_object(
            'vcons_with_tags_mv', tagged,
            'notes', jsonb_build_array(
                'Tag keys are read from the tags attachments directly (vcon-mcp reads its vcon_tags_mv); '
                'vcons_with_tags_mv counts the vCons with at least one tag.',
                'Co-occurrence edges are capped at the 400 most frequent pairs.')),
        'nodes', nodes,
        'edges', edges);
END
$fn$;

COMMENT ON FUNCTION vcon_redis.shape_graph() IS 'vcon-mcp''s corpus shape graph (MCP vcon://v1/graph/shape)';

-- JavaScript's encodeURIComponent: every UTF-8 byte but A-Z a-z 0-9 - _ . ! ~ * ' ( ) as %XX.
CREATE OR REPLACE FUNCTION vcon_redis._uri_component(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(string_agg(CASE WHEN b BETWEEN 48 AND 57 OR b BETWEEN 65 AND 90 OR b BETWEEN 97 AND 122
                                         OR b IN (45, 95, 46, 33, 126, 42, 39, 40, 41)
                                    THEN chr(b) ELSE '%' || upper(lpad(to_hex(b), 2, '0')) END,
                               '' ORDER BY i), '')
    FROM (SELECT i, get_byte(convert_to(s, 'UTF8'), i) AS b
          FROM generate_series(0, octet_length(convert_to(s, 'UTF8')) - 1) AS i) bytes
$$;

-- Corpus coverage for the MCP tool vcon_taxonomy: {vcons_total, vcons_with_tags,
-- vcons_with_strolid_dealer}.
CREATE OR REPLACE FUNCTION vcon_redis.coverage()
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $fn$
BEGIN
    RETURN jsonb_build_object(
        'vcons_total', (SELECT count(*) FROM vcons),
        'vcons_with_tags', (SELECT count(DISTINCT a.vcon_id) FROM attachments a
                            WHERE (a.purpose = 'tags' OR a.type = 'tags')
                              AND cardinality(vcon_redis._tag_array(a.body)) > 0),
        'vcons_with_strolid_dealer', (SELECT count(DISTINCT a.vcon_id) FROM attachments a
                                      WHERE a.type = 'strolid_dealer'));
END
$fn$;

COMMENT ON FUNCTION vcon_redis.coverage() IS 'vCon totals for the MCP tool vcon_taxonomy';
