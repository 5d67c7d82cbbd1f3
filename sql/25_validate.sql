-- Validation: every problem of a vCon document against draft-ietf-vcon-vcon-core, as data.
--
-- validate_vcon(doc) returns (severity, path, message) rows and writes nothing; save_vcon refuses a
-- document with any 'error'. Each check has one of three levels:
--   error    structural breakage, or a document that cannot be stored faithfully: not an object,
--            wrong JSON types, missing or malformed uuid, unparseable dates, dangling or negative
--            indices, a url that is not a URL (no RFC 3986 scheme), negative durations, encodings
--            outside base64url/json/none, members the tables require (dialog and analysis type,
--            party_history party/time/event from the enum).
--   must     a MUST of the draft that real producers break while losing nothing: the document is
--            stored exactly and read back identically (created_at missing, dates without offset,
--            non-https url, url without content_hash, a content_hash that is not an
--            <alg>-<base64url> token, analysis without vendor, a dialog type outside the draft's
--            enum such as "video", the per-type dialog rules, …). A warning, or an error when
--            vcon_redis.validation = strict.
--   warning  SHOULDs and deprecated forms.
-- Legacy member names (mimetype, appended, must_support, transfer-target, target-dialog,
-- attachment type, analysis schema_version) are not problems: _normalize renames them first, and
-- paths use the current names. Null and empty ({} / []) members are dropped by _normalize too,
-- except that a null top-level parties/dialog/analysis/attachments/extensions/critical is an error.

-- (The row type vcon_redis.problem is in sql/01_types.sql.)

-- Whether this session validates strictly: vcon_redis.validation = strict (a user setting, so
-- SET LOCAL applies it to one transaction). tolerant, the default, also when the module is not loaded.
CREATE OR REPLACE FUNCTION vcon_redis._strict() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('vcon_redis.validation', true) = 'strict', false)
$$;


-- ---------------------------------------------------------------------------------------------
-- Small checks returning a message or NULL
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION vcon_redis._shown_value(v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) IN ('number', 'boolean', 'null') THEN v::text
                WHEN jsonb_typeof(v) = 'string' AND length(v #>> '{}') <= 40 THEN v::text
                ELSE jsonb_typeof(v) END
$$;

-- The error of a value at path that is present but not of JSON type `want` (string, object or
-- array); NULL when it is, or when absent. The one "must be a …" rule of the member checks below,
-- SQL inlined into each caller's expression.
CREATE OR REPLACE FUNCTION vcon_redis._type_problem(v jsonb, path text, want text) RETURNS vcon_redis.problem
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) <> want
                THEN ('error', path, format('must be %s %s (got %s)', CASE WHEN want IN ('array', 'object') THEN 'an' ELSE 'a' END,
                                            want, vcon_redis._shown_value(v)))::vcon_redis.problem END
$$;

-- Member k of o (at p.k) when absent: "missing (why)" at level (error, must, warning); else NULL.
CREATE OR REPLACE FUNCTION vcon_redis._missing_problem(o jsonb, p text, k text, level text, why text)
RETURNS vcon_redis.problem
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN NOT o ? k THEN (level, p || '.' || k, 'missing (' || why || ')')::vcon_redis.problem END
$$;

-- An index into an array of n elements named what (party, dialog, attachment).
CREATE OR REPLACE FUNCTION vcon_redis._index_problem(v jsonb, n int, what text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(v) IS DISTINCT FROM 'number' OR v::text !~ '^[0-9]{1,15}$'
            THEN format('must be a %s index, a non-negative integer (got %s)', what, vcon_redis._shown_value(v))
        WHEN v::text::bigint >= n
            THEN format('%s index %s out of range (%s %s)', what, v::text, n,
                        CASE WHEN n = 1 THEN what WHEN what = 'party' THEN 'parties' ELSE what || 's' END)
    END
$$;

-- ---------------------------------------------------------------------------------------------
-- The checks
-- ---------------------------------------------------------------------------------------------

-- The start of a string value for a message, as JSON (at most 24 characters).
CREATE OR REPLACE FUNCTION vcon_redis._quote(s text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_jsonb(CASE WHEN length(s) > 24 THEN left(s, 24) || '…' ELSE s END)::text
$$;

-- One content_hash token at path (ContentHash: `<alg>-<base64url digest>`, alg lower case without
-- hyphens, a sha512 digest is 86 characters). Producers write other forms (`SHA-512:<base64>`,
-- vcon-lib's bare base64 before 0.9.5, vcon-zip's shortened digests): any string is stored as given.
CREATE OR REPLACE FUNCTION vcon_redis._hash_problem(h jsonb, path text) RETURNS vcon_redis.problem
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(h) <> 'string'
            THEN ('error', path, format('must be a string or an array of strings (got %s)', vcon_redis._shown_value(h)))::vcon_redis.problem
        WHEN h #>> '{}' !~ '^[a-z0-9]+-[A-Za-z0-9_-]+$'
            THEN ('must', path, format('not a content hash token <alg>-<base64url digest>: %s', vcon_redis._quote(h #>> '{}')))::vcon_redis.problem
        WHEN h #>> '{}' ~ '^sha512-' AND length(h #>> '{}') <> 93
            THEN ('must', path, format('sha512 digest must be 86 base64url characters (got %s)', length(h #>> '{}') - 7))::vcon_redis.problem
    END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._hash_array_problems(a jsonb, p text)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_agg(vcon_redis._hash_problem(h, format('%s.content_hash[%s]', p, i - 1)) ORDER BY i)
    FROM jsonb_array_elements(a) WITH ORDINALITY AS x(h, i)
$$;

-- The content_hash member of o (a token or an array of tokens), and the url that needs one.
CREATE OR REPLACE FUNCTION vcon_redis._content_hash_problems(o jsonb, p text)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(o -> 'content_hash') = 'array' THEN vcon_redis._hash_array_problems(o -> 'content_hash', p)
                ELSE ARRAY[vcon_redis._hash_problem(o -> 'content_hash', p || '.content_hash')] END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._url_without_hash_problem(o jsonb, p text) RETURNS vcon_redis.problem
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN o ? 'url' AND NOT o ? 'content_hash'
                THEN ('must', p || '.content_hash', 'missing (the draft requires content_hash with url)')::vcon_redis.problem END
$$;

-- A url member at path: not a string or not a URL at all (no RFC 3986 `scheme ":"`, e.g.
-- "not-a-url" or a bare file path) is an error; characters a URL cannot hold and a scheme other than
-- https break a MUST of the draft but are stored as given.
CREATE OR REPLACE FUNCTION vcon_redis._url_problem(v jsonb, path text) RETURNS vcon_redis.problem
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(vcon_redis._type_problem(v, path, 'string'), CASE
        WHEN v #>> '{}' !~ '^[A-Za-z][A-Za-z0-9+.-]*:'
            THEN ('error', path, format('not a URL (no scheme, as in https://…): %s', vcon_redis._quote(v #>> '{}')))::vcon_redis.problem
        WHEN v #>> '{}' ~ '[[:space:][:cntrl:]"<>\\^`{|}]'
            THEN ('must', path, 'has characters a URL cannot hold (space, control, ", <, >, {, }, |, \, ^ or `)')::vcon_redis.problem
        WHEN v #>> '{}' !~* '^https://'
            THEN ('must', path, 'not an https URL (the draft requires https)')::vcon_redis.problem
    END)
$$;

-- Content members shared by dialog, analysis and attachments (§2.3 of the draft).
CREATE OR REPLACE FUNCTION vcon_redis._content_problems(o jsonb, p text, kind text, redacted boolean)
RETURNS vcon_redis.problem[]
-- One SQL expression (inlined into the caller's plan), not PL/pgSQL statements: this runs for
-- every dialog, analysis and attachment of every save.
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
        coalesce(vcon_redis._type_problem(o -> 'encoding', p || '.encoding', 'string'),
                 CASE WHEN o ->> 'encoding' NOT IN ('base64url', 'json', 'none')
                          THEN ('error', p || '.encoding', format('unknown encoding %s (must be base64url, json or none)', o -> 'encoding'))::vcon_redis.problem
                 END),
        CASE WHEN o ? 'body' AND NOT o ? 'encoding' AND o -> 'body' <> '""'
                 THEN ('must', p || '.body', 'body without encoding (the draft requires encoding for a non-empty body)')::vcon_redis.problem
        END,
        CASE WHEN NOT o ? 'body' OR jsonb_typeof(o -> 'encoding') IS DISTINCT FROM 'string' THEN NULL
             WHEN o ->> 'encoding' = 'base64url' THEN
                 CASE WHEN jsonb_typeof(o -> 'body') <> 'string'
                          THEN ('error', p || '.body', format('must be a string with encoding base64url (got %s)', jsonb_typeof(o -> 'body')))::vcon_redis.problem
                      WHEN o ->> 'body' ~ '^[A-Za-z0-9_-]*$' THEN NULL
                      WHEN o ->> 'body' ~ '^[A-Za-z0-9_-]*={1,2}$'
                          THEN ('must', p || '.body', 'base64url body has = padding')::vcon_redis.problem
                      ELSE ('must', p || '.body', 'not base64url (characters outside A-Z a-z 0-9 - _)')::vcon_redis.problem
                 END
             WHEN o ->> 'encoding' = 'none' AND jsonb_typeof(o -> 'body') <> 'string'
                 THEN ('must', p || '.body', format('encoding none expects a string body (got %s)', jsonb_typeof(o -> 'body')))::vcon_redis.problem
        END,
        CASE WHEN o ? 'body' AND o ? 'url' THEN ('warning', p, 'has both body and url')::vcon_redis.problem END,
        CASE WHEN o ? 'url' THEN vcon_redis._url_problem(o -> 'url', p || '.url') END,
        vcon_redis._url_without_hash_problem(o, p)]
        || vcon_redis._content_hash_problems(o, p)
        || ARRAY[
        CASE WHEN o ? 'mediatype' THEN
                 coalesce(vcon_redis._type_problem(o -> 'mediatype', p || '.mediatype', 'string'),
                          CASE WHEN o ->> 'mediatype' !~ '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+\s*(;.*)?$'
                                   THEN ('must', p || '.mediatype', format('not a media type type/subtype: %s', vcon_redis._shown_value(o -> 'mediatype')))::vcon_redis.problem
                          END)
             WHEN o ? 'body' AND o -> 'body' <> '""'
                 THEN ('must', p || '.mediatype', 'missing for inline content')::vcon_redis.problem
        END,
        vcon_redis._type_problem(o -> 'filename', p || '.filename', 'string'),
        CASE WHEN kind IN ('recording', 'text') AND NOT o ? 'body' AND NOT o ? 'url' AND NOT redacted
                 THEN ('warning', p, format('%s dialog without body or url', kind))::vcon_redis.problem
        END], NULL)
$$;


-- Members of o that must be strings when present, in the order of keys: _type_problem over a list,
-- for the rare members (a list in the hot path is spelled out as inlined calls instead).
CREATE OR REPLACE FUNCTION vcon_redis._string_problems(o jsonb, p text, keys text[])
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    k text;
    r vcon_redis.problem[];
BEGIN
    FOREACH k IN ARRAY keys LOOP
        IF jsonb_typeof(o -> k) <> 'string' THEN
            r := r || vcon_redis._type_problem(o -> k, p || '.' || k, 'string');
        END IF;
    END LOOP;
    RETURN r;
END
$$;

-- The problem of a date member that failed the fast check of _date_member.
CREATE OR REPLACE FUNCTION vcon_redis._date_format_problems(s text, path text)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    msg text := vcon_redis._date_problem(s);
BEGIN
    IF msg IS NULL THEN
        RETURN NULL;
    ELSIF msg = 'no offset' THEN
        RETURN ARRAY[('must', path, 'date-time without UTC offset; taken as UTC')::vcon_redis.problem];
    END IF;
    RETURN ARRAY[('error', path, msg)::vcon_redis.problem];
END
$$;

-- A Date member k of o (path p || k); when it is absent, `missing` is the message at level
-- `missing_level` (NULL: optional). SQL, inlined: the common well-formed date costs one regular
-- expression.
CREATE OR REPLACE FUNCTION vcon_redis._date_member(o jsonb, p text, k text, missing text, missing_level text)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN NOT o ? k THEN
            CASE WHEN missing IS NOT NULL THEN ARRAY[(missing_level, p || k, missing)::vcon_redis.problem] END
        WHEN jsonb_typeof(o -> k) <> 'string' THEN
            ARRAY[('error', p || k, format('must be an RFC 3339 date-time string (got %s)', vcon_redis._shown_value(o -> k)))::vcon_redis.problem]
        WHEN vcon_redis._is_plain_rfc3339(o ->> k) THEN NULL
        ELSE vcon_redis._date_format_problems(o ->> k, p || k)
    END
$$;

-- The elements of the array a with their paths: path[0], path[1], … (the loops below walk arrays
-- with it). SQL, inlined into the caller's FROM.
CREATE OR REPLACE FUNCTION vcon_redis._elements(a jsonb, path text)
RETURNS TABLE (element jsonb, element_path text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT x, format('%s[%s]', path, i - 1) FROM jsonb_array_elements(a) WITH ORDINALITY AS e(x, i)
$$;

-- The errors of v at path indexing an array of n `what`s: an UnsignedInt, or with allow_array an
-- UnsignedInt[] (errors at path[i]); none when v is NULL.
CREATE OR REPLACE FUNCTION vcon_redis._index_problems(v jsonb, path text, n int, what text, allow_array boolean)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[] := '{}';
    e jsonb;
    e_path text;
    msg text;
BEGIN
    IF v IS NULL THEN
        RETURN r;
    END IF;
    IF jsonb_typeof(v) = 'array' AND allow_array THEN
        FOR e, e_path IN SELECT * FROM vcon_redis._elements(v, path) LOOP
            msg := vcon_redis._index_problem(e, n, what);
            IF msg IS NOT NULL THEN
                r := r || ('error', e_path, msg)::vcon_redis.problem;
            END IF;
        END LOOP;
    ELSE
        msg := vcon_redis._index_problem(v, n, what);
        IF msg IS NOT NULL THEN
            r := r || ('error', path, msg)::vcon_redis.problem;
        END IF;
    END IF;
    RETURN r;
END
$$;

-- Member k of o (at p.k) as an index, or with allow_array indices, into an array of n `what`s.
CREATE OR REPLACE FUNCTION vcon_redis._indices_problems(o jsonb, p text, k text, n int, what text, allow_array boolean)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT vcon_redis._index_problems(o -> k, p || '.' || k, n, what, allow_array)
$$;

-- The string value of a member, NULL when absent or not a string.
CREATE OR REPLACE FUNCTION vcon_redis._string_value(v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}' END
$$;

-- Members a dialog of a draft type must not have (-04 §4.3.1.6 Table 1, the X entries).
CREATE OR REPLACE FUNCTION vcon_redis._forbidden(typ text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE typ
        WHEN 'transfer' THEN ARRAY['parties', 'originator', 'mediatype', 'filename', 'body', 'url',
                                   'encoding', 'content_hash', 'session_id', 'party_history',
                                   'recordings', 'recording_set', 'message_id']
        WHEN 'incomplete' THEN ARRAY['mediatype', 'filename', 'body', 'url', 'encoding', 'content_hash',
                                     'recordings', 'recording_set', 'message_id', 'transferee',
                                     'transferor', 'transfer_target', 'original', 'consultation', 'target_dialog']
        WHEN 'recording-set' THEN ARRAY['mediatype', 'filename', 'body', 'url', 'encoding', 'content_hash',
                                        'recording_set', 'message_id', 'transferee', 'transferor',
                                        'transfer_target', 'original', 'consultation', 'target_dialog']
        WHEN 'recording' THEN ARRAY['recordings', 'transferee', 'transferor', 'transfer_target',
                                    'original', 'consultation', 'target_dialog']
        WHEN 'text' THEN ARRAY['recordings', 'recording_set', 'transferee', 'transferor', 'transfer_target',
                               'original', 'consultation', 'target_dialog']
    END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._forbidden_problems(o jsonb, p text, typ text)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[];
    k text;
BEGIN
    FOREACH k IN ARRAY vcon_redis._forbidden(typ) LOOP
        IF o ? k THEN
            r := r || ('must', p || '.' || k, format('not allowed in a dialog of type %s', typ))::vcon_redis.problem;
        END IF;
    END LOOP;
    RETURN r;
END
$$;

-- A flat array of valid indices into an array of n elements, such as the common dialog parties
-- [0, 1]: one regular expression and one jsonpath. SQL, inlined.
CREATE OR REPLACE FUNCTION vcon_redis._is_flat_index_list(v jsonb, n int) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_typeof(v) = 'array' AND v::text ~ '^\[([0-9]{1,9}(, [0-9]{1,9})*)?\]$'
           AND NOT jsonb_path_exists(v, '$[*] ? (@ >= $n)', jsonb_build_object('n', n))
$$;

-- dialog parties beyond the common flat list: nested per-channel arrays, null placeholders, errors.
CREATE OR REPLACE FUNCTION vcon_redis._dialog_parties_problems(e jsonb, p text, np int)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[];
    e2 jsonb;
    e2_path text;
BEGIN
    IF vcon_redis._is_flat_index_list(e, np) THEN
        NULL;  -- the common case
    ELSIF jsonb_typeof(e) = 'array' THEN
        FOR e2, e2_path IN SELECT * FROM vcon_redis._elements(e, p || '.parties') LOOP
            IF jsonb_typeof(e2) <> 'null' THEN   -- null: a channel placeholder
                r := r || vcon_redis._index_problems(e2, e2_path, np, 'party', true);
            END IF;
        END LOOP;
    ELSE
        r := vcon_redis._index_problems(e, p || '.parties', np, 'party', false);
    END IF;
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._party_history_problems(o jsonb, p text, np int)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[];
    h jsonb;
    k text;
    ev text;
BEGIN
    -- party_history (§4.3.13.1)
    IF o ? 'party_history' THEN
        IF jsonb_typeof(o -> 'party_history') <> 'array' THEN
            r := r || vcon_redis._type_problem(o -> 'party_history', p || '.party_history', 'array');
        ELSE
            FOR h, k IN SELECT * FROM vcon_redis._elements(o -> 'party_history', p || '.party_history') LOOP
                IF jsonb_typeof(h) <> 'object' THEN
                    r := r || vcon_redis._type_problem(h, k, 'object');
                ELSE
                    IF NOT h ? 'party' THEN
                        r := r || vcon_redis._missing_problem(h, k, 'party', 'error', 'required');
                    ELSE
                        r := r || vcon_redis._indices_problems(h, k, 'party', np, 'party', false);
                    END IF;
                    IF NOT h ? 'time' THEN
                        r := r || vcon_redis._missing_problem(h, k, 'time', 'error', 'required');
                    ELSE
                        r := r || vcon_redis._date_member(h, k || '.', 'time', NULL, NULL);
                    END IF;
                    ev := vcon_redis._string_value(h -> 'event');
                    IF NOT h ? 'event' THEN
                        r := r || vcon_redis._missing_problem(h, k, 'event', 'error', 'required');
                    ELSIF ev IS NULL OR ev NOT IN ('join', 'drop', 'hold', 'unhold', 'mute', 'unmute',
                                                   'keydown', 'keyup', 'dtmfdown', 'dtmfup') THEN
                        r := r || ('error', k || '.event', format('unknown event %s (must be join, drop, hold, unhold, mute, unmute, keydown or keyup)', vcon_redis._shown_value(h -> 'event')))::vcon_redis.problem;
                    ELSIF ev IN ('dtmfdown', 'dtmfup') THEN
                        r := r || ('warning', k || '.event', format('legacy event %s (core-01); keydown/keyup with button since core-02', ev))::vcon_redis.problem;
                    ELSIF ev IN ('keydown', 'keyup') AND NOT h ? 'button' THEN
                        r := r || ('must', k || '.button', format('missing (required for %s)', ev))::vcon_redis.problem;
                    END IF;
                    r := r || vcon_redis._string_problems(h, k, ARRAY['button']);
                END IF;
            END LOOP;
        END IF;
    END IF;
    RETURN r;
END
$$;

-- One dialog. A single SQL expression (inlined into the caller's plan, far cheaper than PL/pgSQL
-- statements); the rare nested cases are delegated to the helpers above.
CREATE OR REPLACE FUNCTION vcon_redis._dialog_problems(o jsonb, p text, np int, nd int, redacted boolean)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(
        ARRAY[
            CASE WHEN NOT o ? 'type' THEN vcon_redis._missing_problem(o, p, 'type', 'error', 'required')
                 WHEN jsonb_typeof(o -> 'type') <> 'string' THEN vcon_redis._type_problem(o -> 'type', p || '.type', 'string')
                 WHEN o ->> 'type' NOT IN ('recording', 'text', 'transfer', 'incomplete', 'recording-set')
                     THEN ('must', p || '.type', format('%s is not a dialog type of the draft (recording, text, transfer, incomplete, recording-set)', o -> 'type'))::vcon_redis.problem
            END]
        || vcon_redis._date_member(o, p || '.', 'start',
               CASE WHEN vcon_redis._string_value(o -> 'type') IN ('recording', 'text', 'incomplete', 'recording-set')
                    THEN 'missing (recommended)' END, 'warning')
        || ARRAY[
            CASE WHEN NOT o ? 'duration' THEN NULL
                 WHEN jsonb_typeof(o -> 'duration') <> 'number'
                     THEN ('error', p || '.duration', format('must be a number of seconds (got %s)', vcon_redis._shown_value(o -> 'duration')))::vcon_redis.problem
                 WHEN (o ->> 'duration')::numeric < 0
                     THEN ('error', p || '.duration', format('must not be negative (got %s)', o -> 'duration'))::vcon_redis.problem
                 WHEN (o ->> 'duration')::numeric >= 1e15
                     THEN ('error', p || '.duration', format('too large (got %s)', o -> 'duration'))::vcon_redis.problem
            END]
        -- parties: UnsignedInt | (UnsignedInt | UnsignedInt[] | null)[]; null only as a channel placeholder
        || CASE WHEN NOT o ? 'parties' THEN
                    CASE WHEN vcon_redis._string_value(o -> 'type') IN ('recording', 'text', 'recording-set')
                         THEN ARRAY[vcon_redis._missing_problem(o, p, 'parties', 'warning', 'recommended')] END
                -- the common case, without a call of _dialog_parties_problems
                WHEN vcon_redis._is_flat_index_list(o -> 'parties', np) THEN NULL
                ELSE vcon_redis._dialog_parties_problems(o -> 'parties', p, np)
           END
        || CASE WHEN o ?| ARRAY['originator', 'transferee', 'transferor', 'transfer_target', 'original',
                                'consultation', 'target_dialog', 'recording_set'] THEN
                   vcon_redis._indices_problems(o, p, 'originator', np, 'party', false)
                   || vcon_redis._indices_problems(o, p, 'transferee', np, 'party', true)
                   || vcon_redis._indices_problems(o, p, 'transferor', np, 'party', true)
                   || vcon_redis._indices_problems(o, p, 'transfer_target', np, 'party', true)
                   || vcon_redis._indices_problems(o, p, 'original', nd, 'dialog', true)
                   || vcon_redis._indices_problems(o, p, 'consultation', nd, 'dialog', true)
                   || vcon_redis._indices_problems(o, p, 'target_dialog', nd, 'dialog', true)
                   || vcon_redis._indices_problems(o, p, 'recording_set', nd, 'dialog', false)
           END
        || CASE WHEN NOT o ? 'recordings' THEN NULL
                WHEN jsonb_typeof(o -> 'recordings') <> 'array'
                    THEN ARRAY[('error', p || '.recordings', format('must be an array of dialog indices (got %s)', vcon_redis._shown_value(o -> 'recordings')))::vcon_redis.problem]
                ELSE vcon_redis._indices_problems(o, p, 'recordings', nd, 'dialog', true)
           END
        || CASE WHEN o ?| ARRAY['disposition', 'application', 'message_id']
                THEN vcon_redis._string_problems(o, p, ARRAY['disposition', 'application', 'message_id']) END
        || vcon_redis._content_problems(o, p, vcon_redis._string_value(o -> 'type'), redacted)
        -- per-type rules (-04 §4.3.1.6), only for the draft's types
        || ARRAY[
            CASE WHEN vcon_redis._string_value(o -> 'type') = 'incomplete' THEN
                     CASE WHEN NOT o ? 'disposition'
                              THEN vcon_redis._missing_problem(o, p, 'disposition', 'must', 'required for an incomplete dialog')
                          WHEN o ->> 'disposition' NOT IN ('no-answer', 'congestion', 'failed', 'busy', 'hung-up', 'voicemail-no-message')
                              THEN ('must', p || '.disposition', format('unknown disposition %s (must be no-answer, congestion, failed, busy, hung-up or voicemail-no-message)', vcon_redis._shown_value(o -> 'disposition')))::vcon_redis.problem
                     END
                 WHEN o ? 'disposition' AND vcon_redis._string_value(o -> 'type') IN ('recording', 'text', 'transfer', 'recording-set')
                     THEN ('warning', p || '.disposition', format('should only be used on an incomplete dialog (type %s)', o ->> 'type'))::vcon_redis.problem
            END,
            CASE WHEN vcon_redis._string_value(o -> 'type') = 'recording-set'
                     THEN vcon_redis._missing_problem(o, p, 'recordings', 'must', 'required for a recording-set dialog')
            END]
        || CASE WHEN o ?| vcon_redis._forbidden(vcon_redis._string_value(o -> 'type'))
                THEN vcon_redis._forbidden_problems(o, p, o ->> 'type') END
        || CASE WHEN vcon_redis._string_value(o -> 'type') = 'transfer' THEN ARRAY[
               vcon_redis._missing_problem(o, p, 'transferee', 'warning', 'recommended for a transfer dialog'),
               vcon_redis._missing_problem(o, p, 'transferor', 'warning', 'recommended for a transfer dialog'),
               vcon_redis._missing_problem(o, p, 'original', 'warning', 'recommended for a transfer dialog'),
               vcon_redis._missing_problem(o, p, 'target_dialog', 'warning', 'recommended for a transfer dialog')]
           END
        || CASE WHEN o ? 'party_history' THEN vcon_redis._party_history_problems(o, p, np) END,
        NULL)
$$;

-- One party, one analysis, one attachment: SQL expressions like _dialog_problems.
CREATE OR REPLACE FUNCTION vcon_redis._party_problems(o jsonb, p text)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
            vcon_redis._type_problem(o -> 'tel', p || '.tel', 'string'),
            vcon_redis._type_problem(o -> 'sip', p || '.sip', 'string'),
            vcon_redis._type_problem(o -> 'stir', p || '.stir', 'string'),
            vcon_redis._type_problem(o -> 'mailto', p || '.mailto', 'string'),
            vcon_redis._type_problem(o -> 'name', p || '.name', 'string'),
            vcon_redis._type_problem(o -> 'did', p || '.did', 'string'),
            vcon_redis._type_problem(o -> 'validation', p || '.validation', 'string'),
            vcon_redis._type_problem(o -> 'gmlpos', p || '.gmlpos', 'string'),
            vcon_redis._type_problem(o -> 'uuid', p || '.uuid', 'string'),
            vcon_redis._type_problem(o -> 'timezone', p || '.timezone', 'string'),
            vcon_redis._type_problem(o -> 'type', p || '.type', 'string'),
            vcon_redis._type_problem(o -> 'org', p || '.org', 'string'),
            vcon_redis._type_problem(o -> 'dept', p || '.dept', 'string'),
            vcon_redis._type_problem(o -> 'civicaddress', p || '.civicaddress', 'object'),
            CASE WHEN jsonb_typeof(o -> 'did') = 'string' AND o ->> 'did' !~ '^did:[a-z0-9]+:'
                     THEN ('must', p || '.did', 'not a DID URI (did:<method>:…)')::vcon_redis.problem END,
            CASE WHEN o ? 'name' THEN vcon_redis._missing_problem(o, p, 'validation', 'warning', 'recommended when name is present') END,
            CASE WHEN jsonb_typeof(o -> 'type') = 'string' AND o ->> 'type' NOT IN ('person', 'bot', 'organization')
                     THEN ('warning', p || '.type', format('%s is not person, bot or organization', o -> 'type'))::vcon_redis.problem END,
            CASE WHEN jsonb_typeof(o -> 'tel') = 'string' AND o ->> 'tel' !~ '^(tel:)?\+?[0-9A-Fa-f*#().-]+(;.*)?$'
                     THEN ('warning', p || '.tel', 'not a TEL URL')::vcon_redis.problem END
        ], NULL)
$$;

CREATE OR REPLACE FUNCTION vcon_redis._analysis_problems(o jsonb, p text, nd int, na int, redacted boolean)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
            vcon_redis._missing_problem(o, p, 'type', 'error', 'required'),
            vcon_redis._missing_problem(o, p, 'vendor', 'must', 'required by the draft'),
            vcon_redis._type_problem(o -> 'type', p || '.type', 'string'),
            vcon_redis._type_problem(o -> 'vendor', p || '.vendor', 'string'),
            vcon_redis._type_problem(o -> 'product', p || '.product', 'string'),
            vcon_redis._type_problem(o -> 'schema', p || '.schema', 'string')]
        || CASE WHEN o ? 'dialog' THEN vcon_redis._indices_problems(o, p, 'dialog', nd, 'dialog', true) END
        || CASE WHEN o ? 'attachment' THEN vcon_redis._indices_problems(o, p, 'attachment', na, 'attachment', true) END
        || vcon_redis._content_problems(o, p, 'analysis', redacted)
        || ARRAY[
            CASE WHEN jsonb_typeof(o -> 'type') = 'string'
                      AND o ->> 'type' NOT IN ('report', 'sentiment', 'summary', 'transcript', 'translation', 'tts')
                     THEN ('warning', p || '.type', format('%s is not one of report, sentiment, summary, transcript, translation, tts', o -> 'type'))::vcon_redis.problem END
        ], NULL)
$$;

CREATE OR REPLACE FUNCTION vcon_redis._attachment_problems(o jsonb, p text, np int, nd int, redacted boolean)
RETURNS vcon_redis.problem[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
            vcon_redis._type_problem(o -> 'purpose', p || '.purpose', 'string')]
        || vcon_redis._date_member(o, p || '.', 'start', 'missing (required by the draft)', 'must')
        || CASE WHEN o ? 'party' THEN vcon_redis._indices_problems(o, p, 'party', np, 'party', false)
                ELSE ARRAY[vcon_redis._missing_problem(o, p, 'party', 'must', 'required by the draft')] END
        || CASE WHEN o ? 'dialog' THEN vcon_redis._indices_problems(o, p, 'dialog', nd, 'dialog', false)
                ELSE ARRAY[vcon_redis._missing_problem(o, p, 'dialog', 'must', 'required by the draft')] END
        || vcon_redis._content_problems(o, p, 'attachment', redacted),
        NULL)
$$;

-- All problems of a document: raw is the input, n = _normalize(raw).
CREATE OR REPLACE FUNCTION vcon_redis._problems(raw jsonb, n jsonb)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[];
    level text;
BEGIN
    IF jsonb_typeof(raw) IS DISTINCT FROM 'object' THEN
        RETURN ARRAY[('error', '$', format('a vCon must be a JSON object (got %s)', coalesce(jsonb_typeof(raw), 'SQL NULL')))::vcon_redis.problem];
    END IF;
    IF raw ? 'payload' AND raw ? 'signatures' THEN
        RETURN ARRAY[('error', '$', 'signed vCon (JWS): not supported; store the unsigned vCon of its payload')::vcon_redis.problem];
    ELSIF raw ? 'ciphertext' AND raw ? 'recipients' THEN
        RETURN ARRAY[('error', '$', 'encrypted vCon (JWE): not supported; store the unsigned vCon')::vcon_redis.problem];
    END IF;

    r := vcon_redis._uuid_problems(n)
         || vcon_redis._date_member(n, '', 'created_at', 'missing (required by the draft); save_vcon stores the time of the first save', 'must')
         || vcon_redis._date_member(n, '', 'updated_at', NULL, NULL)
         || vcon_redis._top_member_problems(raw, n)
         || vcon_redis._redaction_problems(n)
         || vcon_redis._element_problems(n);

    -- A MUST broken without loss: an error under vcon_redis.validation = strict, else a warning.
    IF EXISTS (SELECT FROM unnest(r) x WHERE x.severity = 'must') THEN
        level := CASE WHEN vcon_redis._strict() THEN 'error' ELSE 'warning' END;
        r := ARRAY(SELECT (CASE WHEN x.severity = 'must' THEN level ELSE x.severity END, x.path, x.message)::vcon_redis.problem
                   FROM unnest(r) WITH ORDINALITY AS x(severity, path, message, i)
                   ORDER BY x.i);
    END IF;
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis._uuid_problems(n jsonb)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    u text := n ->> 'uuid';
BEGIN
    IF NOT n ? 'uuid' THEN
        RETURN ARRAY[('error', 'uuid', 'missing (required)')::vcon_redis.problem];
    ELSIF jsonb_typeof(n -> 'uuid') <> 'string' THEN
        RETURN ARRAY[vcon_redis._type_problem(n -> 'uuid', 'uuid', 'string')];
    ELSIF u !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
        RETURN ARRAY[('error', 'uuid', format('not a UUID (8-4-4-4-12 hex digits): %s', vcon_redis._shown_value(n -> 'uuid')))::vcon_redis.problem];
    END IF;
    RETURN array_remove(ARRAY[
        CASE WHEN u <> lower(u)
             THEN ('warning', 'uuid', 'upper-case hex digits; stored and returned in lower case')::vcon_redis.problem END,
        CASE WHEN substr(u, 15, 1) <> '8'
             THEN ('warning', 'uuid', format('UUID version %s; the draft recommends version 8', substr(u, 15, 1)))::vcon_redis.problem END],
        NULL);
END
$$;

-- vcon, subject, the array members, and the strings of extensions and critical.
CREATE OR REPLACE FUNCTION vcon_redis._top_member_problems(raw jsonb, n jsonb)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[] := '{}';
    k text;
    o jsonb;
    p text;
BEGIN
    IF raw ? 'vcon' THEN
        IF jsonb_typeof(raw -> 'vcon') <> 'string' THEN
            r := r || vcon_redis._type_problem(raw -> 'vcon', 'vcon', 'string');
        ELSIF raw ->> 'vcon' = '' THEN
            r := r || ('must', 'vcon', 'empty version string (omit the deprecated vcon member or use "0.4.0")')::vcon_redis.problem;
        ELSIF raw ->> 'vcon' <> '0.4.0' THEN
            r := r || ('warning', 'vcon', format('deprecated member; %s is not the current syntax version "0.4.0"', raw -> 'vcon'))::vcon_redis.problem;
        END IF;
    END IF;
    IF n ? 'subject' AND jsonb_typeof(n -> 'subject') <> 'string' THEN
        r := r || vcon_redis._type_problem(n -> 'subject', 'subject', 'string');
    END IF;

    -- arrays: null is an error here (a null parties is not "no parties" to a consumer indexing it)
    FOREACH k IN ARRAY ARRAY['parties', 'dialog', 'analysis', 'attachments', 'extensions', 'critical', 'must_support'] LOOP
        IF raw ? k AND jsonb_typeof(raw -> k) <> 'array' THEN
            r := r || vcon_redis._type_problem(raw -> k, k, 'array');
        END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['extensions', 'critical'] LOOP
        IF jsonb_typeof(n -> k) = 'array' THEN
            FOR o, p IN SELECT * FROM vcon_redis._elements(n -> k, k) LOOP
                IF jsonb_typeof(o) <> 'string' THEN
                    r := r || vcon_redis._type_problem(o, p, 'string');
                ELSIF k = 'critical' AND NOT coalesce(n -> 'extensions' @> jsonb_build_array(o), false) THEN
                    r := r || ('warning', p, format('%s is not listed in extensions', o))::vcon_redis.problem;
                END IF;
            END LOOP;
        END IF;
    END LOOP;
    RETURN r;
END
$$;

-- redacted and amended (draft §4.1.8, §4.1.9).
CREATE OR REPLACE FUNCTION vcon_redis._redaction_problems(n jsonb)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[] := '{}';
    k text;
    o jsonb;
BEGIN
    IF n ? 'redacted' AND n ? 'amended' THEN
        r := r || ('must', 'amended', 'redacted and amended are mutually exclusive')::vcon_redis.problem;
    END IF;
    FOREACH k IN ARRAY ARRAY['redacted', 'amended'] LOOP
        o := n -> k;
        CONTINUE WHEN o IS NULL;
        IF jsonb_typeof(o) <> 'object' THEN
            r := r || vcon_redis._type_problem(o, k, 'object');
            CONTINUE;
        END IF;
        r := r || vcon_redis._string_problems(o, k, ARRAY['uuid', 'type']);
        r := r || array_remove(ARRAY[CASE WHEN o ? 'url' THEN vcon_redis._url_problem(o -> 'url', k || '.url') END]
                               || vcon_redis._content_hash_problems(o, k), NULL);
        IF k = 'redacted' THEN
            r := r || array_remove(ARRAY[
                     vcon_redis._missing_problem(o, k, 'type', 'must', 'required by the draft'),
                     vcon_redis._missing_problem(o, k, 'uuid', 'warning', 'recommended: without it the unredacted version cannot be found')],
                     NULL);
        END IF;
        IF k = 'amended' AND NOT o ? 'uuid' AND NOT o ? 'url' THEN
            r := r || ('must', 'amended', 'needs uuid or url')::vcon_redis.problem;
        END IF;
        r := r || array_remove(ARRAY[vcon_redis._url_without_hash_problem(o, k)], NULL);
    END LOOP;
    RETURN r;
END
$$;

-- parties, dialog, analysis and attachments, element by element.
CREATE OR REPLACE FUNCTION vcon_redis._element_problems(n jsonb)
RETURNS vcon_redis.problem[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    r vcon_redis.problem[] := '{}';
    k text;
    o jsonb;
    p text;
    np constant int := CASE WHEN jsonb_typeof(n -> 'parties') = 'array' THEN jsonb_array_length(n -> 'parties') ELSE 0 END;
    nd constant int := CASE WHEN jsonb_typeof(n -> 'dialog') = 'array' THEN jsonb_array_length(n -> 'dialog') ELSE 0 END;
    na constant int := CASE WHEN jsonb_typeof(n -> 'attachments') = 'array' THEN jsonb_array_length(n -> 'attachments') ELSE 0 END;
    redacted constant boolean := n ? 'redacted';
BEGIN
    IF np + nd + na = 0 AND jsonb_typeof(n -> 'analysis') IS DISTINCT FROM 'array' THEN
        r := r || ('warning', '$', 'none of parties, dialog, analysis, attachments')::vcon_redis.problem;
    END IF;

    FOREACH k IN ARRAY ARRAY['parties', 'dialog', 'analysis', 'attachments'] LOOP
        CONTINUE WHEN jsonb_typeof(n -> k) IS DISTINCT FROM 'array';
        FOR o, p IN SELECT * FROM vcon_redis._elements(n -> k, k) LOOP
            IF jsonb_typeof(o) <> 'object' THEN
                r := r || vcon_redis._type_problem(o, p, 'object');
                CONTINUE;
            END IF;
            r := r || CASE k
                WHEN 'parties' THEN vcon_redis._party_problems(o, p)
                WHEN 'dialog' THEN vcon_redis._dialog_problems(o, p, np, nd, redacted)
                WHEN 'analysis' THEN vcon_redis._analysis_problems(o, p, nd, na, redacted)
                ELSE vcon_redis._attachment_problems(o, p, np, nd, redacted)
            END;
        END LOOP;
    END LOOP;
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION vcon_redis.validate_vcon(doc jsonb)
RETURNS TABLE (severity text, path text, message text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p.severity, p.path, p.message
    FROM (SELECT CASE WHEN jsonb_typeof(doc) = 'object' THEN doc || '{}' ELSE doc END AS plain) d,   -- detoast once
         unnest(vcon_redis._problems(d.plain, vcon_redis._normalize(d.plain))) WITH ORDINALITY AS p(severity, path, message, ord)
    ORDER BY p.severity = 'warning', p.ord
$$;

COMMENT ON FUNCTION vcon_redis.validate_vcon(jsonb) IS
    'every problem of a vCon document (errors first), without writing; save_vcon refuses documents with errors';
