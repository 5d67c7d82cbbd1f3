#include "http/access.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

namespace vcon_redis::server::http {
namespace {

// ASCII case-insensitive, without the C library's per-byte locale lookup (every request checks
// Host, Origin and the token's scheme with it).
using boost::beast::iequals;

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

// "host[:port]" or "[v6][:port]" split into the host (brackets kept, a trailing dot of a name
// dropped; compare it case-insensitively) and the port text (empty when absent).
std::pair<std::string_view, std::string_view> split_host_port(std::string_view text) {
    std::string_view host = text, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close != std::string_view::npos) {
            host = text.substr(0, close + 1);
            if (close + 1 < text.size() && text[close + 1] == ':')
                port = text.substr(close + 2);
            else if (close + 1 < text.size())
                host = text; // junk after ']': never matches an entry
        }
    } else if (auto colon = text.find(':');
               colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host.size() > 1 && host.back() == '.')
        host.remove_suffix(1);
    return {host, port};
}

} // namespace

HostPolicy::HostPolicy(const std::vector<std::string> &allowed) {
    for (const auto &entry : allowed) {
        if (entry == "*") {
            any_ = true;
            continue;
        }
        const auto [host, port] = split_host_port(entry);
        Entry e{std::string(host), std::string(port)};
        for (char &c : e.host)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        allowed_.push_back(std::move(e));
    }
}

bool HostPolicy::allows(std::string_view header) const {
    while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
        header.remove_prefix(1);
    while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
        header.remove_suffix(1);
    if (header.empty() || any_)
        return true;
    const auto [host, port] = split_host_port(header);
    for (const auto &entry : allowed_)
        if (iequals(host, entry.host) && (entry.port.empty() || entry.port == port))
            return true;
    return false;
}

bool BearerAuth::allows(std::string_view h) const {
    if (token_.empty())
        return true;
    while (!h.empty() && h.front() == ' ')
        h.remove_prefix(1);
    if (h.size() < 7 || !iequals(h.substr(0, 6), "bearer") || h[6] != ' ')
        return false;
    h.remove_prefix(7);
    while (!h.empty() && h.front() == ' ')
        h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ')
        h.remove_suffix(1);
    return constant_time_equal(h, token_);
}

bool OriginPolicy::allows(std::string_view origin) const {
    if (origin.empty())
        return true;
    for (const auto &a : allowed_) {
        if (a == "*")
            return true;
        std::string_view pat = a;
        if (pat.ends_with(":*")) {
            std::string_view base = pat.substr(0, pat.size() - 2);
            if (iequals(origin, base))
                return true;
            if (origin.size() > base.size() + 1 && iequals(origin.substr(0, base.size()), base) &&
                origin[base.size()] == ':') {
                std::string_view port = origin.substr(base.size() + 1);
                if (port.size() <= 5 &&
                    std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
                    return true;
            }
        } else if (iequals(origin, pat)) {
            return true;
        }
    }
    return false;
}

} // namespace vcon_redis::server::http
