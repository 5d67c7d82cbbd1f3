-- Roll-ups for the read server's MCP tool vcon_aggregate (vcon-mcp's aggregate_vcons_by_dealer_stats):
-- vCons grouped by the dealer of their strolid_dealer attachment, with how many of each group match
-- a tag filter (filtered_count) out of all of them (baseline_count).
-- Reads attach()'s views unqualified with a pinned search_path, with the caller's rights.

-- `body` as jsonb, or NULL when it is not JSON (an attachment body is free text).
CREATE OR REPLACE FUNCTION vcon_redis._jsonb_or_null(body text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN body::jsonb;
EXCEPTION WHEN invalid_text_representation OR untranslatable_character THEN
    RETURN NULL;
END
$fn$;

--   tags         {"key":"value",…} the numerator's filter (as search_by_tags); NULL or {}: every vCon
--   start_date, end_date   vcons.created_at window (inclusive), NULL: open
--   min_count    groups with fewer vCons than this are left out
--   lim          at most this many groups (1..500)
-- Ordered by filtered_count / baseline_count, then filtered_count, then baseline_count, all
-- descending, then dealer_id. A vCon counts once per dealer even with several dealer attachments.
CREATE OR REPLACE FUNCTION vcon_redis.aggregate_by_dealer(
    tags jsonb DEFAULT NULL,
    start_date timestamptz DEFAULT NULL,
    end_date timestamptz DEFAULT NULL,
    min_count integer DEFAULT 1,
    lim integer DEFAULT 20)
RETURNS TABLE (dealer_id text, dealer_name text, team_id integer, team_name text,
               filtered_count bigint, baseline_count bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    matching uuid[];
BEGIN
    lim := vcon_redis._int_arg('aggregate_by_dealer', 'lim', lim, 20, 1, 500);
    IF tags IS NOT NULL AND tags <> '{}' THEN
        matching := vcon_redis._tag_matches(vcon_redis._tag_filter(tags, 'aggregate_by_dealer'));
    END IF;
    RETURN QUERY
    WITH dealer AS (
        SELECT DISTINCT ON (v.uuid, nullif(btrim(d.doc ->> 'id'), ''))
               v.uuid AS vid,
               nullif(btrim(d.doc ->> 'id'), '') AS did,
               coalesce(nullif(btrim(d.doc ->> 'name'), ''), '') AS dname,
               CASE WHEN jsonb_typeof(d.doc -> 'team') = 'object' AND (d.doc -> 'team') ->> 'id' ~ '^-?[0-9]{1,9}$'
                    THEN ((d.doc -> 'team') ->> 'id')::integer END AS tid,
               CASE WHEN jsonb_typeof(d.doc -> 'team') = 'object'
                    THEN nullif(btrim((d.doc -> 'team') ->> 'name'), '') END AS tname
        FROM vcons v
        JOIN LATERAL (SELECT vcon_redis._jsonb_or_null(a.body) AS doc
                      FROM attachments a
                      WHERE a.vcon_id = v.uuid AND a.type = 'strolid_dealer') d ON true
        WHERE jsonb_typeof(d.doc) = 'object'
          AND (start_date IS NULL OR v.created_at >= start_date)
          AND (end_date IS NULL OR v.created_at <= end_date)
    ), rolled AS (
        SELECT x.did, max(x.dname) AS dname, max(x.tid) AS tid, max(x.tname) AS tname,
               count(*) AS baseline,
               count(*) FILTER (WHERE matching IS NULL OR x.vid = ANY (matching)) AS filtered
        FROM dealer x
        WHERE x.did IS NOT NULL
        GROUP BY x.did
    )
    SELECT r.did, r.dname, r.tid, r.tname, r.filtered, r.baseline
    FROM rolled r
    WHERE r.baseline >= coalesce(min_count, 1)
    ORDER BY r.filtered::double precision / r.baseline DESC, r.filtered DESC, r.baseline DESC, r.did
    LIMIT lim;
END
$fn$;

COMMENT ON FUNCTION vcon_redis.aggregate_by_dealer(jsonb, timestamptz, timestamptz, integer, integer) IS
    'vCons per strolid_dealer attachment dealer: tag-filtered and baseline counts (MCP vcon_aggregate)';
