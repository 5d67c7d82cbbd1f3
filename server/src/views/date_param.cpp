#include "views/date_param.hpp"

#include <optional>

namespace vcon_redis::server {

namespace {

// The number the next n characters spell as decimal digits, consuming them; nullopt otherwise.
std::optional<int> take_digits(std::string_view &s, std::size_t n) {
    if (s.size() < n)
        return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    return v;
}

bool take(std::string_view &s, char c) {
    if (s.empty() || s[0] != c)
        return false;
    s.remove_prefix(1);
    return true;
}

int days_in_month(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

const std::string kShape = "must be an ISO 8601 date or date-time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z";

// What follows the date: [Tt ]hh:mm[:ss[.fraction]] and an optional offset. `has_offset` is set
// when an offset is present.
std::string time_problem(std::string_view t, bool &has_offset) {
    if (!take(t, 'T') && !take(t, 't') && !take(t, ' '))
        return kShape;
    auto hour = take_digits(t, 2);
    std::optional<int> minute;
    if (!hour || !take(t, ':') || !(minute = take_digits(t, 2)))
        return kShape;
    if (*hour > 23 || *minute > 59)
        return "names no time of day (hours 00-23, minutes 00-59, seconds 00-60)";
    if (take(t, ':')) {
        auto second = take_digits(t, 2);
        if (!second)
            return kShape;
        bool zero_fraction = true;
        if (take(t, '.')) {
            std::size_t n = 0;
            for (; n < t.size() && t[n] >= '0' && t[n] <= '9'; ++n)
                if (t[n] != '0')
                    zero_fraction = false;
            if (n == 0)
                return kShape;
            t.remove_prefix(n);
        }
        if (*second > 60 || (*second == 60 && !zero_fraction))
            return "names no time of day (hours 00-23, minutes 00-59, seconds 00-60)";
    }
    has_offset = !t.empty();
    if (t.empty() || t == "Z" || t == "z")
        return {};
    if (!take(t, '+') && !take(t, '-'))
        return kShape;
    auto off_hour = take_digits(t, 2);
    if (!off_hour)
        return kShape;
    int off_minute = 0;
    if (!t.empty()) {
        take(t, ':');
        auto m = take_digits(t, 2);
        if (!m || !t.empty())
            return kShape;
        off_minute = *m;
    }
    if (*off_hour > 15 || off_minute > 59)
        return "has a UTC offset beyond ±15:59";
    return {};
}

std::string problem(std::string_view text, bool &has_offset) {
    has_offset = false;
    std::string_view s = text;
    auto year = take_digits(s, 4);
    std::optional<int> month, day;
    if (!year || !take(s, '-') || !(month = take_digits(s, 2)) || !take(s, '-') || !(day = take_digits(s, 2)))
        return kShape;
    if (*year < 1 || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month))
        return "names no calendar day (" + std::string(text.substr(0, 10)) + ")";
    if (s.empty())
        return {};
    return time_problem(s, has_offset);
}

} // namespace

std::string date_param_problem(std::string_view text) {
    bool has_offset = false;
    return problem(text, has_offset);
}

std::string date_param_utc(std::string_view text) {
    bool has_offset = false;
    problem(text, has_offset);
    if (has_offset)
        return std::string(text);
    return std::string(text) + (text.size() == 10 ? "T00:00:00Z" : "Z");
}

} // namespace vcon_redis::server
