-- Dates: which strings are RFC 3339 date-times, and the instant each one names.
--
-- A document's dates are stored as timestamptz and given back in one form, UTC
-- (YYYY-MM-DDTHH:MM:SS[.ffffff]Z). A date without an offset (legacy conserver data) is taken as UTC.

-- The common, unambiguous RFC 3339 date-time with an offset (day <= 28 needs no calendar): the fast
-- path of every date check, one regular expression. SQL, inlined.
CREATE OR REPLACE FUNCTION vcon_redis._is_plain_rfc3339(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s ~ '^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-](0[0-9]|1[0-5]):[0-5][0-9])$'
$$;

-- NULL when s is an RFC 3339 date-time with an offset; 'no offset' when it is one without an
-- offset (legacy conserver data); otherwise the error message. Checked without casting, so a bad
-- date never raises (PostgreSQL 15 has no soft cast), and whatever passes casts safely.
CREATE OR REPLACE FUNCTION vcon_redis._date_problem(s text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    m text[];
    y int; mo int; d int;
BEGIN
    IF vcon_redis._is_plain_rfc3339(s) THEN
        RETURN NULL;
    END IF;
    m := regexp_match(s, '^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]+)?)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))?$');
    IF m IS NULL OR m[6] IS NULL AND m[8] IS NOT NULL THEN
        RETURN format('not an RFC 3339 date-time: %s', to_jsonb(left(s, 60)));
    END IF;
    y := m[1]::int; mo := m[2]::int; d := m[3]::int;
    IF y < 1 OR mo NOT BETWEEN 1 AND 12 OR d < 1
       OR d > extract(day FROM make_date(y, mo, 1) + interval '1 month - 1 day')
       OR m[4]::int > 23 OR m[5]::int > 59 OR coalesce(m[6]::int, 0) > 60
       OR coalesce(m[9]::int, 0) > 15 OR coalesce(m[10]::int, 0) > 59 THEN
        RETURN format('not a valid date-time: %s', to_jsonb(left(s, 60)));
    END IF;
    IF m[8] IS NULL THEN
        RETURN 'no offset';
    END IF;
    RETURN NULL;
END
$$;

-- The instant of a date that passed _date_problem; a value without offset is taken as UTC.
CREATE OR REPLACE FUNCTION vcon_redis._to_timestamptz(s text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s ~ '([Zz]|[+-][0-9]{2}:[0-9]{2})$' THEN upper(s)::timestamptz
                ELSE upper(s)::timestamp AT TIME ZONE 'UTC' END
$$;
