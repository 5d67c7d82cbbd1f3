#include "http/access.hpp"

#include <algorithm>
#include <cctype>

namespace vconredis::server::http {
namespace {

// Compares in time that depends only on the lengths, not on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

bool BearerAuth::allows(std::string_view h) const {
    if (token_.empty()) return true;
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    if (h.size() < 7 || !iequals(h.substr(0, 6), "bearer") || h[6] != ' ') return false;
    h.remove_prefix(7);
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    return constant_time_equal(h, token_);
}

bool OriginPolicy::allows(std::string_view origin) const {
    if (origin.empty()) return true;
    for (const auto &a : allowed_) {
        if (a == "*") return true;
        std::string_view pat = a;
        if (pat.ends_with(":*")) {
            std::string_view base = pat.substr(0, pat.size() - 2);
            if (iequals(origin, base)) return true;
            if (origin.size() > base.size() + 1 && iequals(origin.substr(0, base.size()), base) &&
                origin[base.size()] == ':') {
                std::string_view port = origin.substr(base.size() + 1);
                if (port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
                    return true;
            }
        } else if (iequals(origin, pat)) {
            return true;
        }
    }
    return false;
}

} // namespace vconredis::server::http
