#include "redis/url.hpp"

#include "text/percent.hpp"

#include <sys/un.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

namespace vcon_redis::redis {
namespace {

[[noreturn]] void fail(const std::string &what) {
    throw UrlError("redis_url: " + what);
}

// The delimiters of the grammar, shared by the parser and mask_credentials: the authority
// ([userinfo@]host[:port]) runs to the first '/' or '?'; the userinfo to the last '@' of the
// authority (so a password may hold '@'); user and password split at the first ':' of the userinfo.
std::string_view authority_of(std::string_view rest) {
    return rest.substr(0, rest.find_first_of("/?"));
}

std::size_t userinfo_end(std::string_view authority) {
    return authority.rfind('@');
}

std::size_t password_colon(std::string_view userinfo) {
    return userinfo.find(':');
}

// `what` names the component; the text itself is never quoted (it may be a password).
std::string percent_decode(std::string_view s, const char *what) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        int byte = text::percent_escape_byte(s, i);
        if (byte < 0)
            fail(std::string("bad percent-encoding in the ") + what);
        out.push_back(static_cast<char>(byte));
        i += 2;
    }
    return out;
}

void percent_encode_to(std::string_view s, std::string &out) {
    static constexpr char digits[] = "0123456789ABCDEF";
    for (unsigned char c : s) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '.' || c == '_' || c == '~';
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
}

int parse_int(std::string_view s, int lo, int hi, const char *what) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
        fail(std::string("invalid ") + what + " (expected " + std::to_string(lo) + ".." + std::to_string(hi) +
             ")");
    return v;
}

// Only a short token made of scheme characters is ever echoed.
std::string printable_scheme(std::string_view s) {
    if (s.empty() || s.size() > 20)
        return {};
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '-' || c == '.' || c == '_'))
            return {};
    return std::string(s);
}

// user[:password] before '@' (split at the first ':').
void parse_userinfo(std::string_view info, Url &u) {
    auto colon = password_colon(info);
    u.user = percent_decode(info.substr(0, colon), "user");
    if (colon != std::string_view::npos)
        u.password = percent_decode(info.substr(colon + 1), "password");
}

bool parse_bool(std::string_view v, const char *what) {
    if (v == "yes" || v == "true" || v == "on" || v == "1")
        return true;
    if (v == "no" || v == "false" || v == "off" || v == "0")
        return false;
    fail(std::string("invalid ") + what + " (expected yes or no)");
}

void parse_query(std::string_view query, Url &u) {
    bool tls_param = false;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty())
            continue;
        auto eq = pair.find('=');
        std::string_view name = pair.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (name == "db")
            u.db = parse_int(value, 0, 1 << 20, "db");
        else if (name == "password")
            u.password = percent_decode(value, "password");
        else if (name == "user" || name == "username")
            u.user = percent_decode(value, "user");
        else if (name == "sentinel_password" && u.kind == Url::Kind::Sentinel)
            u.sentinel_password = percent_decode(value, "sentinel_password");
        else if (name == "sentinel_user" && u.kind == Url::Kind::Sentinel)
            u.sentinel_user = percent_decode(value, "sentinel_user");
        else if (name.starts_with("tls_")) {
            tls_param = true;
            if (name == "tls_ca_file")
                u.tls.ca_file = percent_decode(value, "tls_ca_file");
            else if (name == "tls_cert_file")
                u.tls.cert_file = percent_decode(value, "tls_cert_file");
            else if (name == "tls_key_file")
                u.tls.key_file = percent_decode(value, "tls_key_file");
            else if (name == "tls_server_name")
                u.tls.server_name = percent_decode(value, "tls_server_name");
            else if (name == "tls_verify")
                u.tls.verify = parse_bool(value, "tls_verify");
            else
                fail("unknown query parameter \"" + printable_scheme(name) +
                     "\" (TLS: tls_ca_file, tls_cert_file, tls_key_file, tls_server_name, tls_verify)");
        } else
            fail("unknown query parameter \"" + printable_scheme(name) + "\" (use db, user, password" +
                 (u.kind == Url::Kind::Sentinel ? ", sentinel_user, sentinel_password" : "") + ", tls_*)");
    }
    if (tls_param && !u.tls.enabled)
        fail("tls_* parameters need a TLS URL (rediss://, rediss+sentinel:// or rediss+cluster://)");
}

// host[:port] or [v6][:port]
HostPort parse_host_port(std::string_view authority, int default_port) {
    HostPort hp;
    hp.port = default_port;
    std::string_view port;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            fail("unterminated IPv6 address (missing ']')");
        hp.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':')
                fail("unexpected text after the IPv6 address");
            port = after.substr(1);
            if (port.empty())
                fail("invalid port (expected 1..65535)");
        }
    } else {
        auto colon = authority.find(':');
        hp.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty())
                fail("invalid port (expected 1..65535)");
        }
    }
    if (hp.host.empty())
        fail("missing host (redis://host[:port][/db])");
    if (!port.empty())
        hp.port = parse_int(port, 1, 65535, "port");
    return hp;
}

// host[:port][,host[:port]…]
std::vector<HostPort> parse_host_list(std::string_view authority, int default_port) {
    std::vector<HostPort> hosts;
    for (;;) {
        auto comma = authority.find(',');
        hosts.push_back(parse_host_port(authority.substr(0, comma), default_port));
        if (comma == std::string_view::npos)
            return hosts;
        authority = authority.substr(comma + 1);
    }
}

void parse_tcp(std::string_view rest, Url &u) {
    // rest = [userinfo@]host[:port][/db][?query]; Sentinel: [userinfo@]host[:port][,…]/master[/db][?query]
    std::string_view authority = authority_of(rest);
    rest.remove_prefix(authority.size()); // "", "/path[?query]" or "?query"
    auto q = rest.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
    std::string_view path = rest.substr(0, q);
    if (!path.empty())
        path.remove_prefix(1);

    // The last '@' ends the userinfo, so an unencoded '@' in a password still parses.
    auto at = userinfo_end(authority);
    if (at != std::string_view::npos) {
        parse_userinfo(authority.substr(0, at), u);
        authority = authority.substr(at + 1);
    }

    if (u.kind == Url::Kind::Sentinel) {
        u.sentinels = parse_host_list(authority, 26379);
        // path = master[/db]
        auto s = path.find('/');
        u.master = percent_decode(path.substr(0, s), "master name");
        if (u.master.empty())
            fail("missing master name (redis+sentinel://host:port[,host:port]/master[/db])");
        if (s != std::string_view::npos && s + 1 < path.size())
            u.db = parse_int(path.substr(s + 1), 0, 1 << 20, "db");
    } else if (u.kind == Url::Kind::Cluster || authority.find(',') != std::string_view::npos) {
        u.kind = Url::Kind::Cluster;
        u.seeds = parse_host_list(authority, 6379);
        if (!path.empty())
            u.db = parse_int(path, 0, 1 << 20, "db");
    } else {
        HostPort hp = parse_host_port(authority, 6379);
        u.host = std::move(hp.host);
        u.port = hp.port;
        if (!path.empty())
            u.db = parse_int(path, 0, 1 << 20, "db");
    }
    parse_query(query, u);
}

void parse_unix(std::string_view rest, Url &u) {
    // rest = [userinfo@]/path[?query]
    std::string_view info = authority_of(rest);
    if (info.size() == rest.size() || rest[info.size()] != '/')
        fail("unix:// needs an absolute socket path (unix:///path/to.sock)");
    auto slash = info.size();
    auto q = rest.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (!info.empty()) {
        if (info.back() != '@')
            fail("unix:// needs an absolute socket path (unix:///path/to.sock)");
        parse_userinfo(info.substr(0, info.size() - 1), u);
    }
    u.path = std::string(rest.substr(slash));
    if (u.path.size() < 2)
        fail("unix:// needs an absolute socket path (unix:///path/to.sock)");
    // hiredis 0.14 strncpy()s the path into sun_path and would silently connect to a truncated one.
    if (u.path.size() >= sizeof(sockaddr_un::sun_path))
        fail("unix socket path is too long (at most " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
             " bytes)");
    parse_query(query, u);
}

} // namespace

Url Url::parse(std::string_view text) {
    auto sep = text.find("://");
    if (sep == std::string_view::npos)
        fail("missing scheme (use redis://host:port/db or unix:///path/to.sock)");
    std::string_view scheme = text.substr(0, sep);
    std::string_view rest = text.substr(sep + 3);

    Url u;
    if (scheme == "redis" || scheme == "rediss") {
        u.kind = Kind::Tcp;
        u.tls.enabled = scheme == "rediss";
        parse_tcp(rest, u);
    } else if (scheme == "redis+sentinel" || scheme == "rediss+sentinel") {
        u.kind = Kind::Sentinel;
        u.tls.enabled = scheme == "rediss+sentinel";
        parse_tcp(rest, u);
    } else if (scheme == "redis+cluster" || scheme == "rediss+cluster") {
        u.kind = Kind::Cluster;
        u.tls.enabled = scheme == "rediss+cluster";
        parse_tcp(rest, u);
    } else if (scheme == "unix") {
        u.kind = Kind::Unix;
        parse_unix(rest, u);
    } else {
        fail("unsupported scheme \"" + printable_scheme(scheme) +
             "\" (use redis://, rediss://, unix://, redis+sentinel://, rediss+sentinel://, redis+cluster:// "
             "or "
             "rediss+cluster://)");
    }
    if (u.kind == Kind::Cluster && u.db != 0)
        fail("Redis Cluster has only db 0 (remove the /db or db= of the cluster URL)");
    if (!u.user.empty() && u.password.empty())
        fail("a user needs a password (redis://user:password@host)");
    if (!u.sentinel_user.empty() && u.sentinel_password.empty())
        fail("a sentinel_user needs a sentinel_password");
    if (u.tls.cert_file.empty() != u.tls.key_file.empty())
        fail("tls_cert_file and tls_key_file go together (mutual TLS)");
    return u;
}

std::string format_endpoint(const std::string &host, int port) {
    if (host.find(':') != std::string::npos)
        return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

std::string format_endpoints(const std::vector<HostPort> &hosts) {
    std::string out;
    for (std::size_t i = 0; i < hosts.size(); ++i)
        out += (i ? "," : "") + format_endpoint(hosts[i].host, hosts[i].port);
    return out;
}

std::string Url::endpoint() const {
    if (kind == Kind::Unix)
        return path;
    if (kind == Kind::Sentinel)
        return "sentinel master " + master;
    if (kind == Kind::Cluster)
        return "cluster " + format_endpoints(seeds);
    return format_endpoint(host, port);
}

namespace {

// One TCP endpoint with these credentials and TLS settings (a data node's, or a sentinel's).
Url tcp_endpoint(const HostPort &at, const std::string &user, const std::string &password,
                 const TlsSettings &tls) {
    Url n;
    n.kind = Url::Kind::Tcp;
    n.host = at.host;
    n.port = at.port;
    n.user = user;
    n.password = password;
    n.tls = tls;
    return n;
}

} // namespace

Url Url::node(const HostPort &at) const {
    Url n = tcp_endpoint(at, user, password, tls);
    n.db = db;
    return n;
}

Url Url::sentinel(const HostPort &at) const {
    return tcp_endpoint(at, sentinel_user, sentinel_password, tls);
}

std::string Url::redacted() const {
    std::string out;
    if (kind == Kind::Unix) {
        out = "unix://" + path + "?db=" + std::to_string(db);
        if (!user.empty()) {
            out += "&user=";
            percent_encode_to(user, out);
        }
        if (!password.empty())
            out += "&password=***";
        return out;
    }
    out = kind == Kind::Sentinel  ? (tls.enabled ? "rediss+sentinel://" : "redis+sentinel://")
          : kind == Kind::Cluster ? (tls.enabled ? "rediss+cluster://" : "redis+cluster://")
                                  : (tls.enabled ? "rediss://" : "redis://");
    if (!password.empty()) {
        percent_encode_to(user, out);
        out += ":***@";
    }
    if (kind == Kind::Sentinel) {
        out += format_endpoints(sentinels);
        out += "/";
        percent_encode_to(master, out);
    } else if (kind == Kind::Cluster) {
        out += format_endpoints(seeds);
    } else {
        out += endpoint();
    }
    out += "/" + std::to_string(db);
    char sep = '?';
    if (!sentinel_password.empty()) {
        out += sep;
        sep = '&';
        if (!sentinel_user.empty()) {
            out += "sentinel_user=";
            percent_encode_to(sentinel_user, out);
            out += "&";
        }
        out += "sentinel_password=***";
    }
    if (tls.enabled && !tls.verify) {
        out += sep;
        out += "tls_verify=no";
    }
    return out;
}

namespace {

using Span = std::pair<std::size_t, std::size_t>; // [begin, end) in the text

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// The first "password=" (any case) at or after from.
std::size_t find_password_key(std::string_view text, std::size_t from) {
    static constexpr std::string_view key = "password=";
    for (std::size_t i = from; i + key.size() <= text.size(); ++i) {
        std::size_t k = 0;
        while (k < key.size() && ascii_lower(text[i + k]) == key[k])
            ++k;
        if (k == key.size())
            return i;
    }
    return std::string_view::npos;
}

// The next userinfo password (the whole userinfo when it has no ':') of a "scheme://" at or after
// from; nullopt when none is left. The span may be empty (nothing to mask).
std::optional<Span> next_userinfo(std::string_view text, std::size_t from) {
    for (auto p = text.find("://", from); p != std::string_view::npos; p = text.find("://", p + 3)) {
        std::size_t rest = p + 3;
        std::string_view authority = authority_of(text.substr(rest));
        auto at = userinfo_end(authority);
        if (at == std::string_view::npos)
            continue;
        auto colon = password_colon(authority.substr(0, at));
        // without ':' the userinfo is a user name, or a password written without its ':'
        return Span{rest + (colon == std::string_view::npos ? 0 : colon + 1), rest + at};
    }
    return std::nullopt;
}

// The value of the next password= at or after from, as in the grammar's query (after '?' or '&')
// or as a libpq keyword.
std::optional<Span> next_parameter(std::string_view text, std::size_t from) {
    auto p = find_password_key(text, from);
    if (p == std::string_view::npos)
        return std::nullopt;
    std::size_t begin = p + 9, end = begin;
    // sentinel_password= is a query parameter too
    std::size_t name = p >= 9 && text.substr(p - 9, 9) == "sentinel_" ? p - 9 : p;
    if (name > 0 && (text[name - 1] == '?' || text[name - 1] == '&')) {
        // a URL query value (parse_query splits the query at '&' only)
        while (end < text.size() && text[end] != '&')
            ++end;
    } else if (end < text.size() && text[end] == '\'') {
        // a quoted libpq value, with backslash escapes
        for (++end; end < text.size() && text[end] != '\''; ++end)
            if (text[end] == '\\' && end + 1 < text.size())
                ++end;
        end = std::min(end + 1, text.size());
    } else {
        while (end < text.size() && !is_blank(text[end]))
            ++end;
    }
    return Span{begin, end};
}

constexpr std::string_view kMask = "***";

// Replaces text[begin, end) by "***" (or by as many '*' when shorter); returns where the masked
// part now ends.
std::size_t mask_span(char *text, std::size_t length, Span span) {
    auto [begin, end] = span;
    if (end - begin < kMask.size()) {
        std::memset(text + begin, '*', end - begin);
        return end;
    }
    std::memcpy(text + begin, kMask.data(), kMask.size());
    std::memmove(text + begin + kMask.size(), text + end, length - end + 1);
    return begin + kMask.size();
}

} // namespace

void mask_credentials(char *text) noexcept {
    std::size_t length = std::strlen(text);
    for (auto s = next_userinfo({text, length}, 0); s; s = next_userinfo({text, length}, s->first)) {
        std::size_t after = mask_span(text, length, *s);
        length -= s->second - after;
        s->first = after;
    }
    for (auto s = next_parameter({text, length}, 0); s; s = next_parameter({text, length}, s->first)) {
        std::size_t after = mask_span(text, length, *s);
        length -= s->second - after;
        s->first = after;
    }
}

bool has_credentials(std::string_view text) noexcept {
    for (auto s = next_userinfo(text, 0); s; s = next_userinfo(text, s->second))
        if (s->first < s->second)
            return true;
    for (auto s = next_parameter(text, 0); s; s = next_parameter(text, s->second))
        if (s->first < s->second)
            return true;
    return false;
}

} // namespace vcon_redis::redis
