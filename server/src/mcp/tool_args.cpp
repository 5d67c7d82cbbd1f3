#include "mcp/tool_args.hpp"

#include "views/date_param.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

} // namespace

ToolArgs::ToolArgs(const json &arguments) : args_(arguments) {}

ToolArgs::ToolArgs(const json &arguments, std::string prefix)
    : args_(arguments), prefix_(std::move(prefix)) {}

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
            throw ToolError(prefix_ + name + " is required");
        return std::nullopt;
    }
    if (!v->is_string())
        throw ToolError(prefix_ + name + " must be a string");
    const auto &s = v->get_ref<const std::string &>();
    if (auto problem = text_param_problem(s, max_bytes); !problem.empty())
        throw ToolError(prefix_ + name + " " + problem);
    if (required && s.empty())
        throw ToolError(prefix_ + name + " must not be empty");
    return s;
}

std::optional<std::string> ToolArgs::timestamp(const std::string &name) {
    auto s = string(name);
    if (!s)
        return s;
    if (auto problem = date_param_problem(*s); !problem.empty())
        throw ToolError(prefix_ + name + " " + problem);
    return date_param_utc(*s);
}

std::int64_t ToolArgs::integer(const std::string &name, std::int64_t fallback, std::int64_t min,
                               std::int64_t max) {
    const json *v = find(name);
    if (!v)
        return fallback;
    const std::string range =
        prefix_ + name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
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
        throw ToolError(prefix_ + name + " must be one of: " + list);
    }
    return *s;
}

double ToolArgs::number(const std::string &name, double fallback, double min, double max) {
    const json *v = find(name);
    if (!v)
        return fallback;
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < min ||
        v->get<double>() > max) {
        std::ostringstream msg;
        msg << prefix_ << name << " must be a number from " << min << " to " << max;
        throw ToolError(msg.str());
    }
    return v->get<double>();
}

std::optional<json> ToolArgs::scalar(const std::string &name) {
    const json *v = find(name);
    if (!v)
        return std::nullopt;
    if (v->is_string())
        return json(*string(name));
    if (!v->is_number() && !v->is_boolean())
        throw ToolError(prefix_ + name + " must be a string, number, boolean or null");
    return *v;
}

bool ToolArgs::boolean(const std::string &name, bool fallback) {
    const json *v = find(name);
    if (!v)
        return fallback;
    if (!v->is_boolean())
        throw ToolError(prefix_ + name + " must be true or false");
    return v->get<bool>();
}

std::optional<json> ToolArgs::object(const std::string &name, bool required) {
    const json *v = find(name);
    if (!v) {
        if (required)
            throw ToolError(prefix_ + name + " is required");
        return std::nullopt;
    }
    if (!v->is_object())
        throw ToolError(prefix_ + name + " must be an object");
    if (auto size = v->dump(-1, ' ', false, json::error_handler_t::replace).size(); size > kMaxObjectBytes)
        throw ToolError(prefix_ + name + " is " + std::to_string(size) + " bytes of JSON (at most " +
                        std::to_string(kMaxObjectBytes) + ")");
    return *v;
}

std::optional<json> ToolArgs::tags(const std::string &name, bool required) {
    auto tags = object(name, required);
    if (!tags)
        return std::nullopt;
    const std::string label = prefix_ + name;
    if (required && tags->empty())
        throw ToolError(label +
                        " must contain at least one key/value pair, e.g. {\"department\": \"sales\"}");
    json out = json::object();
    for (const auto &[key, value] : tags->items()) {
        // Tags are stored as "key:value" strings, so a key cannot be empty or contain ':'.
        if (key.empty() || key.find(':') != std::string::npos)
            throw ToolError(label + " keys must be non-empty and must not contain ':' (tag \"" + key + "\")");
        if (value.is_string())
            out[key] = value;
        else if (value.is_number() || value.is_boolean())
            out[key] = value.dump();
        else
            throw ToolError(label + " values must be strings (tag \"" + key + "\" is " + value.type_name() +
                            ")");
        if (auto problem = text_param_problem(out[key].get_ref<const std::string &>(), kMaxTextParamBytes);
            !problem.empty())
            throw ToolError(label + " value of \"" + key + "\" " + problem);
    }
    return out;
}

std::optional<std::vector<std::string>> ToolArgs::choices(const std::string &name,
                                                          const std::vector<std::string> &choices) {
    const json *v = find(name);
    if (!v)
        return std::nullopt;
    std::string list;
    for (const auto &c : choices)
        list += (list.empty() ? "" : ", ") + c;
    const std::string wrong = prefix_ + name + " must be an array of: " + list;
    if (!v->is_array() || v->size() > 64)
        throw ToolError(wrong);
    std::vector<std::string> out;
    for (const auto &e : *v) {
        if (!e.is_string() ||
            std::find(choices.begin(), choices.end(), e.get_ref<const std::string &>()) == choices.end())
            throw ToolError(wrong + " (got " + e.dump(-1, ' ', false, json::error_handler_t::replace) + ")");
        if (std::find(out.begin(), out.end(), e.get_ref<const std::string &>()) == out.end())
            out.push_back(e.get<std::string>());
    }
    if (out.empty())
        return std::nullopt;
    return out;
}

std::optional<std::vector<double>> ToolArgs::numbers(const std::string &name, std::size_t max_size) {
    const json *v = find(name);
    if (!v)
        return std::nullopt;
    const std::string wrong =
        prefix_ + name + " must be an array of at most " + std::to_string(max_size) + " numbers";
    if (!v->is_array() || v->size() > max_size)
        throw ToolError(wrong);
    std::vector<double> out;
    out.reserve(v->size());
    for (const auto &e : *v) {
        if (!e.is_number() || !std::isfinite(e.get<double>()))
            throw ToolError(wrong);
        out.push_back(e.get<double>());
    }
    return out;
}

ToolArgs ToolArgs::nested(const std::string &name) {
    static const json empty = json::object();
    const json *v = find(name);
    if (!v)
        return ToolArgs(empty, prefix_ + name + ".");
    if (!v->is_object())
        throw ToolError(prefix_ + name + " must be an object");
    return ToolArgs(*v, prefix_ + name + ".");
}

bool ToolArgs::given(const std::string &name) const {
    auto it = args_.find(name);
    return it != args_.end() && !it->is_null();
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
    throw ToolError("unknown argument(s)" +
                    (prefix_.empty() ? std::string() : " in " + prefix_.substr(0, prefix_.size() - 1)) +
                    ": " + unknown + " (accepted: " + accepted + ")");
}

} // namespace vcon_redis::server::mcp
