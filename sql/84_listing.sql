-- Listing vCons newest first, page by page: the read server's MCP resources
-- vcon://v1/vcons/recent[/N], …/recent/ids[/N] and vcon://v1/vcons/ids[/N][/after/X].
--
-- Keyset paging on (created_at, uuid), newest first: a page continues strictly after the last row
-- of the previous one, so rows with equal created_at are neither repeated nor skipped, and vCons
-- inserted meanwhile do not shift later pages. Reads attach()'s view vcon_redis.vcons unqualified
-- with a pinned search_path, with the caller's rights (row-level security applies).

--   lim             rows to return (1..1000)
--   before_created  NULL: from the newest; else only vCons older than this (created_at <), or,
--   before_uuid     when given too, after the row (before_created, before_uuid) in this order
CREATE OR REPLACE FUNCTION vcon_redis.vcon_ids(
    lim integer DEFAULT 100,
    before_created timestamptz DEFAULT NULL,
    before_uuid uuid DEFAULT NULL)
RETURNS TABLE (uuid uuid, created_at timestamptz, subject text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, vcon_redis, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    lim := vcon_redis._int_arg('vcon_ids', 'lim', lim, 100, 1, 1000);
    IF before_uuid IS NOT NULL AND before_created IS NULL THEN
        RAISE EXCEPTION 'vcon_ids: before_uuid needs before_created'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT v.uuid, v.created_at, v.subject
    FROM vcons v
    WHERE before_created IS NULL
       OR v.created_at < before_created
       OR (before_uuid IS NOT NULL AND v.created_at = before_created AND v.uuid < before_uuid)
    ORDER BY v.created_at DESC, v.uuid DESC
    LIMIT lim;
END
$fn$;

COMMENT ON FUNCTION vcon_redis.vcon_ids(integer, timestamptz, uuid) IS
    'vCons newest first, keyset-paged on (created_at, uuid) (MCP resources vcon://v1/vcons/…)';
