// Whether this server may use the Redis cache, and with which key prefix and fill TTL: decided from
// the extension's settings read from the database (store/settings_watch.*). A cache that nobody
// maintains (the extension would not SET/DEL the keys this server reads) must not be read or
// filled, or updated and deleted vCons would be served from it until their TTL.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis::server::store {

struct CachePolicy {
    enum class State {
        Unknown,      // not learnt yet (database unreachable since start): hits served, no fills
        Maintained,   // the extension keeps <prefix><uuid> in step with the database: read and fill
        Unmaintained, // nobody does: every read goes to PostgreSQL (BYPASS), Redis is not touched
    };
    State state = State::Unknown;
    std::string key_prefix = "vcon:";
    int expiry_s = 3600;
    std::string reason; // Unmaintained: why, for logs and /healthz readers

    bool operator==(const CachePolicy &) const = default;
};

const char *to_string(CachePolicy::State s); // "unknown", "maintained", "unmaintained"

// What the database says about the extension. std::nullopt members: the setting is not defined in
// the server's session (vcon_redis is not loaded there).
struct ExtensionSettings {
    bool installed = true;       // vcon_redis.status() exists
    bool status_readable = true; // it answered (false: e.g. permission denied; see status_error)
    std::string status_error;
    std::string worker_state;                   // status().worker_state
    std::string worker_redis;                   // status().redis_url (password masked)
    bool attached = true;                       // status().attached_schema is set
    std::string database;                       // current_database()
    std::optional<std::string> worker_database; // vcon_redis.database
    std::optional<std::string> cache_mode;      // vcon_redis.cache_mode
    std::optional<std::string> key_prefix;      // vcon_redis.key_prefix
    std::optional<int> ttl;                     // vcon_redis.ttl in seconds
};

// The server's own cache settings; *_explicit: given by flag or environment (else learnt).
struct CacheDefaults {
    std::string key_prefix = "vcon:";
    bool key_prefix_explicit = false;
    int expiry_s = 3600;
    bool expiry_explicit = false;
    std::string redis_endpoint; // host:port/db (or socket?db) of the server's Redis, for a mismatch warning
};

// The policy for these settings; `warnings` receives mismatches that do not stop the cache (an
// explicit --expiry that differs from vcon_redis.ttl, a worker that seems to write elsewhere, an
// unreadable status()).
CachePolicy decide_policy(const ExtensionSettings &s, const CacheDefaults &d,
                          std::vector<std::string> &warnings);

} // namespace vcon_redis::server::store
