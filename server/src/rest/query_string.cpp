#include "rest/query_string.hpp"

#include "text/percent.hpp"

namespace vcon_redis::server::rest {
namespace {

std::string decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (int byte = text::percent_escape_byte(s, i); byte >= 0) {
            out.push_back(static_cast<char>(byte));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

} // namespace

QueryString::QueryString(std::string_view query) {
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            std::string name = decode(pair.substr(0, eq));
            std::string value = eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
            values_.try_emplace(std::move(name), std::move(value));
        }
        if (amp == std::string_view::npos)
            break;
        query.remove_prefix(amp + 1);
    }
}

std::optional<std::string> QueryString::get(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end())
        return std::nullopt;
    return it->second;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
    auto q = target.find('?');
    if (q == std::string_view::npos)
        return {target, {}};
    return {target.substr(0, q), target.substr(q + 1)};
}

} // namespace vcon_redis::server::rest
