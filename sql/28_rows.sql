-- A vCon's elements as the rows of its tables: what save_vcon (sql/30_save.sql) inserts for each
-- array of the normalised document, one set-returning SQL function per table.
--
-- Column mapping follows vcon-mcp (start→start_time, duration→duration_seconds, attachment
-- mediatype→mimetype, analysis dialog→dialog_indices …), so vcon-mcp reads our rows; what its
-- columns cannot hold exactly goes to `extra`/`duration`/`body_json` (sql/10_tables.sql), so
-- vcon_json gives the document back (sql/40_json.sql reads the same columns in reverse).
--
-- The _rows functions are LANGUAGE sql, STABLE, not STRICT, one SELECT each: the planner inlines
-- them into save_vcon's INSERT … SELECT (EXPLAIN VERBOSE shows jsonb_array_elements, no function
-- scan), so the split costs nothing at run time. Each returns its columns in the order of the
-- table's INSERT column list in save_vcon, with the types of the expressions (the INSERT applies
-- the same assignment casts as when they were written inline).

-- int[] of an UnsignedInt or a flat UnsignedInt[] (validated), NULL when absent.
CREATE OR REPLACE FUNCTION vcon_redis._int_array(v jsonb) RETURNS integer[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'array' THEN translate(v::text, '[]', '{}')::integer[]
        WHEN 'number' THEN ARRAY[v::text::integer]
    END
$$;

-- Members of an element that an int[] column holds only in its flat, array form: the ones whose
-- shape must be kept in `extra`. `scalar_is_default`: the column is emitted as a scalar when it has
-- one element (analysis dialog, transfer indices), so a one-element *array* is what needs keeping;
-- otherwise (dialog parties) a scalar or a nested/null-holding array needs keeping.
CREATE OR REPLACE FUNCTION vcon_redis._array_shape_to_keep(e jsonb, k text, scalar_is_default boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN NOT e ? k THEN '{}'
        WHEN scalar_is_default AND jsonb_typeof(e -> k) = 'array' AND jsonb_array_length(e -> k) = 1
            THEN jsonb_build_object(k, e -> k)
        WHEN scalar_is_default THEN '{}'
        WHEN jsonb_typeof(e -> k) <> 'array' THEN jsonb_build_object(k, e -> k)
        WHEN jsonb_path_exists(e -> k, 'strict $[*] ? (@.type() != "number")') THEN jsonb_build_object(k, e -> k)
        ELSE '{}'
    END::jsonb
$$;

-- The `body` of an element as its column stores it: a string as itself, any other JSON value as
-- its text (body_json says which, NULL when there is no body).
CREATE OR REPLACE FUNCTION vcon_redis._body_column(e jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(e -> 'body') = 'string' THEN e ->> 'body' ELSE (e -> 'body')::text END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._body_json_column(e jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN e ? 'body' THEN jsonb_typeof(e -> 'body') <> 'string' END
$$;

-- {k: e[k]} when member k of e is an array (a shape its scalar column cannot hold: kept in
-- extra), else {}.
CREATE OR REPLACE FUNCTION vcon_redis._array_member(e jsonb, k text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(e -> k) = 'array' THEN jsonb_build_object(k, e -> k) ELSE '{}' END
$$;

-- The document's top level → the vcons row's columns (created_at and updated_at NULL when absent:
-- save_vcon decides what an absent one means for an insert and for a replace).
CREATE OR REPLACE FUNCTION vcon_redis._vcon_row(n jsonb)
RETURNS TABLE (vcon_version text, subject text, created_at timestamptz, updated_at timestamptz,
               redacted jsonb, amended jsonb, group_data jsonb, extensions text[], critical text[],
               extra jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(left(n ->> 'vcon', 10), ''), '0.4.0'),
           n ->> 'subject',
           vcon_redis._to_timestamptz(n ->> 'created_at'),
           vcon_redis._to_timestamptz(n ->> 'updated_at'),
           coalesce(n -> 'redacted', '{}'),
           coalesce(n -> 'amended', '{}'),
           -- legacy top-level group: vcon-mcp keeps it in group_data; a non-array one stays in extra
           CASE WHEN jsonb_typeof(n -> 'group') = 'array' THEN n -> 'group' ELSE '[]' END,
           CASE WHEN n ? 'extensions' THEN ARRAY(SELECT jsonb_array_elements_text(n -> 'extensions')) END,
           CASE WHEN n ? 'critical' THEN ARRAY(SELECT jsonb_array_elements_text(n -> 'critical')) END,
           -- `vcon` lives in extra: vcon_version is NOT NULL in vcon-mcp and cannot say "absent"
           n - ARRAY['uuid', 'created_at', 'updated_at', 'subject', 'redacted', 'amended', 'extensions',
                     'critical', 'parties', 'dialog', 'analysis', 'attachments']
             - CASE WHEN jsonb_typeof(n -> 'group') = 'array' THEN 'group' ELSE '' END
$$;

-- parties[] → parties rows (without vcon_id).
CREATE OR REPLACE FUNCTION vcon_redis._party_rows(parties jsonb)
RETURNS TABLE (party_index integer, tel text, sip text, stir text, mailto text, name text, did text,
               validation text, gmlpos text, timezone text, jcard jsonb, civicaddress jsonb, uuid text,
               extra jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (x.i - 1)::integer, e ->> 'tel', e ->> 'sip', e ->> 'stir', e ->> 'mailto', e ->> 'name',
           e ->> 'did', e ->> 'validation', e ->> 'gmlpos', e ->> 'timezone', e -> 'jCard',
           e -> 'civicaddress', e ->> 'uuid',
           e - ARRAY['tel', 'sip', 'stir', 'mailto', 'name', 'did', 'validation', 'gmlpos',
                     'timezone', 'jCard', 'civicaddress', 'uuid']
    FROM jsonb_array_elements(parties) WITH ORDINALITY AS x(e, i)
$$;

-- analysis[] → analysis rows (without vcon_id).
CREATE OR REPLACE FUNCTION vcon_redis._analysis_rows(analysis jsonb)
RETURNS TABLE (analysis_index integer, type text, dialog_indices integer[], mediatype text, filename text,
               vendor text, product text, schema text, body text, body_json boolean, encoding text,
               url text, content_hash text, extra jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (x.i - 1)::integer, e ->> 'type', vcon_redis._int_array(e -> 'dialog'), e ->> 'mediatype',
           -- vendor is NOT NULL in vcon-mcp's schema: an absent vendor is stored as '', an explicit
           -- "" also in extra (which vcon_json lets win over the column)
           e ->> 'filename', coalesce(e ->> 'vendor', ''), e ->> 'product', e ->> 'schema',
           vcon_redis._body_column(e),
           vcon_redis._body_json_column(e),
           e ->> 'encoding', e ->> 'url',
           vcon_redis._string_value(e -> 'content_hash'),
           (e - ARRAY['type', 'dialog', 'mediatype', 'filename', 'vendor', 'product', 'schema',
                      'body', 'encoding', 'url', 'content_hash'])
           || vcon_redis._array_shape_to_keep(e, 'dialog', true)
           || CASE WHEN e ->> 'vendor' = '' THEN '{"vendor": ""}' ELSE '{}' END::jsonb
           || vcon_redis._array_member(e, 'content_hash')
    FROM jsonb_array_elements(analysis) WITH ORDINALITY AS x(e, i)
$$;

-- attachments[] → attachments rows (without vcon_id). `type` mirrors `purpose` so vcon-mcp's tag
-- features (type = 'tags') see our tags; a document `type` next to a `purpose` is an unknown member
-- and stays in extra.
CREATE OR REPLACE FUNCTION vcon_redis._attachment_rows(attachments jsonb)
RETURNS TABLE (attachment_index integer, type text, purpose text, start_time timestamptz, party integer,
               dialog integer, mimetype text, filename text, body text, body_json boolean, encoding text,
               url text, content_hash text, extra jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (x.i - 1)::integer, coalesce(e ->> 'type', e ->> 'purpose'), e ->> 'purpose',
           vcon_redis._to_timestamptz(e ->> 'start'), (e ->> 'party')::integer, (e ->> 'dialog')::integer,
           e ->> 'mediatype', e ->> 'filename',
           vcon_redis._body_column(e),
           vcon_redis._body_json_column(e),
           e ->> 'encoding', e ->> 'url',
           vcon_redis._string_value(e -> 'content_hash'),
           (e - ARRAY['purpose', 'start', 'party', 'dialog', 'mediatype', 'filename', 'body',
                      'encoding', 'url', 'content_hash'])
           || vcon_redis._array_member(e, 'content_hash')
    FROM jsonb_array_elements(attachments) WITH ORDINALITY AS x(e, i)
$$;

-- dialog[] → dialog rows (without vcon_id; party_history is the caller's, it needs dialog.id).
CREATE OR REPLACE FUNCTION vcon_redis._dialog_rows(dialog jsonb)
RETURNS TABLE (dialog_index integer, type text, start_time timestamptz, duration_seconds real,
               duration numeric, parties integer[], originator integer, mediatype text, filename text,
               body text, body_json boolean, encoding text, url text, content_hash text,
               disposition text, session_id jsonb, application text, message_id text,
               transferee integer, transferor integer, transfer_target integer[], original integer[],
               consultation integer[], target_dialog integer[], extra jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (x.i - 1)::integer, e ->> 'type', vcon_redis._to_timestamptz(e ->> 'start'),
           (e ->> 'duration')::real, (e ->> 'duration')::numeric,
           -- flat for vcon-mcp: nested channels and null placeholders are kept in extra
           CASE WHEN NOT e ? 'parties' THEN NULL
                WHEN jsonb_typeof(e -> 'parties') = 'number' THEN vcon_redis._int_array(e -> 'parties')
                WHEN NOT jsonb_path_exists(e -> 'parties', 'strict $[*] ? (@.type() != "number")')
                    THEN vcon_redis._int_array(e -> 'parties')
                ELSE ARRAY(SELECT (v #>> '{}')::integer
                           FROM jsonb_path_query(e -> 'parties', 'lax $[*][*] ? (@ != null)') v) END,
           (e ->> 'originator')::integer, e ->> 'mediatype', e ->> 'filename',
           vcon_redis._body_column(e),
           vcon_redis._body_json_column(e),
           e ->> 'encoding', e ->> 'url',
           vcon_redis._string_value(e -> 'content_hash'),
           e ->> 'disposition', e -> 'session_id', e ->> 'application', e ->> 'message_id',
           CASE WHEN jsonb_typeof(e -> 'transferee') = 'number' THEN (e ->> 'transferee')::integer END,
           CASE WHEN jsonb_typeof(e -> 'transferor') = 'number' THEN (e ->> 'transferor')::integer END,
           vcon_redis._int_array(e -> 'transfer_target'), vcon_redis._int_array(e -> 'original'),
           vcon_redis._int_array(e -> 'consultation'), vcon_redis._int_array(e -> 'target_dialog'),
           (e - ARRAY['type', 'start', 'duration', 'parties', 'originator', 'mediatype', 'filename',
                      'body', 'encoding', 'url', 'content_hash', 'disposition', 'session_id',
                      'application', 'message_id', 'transferee', 'transferor', 'transfer_target',
                      'original', 'consultation', 'target_dialog', 'party_history'])
           || vcon_redis._array_shape_to_keep(e, 'parties', false)
           || vcon_redis._array_shape_to_keep(e, 'transfer_target', true)
           || vcon_redis._array_shape_to_keep(e, 'original', true)
           || vcon_redis._array_shape_to_keep(e, 'consultation', true)
           || vcon_redis._array_shape_to_keep(e, 'target_dialog', true)
           || vcon_redis._array_member(e, 'transferee')
           || vcon_redis._array_member(e, 'transferor')
           || vcon_redis._array_member(e, 'content_hash')
    FROM jsonb_array_elements(dialog) WITH ORDINALITY AS x(e, i)
$$;
