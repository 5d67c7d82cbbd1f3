// The query part of a request target: split, percent-decoded ('+' is a space), first value wins.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vcon_redis::server::rest {

class QueryString {
public:
    // Invalid percent escapes are kept literally.
    explicit QueryString(std::string_view query);
    std::optional<std::string> get(std::string_view name) const;

private:
    std::map<std::string, std::string, std::less<>> values_;
};

// Splits a target into path and query (without '?').
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

} // namespace vcon_redis::server::rest
