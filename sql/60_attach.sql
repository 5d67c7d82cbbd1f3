-- attach / detach: bind the extension to the schema holding the vCon tables.
--
-- attach creates vcon-mcp's tables when they are missing (or only adds our nullable columns to an
-- existing vcon-mcp database: no data moves), installs the capture triggers, and points the data
-- functions' search_path at the schema so they use unqualified, plan-cached table names.

CREATE FUNCTION vcon_redis.attach(schema name DEFAULT 'public', create_tables boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    current_schema_name name;
    f regprocedure;
BEGIN
    SELECT schema_name INTO current_schema_name FROM vcon_redis.config;
    IF current_schema_name IS NOT NULL AND current_schema_name <> schema THEN
        RAISE EXCEPTION 'vcon_redis is attached to schema "%"', current_schema_name
            USING HINT = format('Run SELECT vcon_redis.detach(%L) first.', current_schema_name);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = schema) THEN
        IF NOT create_tables THEN
            RAISE EXCEPTION 'schema "%" does not exist', schema;
        END IF;
        EXECUTE format('CREATE SCHEMA %I', schema);
    END IF;
    IF create_tables THEN
        PERFORM vcon_redis._create_tables(schema);
    ELSIF to_regclass(format('%I.vcons', schema)) IS NULL THEN
        RAISE EXCEPTION 'table "%".vcons does not exist', schema
            USING HINT = 'Call vcon_redis.attach(schema, create_tables => true) to create the vCon tables.';
    END IF;
    PERFORM vcon_redis._create_search_indexes(schema);
    PERFORM vcon_redis._install_capture(schema);

    FOREACH f IN ARRAY vcon_redis._data_functions() || vcon_redis._search_functions()
                       || 'vcon_redis.resync(uuid[],timestamptz)'::regprocedure LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, vcon_redis, pg_temp', f, schema);
    END LOOP;

    INSERT INTO vcon_redis.config (schema_name) VALUES (schema)
    ON CONFLICT (singleton) DO UPDATE SET schema_name = excluded.schema_name;
END
$$;

-- Removes the capture triggers only; tables, data and pending outbox events stay.
CREATE FUNCTION vcon_redis.detach(schema name DEFAULT 'public')
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM vcon_redis._remove_capture(schema);
    DELETE FROM vcon_redis.config WHERE schema_name = schema;
END
$$;
