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
