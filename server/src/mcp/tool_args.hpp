// Reading and validating a tools/call `arguments` object. Every problem is a ToolError, which the
// caller turns into a result with isError:true (since 2025-11-25 input validation errors are tool
// execution errors, so the model sees the message and can correct its call).
#pragma once

#include "store/text_param.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace vcon_redis::server::mcp {

// A failure to report to the model as an execution error; the message is shown verbatim.
class ToolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ToolArgs {
public:
    explicit ToolArgs(const nlohmann::json &arguments); // object (may be empty)
    ToolArgs(const nlohmann::json &arguments, std::string prefix);

    // A string argument; absent or null → nullopt. `required` makes absence an error. Every string
    // is a query parameter's text: at most max_bytes, no NUL (store/text_param.hpp).
    std::optional<std::string> string(const std::string &name, bool required = false,
                                      std::size_t max_bytes = kMaxTextParamBytes);
    // A date parameter (views/date_param.hpp), returned as the text to bind (UTC when it names no
    // offset); validated here so a typo is reported as such, not as a database error.
    std::optional<std::string> timestamp(const std::string &name);
    // An integer in [min, max]; absent → fallback. Integral floats (10.0) are accepted.
    std::int64_t integer(const std::string &name, std::int64_t fallback, std::int64_t min, std::int64_t max);
    // One of `choices`; absent → fallback.
    std::string choice(const std::string &name, const std::set<std::string> &choices,
                       const std::string &fallback);
    // A number in [min, max]; absent → fallback.
    double number(const std::string &name, double fallback, double min, double max);
    // A string, number or boolean, as given (strings bounded like string()); absent or null → nullopt.
    std::optional<nlohmann::json> scalar(const std::string &name);
    // A boolean; absent → fallback.
    bool boolean(const std::string &name, bool fallback);
    // A JSON object argument (raw); absent → nullopt. Its JSON text is at most kMaxObjectBytes.
    static constexpr std::size_t kMaxObjectBytes = 4096;
    std::optional<nlohmann::json> object(const std::string &name, bool required = false);
    // vcon-mcp's `tags` filter: an object of "key": "value" pairs, returned with every value as a
    // string (numbers and booleans are written as JSON writes them, as vcon-mcp's String() does).
    // Keys must be non-empty without ':' (tags are stored as "key:value"); objects, arrays and
    // null values are refused. `required` also refuses an empty object.
    std::optional<nlohmann::json> tags(const std::string &name, bool required = false);
    // An array of strings each one of `choices`, duplicates dropped (first occurrence kept);
    // absent, null or empty → nullopt.
    std::optional<std::vector<std::string>> choices(const std::string &name,
                                                    const std::vector<std::string> &choices);
    // An array of at most max_size finite numbers (an embedding); absent or null → nullopt.
    std::optional<std::vector<double>> numbers(const std::string &name, std::size_t max_size);
    // A member of an object argument read as its own ToolArgs (vcon_search's `filters`).
    ToolArgs nested(const std::string &name);

    // Whether the argument is present and not null.
    bool given(const std::string &name) const;

    // Rejects names that were never asked for: a misspelt or unsupported filter must not be
    // silently ignored, or the model would trust an unfiltered result.
    void reject_unknown() const;

private:
    const nlohmann::json *find(const std::string &name);

    const nlohmann::json &args_;
    std::set<std::string> known_;
    std::string prefix_; // "filters." for a nested object: names in messages are the full path
};

} // namespace vcon_redis::server::mcp
