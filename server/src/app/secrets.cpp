#include "app/secrets.hpp"

#include <algorithm>

namespace vcon_redis::server {

std::vector<std::pair<std::size_t, std::size_t>> password_spans(std::string_view url) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
        const std::size_t start = scheme + 3;
        const auto at = url.find('@', start), slash = url.find('/', start);
        if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
            const auto colon = url.find(':', start);
            if (colon != std::string_view::npos && colon < at)
                out.emplace_back(colon + 1, at - colon - 1);
        }
    }
    for (auto p = url.find("password="); p != std::string_view::npos; p = url.find("password=", p + 9)) {
        if (p > 0 && url[p - 1] != '?' && url[p - 1] != '&' && url[p - 1] != ' ')
            continue; // e.g. "xpassword="
        std::size_t start = p + 9, end = 0;
        if (start < url.size() && url[start] == '\'') {
            end = start + 1;
            while (end < url.size() && url[end] != '\'')
                end += url[end] == '\\' ? 2 : 1;
            end = std::min(end + 1, url.size());
        } else {
            end = url.find_first_of("& ", start);
            if (end == std::string_view::npos)
                end = url.size();
        }
        if (end > start)
            out.emplace_back(start, end - start);
    }
    return out;
}

std::string redact_passwords(std::string text, std::string_view url) {
    for (auto [offset, length] : password_spans(url)) {
        const std::string secret(url.substr(offset, length));
        for (auto p = text.find(secret); p != std::string::npos; p = text.find(secret, p + 3))
            text.replace(p, secret.size(), "***");
    }
    return text;
}

} // namespace vcon_redis::server
