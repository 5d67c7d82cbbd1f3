// The search date parameter check (server/src/views/date_param.hpp) that REST and MCP share:
// what it accepts is what PostgreSQL's timestamptz input reads (the integration test
// test_date_params.py holds each accepted value against the real cast).
#include "views/date_param.hpp"

#include <gtest/gtest.h>

using vcon_redis::server::date_param_problem;
using vcon_redis::server::date_param_utc;

TEST(DateParam, AcceptsDatesAndDateTimes) {
    for (const char *ok :
         {"2025-01-31", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "2025-01-31T12:00:00Z",
          "2025-01-31t12:00:00z", "2025-01-31 12:00", "2025-01-31T12:00Z", "2025-01-31T23:59:60Z",
          "2025-01-31T23:59:60.000Z", "2025-01-31T12:00:00.123456789+02:00", "2025-01-31T12:00:00-0500",
          "2025-01-31T12:00:00+01", "2025-01-31T12:00:00+15:59", "2025-01-31T12:00:00-15:59",
          "2025-01-31T00:00:00.5"})
        EXPECT_EQ(date_param_problem(ok), "") << ok;
}

TEST(DateParam, RefusesGarbageWithTheShape) {
    for (const char *bad : {"",
                            "yesterday",
                            "2025-1-31",
                            "25-01-31",
                            "2025/01/31",
                            "2025-01-31T",
                            "2025-01-31T12",
                            "2025-01-31T12:0",
                            "2025-01-31T12:00:0",
                            "2025-01-31T12:00:00.",
                            "2025-01-31T12:00:00.Z",
                            "2025-01-31T12:00:00+1",
                            "2025-01-31T12:00:00+01:",
                            "2025-01-31T12:00:00+01:0",
                            "2025-01-31T12:00:00+01:000",
                            "2025-01-31Z",
                            "2025-01-31; DROP TABLE x",
                            "2025-01-31T12:00:00Z ",
                            " 2025-01-31",
                            "2025-01-31T12:00:00 UTC",
                            "2025-01-31T12:00:00ZZ",
                            "２０２５-01-31"}) {
        const std::string problem = date_param_problem(bad);
        EXPECT_EQ(problem.rfind("must be an ISO 8601 date or date-time", 0), 0u) << bad << ": " << problem;
    }
}

TEST(DateParam, RefusesValuesOutOfRange) {
    for (const char *bad : {"0000-01-01", "2025-00-10", "2025-13-01", "2025-01-00", "2025-01-32",
                            "2025-02-29", "1900-02-29", "2025-04-31"})
        EXPECT_EQ(date_param_problem(bad).rfind("names no calendar day (", 0), 0u) << bad;
    for (const char *bad :
         {"2025-01-31T24:00:00Z", "2025-01-31T12:60Z", "2025-01-31T12:00:61Z", "2025-01-31T23:59:60.5Z"})
        EXPECT_EQ(date_param_problem(bad).rfind("names no time of day", 0), 0u) << bad;
    for (const char *bad :
         {"2025-01-31T12:00:00+16:00", "2025-01-31T12:00:00-00:60", "2025-01-31T12:00:00+1560"})
        EXPECT_EQ(date_param_problem(bad), "has a UTC offset beyond ±15:59") << bad;
}

TEST(DateParam, ANameWithoutOffsetIsUtc) {
    EXPECT_EQ(date_param_utc("2025-01-31"), "2025-01-31T00:00:00Z");
    EXPECT_EQ(date_param_utc("2025-01-31T12:00"), "2025-01-31T12:00Z");
    EXPECT_EQ(date_param_utc("2025-01-31 12:00:00.5"), "2025-01-31 12:00:00.5Z");
    EXPECT_EQ(date_param_utc("2025-01-31T12:00:00z"), "2025-01-31T12:00:00z");
    EXPECT_EQ(date_param_utc("2025-01-31T12:00:00-05"), "2025-01-31T12:00:00-05");
    EXPECT_EQ(date_param_utc("2025-01-31T12:00:00+05:30"), "2025-01-31T12:00:00+05:30");
}
