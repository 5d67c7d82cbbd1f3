// Who may call: the Bearer token (constant-time comparison), the Host allow-list (DNS rebinding)
// and the Origin allow-list, both checked on every route.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis::server::http {

class BearerAuth {
public:
    explicit BearerAuth(std::string token) : token_(std::move(token)) {}
    bool enabled() const { return !token_.empty(); }
    // True when auth is off or the Authorization header value is "Bearer <token>".
    bool allows(std::string_view authorization_header) const;

private:
    std::string token_;
};

class OriginPolicy {
public:
    // Entries: exact origins ("https://app.example"), "scheme://host:*" (any port, or none), "*".
    explicit OriginPolicy(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}
    // A missing Origin (empty) is allowed: non-browser clients send none.
    bool allows(std::string_view origin) const;

private:
    std::vector<std::string> allowed_;
};

class HostPolicy {
public:
    // Entries: "name" or an IP (any port), "name:port", "[v6]", "[v6]:port", "*"; case-insensitive,
    // a trailing dot of a name is ignored.
    explicit HostPolicy(const std::vector<std::string> &allowed);
    // A missing Host (empty; HTTP/1.0 clients) is allowed: only a browser sends a rebound name.
    // Allocates nothing (it runs on every request).
    bool allows(std::string_view host_header) const;

private:
    struct Entry {
        std::string host; // lowercase, brackets kept, no trailing dot
        std::string port; // empty: any port
    };
    bool any_ = false; // "*"
    std::vector<Entry> allowed_;
};

} // namespace vcon_redis::server::http
