-- Upgrade 0.2.0 → 0.3.0, part 3 of 3: after the code of 0.3.0 is in place.

-- The capture triggers, reinstalled: party_history's C trigger takes no argument.
DO $$
DECLARE
    s name := (SELECT c.schema_name FROM vcon_redis.config c);
BEGIN
    IF s IS NOT NULL THEN
        PERFORM vcon_redis._install_capture(s);
    END IF;
END
$$;

-- Helpers renamed to say what they are (nothing refers to the old names any more).
DROP FUNCTION vcon_redis._got(jsonb);                       -- _shown_value
DROP FUNCTION vcon_redis._str(jsonb);                       -- _string_value
DROP FUNCTION vcon_redis._ts(text);                         -- _to_timestamptz
DROP FUNCTION vcon_redis._date_slow(text, text);            -- _date_format_problems
DROP FUNCTION vcon_redis._shape_extra(jsonb, text, boolean); -- _array_shape_to_keep
DROP FUNCTION vcon_redis._json_shape(text);                  -- _tag_array_text is C now, its own parser

-- vcon_json_many is C now (extension/src/vcon_document.cpp): the text-assembly helpers are gone.
DROP FUNCTION IF EXISTS vcon_redis._obj_text(text, jsonb);
DROP FUNCTION IF EXISTS vcon_redis._rfc3339_json(timestamptz);
DROP FUNCTION IF EXISTS vcon_redis._scalar_or_array_json(anyarray);
DROP FUNCTION IF EXISTS vcon_redis._jsonb_member(text, jsonb);
DROP FUNCTION IF EXISTS vcon_redis._body_json(text, boolean, text, boolean);

-- ---------------------------------------------------------------------------------------------
-- Content search on stored tsvector columns (sql/80_search.sql, _create_search_columns): no
-- statement here. The columns belong to the attached schema's tables, like the search indexes:
-- the attach() that README "Upgrading" asks for after the update adds them (generated columns on
-- tables that lack them, a rewrite of those four tables) or fills vcon-mcp's, creates vcon-mcp's
-- GIN indexes on them, drops the expression indexes they replace, and re-creates the views through
-- which the search functions see the new columns. (Created here, inside ALTER EXTENSION, the views
-- would become members of the extension.) Until that attach, content search refuses to run and
-- says so (_require_search_columns: "the vCon tables have no full-text columns yet", with the hint).
