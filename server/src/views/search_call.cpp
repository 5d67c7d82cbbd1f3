#include "views/search_call.hpp"

namespace vcon_redis::server {

namespace {

// $1-$6 the filters, $7 limit, $8 offset, $9 tags, $10 with_count. The page asks for one row more
// than the limit (search_vcons caps lim at search_vcons_max_lim(), so up to one less): that row, when it
// comes, says there is more, with no second search. The count past the end is asked only then. An empty first
// page has 0 matches, counted or not. has_more: a page shorter than the limit is the last one; otherwise the
// extra row says it, or at the cap, the count, or uncounted, a second page query of one row (never a count).
constexpr const char *kMetadataSearchSql = R"sql(
WITH page AS (
    SELECT * FROM vcon_redis.search_vcons($1::text, $2::text, $3::text, $4::text, $5::timestamptz,
                                          $6::timestamptz, least($7::int + 1, vcon_redis.search_vcons_max_lim()),
                                          $8::int, $9::jsonb, $10::boolean)
                  WITH ORDINALITY),
n AS (SELECT count(*) FILTER (WHERE ordinality <= $7::int) AS found, count(*) > $7::int AS more,
             max(total_count) AS total
      FROM page)
SELECT jsonb_build_object(
    'rows', coalesce((SELECT jsonb_agg(to_jsonb(page) - 'total_count' - 'ordinality' ORDER BY ordinality)
                      FROM page WHERE ordinality <= $7::int), '[]'::jsonb),
    'total', CASE WHEN n.found > 0 THEN n.total
                  WHEN $8::int > 0 AND $10::boolean THEN coalesce((SELECT max(total_count)
                      FROM vcon_redis.search_vcons($1::text, $2::text, $3::text, $4::text, $5::timestamptz,
                                                   $6::timestamptz, 1, 0, $9::jsonb)), 0)
                  WHEN $8::int > 0 THEN NULL
                  ELSE 0 END,
    'has_more', CASE WHEN n.more THEN true
                     WHEN n.found < $7::int OR $7::int < vcon_redis.search_vcons_max_lim() THEN false
                     WHEN n.total IS NOT NULL THEN $8::int + n.found < n.total
                     ELSE EXISTS (SELECT FROM vcon_redis.search_vcons(
                              $1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::timestamptz, 1,
                              least($8::bigint + $7::int, 2147483647)::int, $9::jsonb, false)) END)
FROM n
)sql";

} // namespace

SqlCall metadata_search_call(const MetadataFilter &f, std::int64_t limit, std::int64_t offset,
                             bool with_count) {
    return {kMetadataSearchSql,
            {f.subject, f.party_name, f.party_email, f.party_tel, f.start_date, f.end_date,
             std::to_string(limit), std::to_string(offset), f.tags,
             std::string(with_count ? "true" : "false")}};
}

std::optional<MetadataPage> metadata_page(nlohmann::json doc) {
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("rows") || !doc["rows"].is_array() ||
        !doc.contains("total") || !(doc["total"].is_number_integer() || doc["total"].is_null()) ||
        !doc.contains("has_more") || !doc["has_more"].is_boolean())
        return std::nullopt;
    MetadataPage page{std::move(doc["rows"]), std::nullopt, doc["has_more"].get<bool>()};
    if (doc["total"].is_number_integer())
        page.total = doc["total"].get<std::int64_t>();
    return page;
}

SqlCall content_search_call(const ContentFilter &f, std::int64_t limit) {
    return {json_rows_sql("vcon_redis.search_vcons_content($1::text, $2::timestamptz, $3::timestamptz, "
                          "$4::int, $5::jsonb)"),
            {f.query, f.start_date, f.end_date, std::to_string(limit), f.tags}};
}

SqlCall content_count_call(const ContentFilter &f) {
    return {"SELECT to_jsonb(vcon_redis.search_vcons_content_count($1::text, $2::timestamptz, "
            "$3::timestamptz, $4::jsonb))",
            {f.query, f.start_date, f.end_date, f.tags}};
}

std::string json_rows_sql(std::string_view call) {
    // ROWS FROM … WITH ORDINALITY keeps the function's ranking order through jsonb_agg; the
    // ordinality column is dropped again from each row.
    return "SELECT coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'::jsonb) "
           "FROM ROWS FROM (" +
           std::string(call) + ") WITH ORDINALITY AS t";
}

} // namespace vcon_redis::server
