-- The extension's own types. Like the tables of 00_outbox.sql, types are created once and changed
-- only by upgrade scripts (sql/upgrade/); every other part of sql/ is code that an upgrade script
-- re-runs as it is (CREATE OR REPLACE).

-- One problem found by validation. severity is 'error', 'must' or 'warning' inside (sql/25_validate.sql);
-- _problems hands out 'error' or 'warning' only.
CREATE TYPE vcon_redis.problem AS (severity text, path text, message text);
