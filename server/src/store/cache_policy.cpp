#include "store/cache_policy.hpp"

#include "redis/url.hpp"

namespace vcon_redis::server::store {

const char *to_string(CachePolicy::State s) {
    switch (s) {
    case CachePolicy::State::Unknown:
        return "unknown";
    case CachePolicy::State::Maintained:
        return "maintained";
    case CachePolicy::State::Unmaintained:
        return "unmaintained";
    }
    return "unknown";
}

namespace {

// host:port/db of a (possibly masked) Redis URL; empty when it does not parse.
std::string redis_identity(const std::string &url) {
    try {
        auto u = redis::Url::parse(url);
        return u.endpoint() + "/" + std::to_string(u.db);
    } catch (const std::exception &) {
        return {};
    }
}

// Why nobody maintains the keys this server would read; empty when somebody does. The order is
// the order of what a user has to fix first.
std::string unmaintained_reason(const ExtensionSettings &s, const std::string &prefix) {
    if (!s.installed)
        return "the vcon_redis extension is not installed in database '" + s.database + "'";
    if (s.status_readable && s.worker_state == "not_preloaded")
        return "vcon_redis is not in shared_preload_libraries: no worker applies changes to Redis";
    if (!s.cache_mode)
        return "vcon_redis is not loaded in the server's database sessions (shared_preload_libraries): "
               "no worker applies changes to Redis";
    if (*s.cache_mode == "off")
        return "vcon_redis.cache_mode is off: the extension does not touch the cached documents";
    if (s.worker_database && *s.worker_database != s.database)
        return "the worker drains database '" + *s.worker_database + "' (vcon_redis.database), not '" +
               s.database + "'";
    if (s.status_readable && !s.attached)
        return "vcon_redis.attach() has not been run in database '" + s.database +
               "': writes are not captured";
    if (s.key_prefix && *s.key_prefix != prefix)
        return "--key-prefix '" + prefix + "' differs from vcon_redis.key_prefix '" + *s.key_prefix +
               "': the extension maintains other keys";
    return {};
}

} // namespace

CachePolicy decide_policy(const ExtensionSettings &s, const CacheDefaults &d,
                          std::vector<std::string> &warnings) {
    CachePolicy p;
    p.key_prefix = d.key_prefix_explicit || !s.key_prefix ? d.key_prefix : *s.key_prefix;
    p.expiry_s = d.expiry_explicit || !s.ttl ? d.expiry_s : *s.ttl;
    p.reason = unmaintained_reason(s, p.key_prefix);
    p.state = p.reason.empty() ? CachePolicy::State::Maintained : CachePolicy::State::Unmaintained;

    if (d.expiry_explicit && s.ttl && *s.ttl != d.expiry_s)
        warnings.push_back("--expiry " + std::to_string(d.expiry_s) + " differs from vcon_redis.ttl " +
                           std::to_string(*s.ttl) +
                           ": this server's fills expire at another time than the "
                           "worker's writes");
    if (s.installed && !s.status_readable)
        warnings.push_back("cannot read vcon_redis.status() (" + s.status_error +
                           "): whether a worker drains the outbox is not checked");
    if (!s.worker_redis.empty() && !d.redis_endpoint.empty()) {
        std::string theirs = redis_identity(s.worker_redis);
        if (!theirs.empty() && theirs != d.redis_endpoint)
            warnings.push_back("the extension's worker writes to Redis " + theirs + ", this server reads " +
                               d.redis_endpoint +
                               ": if these are different servers, nobody maintains this cache");
    }
    return p;
}

} // namespace vcon_redis::server::store
