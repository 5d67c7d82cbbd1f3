#include "redis/redirect.hpp"

#include <charconv>

namespace vcon_redis::redis {
namespace {

bool parse_int(std::string_view s, int &out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool starts_with_code(std::string_view text, std::string_view code) {
    return text.starts_with(code) && (text.size() == code.size() || text[code.size()] == ' ');
}

} // namespace

std::optional<Redirect> parse_redirect(std::string_view t, const std::string &asked_host) {
    Redirect r{};
    if (starts_with_code(t, "MOVED"))
        r.kind = Redirect::Kind::moved;
    else if (starts_with_code(t, "ASK"))
        r.kind = Redirect::Kind::ask;
    else
        return std::nullopt;
    t.remove_prefix(r.kind == Redirect::Kind::moved ? 6 : 4);
    auto space = t.find(' ');
    if (space == std::string_view::npos || !parse_int(t.substr(0, space), r.slot) || r.slot < 0 ||
        r.slot >= 16384)
        return std::nullopt;
    std::string_view endpoint = t.substr(space + 1);
    auto colon = endpoint.rfind(':'); // an IPv6 address holds colons too: the port follows the last
    if (colon == std::string_view::npos || !parse_int(endpoint.substr(colon + 1), r.to.port) ||
        r.to.port <= 0 || r.to.port > 65535)
        return std::nullopt;
    std::string_view host = endpoint.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    r.to.host = host.empty() || host == "?" ? asked_host : std::string(host);
    return r;
}

std::optional<Redirect> parse_redirect(const redisReply &reply, const std::string &asked_host) {
    if (!is_error(reply))
        return std::nullopt;
    return parse_redirect(text(reply), asked_host);
}

bool is_cluster_redirect_or_reshard(const redisReply &reply) noexcept {
    if (!is_error(reply))
        return false;
    std::string_view t = text(reply);
    for (std::string_view code : {"MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN"})
        if (starts_with_code(t, code))
            return true;
    return false;
}

} // namespace vcon_redis::redis
