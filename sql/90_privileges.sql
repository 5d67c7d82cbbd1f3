-- Who may do what: every grant of the extension, in one place.
--
-- The model (README "Roles and privileges"):
--   * Any role may use the schema and call the public API: save_vcon, vcon_json, vcon_json_many,
--     delete_vcon, validate_vcon, the search functions, status(), attach()/detach(). The data
--     functions run with the caller's rights (through the security_invoker views attach() makes),
--     so what a role can read, write or search is exactly what its grants and row-level security
--     policies on the vCon tables allow.
--   * The outbox, the dead letters and the configuration are private to the extension's owner.
--     Events are written by the capture triggers and by resync() (SECURITY DEFINER), so any role
--     that may write the vCon tables is captured without any privilege on the outbox, and no role
--     can forge, suppress or redirect an event: the trigger functions cannot be attached to other
--     tables (no EXECUTE), the outbox cannot be written directly, and which Redis lists a writer
--     may name is the superuser's vcon_redis.allowed_lists.
--   * resync() and the dead-letter functions are for the extension's owner, who may GRANT them.
--   * Every SECURITY DEFINER function pins search_path to pg_catalog (plus vcon_redis where it
--     names our views) and pg_temp last; so do the readers the worker runs (below).

GRANT USAGE ON SCHEMA vcon_redis TO PUBLIC;
REVOKE ALL ON vcon_redis.outbox, vcon_redis.dead_letters, vcon_redis.config FROM PUBLIC;
GRANT SELECT ON vcon_redis.config TO PUBLIC;    -- only the attached schema's name

-- Trigger functions, their installers and the outbox writers: the extension's owner only.
REVOKE EXECUTE ON FUNCTION
    vcon_redis._capture_vcons(), vcon_redis._capture_child(), vcon_redis._capture_history(),
    vcon_redis._capture_truncate(), vcon_redis._install_capture(name), vcon_redis._remove_capture(name),
    vcon_redis._wake(), vcon_redis.resync(uuid[], timestamptz),
    vcon_redis.retry_dead_letters(bigint[]), vcon_redis.discard_dead_letters(bigint[])
FROM PUBLIC;

-- The readers name the vCon tables unqualified: they find attach()'s views in vcon_redis, and
-- nothing in any other schema. The worker runs vcon_json_many (through _drain_documents) as a
-- superuser: nothing created in the attached schema may capture a name it uses. (The writers,
-- save_vcon and delete_vcon, name the views qualified and run under the caller's own search_path,
-- like the caller's own statements: sql/30_save.sql.)
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY vcon_redis._search_functions()
                       || ARRAY['vcon_redis.vcon_json_many(uuid[])', 'vcon_redis.vcon_json(uuid)']::regprocedure[] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, vcon_redis, pg_temp', f);
    END LOOP;
END
$$;
