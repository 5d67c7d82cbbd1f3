-- Upgrade 0.2.0 → 0.3.0, part 1 of 3: what changes in the objects created once (tables, types),
-- and the functions whose signature or result changed (CREATE OR REPLACE cannot change those).
-- Part 2 is every code file of sql/ as it is; part 3 is 0.2.0--0.3.0.post.sql.

-- The search functions take a tags filter (vcon-mcp's `tags` parameter).
DROP FUNCTION vcon_redis.search_vcons(text, text, text, text, timestamptz, timestamptz, integer, integer);
DROP FUNCTION vcon_redis.search_vcons_content(text, timestamptz, timestamptz, integer);
DROP FUNCTION vcon_redis._tag_filter(jsonb);                            -- errors name their caller
DROP FUNCTION vcon_redis._drain_documents(uuid[]);                      -- documents as compact text

-- Several drain workers (vcon_redis.workers): the workers' state and status() have one row per
-- worker, with the worker's number as a new last column.
DROP FUNCTION vcon_redis.status();
DROP FUNCTION vcon_redis._worker_state();
