#include "redis/url.hpp"

#include <sys/un.h>

#include <charconv>

namespace vconredis::redis {
namespace {

[[noreturn]] void fail(const std::string &what) {
    throw UrlError("redis_url: " + what);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
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
        int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            fail(std::string("bad percent-encoding in the ") + what);
        out.push_back(static_cast<char>(hi * 16 + lo));
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
    auto colon = info.find(':');
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
        fail("tls_* parameters need a TLS URL (rediss:// or rediss+sentinel://)");
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

void parse_tcp(std::string_view rest, Url &u) {
    // rest = [userinfo@]authority[/path][?query]; authority = host[:port] (Sentinel: a comma list)
    auto q = rest.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
    rest = rest.substr(0, q);
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

    // The last '@' ends the userinfo, so an unencoded '@' in a password still parses.
    auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        parse_userinfo(authority.substr(0, at), u);
        authority = authority.substr(at + 1);
    }

    if (u.kind == Url::Kind::Sentinel) {
        for (;;) {
            auto comma = authority.find(',');
            u.sentinels.push_back(parse_host_port(authority.substr(0, comma), 26379));
            if (comma == std::string_view::npos)
                break;
            authority = authority.substr(comma + 1);
        }
        // path = master[/db]
        auto s = path.find('/');
        u.master = percent_decode(path.substr(0, s), "master name");
        if (u.master.empty())
            fail("missing master name (redis+sentinel://host:port[,host:port]/master[/db])");
        if (s != std::string_view::npos && s + 1 < path.size())
            u.db = parse_int(path.substr(s + 1), 0, 1 << 20, "db");
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
    auto q = rest.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
    rest = rest.substr(0, q);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos)
        fail("unix:// needs an absolute socket path (unix:///path/to.sock)");
    std::string_view info = rest.substr(0, slash);
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
    } else if (scheme == "unix") {
        u.kind = Kind::Unix;
        parse_unix(rest, u);
    } else {
        fail("unsupported scheme \"" + printable_scheme(scheme) +
             "\" (use redis://, rediss://, unix://, redis+sentinel:// or rediss+sentinel://)");
    }
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

std::string Url::endpoint() const {
    if (kind == Kind::Unix)
        return path;
    if (kind == Kind::Sentinel)
        return "sentinel master " + master;
    return format_endpoint(host, port);
}

Url Url::node(const HostPort &at) const {
    Url n;
    n.kind = Kind::Tcp;
    n.host = at.host;
    n.port = at.port;
    n.user = user;
    n.password = password;
    n.db = db;
    n.tls = tls;
    return n;
}

Url Url::sentinel(const HostPort &at) const {
    Url n;
    n.kind = Kind::Tcp;
    n.host = at.host;
    n.port = at.port;
    n.user = sentinel_user;
    n.password = sentinel_password;
    n.tls = tls;
    return n;
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
    out = kind == Kind::Sentinel ? (tls.enabled ? "rediss+sentinel://" : "redis+sentinel://")
                                 : (tls.enabled ? "rediss://" : "redis://");
    if (!password.empty()) {
        percent_encode_to(user, out);
        out += ":***@";
    }
    if (kind == Kind::Sentinel) {
        for (std::size_t i = 0; i < sentinels.size(); ++i)
            out += (i ? "," : "") + format_endpoint(sentinels[i].host, sentinels[i].port);
        out += "/";
        percent_encode_to(master, out);
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

} // namespace vconredis::redis
