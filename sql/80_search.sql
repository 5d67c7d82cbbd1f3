-- Search over the vCon tables: the SQL behind the read server's MCP tools `search_vcons`,
-- `search_vcons_content` and `search_by_tags` (docs/design.md), plus the indexes they need.
--
-- Like vcon_json_many, the search functions use UNQUALIFIED table names: attach(schema)'s views
-- vcon_redis.<table>, with the search_path that sql/90_privileges.sql pins for the functions
-- `_search_functions()` lists; attach calls `_create_search_indexes(schema)` after
-- `_create_tables(schema)`.
--
-- The queries are built per call (EXECUTE … USING) from the filters actually given, so every call
-- gets a plan for its own filters, and their expressions are spelled exactly like the index
-- expressions below so the planner can use them:
--
--   full text   stored tsvector columns, vcon-mcp's (its migration 20251125160000), GIN partial
--               indexes `WHERE <col> IS NOT NULL` under vcon-mcp's names:
--               vcons.subject_tsvector    setweight(to_tsvector('english', coalesce(subject, '')), 'A')
--               parties.party_tsvector    setweight(to_tsvector('simple', coalesce(name, '') || ' ' ||
--                                         coalesce(mailto, '') || ' ' || coalesce(tel, '')), 'B')
--               dialog.body_tsvector      setweight(to_tsvector('english', coalesce(body, '')), 'C')
--               analysis.body_tsvector    setweight(to_tsvector('english', coalesce(body, '')), 'B')
--               (_search_columns). On vcon-mcp's database they exist, kept by its BEFORE ROW
--               triggers (for every SQL writer); attach() fills the rows still NULL (written before
--               its migration). Where a column is missing (the tables attach creates, an older
--               vcon-mcp schema) attach adds it as a STORED generated column of the same
--               definition (NULL for base64url bodies, see _search_columns): computed in C by the
--               executor on every write, for every writer, nothing to backfill. Cheaper than a
--               trigger (no function call per row) and never stale; vcon-mcp's migration run
--               afterwards keeps working (its triggers' assignments are overridden by the
--               generated value, the same). Ranking reads the stored value: nothing is recomputed
--               at search time. (save_vcon of a realistic ~10 KB vCon costs ~1.07x the expression
--               indexes it replaces: the tsvectors are stored as well as indexed.)
--   substring   <col> ILIKE '%…%'                                     GIN gin_trgm_ops when pg_trgm
--               is installed in the database (vcon-mcp has these already), else btree lower(<col>)
--   tags        vcon_redis._tag_array(body) @> ARRAY['k:v', …]        GIN, partial on tags attachments
--
-- The search functions run with jit = off: their statements are index lookups that finish in
-- milliseconds, but a correlated sub-plan over a large table can still be estimated above
-- jit_above_cost, and compiling it then costs ~100 ms.

-- ---------------------------------------------------------------------------------------------
-- Tags
-- ---------------------------------------------------------------------------------------------

-- The tags of the text of one tags attachment body (extension/src/tag_array.cpp, which states the
-- rules; they are _tag_array's below): the index expression of attachments_tags_idx, evaluated
-- for every probed attachment by the tag searches. In C: the PL/pgSQL version (a regular
-- expression for the JSON grammar, then a jsonb parse) cost ~100 us a body.
CREATE OR REPLACE FUNCTION vcon_redis._tag_array_text(body text, nested boolean) RETURNS text[]
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'vcon_redis_tag_array_text';

-- The tags of one tags attachment body as a sorted array of 'key:value' strings.
-- A body is a JSON array of "key:value" strings (the conserver and vcon-mcp), or a JSON object of
-- string values; either may arrive double-encoded (a JSON string holding the array text).
-- Key and value are split at the FIRST colon (vcon-mcp's split_part truncates values containing
-- ':'); an element without a colon is the key with an empty value ('key:'). Non-string elements
-- are ignored. Never raises: it is an index expression, and a malformed body must not make an
-- INSERT fail; anything unparsable (or nested deeper than scalars) yields NULL (no tags).
CREATE OR REPLACE FUNCTION vcon_redis._tag_array(body jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE jsonb_typeof(body)
        WHEN 'array' THEN (
            SELECT array_agg(DISTINCT CASE WHEN strpos(e.v #>> '{}', ':') > 0 THEN e.v #>> '{}'
                                           ELSE (e.v #>> '{}') || ':' END
                             ORDER BY CASE WHEN strpos(e.v #>> '{}', ':') > 0 THEN e.v #>> '{}'
                                           ELSE (e.v #>> '{}') || ':' END)
            FROM jsonb_array_elements(body) AS e(v)
            WHERE jsonb_typeof(e.v) = 'string')
        WHEN 'object' THEN (
            SELECT array_agg(DISTINCT e.key || ':' || (e.value #>> '{}') ORDER BY e.key || ':' || (e.value #>> '{}'))
            FROM jsonb_each(body) AS e
            WHERE jsonb_typeof(e.value) = 'string' AND strpos(e.key, ':') = 0)
        WHEN 'string' THEN vcon_redis._tag_array_text(body #>> '{}', true)
    END
$$;

-- The text form: what the attachments.body TEXT column holds.
CREATE OR REPLACE FUNCTION vcon_redis._tag_array(body text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT vcon_redis._tag_array_text(body, false) $$;

-- An integer argument of the read functions: NULL takes dflt; below lo (or above hi, when given)
-- raises invalid_parameter_value naming the calling function fn and the argument.
CREATE OR REPLACE FUNCTION vcon_redis._int_arg(fn text, name text, v integer, dflt integer, lo integer,
                                               hi integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    v := coalesce(v, dflt);
    IF hi IS NOT NULL AND (v < lo OR v > hi) THEN
        RAISE EXCEPTION '%: % must be from % to %, got %', fn, name, lo, hi, v
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF v < lo AND lo = 0 THEN
        RAISE EXCEPTION '%: % must not be negative, got %', fn, name, v
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF v < lo THEN
        RAISE EXCEPTION '%: % must be at least %, got %', fn, name, lo, v
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN v;
END
$$;

-- {"k":"v",…} → sorted ARRAY['k:v',…]; errors name the calling function `fn`.
CREATE OR REPLACE FUNCTION vcon_redis._tag_filter(tags jsonb, fn text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    e record;
BEGIN
    IF tags IS NULL OR jsonb_typeof(tags) <> 'object' THEN
        RAISE EXCEPTION '%: tags must be a JSON object of "key": "value" pairs, got %',
            fn, coalesce(jsonb_typeof(tags), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF tags = '{}'::jsonb THEN
        RAISE EXCEPTION '%: tags must contain at least one "key": "value" pair', fn
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR e IN SELECT key, value FROM jsonb_each(tags) ORDER BY key LOOP
        IF jsonb_typeof(e.value) <> 'string' THEN
            RAISE EXCEPTION '%: the value of tag "%" must be a string, got %', fn, e.key, jsonb_typeof(e.value)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF e.key = '' OR strpos(e.key, ':') > 0 THEN
            RAISE EXCEPTION '%: tag key "%" must be non-empty and must not contain '':''', fn, e.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT key || ':' || (value #>> '{}') FROM jsonb_each(tags) ORDER BY 1);
END
$$;

-- The local part of an address searched for (`local@…`, at least 4 characters before its first
-- '@', something after it), else NULL. search_vcons matches mailto against `%local@%` through the
-- trigram index and checks the whole address only on the rows found: every address shares its
-- domain's trigrams (and "example", ".com"), whose posting lists the index would otherwise read
-- in full (~30 ms against ~3 ms at 220 000 parties). A shorter local part has too few trigrams to
-- be selective, and a pattern without '@' or without a domain is used as it is.
CREATE OR REPLACE FUNCTION vcon_redis._email_local_part(email text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN m[1] || '@' <> email THEN m[1] END FROM regexp_match(email, '^([^@]{4,})@') AS m
$$;

-- The most rows one search_vcons call returns (a larger lim is capped to it): the one place SQL
-- writes it. The server's own limit checks use kMaxSearchLimit (server/src/views/search_call.hpp),
-- which tests/integration/test_search_params.py checks against this.
CREATE OR REPLACE FUNCTION vcon_redis.search_vcons_max_lim() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 1000 $$;

-- Escapes LIKE metacharacters so that user input is matched as a literal substring.
CREATE OR REPLACE FUNCTION vcon_redis._like_substring(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '%' || replace(replace(replace(s, '\', '\\'), '%', '\%'), '_', '\_') || '%' $$;

-- ---------------------------------------------------------------------------------------------
-- The snippet text of a body
-- ---------------------------------------------------------------------------------------------

-- What content search's snippets show of a dialog or analysis body (matching and ranking read the
-- stored body_tsvector, of the raw body, as vcon-mcp's): for a body that
-- is the JSON text of an object or array (a transcript's segments, a summary object, a sentiment
-- record — whatever the writer's shape, nested or not, `encoding` json or none: vcon-mcp and the
-- conserver store JSON bodies as text), its string values — not its keys, numbers, booleans or
-- syntax — one per line, in document order (object members in jsonb's key order); a body that is
-- one JSON string holding such JSON (double-encoded) is decoded once first. Any other body (plain
-- text, not-quite-JSON) is returned as it is. Never raises: a body must not fail a search.
-- The EXCEPTION block (a subtransaction) is why it is PARALLEL RESTRICTED: parallel workers may
-- not start subtransactions, so the planner keeps its calls in the leader.
CREATE OR REPLACE FUNCTION vcon_redis._search_text(body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL RESTRICTED
AS $fn$
DECLARE
    doc jsonb;
BEGIN
    IF body !~ '^[ \t\n\r]*[[{"]' THEN
        RETURN body;                -- the cheap test that keeps plain text cheap
    END IF;
    doc := vcon_redis._json_or_null(body);
    IF jsonb_typeof(doc) = 'string' AND doc #>> '{}' ~ '^[ \t\n\r]*[[{]' THEN
        doc := vcon_redis._json_or_null(doc #>> '{}');      -- double-encoded: decoded once
    END IF;
    IF doc IS NULL OR jsonb_typeof(doc) NOT IN ('object', 'array') THEN
        RETURN body;                -- not JSON, or a scalar (a quoted plain text): as it is
    END IF;
    RETURN coalesce((SELECT string_agg(v #>> '{}', E'\n')
                     FROM jsonb_path_query(doc, 'strict $.** ? (@.type() == "string")') AS v
                     WHERE v <> '""'), '');
END
$fn$;

-- text::jsonb, or NULL when the text is not JSON (the decoded form of a double-encoded body).
CREATE OR REPLACE FUNCTION vcon_redis._json_or_null(body text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL RESTRICTED
AS $fn$
BEGIN
    RETURN body::jsonb;
EXCEPTION WHEN data_exception OR program_limit_exceeded OR statement_too_complex THEN
    RETURN NULL;
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- search_vcons: metadata search with filters and pagination (MCP tool search_vcons)
-- ---------------------------------------------------------------------------------------------
-- Every filter is optional (NULL = not filtered):
--   subject_filter  substring of vcons.subject, case-insensitive
--   party_name   substring of a party's name, case-insensitive
--   party_email  substring of a party's mailto, case-insensitive; a leading 'mailto:' on either
--                side is ignored ('a@x' finds 'mailto:a@x' and 'mailto:a@x' finds 'a@x')
--   party_tel    substring of a party's tel
--   start_date, end_date   vcons.created_at >= start_date, <= end_date
--   tags         {"key":"value",…}: the vCon's tags contain every pair (as search_by_tags);
--                '{}' filters nothing, as in vcon-mcp
-- The party filters given must hold for one and the same party (as in vcon-mcp), any party.
-- Ordered by created_at DESC, uuid; lim capped at search_vcons_max_lim(); total_count = number of all matches
-- (the same value on every row; no row, hence no count, when off is past the end).
-- (The subject filter is named subject_filter because an IN parameter may not share the name of
-- the OUT column `subject`; the server calls it positionally.)
CREATE OR REPLACE FUNCTION vcon_redis.search_vcons(
    subject_filter text DEFAULT NULL,
    party_name text DEFAULT NULL,
    party_email text DEFAULT NULL,
    party_tel text DEFAULT NULL,
    start_date timestamptz DEFAULT NULL,
    end_date timestamptz DEFAULT NULL,
    lim integer DEFAULT 10,
    off integer DEFAULT 0,
    tags jsonb DEFAULT NULL,
    with_count boolean DEFAULT true)
RETURNS TABLE (uuid uuid, subject text, created_at timestamptz, parties_count integer,
               dialog_count integer, analysis_count integer, attachments_count integer,
               total_count bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET jit = off
AS $fn$
DECLARE
    email text := regexp_replace(party_email, '^\s*mailto:', '', 'i');
    email_local text := vcon_redis._email_local_part(email);
    want text[];
    spread uuid[];
    party text := vcon_redis._search_party_where(party_name IS NOT NULL, email IS NOT NULL,
                                                 email_local IS NOT NULL, party_tel IS NOT NULL);
    party_vcons uuid[];
    party_rows bigint;
    filter text;
    page uuid[];
    total bigint;
BEGIN
    lim := vcon_redis._int_arg('search_vcons', 'lim', lim, 10, 1);
    off := vcon_redis._int_arg('search_vcons', 'off', off, 0, 0);
    lim := least(lim, vcon_redis.search_vcons_max_lim());
    IF tags IS NOT NULL AND tags <> '{}' THEN
        want := vcon_redis._tag_filter(tags, 'search_vcons');
        spread := vcon_redis._tag_spread_matches(want);
    END IF;
    -- A party filter reads the parties it matches first, through their substring index, up to
    -- _search_party_rows() of them: when that is all of them, the statements below take their
    -- vCons as a list ($12) rather than testing the parties of each vCon they walk. A selective
    -- name then costs one index scan, where the planner, misled by its estimate of a substring's
    -- selectivity, would often walk vcons newest first and probe the parties of thousands of
    -- them (~2 ms against ~10 ms for a full name among 100 000 vCons); and an unselective one
    -- (more rows than that) keeps the walk, which soon finds a page.
    IF party IS NOT NULL THEN
        EXECUTE 'SELECT array_agg(DISTINCT p.vcon_id), count(*)
                 FROM (SELECT p.vcon_id FROM parties p WHERE ' || party || '
                       LIMIT vcon_redis._search_party_rows() + 1) p'
            INTO party_vcons, party_rows
            USING NULL::text, vcon_redis._like_substring(party_name), vcon_redis._like_substring(email),
                  vcon_redis._like_substring(party_tel), NULL::timestamptz, NULL::timestamptz, NULL::text[],
                  NULL::uuid[], NULL::integer, NULL::integer, vcon_redis._like_substring(email_local || '@');
        IF party_rows = 0 THEN
            RETURN;                 -- no party matches: no row
        ELSIF party_rows > vcon_redis._search_party_rows() THEN
            party_vcons := NULL;    -- too many to list: the statements test each vCon's parties
        END IF;
    END IF;
    filter := vcon_redis._search_vcons_where(subject_filter IS NOT NULL, party, start_date IS NOT NULL,
                                             end_date IS NOT NULL, want IS NOT NULL, cardinality(spread) > 0,
                                             party_vcons IS NOT NULL);

    -- The page first: with a LIMIT the planner may walk vcons_created_at_idx and stop early, which
    -- a count over all matches in the same statement (count(*) OVER ()) would forbid. A page
    -- shorter than lim is the last one, so its rows give the total; only a full page needs the
    -- count, a statement of its own that reads the cheapest index. (A STABLE function's
    -- statements share one snapshot: page and count agree.) That count reads every match, which
    -- for a common substring is most of the call's time (~0.2 ms page, ~40 ms count of 9 000 of
    -- 100 000 subjects): with_count = false skips it and total_count is NULL then (the MCP
    -- tools count only when asked: include_count). Both statements take the same parameters
    -- (_search_vcons_where says which is which). Two or more tags and no other filter: the page
    -- of search_by_tags (_tag_page), whose walk newest first is bounded.
    IF cardinality(want) >= 2
       AND num_nonnulls(subject_filter, party_name, party_email, party_tel, start_date, end_date) = 0 THEN
        page := vcon_redis._tag_page(want, spread, lim, off);
    ELSE
        EXECUTE 'SELECT coalesce(array_agg(v.uuid ORDER BY v.created_at DESC, v.uuid), ''{}'')
                 FROM (SELECT v.uuid, v.created_at FROM vcons v' || filter || '
                       ORDER BY v.created_at DESC, v.uuid LIMIT $9 OFFSET $10) v'
            INTO page
            USING vcon_redis._like_substring(subject_filter), vcon_redis._like_substring(party_name),
                  vcon_redis._like_substring(email), vcon_redis._like_substring(party_tel),
                  start_date, end_date, want, spread, lim, off, vcon_redis._like_substring(email_local || '@'),
                  party_vcons;
    END IF;
    IF cardinality(page) = 0 THEN
        RETURN;                     -- no match, or off past the end: no row (hence no count)
    ELSIF cardinality(page) < lim THEN
        total := off + cardinality(page);
    ELSIF with_count IS DISTINCT FROM false THEN
        EXECUTE 'SELECT count(*) FROM vcons v' || filter
            INTO total
            USING vcon_redis._like_substring(subject_filter), vcon_redis._like_substring(party_name),
                  vcon_redis._like_substring(email), vcon_redis._like_substring(party_tel),
                  start_date, end_date, want, spread, lim, off, vcon_redis._like_substring(email_local || '@'),
                  party_vcons;
    END IF;

    RETURN QUERY
        SELECT v.uuid, v.subject, v.created_at,
               (SELECT count(*) FROM parties c WHERE c.vcon_id = v.uuid)::integer,
               (SELECT count(*) FROM dialog c WHERE c.vcon_id = v.uuid)::integer,
               (SELECT count(*) FROM analysis c WHERE c.vcon_id = v.uuid)::integer,
               (SELECT count(*) FROM attachments c WHERE c.vcon_id = v.uuid)::integer,
               total
        FROM unnest(page) WITH ORDINALITY AS u(id, n)
        JOIN vcons v ON v.uuid = u.id
        ORDER BY u.n;
END
$fn$;

-- The WHERE clause (' WHERE …', or '' without a filter) over `vcons v` of search_vcons'
-- statements, for the filters given, on their parameters: $1 subject, $5 start, $6 end, $7 the
-- tags wanted (_tag_filter), $8 their _tag_spread_matches (read only when with_spread); `party`,
-- _search_party_where's condition on `parties p` or NULL, holds for one of the vCon's parties,
-- or with by_party_vcons the vCon is one of $12, the vCons of the parties it matches (a set
-- the planner joins by vcons' primary key, where `= ANY ($12)` had it walk vcons_created_at_idx
-- and test the array on every row: 0.68 against 0.85 ms for ~250 vCons).
CREATE OR REPLACE FUNCTION vcon_redis._search_vcons_where(
    by_subject boolean, party text, by_start boolean, by_end boolean, by_tags boolean,
    with_spread boolean, by_party_vcons boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(' WHERE ' || nullif(concat_ws(' AND ',
               CASE WHEN by_subject THEN 'v.subject ILIKE $1' END,
               CASE WHEN by_start THEN 'v.created_at >= $5' END,
               CASE WHEN by_end THEN 'v.created_at <= $6' END,
               CASE WHEN by_tags THEN vcon_redis._tag_condition_sql('$7', '$8', coalesce(with_spread, false)) END,
               CASE WHEN by_party_vcons THEN 'v.uuid IN (SELECT unnest($12))'
                    ELSE 'EXISTS (SELECT 1 FROM parties p WHERE p.vcon_id = v.uuid AND ' || party || ')' END),
               ''), '')
$$;

-- The condition on `parties p` of search_vcons' party filters (NULL without one), all on one
-- and the same party, on the parameters $2 name, $3 email, $4 tel (each _like_substring'd) and
-- $11 `%local@%` of the email (only when by_email_local: see _email_local_part).
-- (p.mailto || '') is no index expression: only the local part's pattern reaches the index.
CREATE OR REPLACE FUNCTION vcon_redis._search_party_where(
    by_name boolean, by_email boolean, by_email_local boolean, by_tel boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT nullif(concat_ws(' AND ',
               CASE WHEN by_name THEN 'p.name ILIKE $2' END,
               CASE WHEN by_email_local THEN 'p.mailto ILIKE $11 AND (p.mailto || '''') ILIKE $3'
                    WHEN by_email THEN 'p.mailto ILIKE $3' END,
               CASE WHEN by_tel THEN 'p.tel ILIKE $4' END), '')
$$;

-- The most parties a party filter of search_vcons lists before it tests each vCon's parties
-- instead: around there a page of vCons newest first is found as soon by walking them.
CREATE OR REPLACE FUNCTION vcon_redis._search_party_rows() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 1000 $$;

-- ---------------------------------------------------------------------------------------------
-- search_vcons_content: full-text search (MCP tool search_vcons_content)
-- ---------------------------------------------------------------------------------------------
-- vcon-mcp's search_vcons_keyword (migration 20260414000001) on the stored tsvector columns (file
-- header), with websearch_to_tsquery(config, query) for its plainto_tsquery (the same query for
-- plain words; quoted phrases, OR and -word on top):
--   'subject'   vcons.subject_tsvector @@ english query       content_index NULL
--   'party'     parties.party_tsvector @@ simple query        content_index = party_index
--               (name, mailto and tel, unstemmed)
--   'dialog'    dialog.body_tsvector @@ english query         content_index = dialog_index
--   'analysis'  analysis.body_tsvector @@ english query       content_index = analysis_index
--               (every dialog and analysis row, the raw body: a JSON body's keys are words too)
-- One row per matching field (a vCon can appear more than once). relevance_score =
-- ts_rank_cd(stored tsvector, english query, 32) (0..1): the columns' weights A (subject) 1.0,
-- B (analysis, party) 0.4, C (dialog) 0.2. As in vcon-mcp a party is ranked with the english
-- query while it matched the simple one: a name the english stemmer changes ('alice' → 'alic')
-- ranks 0. Ties by vcon_id, content_type, content_index. snippet = ts_headline(MaxFragments=3,
-- MaxWords=25, MinWords=5, fragments joined by ' ... ', matches in <b></b>), at most 500 chars,
-- of the subject, of 'name mailto tel' for a party, of a body's _search_text (a JSON body's string
-- values: prose, not JSON syntax). start_date/end_date filter on the vCon's created_at; tags as in
-- search_vcons. lim defaults to 50, capped at 100. search_vcons_content_count counts the distinct
-- vCons with a hit (vcon-mcp's include_count), without a limit. search_vcons_content is PARALLEL
-- RESTRICTED: its snippets call _search_text, whose EXCEPTION block parallel workers may not run.
CREATE OR REPLACE FUNCTION vcon_redis.search_vcons_content(
    query text,
    start_date timestamptz DEFAULT NULL,
    end_date timestamptz DEFAULT NULL,
    lim integer DEFAULT 50,
    tags jsonb DEFAULT NULL)
RETURNS TABLE (vcon_id uuid, content_type text, content_index integer, relevance_score real,
               snippet text)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET jit = off
-- websearch_to_tsquery NOTICEs on stop-word-only queries; the server has no use for them.
SET client_min_messages = warning
AS $fn$
DECLARE
    tsq tsquery := vcon_redis._content_query(query, 'english', 'search_vcons_content');
    tsq_simple tsquery := vcon_redis._content_query(query, 'simple', 'search_vcons_content');
    -- the top hits, in order: vcon_id, content_type, content_index, relevance_score, snippet text
    ids uuid[];
    types text[];
    indexes integer[];
    scores real[];
    texts text[];
BEGIN
    lim := vcon_redis._int_arg('search_vcons_content', 'lim', lim, 50, 1);
    lim := least(lim, 100);
    IF numnode(tsq) = 0 AND numnode(tsq_simple) = 0 THEN
        RETURN;     -- only punctuation: nothing can match
    END IF;
    PERFORM vcon_redis._require_search_columns('search_vcons_content');

    -- The ranking and the snippets are two statements: ranking every hit may be planned in
    -- parallel workers (it reads thousands of rows for a common word), and a statement with a
    -- parallel plan runs wholly in parallel mode, where _search_text's subtransaction is refused.
    EXECUTE
        'WITH hit AS (' || vcon_redis._content_hits_sql(start_date IS NOT NULL, end_date IS NOT NULL,
                                                        tags IS NOT NULL AND tags <> '{}', true) || '
         ), top AS (
             SELECT *, row_number() OVER (ORDER BY score DESC, vcon_id, content_type, content_index NULLS FIRST) AS n
             FROM (SELECT * FROM hit
                   ORDER BY score DESC, vcon_id, content_type, content_index NULLS FIRST
                   LIMIT $4) top
         )
         SELECT array_agg(vcon_id ORDER BY n), array_agg(content_type ORDER BY n),
                array_agg(content_index ORDER BY n), array_agg(score ORDER BY n), array_agg(txt ORDER BY n)
         FROM top'
        INTO ids, types, indexes, scores, texts
        USING tsq, start_date, end_date, lim,
              CASE WHEN tags <> '{}' THEN vcon_redis._tag_matches(vcon_redis._tag_filter(tags, 'search_vcons_content')) END,
              tsq_simple;
    RETURN QUERY
        SELECT t.vcon_id, t.content_type, t.content_index, t.score,
               left(ts_headline('english',
                                CASE WHEN t.content_type IN ('dialog', 'analysis')
                                     THEN vcon_redis._search_text(t.txt) ELSE t.txt END, tsq,
                                'MaxFragments=3, MaxWords=25, MinWords=5, FragmentDelimiter=" ... "'), 500)
        FROM unnest(ids, types, indexes, scores, texts) WITH ORDINALITY
             AS t(vcon_id, content_type, content_index, score, txt, n)
        ORDER BY t.n;
END
$fn$;

CREATE OR REPLACE FUNCTION vcon_redis.search_vcons_content_count(
    query text,
    start_date timestamptz DEFAULT NULL,
    end_date timestamptz DEFAULT NULL,
    tags jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET jit = off
SET client_min_messages = warning
AS $fn$
DECLARE
    tsq tsquery := vcon_redis._content_query(query, 'english', 'search_vcons_content_count');
    tsq_simple tsquery := vcon_redis._content_query(query, 'simple', 'search_vcons_content_count');
    n bigint;
BEGIN
    IF numnode(tsq) = 0 AND numnode(tsq_simple) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM vcon_redis._require_search_columns('search_vcons_content_count');
    EXECUTE 'SELECT count(DISTINCT hit.vcon_id) FROM ('
            || vcon_redis._content_hits_sql(start_date IS NOT NULL, end_date IS NOT NULL,
                                            tags IS NOT NULL AND tags <> '{}', false) || ') hit'
        INTO n
        USING tsq, start_date, end_date, NULL::integer,
              CASE WHEN tags <> '{}' THEN vcon_redis._tag_matches(vcon_redis._tag_filter(tags, 'search_vcons_content_count')) END,
              tsq_simple;
    RETURN n;
END
$fn$;

-- Refuses a content search while the attached tables (their views) lack the stored tsvector columns:
-- after ALTER EXTENSION vcon_redis UPDATE from 0.2.0, until attach() has added them. One catalog
-- lookup, so that the error says what to do instead of "column ... does not exist".
CREATE OR REPLACE FUNCTION vcon_redis._require_search_columns(fn text) RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
BEGIN
    IF EXISTS (SELECT FROM vcon_redis._search_columns() c
               WHERE NOT EXISTS (SELECT FROM pg_attribute a
                                 WHERE a.attrelid = to_regclass('vcon_redis.' || quote_ident(c.tbl))
                                   AND a.attname = c.col AND NOT a.attisdropped)) THEN
        RAISE EXCEPTION '%: the vCon tables have no full-text columns yet', fn
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'After ALTER EXTENSION vcon_redis UPDATE, run SELECT vcon_redis.attach(''<your schema>'') (README "Upgrading").';
    END IF;
END
$fn$;

-- The query of the content searches: websearch_to_tsquery(config, query), refusing an empty one.
CREATE OR REPLACE FUNCTION vcon_redis._content_query(query text, config regconfig, fn text) RETURNS tsquery
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
BEGIN
    IF query IS NULL OR btrim(query) = '' THEN
        RAISE EXCEPTION '%: query must be a non-empty search string', fn
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN websearch_to_tsquery(config, query);
END
$fn$;

-- The SELECT of every field that matches (vcon_id, content_type, content_index, score (0 unless
-- ranked), txt: the text its snippet is made of), $1 the english tsquery, $6 the simple one
-- (parties), filtered by created_at >= $2 / <= $3 and vcon_id = ANY ($5) when asked: the one
-- definition both content searches run. Each branch reads a stored tsvector column through its
-- partial GIN index (`<col> IS NOT NULL` is that index's predicate).
CREATE OR REPLACE FUNCTION vcon_redis._content_hits_sql(by_start boolean, by_end boolean, by_tags boolean,
                                                          ranked boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    vfilter text := '';     -- on vcons v
    cfilter text := '';     -- on a child table c
    cjoin text := '';
    rank text := CASE WHEN ranked THEN 'ts_rank_cd(%s, $1, 32)' ELSE '0::real' END;
BEGIN
    IF by_start THEN
        vfilter := vfilter || ' AND v.created_at >= $2';
    END IF;
    IF by_end THEN
        vfilter := vfilter || ' AND v.created_at <= $3';
    END IF;
    IF vfilter <> '' THEN
        cjoin := ' JOIN vcons v ON v.uuid = c.vcon_id';
        cfilter := vfilter;
    END IF;
    IF by_tags THEN
        vfilter := vfilter || ' AND v.uuid = ANY ($5)';
        cfilter := cfilter || ' AND c.vcon_id = ANY ($5)';
    END IF;

    RETURN 'SELECT v.uuid AS vcon_id, ''subject''::text AS content_type, NULL::integer AS content_index,
                   ' || format(rank, 'v.subject_tsvector') || ' AS score, v.subject AS txt
            FROM vcons v
            WHERE v.subject_tsvector IS NOT NULL AND v.subject_tsvector @@ $1' || vfilter || '
            UNION ALL
            SELECT c.vcon_id, ''party'', c.party_index, ' || format(rank, 'c.party_tsvector') || ',
                   concat_ws('' '', c.name, c.mailto, c.tel)
            FROM parties c' || cjoin || '
            WHERE c.party_tsvector IS NOT NULL AND c.party_tsvector @@ $6' || cfilter || '
            UNION ALL
            SELECT c.vcon_id, ''dialog'', c.dialog_index, ' || format(rank, 'c.body_tsvector') || ', c.body
            FROM dialog c' || cjoin || '
            WHERE c.body_tsvector IS NOT NULL AND c.body_tsvector @@ $1' || cfilter || '
            UNION ALL
            SELECT c.vcon_id, ''analysis'', c.analysis_index, ' || format(rank, 'c.body_tsvector') || ', c.body
            FROM analysis c' || cjoin || '
            WHERE c.body_tsvector IS NOT NULL AND c.body_tsvector @@ $1' || cfilter;
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- search_by_tags (MCP tool search_by_tags)
-- ---------------------------------------------------------------------------------------------
-- tags = {"key":"value",…}, non-empty, string values. A vCon matches when its tags — the union
-- of its tags attachments (purpose = 'tags' OR type = 'tags': the conserver writes `purpose`,
-- vcon-mcp `type`) — contain every pair. Ordered by vcons.created_at DESC, uuid; lim defaults to
-- 50, capped at 100. Reads the tables directly: no materialized view to refresh (vcon-mcp's
-- vcon_tags_mv lags writes).
-- Two or more pairs: the page comes from _tag_page (a bounded walk, else the GIN index).
CREATE OR REPLACE FUNCTION vcon_redis.search_by_tags(tags jsonb, lim integer DEFAULT 50)
RETURNS TABLE (vcon_id uuid)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET jit = off
AS $fn$
DECLARE
    want text[] := vcon_redis._tag_filter(tags, 'search_by_tags');
    spread uuid[] := vcon_redis._tag_spread_matches(want);
    page uuid[];
BEGIN
    lim := vcon_redis._int_arg('search_by_tags', 'lim', lim, 50, 1);
    lim := least(lim, 100);

    IF cardinality(want) < 2 THEN
        RETURN QUERY EXECUTE
            'SELECT v.uuid FROM vcons v WHERE ' || vcon_redis._tag_condition_sql('$1', '$2', cardinality(spread) > 0)
            || ' ORDER BY v.created_at DESC, v.uuid LIMIT $3'
            USING want, spread, lim;
        RETURN;
    END IF;
    -- The page in a variable first: unnest(<a call>) would make the planner run the call to
    -- estimate unnest's rows (a STABLE call is folded for estimates), then run it again.
    page := vcon_redis._tag_page(want, spread, lim, 0);
    RETURN QUERY SELECT u.id FROM unnest(page) WITH ORDINALITY AS u(id, n) ORDER BY u.n;
END
$fn$;

-- The page of the vCons whose tags hold every pair of `want` (two or more; `spread` its
-- _tag_spread_matches), newest first (created_at DESC, uuid), `lim` rows after the first `off`:
-- search_by_tags', and search_vcons' when tags are its only filter.
-- The planner estimates well how many vCons carry several pairs, but takes them for spread evenly
-- over time, and walks vcons newest first, probing each vCon's tags, also when the page lies deep
-- (pairs with 400-700 matches at 100 000 generated vCons: 6 000-14 000 vCons probed;
-- region:us-west + topic:warranty, 577 mostly old matches: all 100 000). So the walk is bounded:
-- when the newest (off + lim) × walk_span vCons do not hold off + lim matches, every match comes
-- from the GIN index instead (_tag_matches) and they are sorted. The first n matches of a prefix
-- of the order are the first n of all: the same rows either way.
CREATE OR REPLACE FUNCTION vcon_redis._tag_page(want text[], spread uuid[], lim integer, off integer)
RETURNS uuid[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET jit = off
AS $fn$
DECLARE
    page uuid[];
    -- vCons probed per row asked for before every match is read from the GIN index instead
    -- (80 measured best of 40, 80 and 160 at 100 000 vCons: docs/performance.md, search)
    walk_span constant integer := 80;
BEGIN
    EXECUTE 'SELECT coalesce(array_agg(v.uuid ORDER BY v.created_at DESC, v.uuid), ''{}'')
             FROM (SELECT v.uuid, v.created_at
                   FROM (SELECT v.uuid, v.created_at FROM vcons v
                         ORDER BY v.created_at DESC, v.uuid LIMIT $4) v
                   WHERE ' || vcon_redis._tag_condition_sql('$1', '$2', cardinality(spread) > 0) || '
                   ORDER BY v.created_at DESC, v.uuid LIMIT $3 OFFSET $5) v'
        INTO page USING want, spread, lim, (off + lim)::bigint * walk_span, off;
    IF cardinality(page) = lim THEN
        RETURN page;
    END IF;
    -- (a set joined by vcons' primary key: `= ANY ($1)` had the planner walk vcons_created_at_idx
    -- testing the array on every row, ~8 000 rows for 577 matches)
    EXECUTE 'SELECT coalesce(array_agg(v.uuid ORDER BY v.created_at DESC, v.uuid), ''{}'')
             FROM (SELECT v.uuid, v.created_at FROM vcons v WHERE v.uuid IN (SELECT unnest($1))
                   ORDER BY v.created_at DESC, v.uuid LIMIT $2 OFFSET $3) v'
        INTO page USING vcon_redis._tag_matches(want, spread), lim, off;
    RETURN page;
END
$fn$;

-- The condition "vCon v has every pair of the text[] parameter `want`" of the searches' SQL, where
-- `spread` names the uuid[] parameter holding _tag_spread_matches(want) (only read when
-- with_spread). One attachment holding every pair is a semi-join with the GIN index
-- attachments_tags_idx, which the planner runs either way round: from the index (few matches) or
-- walking vcons newest first and probing each vCon's tags (many matches, a small LIMIT).
CREATE OR REPLACE FUNCTION vcon_redis._tag_condition_sql(want text, spread text, with_spread boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT '(v.uuid IN (SELECT a.vcon_id FROM attachments a
                        WHERE (a.purpose = ''tags'' OR a.type = ''tags'')
                          AND vcon_redis._tag_array(a.body) @> ' || want || ')'
           || CASE WHEN with_spread THEN ' OR v.uuid = ANY (' || spread || ')' ELSE '' END || ')'
$$;

-- The vCons whose tags contain every pair of `want` only as the union of several tags attachments
-- (no single one holds them all): rare, the conserver and vcon-mcp both keep one tags attachment.
-- Empty for a single pair. Two tags attachments of one vCon have different attachment_index
-- (UNIQUE (vcon_id, attachment_index), in vcon-mcp's tables too), so one of them is not at index
-- 0: the candidates are the vCons of the partial index attachments_tags_later_idx (tags
-- attachments off index 0; empty when every vCon keeps its one tags attachment first), each
-- checked for a second tags attachment and for the union of its tags. It used to group all tags
-- attachments by vCon (a scan of attachments_tags_vcon_idx, ~50 ms at 100 000 vCons).
CREATE OR REPLACE FUNCTION vcon_redis._tag_spread_matches(want text[]) RETURNS uuid[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET jit = off
AS $fn$
DECLARE
    more uuid[];
BEGIN
    IF cardinality(want) < 2 THEN
        RETURN '{}';
    END IF;
    EXECUTE 'SELECT coalesce(array_agg(DISTINCT s.vcon_id), ''{}'')
             FROM attachments s
             WHERE (s.purpose = ''tags'' OR s.type = ''tags'') AND s.attachment_index <> 0
               AND EXISTS (SELECT FROM attachments o
                           WHERE o.vcon_id = s.vcon_id AND (o.purpose = ''tags'' OR o.type = ''tags'')
                             AND o.attachment_index <> s.attachment_index)
               AND $1 <@ ARRAY(SELECT unnest(vcon_redis._tag_array(a.body))
                               FROM attachments a
                               WHERE a.vcon_id = s.vcon_id
                                 AND (a.purpose = ''tags'' OR a.type = ''tags''))'
        INTO more USING want;
    RETURN more;
END
$fn$;

-- The vCons whose tags (the union of their tags attachments) contain every pair of `want` (as
-- _tag_filter returns it), in no particular order: the tag filter of the content searches.
-- `spread`: _tag_spread_matches(want) when the caller has it already.
CREATE OR REPLACE FUNCTION vcon_redis._tag_matches(want text[], spread uuid[] DEFAULT NULL) RETURNS uuid[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET jit = off
AS $fn$
DECLARE
    hits uuid[];
BEGIN
    EXECUTE 'SELECT coalesce(array_agg(DISTINCT a.vcon_id), ''{}'') FROM attachments a
             WHERE (a.purpose = ''tags'' OR a.type = ''tags'')
               AND vcon_redis._tag_array(a.body) @> $1'
        INTO hits USING want;
    RETURN hits || coalesce(spread, vcon_redis._tag_spread_matches(want));
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- Wiring for attach()
-- ---------------------------------------------------------------------------------------------

-- The search functions (their search_path is pinned by sql/90_privileges.sql).
CREATE OR REPLACE FUNCTION vcon_redis._search_functions() RETURNS regprocedure[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ARRAY[
        'vcon_redis.search_vcons(text, text, text, text, timestamptz, timestamptz, integer, integer, jsonb, boolean)'::regprocedure,
        'vcon_redis.search_vcons_content(text, timestamptz, timestamptz, integer, jsonb)'::regprocedure,
        'vcon_redis.search_vcons_content_count(text, timestamptz, timestamptz, jsonb)'::regprocedure,
        'vcon_redis.search_by_tags(jsonb, integer)'::regprocedure,
        'vcon_redis._tag_page(text[], uuid[], integer, integer)'::regprocedure,
        'vcon_redis._tag_matches(text[], uuid[])'::regprocedure,
        'vcon_redis._tag_spread_matches(text[])'::regprocedure]
$$;

-- The stored full-text columns of content search: vcon-mcp's names and definitions (its migration
-- 20251125160000, trigger functions update_*_tsvector), `expr`, computed where `cond` (if any) holds.
-- One exception, `cond`: a base64url body (an inline recording, an image) is bytes, not words, and
-- its tsvector is costly (~90 ms for 64 KB) and past ~600 KB larger than a tsvector may be (ERROR
-- "string is too long for tsvector"): vcon-mcp's trigger would make such a write fail, ours leaves
-- the column NULL (the expression indexes before skipped those bodies too).
CREATE OR REPLACE FUNCTION vcon_redis._search_columns()
RETURNS TABLE (tbl name, col name, expr text, cond text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    VALUES
        ('vcons'::name, 'subject_tsvector'::name,
         $e$setweight(to_tsvector('english', coalesce(subject, '')), 'A')$e$, NULL),
        ('parties', 'party_tsvector',
         $e$setweight(to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(mailto, '') || ' ' || coalesce(tel, '')), 'B')$e$,
         NULL),
        ('dialog', 'body_tsvector', $e$setweight(to_tsvector('english', coalesce(body, '')), 'C')$e$,
         $e$encoding IS DISTINCT FROM 'base64url'$e$),
        ('analysis', 'body_tsvector', $e$setweight(to_tsvector('english', coalesce(body, '')), 'B')$e$,
         $e$encoding IS DISTINCT FROM 'base64url'$e$)
$$;

-- Makes sure every column of _search_columns() exists in `schema` and holds a value for every row:
-- a missing column is added as a STORED generated column (PostgreSQL computes it for the rows
-- already there, in the same rewrite, and on every later write); an existing plain column
-- (vcon-mcp's, kept by its triggers) gets the rows it lacks, written before vcon-mcp's migration
-- added it (its backfill_search_vector_batch, in one statement), so they stay findable.
CREATE OR REPLACE FUNCTION vcon_redis._create_search_columns(schema name) RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    c record;
    generated "char";
BEGIN
    FOR c IN SELECT * FROM vcon_redis._search_columns() LOOP
        CONTINUE WHEN to_regclass(format('%I.%I', schema, c.tbl)) IS NULL;
        SELECT a.attgenerated INTO generated FROM pg_attribute a
        WHERE a.attrelid = format('%I.%I', schema, c.tbl)::regclass AND a.attname = c.col
          AND NOT a.attisdropped;
        IF NOT FOUND THEN
            EXECUTE format('ALTER TABLE %I.%I ADD COLUMN %I tsvector GENERATED ALWAYS AS (%s) STORED',
                           schema, c.tbl, c.col,
                           CASE WHEN c.cond IS NULL THEN c.expr
                                ELSE format('CASE WHEN %s THEN %s END', c.cond, c.expr) END);
        ELSIF generated = '' THEN
            EXECUTE format('UPDATE %I.%I SET %I = %s WHERE %3$I IS NULL%5$s',
                           schema, c.tbl, c.col, c.expr, ' AND ' || c.cond);
        END IF;
    END LOOP;
END
$fn$;

-- Creates the indexes the search functions use on the tables in `schema` (idempotent): those of
-- _search_indexes, after dropping our earlier versions' that no search uses any more. An index is
-- skipped when the table already has one with the same definition under another name (e.g.
-- vcon-mcp's trigram indexes). Substring filters get trigram GIN indexes when pg_trgm is
-- installed in this database (in whatever schema), else btree indexes on lower(col) (exact and
-- prefix lookups only); the extension never requires pg_trgm.
CREATE OR REPLACE FUNCTION vcon_redis._create_search_indexes(schema name) RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    trgm text;      -- qualified gin_trgm_ops, or NULL
    ix record;
BEGIN
    PERFORM vcon_redis._create_search_columns(schema);
    SELECT format('%I.gin_trgm_ops', n.nspname) INTO trgm
    FROM pg_extension e
    JOIN pg_opclass o ON o.opcname = 'gin_trgm_ops'
    JOIN pg_am am ON am.oid = o.opcmethod AND am.amname = 'gin'
    JOIN pg_namespace n ON n.oid = o.opcnamespace
    JOIN pg_depend d ON d.classid = 'pg_opclass'::regclass AND d.objid = o.oid
                    AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
    WHERE e.extname = 'pg_trgm'
    LIMIT 1;
    PERFORM vcon_redis._drop_old_search_indexes(schema);

    FOR ix IN SELECT * FROM vcon_redis._search_indexes(trgm) LOOP
        -- Same definition already there under any name? pg_indexes.indexdef is
        -- 'CREATE [UNIQUE] INDEX <name> ON <schema>.<table> USING …'.
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM pg_indexes i
            WHERE i.schemaname = schema AND i.tablename = ix.tbl
              AND (i.indexname = ix.name
                   -- (an opclass is schema-qualified in indexdef only when not on search_path)
                   OR regexp_replace(substr(i.indexdef, strpos(i.indexdef, ' USING ') + 1),
                                     '\S+\.gin_trgm_ops', 'gin_trgm_ops', 'g')
                      = regexp_replace(ix.def || coalesce(' WHERE ' || ix.pred, ''),
                                       '\S+\.gin_trgm_ops', 'gin_trgm_ops', 'g')));
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I %s%s',
                       ix.name, schema, ix.tbl, ix.def, coalesce(' WHERE ' || ix.pred, ''));
    END LOOP;

    -- How many attachments carry each tag. attachments_tags_idx is partial, and the planner reads
    -- no statistics of a partial index's expressions: without these it takes every tag for a rare
    -- one (0.5 % of rows), and for a common tag collects and sorts all its vCons instead of walking
    -- vcons newest first (50 of 8 000 matches at 100 000 vCons: ~140 ms instead of a few). Filled by
    -- the next ANALYZE (autovacuum's, or yours).
    IF NOT EXISTS (SELECT 1 FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
                   WHERE n.nspname = schema AND s.stxname = 'attachments_tags_stx') THEN
        EXECUTE format('CREATE STATISTICS %I.attachments_tags_stx ON (vcon_redis._tag_array(body)) FROM %I.attachments',
                       schema, schema);
    END IF;
END
$fn$;

-- The predicate of the partial indexes on tags attachments, as pg_indexes.indexdef spells it.
CREATE OR REPLACE FUNCTION vcon_redis._tags_pred() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT '((purpose = ''tags''::text) OR (type = ''tags''::text))' $$;

-- The indexes of the searches (table, name, definition from USING on as pg_indexes.indexdef
-- spells it, partial-index predicate or NULL), `trgm` the qualified gin_trgm_ops when pg_trgm is
-- installed, else NULL.
CREATE OR REPLACE FUNCTION vcon_redis._search_indexes(trgm text)
RETURNS TABLE (tbl text, name text, def text, pred text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT * FROM (VALUES
        -- vcon-mcp's own (names and definitions of its migration 20251125160000)
        ('vcons', 'idx_vcons_subject_tsvector_gin', 'USING gin (subject_tsvector)', '(subject_tsvector IS NOT NULL)'),
        ('parties', 'idx_parties_party_tsvector_gin', 'USING gin (party_tsvector)', '(party_tsvector IS NOT NULL)'),
        ('dialog', 'idx_dialog_body_tsvector_gin', 'USING gin (body_tsvector)', '(body_tsvector IS NOT NULL)'),
        ('analysis', 'idx_analysis_body_tsvector_gin', 'USING gin (body_tsvector)', '(body_tsvector IS NOT NULL)'),
        ('vcons', 'vcons_created_at_idx', 'USING btree (created_at)', NULL),
        ('attachments', 'attachments_tags_idx', 'USING gin (vcon_redis._tag_array(body))', vcon_redis._tags_pred()),
        ('attachments', 'attachments_tags_vcon_idx', 'USING btree (vcon_id)', vcon_redis._tags_pred()),
        ('attachments', 'attachments_tags_later_idx', 'USING btree (vcon_id)',
         '(' || vcon_redis._tags_pred() || ' AND (attachment_index <> 0))')
    ) AS t(tbl, name, def, pred)
    UNION ALL
    SELECT t.tbl, t.name, format(t.def, trgm), NULL FROM (VALUES
        ('vcons', 'vcons_subject_trgm_idx', 'USING gin (subject %s)'),
        ('parties', 'parties_name_trgm_idx', 'USING gin (name %s)'),
        ('parties', 'parties_mailto_trgm_idx', 'USING gin (mailto %s)'),
        ('parties', 'parties_tel_trgm_idx', 'USING gin (tel %s)')
    ) AS t(tbl, name, def)
    WHERE trgm IS NOT NULL
    UNION ALL
    SELECT t.tbl, t.name, t.def, NULL FROM (VALUES
        ('parties', 'parties_name_lower_idx', 'USING btree (lower(name))'),
        ('parties', 'parties_mailto_lower_idx', 'USING btree (lower(mailto))'),
        ('parties', 'parties_tel_idx', 'USING btree (tel)')
    ) AS t(tbl, name, def)
    WHERE trgm IS NULL
$$;

-- Drops our indexes of earlier versions that no search uses any more (0.2.0 indexed the raw text
-- of dialog and analysis bodies, JSON syntax included), when name AND definition are ours.
CREATE OR REPLACE FUNCTION vcon_redis._drop_old_search_indexes(schema name) RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
    ix record;
BEGIN
    FOR ix IN
        SELECT i.indexname AS name FROM pg_indexes i
        JOIN (VALUES
            ('dialog', 'dialog_body_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(body, ''''::text)))'
             || ' WHERE ((type = ''text''::text) AND ((encoding IS NULL) OR (encoding = ''none''::text)))'),
            ('analysis', 'analysis_body_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(body, ''''::text)))'
             || ' WHERE ((encoding IS NULL) OR (encoding <> ''base64url''::text))'),
            -- 0.2.0 (subject, party name) and 0.3.0 development builds: expression indexes, before
            -- the stored tsvector columns
            ('vcons', 'vcons_subject_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(subject, ''''::text)))'),
            ('parties', 'parties_name_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, COALESCE(name, ''''::text)))'),
            ('dialog', 'dialog_text_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, vcon_redis._search_text(body)))'
             || ' WHERE ((type = ''text''::text) AND ((encoding IS NULL) OR (encoding = ''none''::text)))'),
            ('analysis', 'analysis_text_fts_idx',
             'USING gin (to_tsvector(''english''::regconfig, vcon_redis._search_text(body)))'
             || ' WHERE ((encoding IS NULL) OR (encoding <> ''base64url''::text))')
        ) AS r(tbl, name, def) ON r.tbl = i.tablename AND r.name = i.indexname
                              AND r.def = substr(i.indexdef, strpos(i.indexdef, ' USING ') + 1)
        WHERE i.schemaname = schema
    LOOP
        EXECUTE format('DROP INDEX %I.%I', schema, ix.name);
    END LOOP;
END
$fn$;
