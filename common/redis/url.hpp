// Parsing of vcon_redis.redis_url / the server's --redis-url.
//   redis://[[user]:password@]host[:port][/db][?query]          (host may be [IPv6])
//   rediss://…                                                    the same over TLS
//   unix://[[user]:password@]/path/to.sock[?query]
//   redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/master[/db][?query]
//   rediss+sentinel://…                                           TLS to sentinels and primary alike
//   redis://[[user]:password@]host[:port],host[:port][,…][?query] Redis Cluster: a list of seed nodes
//   redis+cluster://[[user]:password@]host[:port][,…][?query]     Redis Cluster, also with one seed
//   rediss://…,… and rediss+cluster://…                           Redis Cluster over TLS
// A cluster has only db 0 (a /db other than 0 is refused).
// query: db=N, user=U, password=P, sentinel_user=U, sentinel_password=P (AUTH to the sentinels;
// user/password are the primary's), tls_ca_file, tls_cert_file, tls_key_file, tls_server_name,
// tls_verify=yes|no (no: testing only). Values are percent-decoded. Errors (UrlError) name the
// problem, never a password.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis::redis {

class UrlError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// TLS settings of a rediss:// URL. The server's certificate chain and host name are verified by
// default, against the system CAs or ca_file.
struct TlsSettings {
    bool enabled = false;    // rediss:// or rediss+sentinel://
    std::string ca_file;     // PEM CA bundle; empty = the system's default CAs
    std::string cert_file;   // client certificate chain (mutual TLS); with key_file
    std::string key_file;    // its private key (PEM, unencrypted)
    std::string server_name; // name to verify and send as SNI; empty = the host connected to
    bool verify = true;      // false: no chain or name check (testing only)
};

struct HostPort {
    std::string host; // name or numeric address, IPv6 without brackets
    int port = 0;
};

struct Url {
    enum class Kind { Tcp, Unix, Sentinel, Cluster };

    Kind kind = Kind::Tcp;
    std::string host;     // Tcp: name or numeric address, IPv6 without brackets
    int port = 6379;      // Tcp
    std::string path;     // Unix: socket path
    std::string user;     // ACL user; empty = "default" (plain AUTH password)
    std::string password; // empty = no AUTH
    int db = 0;           // SELECT db when != 0
    TlsSettings tls;

    // Sentinel: where to ask for the primary of `master`, and how to authenticate there.
    std::vector<HostPort> sentinels;
    std::string master;
    std::string sentinel_user;
    std::string sentinel_password;

    // Cluster: the seed nodes asked for the slot map (CLUSTER SLOTS).
    std::vector<HostPort> seeds;

    static Url parse(std::string_view text); // throws UrlError

    // The URL with every password replaced by ***, safe for logs and pg_settings:
    // redis://user:***@host:6379/0, unix:///path?db=0&password=***
    std::string redacted() const;

    // host:port, the socket path, "sentinel master NAME" or "cluster HOST:PORT,…", for error messages.
    std::string endpoint() const;

    // A Tcp URL for one node found through the sentinels or the cluster's slot map: this URL's
    // credentials, db and TLS.
    Url node(const HostPort &at) const;
    // A Tcp URL for one sentinel: the sentinel credentials, db 0, this URL's TLS.
    Url sentinel(const HostPort &at) const;
};

// host:port, bracketing an IPv6 address.
std::string format_endpoint(const std::string &host, int port);
// host:port,host:port,…
std::string format_endpoints(const std::vector<HostPort> &hosts);

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

} // namespace vcon_redis::redis
