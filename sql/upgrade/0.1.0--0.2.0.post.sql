-- Upgrade 0.1.0 → 0.2.0, part 3 of 3: after the code of 0.2.0 is in place.

-- The attached schema's capture triggers, reinstalled with 0.2.0's functions (party_history is now
-- captured by _capture_history, which also finds the vCon of rows that have only dialog_id).
DO $$
DECLARE
    s name := (SELECT c.schema_name FROM vcon_redis.config c);
BEGIN
    IF s IS NOT NULL THEN
        PERFORM vcon_redis._install_capture(s);
    END IF;
END
$$;

DROP FUNCTION vcon_redis._capture_via_dialog();
DROP FUNCTION vcon_redis._data_functions();

-- What the upgrade cannot do itself: the views vcon_redis.<table> (and the triggers that keep our
-- columns honest) belong to the attached schema, not to the extension, so attach() makes them:
-- after ALTER EXTENSION vcon_redis UPDATE, run SELECT vcon_redis.attach('<schema>') (README).
