// Parsing of vcon_redis.redis_url / the server's --redis-url.
//   redis://[[user]:password@]host[:port][/db][?db=N&user=U&password=P]   (host may be [IPv6])
//   unix://[[user]:password@]/path/to.sock[?db=N&user=U&password=P]
// user and password are percent-decoded. Errors (UrlError) name the problem, never the password.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace vconredis::redis {

class UrlError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Url {
    enum class Kind { Tcp, Unix };

    Kind kind = Kind::Tcp;
    std::string host;     // Tcp: name or numeric address, IPv6 without brackets
    int port = 6379;      // Tcp
    std::string path;     // Unix: socket path
    std::string user;     // ACL user; empty = "default" (plain AUTH password)
    std::string password; // empty = no AUTH
    int db = 0;           // SELECT db when != 0

    static Url parse(std::string_view text); // throws UrlError

    // The URL with the password replaced by ***, safe for logs and pg_settings:
    // redis://user:***@host:6379/0, unix:///path?db=0&password=***
    std::string redacted() const;

    // host:port or the socket path, for error messages.
    std::string endpoint() const;
};

// Masks with "***", in place, every password that a URL of the grammar above can carry, wherever
// such URLs stand in free text (log lines, statements, error messages), whatever characters the
// password holds: for each "scheme://", the userinfo password of the authority (which runs to the
// first '/' or '?', or the end of the text; the userinfo to its last '@', the password from the
// first ':'; without ':' the whole userinfo is masked), and the value of every password= parameter
// (after '?' or '&' a query value, which runs to the next '&' or the end of the text; elsewhere a
// libpq keyword value, to the next blank or its closing quote). Text past the end of a URL may be
// masked too; a password never shows. Never allocates or throws; the text only gets shorter.
void mask_credentials(char *text) noexcept;

// Whether mask_credentials would mask anything in text.
bool has_credentials(std::string_view text) noexcept;

} // namespace vconredis::redis
