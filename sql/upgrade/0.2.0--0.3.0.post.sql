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
