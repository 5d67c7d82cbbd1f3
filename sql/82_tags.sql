-- Tag statistics for the read server's MCP tool get_unique_tags (vcon-mcp's parameters and result).
--
-- A vCon's tags are the union of its tags attachments (purpose = 'tags' OR type = 'tags') as
-- vcon_redis._tag_array reads them (sql/80_search.sql): the same pairs search_by_tags matches.
-- Like the search functions, these read attach()'s views vcon_redis.<table> unqualified, with a
-- pinned search_path, and run with the caller's rights: row-level security decides what is counted.

-- Every distinct tag key/value pair and the number of vCons that carry it, ordered by key, value.
--   key_filter  only keys containing this text, case-insensitive (NULL or '': every key)
--   min_count   only pairs carried by at least this many vCons (NULL: 1)
CREATE OR REPLACE FUNCTION vcon_redis.unique_tags(key_filter text DEFAULT NULL, min_count integer DEFAULT 1)
RETURNS TABLE (key text, value text, vcon_count bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    min_count := vcon_redis._int_arg('unique_tags', 'min_count', min_count, 1, 1);
    RETURN QUERY
    WITH pairs AS (
        SELECT DISTINCT a.vcon_id, t.tag
        FROM attachments a
        CROSS JOIN LATERAL unnest(vcon_redis._tag_array(a.body)) AS t(tag)
        WHERE (a.purpose = 'tags' OR a.type = 'tags')
    ), split AS (
        SELECT p.vcon_id, split_part(p.tag, ':', 1) AS k, substr(p.tag, strpos(p.tag, ':') + 1) AS v
        FROM pairs p
    )
    SELECT s.k, s.v, count(*)
    FROM split s
    WHERE s.k <> ''
      AND (key_filter IS NULL OR strpos(lower(s.k), lower(key_filter)) > 0)
    GROUP BY s.k, s.v
    HAVING count(*) >= min_count
    ORDER BY s.k, s.v;
END
$fn$;

COMMENT ON FUNCTION vcon_redis.unique_tags(text, integer) IS
    'distinct tag key/value pairs with the number of vCons carrying each (MCP get_unique_tags)';

-- The number of vCons with at least one tag.
CREATE OR REPLACE FUNCTION vcon_redis.tagged_vcon_count() RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $fn$
BEGIN
    RETURN (SELECT count(DISTINCT a.vcon_id)
            FROM attachments a
            WHERE (a.purpose = 'tags' OR a.type = 'tags')
              AND cardinality(vcon_redis._tag_array(a.body)) > 0);
END
$fn$;

COMMENT ON FUNCTION vcon_redis.tagged_vcon_count() IS 'the number of vCons with at least one tag';
