// A date parameter of a search (REST and MCP `start_date`, `end_date`), checked once for both. The
// SQL functions read it as `$n::timestamptz`, which raises on a value it cannot read; this check
// accepts only what that cast reads (tests/integration/test_date_params.py compares the two), so a
// bad date is a 400 / isError naming the parameter, never a database error:
//   YYYY-MM-DD                      a calendar date, years 0001-9999 (midnight UTC)
//   YYYY-MM-DD[Tt ]hh:mm[:ss[.f…]]  hours 00-23, minutes 00-59, seconds 00-60 (60 only without a
//                                   fraction other than zeros: a leap second), any fraction digits
//   … followed by Z, z, ±hh, ±hhmm or ±hh:mm (at most ±15:59, PostgreSQL's limit); a date-time
//   without an offset is UTC, as a document's dates are (sql/21_dates.sql).
#pragma once

#include <string>
#include <string_view>

namespace vcon_redis::server {

// Empty when `text` is an acceptable date parameter; else what is wrong, worded to follow the
// parameter's name ("must be an ISO 8601 date …", "names no calendar day (2025-02-29)",
// "has a UTC offset beyond ±15:59").
std::string date_param_problem(std::string_view text);

// The text to bind for an acceptable `text`: unchanged with an offset, else read as UTC.
std::string date_param_utc(std::string_view text);

} // namespace vcon_redis::server
