#include "mcp/tool_args.hpp"

#include <cctype>
#include <cmath>

namespace vconredis::server::mcp {

namespace {

using nlohmann::json;

bool digits(const std::string &s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size())
        return false;
    for (std::size_t i = pos; i < pos + n; ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i])))
            return false;
    return true;
}

// YYYY-MM-DD, optionally followed by [T ]hh:mm[:ss[.fraction]] and Z or ±hh[[:]mm]. Shape only:
// PostgreSQL still judges ranges (month 13 is reported by the database).
bool looks_like_timestamp(const std::string &s) {
    if (!digits(s, 0, 4) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' ||
        !digits(s, 8, 2))
        return false;
    std::size_t i = 10;
    if (i == s.size())
        return true;
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
        return false;
    ++i;
    if (!digits(s, i, 2) || i + 2 >= s.size() || s[i + 2] != ':' || !digits(s, i + 3, 2))
        return false;
    i += 5;
    if (i < s.size() && s[i] == ':') {
        if (!digits(s, i + 1, 2))
            return false;
        i += 3;
        if (i < s.size() && s[i] == '.') {
            ++i;
            const std::size_t start = i;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
                ++i;
            if (i == start)
                return false;
        }
    }
    if (i == s.size())
        return true;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size())
        return true;
    if (s[i] != '+' && s[i] != '-')
        return false;
    ++i;
    if (!digits(s, i, 2))
        return false;
    i += 2;
    if (i < s.size() && s[i] == ':')
        ++i;
    if (i == s.size())
        return true;
    return digits(s, i, 2) && i + 2 == s.size();
}

} // namespace

ToolArgs::ToolArgs(const json &arguments) : args_(arguments) {}

const json *ToolArgs::find(const std::string &name) {
    known_.insert(name);
    auto it = args_.find(name);
    if (it == args_.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::optional<std::string> ToolArgs::string(const std::string &name, bool required, std::size_t max_bytes) {
    const json *v = find(name);
    if (!v) {
        if (required)
            throw ToolError(name + " is required");
        return std::nullopt;
    }
    if (!v->is_string())
        throw ToolError(name + " must be a string");
    const auto &s = v->get_ref<const std::string &>();
    if (auto problem = text_param_problem(s, max_bytes); !problem.empty())
        throw ToolError(name + " " + problem);
    if (required && s.empty())
        throw ToolError(name + " must not be empty");
    return s;
}

std::optional<std::string> ToolArgs::timestamp(const std::string &name) {
    auto s = string(name);
    if (s && !looks_like_timestamp(*s))
        throw ToolError(name + " must be an ISO 8601 date or date-time, e.g. 2025-01-31 or "
                               "2025-01-31T12:00:00Z");
    return s;
}

std::int64_t ToolArgs::integer(const std::string &name, std::int64_t fallback, std::int64_t min,
                               std::int64_t max) {
    const json *v = find(name);
    if (!v)
        return fallback;
    const std::string range =
        name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    std::int64_t n = 0;
    if (v->is_number_integer()) {
        if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max))
            throw ToolError(range);
        n = v->get<std::int64_t>();
    } else if (v->is_number_float()) {
        const double d = v->get<double>();
        if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
            d > static_cast<double>(max))
            throw ToolError(range);
        n = static_cast<std::int64_t>(d);
    } else {
        throw ToolError(range);
    }
    if (n < min || n > max)
        throw ToolError(range);
    return n;
}

std::string ToolArgs::choice(const std::string &name, const std::set<std::string> &choices,
                             const std::string &fallback) {
    auto s = string(name);
    if (!s)
        return fallback;
    if (!choices.count(*s)) {
        std::string list;
        for (const auto &c : choices)
            list += (list.empty() ? "" : ", ") + c;
        throw ToolError(name + " must be one of: " + list);
    }
    return *s;
}

std::optional<json> ToolArgs::object(const std::string &name, bool required) {
    const json *v = find(name);
    if (!v) {
        if (required)
            throw ToolError(name + " is required");
        return std::nullopt;
    }
    if (!v->is_object())
        throw ToolError(name + " must be an object");
    if (auto size = v->dump(-1, ' ', false, json::error_handler_t::replace).size(); size > kMaxObjectBytes)
        throw ToolError(name + " is " + std::to_string(size) + " bytes of JSON (at most " +
                        std::to_string(kMaxObjectBytes) + ")");
    return *v;
}

void ToolArgs::reject_unknown() const {
    std::string unknown;
    for (const auto &[key, value] : args_.items())
        if (!known_.count(key))
            unknown += (unknown.empty() ? "" : ", ") + key;
    if (unknown.empty())
        return;
    std::string accepted;
    for (const auto &k : known_)
        accepted += (accepted.empty() ? "" : ", ") + k;
    throw ToolError("unknown argument(s): " + unknown + " (accepted: " + accepted + ")");
}

} // namespace vconredis::server::mcp
