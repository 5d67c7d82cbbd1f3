// RedisLink (redis_link.hpp).
extern "C" {
#include "postgres.h"

#include "storage/fd.h"
}

#include "guc.hpp"
#include "pg_guard.hpp"
#include "redis_link.hpp"
#include "redis_waiter.hpp"
#include "shmem.hpp"

#include "redis/error.hpp"
#include "redis/scripts.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>

namespace vcon_redis {

namespace {

// How long a Sentinel subscription attempt may hold up a commit waiting to be drained.
constexpr std::chrono::milliseconds kWatchYieldAfter{100};

bool IsSet(const char *guc_value) {
    return guc_value != nullptr && guc_value[0] != '\0';
}

// The first line of a password file (guc names the setting), read at every connect so that a
// rotated password is picked up by the next reconnect.
std::string ReadPasswordFile(const char *guc, const char *path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line))
        throw std::runtime_error(std::string("cannot read ") + guc + " \"" + path + "\"");
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
    return line;
}

} // namespace

RedisLink::~RedisLink() {
    Reset();
}

bool RedisLink::Connected() const noexcept {
    return client_ != nullptr && client_->connected();
}

void RedisLink::Connect() {
    Close();
    auto url = vcon_redis::redis::Url::parse(guc::redis_url != nullptr ? guc::redis_url : "");
    if (url.password.empty() && IsSet(guc::redis_password_file))
        url.password = ReadPasswordFile("vcon_redis.redis_password_file", guc::redis_password_file);
    if (url.kind == vcon_redis::redis::Url::Kind::Sentinel && url.sentinel_password.empty() &&
        IsSet(guc::sentinel_password_file))
        url.sentinel_password =
            ReadPasswordFile("vcon_redis.sentinel_password_file", guc::sentinel_password_file);
    if (IsSet(guc::tls_ca_file))
        url.tls.ca_file = guc::tls_ca_file;
    if (IsSet(guc::tls_cert_file))
        url.tls.cert_file = guc::tls_cert_file;
    if (IsSet(guc::tls_key_file))
        url.tls.key_file = guc::tls_key_file;
    if (!guc::tls_verify)
        url.tls.verify = false;
    if (url.tls.enabled && url.tls.cert_file.empty() != url.tls.key_file.empty())
        throw vcon_redis::redis::Error(
            vcon_redis::redis::Error::Kind::tls,
            "redis: TLS needs both vcon_redis.tls_cert_file and vcon_redis.tls_key_file "
            "(or neither)");
    PublishUrl(url.redacted().c_str());

    vcon_redis::redis::Connection::Options options;
    options.connect_timeout = std::chrono::milliseconds(guc::connect_timeout_ms);
    options.command_timeout = std::chrono::milliseconds(guc::command_timeout_ms);

    // Each socket is a file descriptor PostgreSQL's fd.c does not know about: reserve it.
    vcon_redis::redis::Client::FdBudget budget{
        []() { return PgGuard([]() noexcept { return AcquireExternalFD(); }); },
        []() { ReleaseExternalFD(); }};

    if (url.kind == vcon_redis::redis::Url::Kind::Sentinel) {
        StartWatch(url, options);
        // Ask first the sentinel whose notifications we follow: after a switch it knows the new primary.
        if (watch_ && watch_->subscribed())
            url = vcon_redis::redis::with_sentinel_first(std::move(url), watch_->sentinel());
    }

    client_ = std::make_unique<vcon_redis::redis::Client>(std::move(url), options, LatchWaiter(),
                                                          std::move(budget));
    try {
        client_->connect();
        // Pre-load the scripts so batches use EVALSHA. Only a warm-up: if Redis refuses SCRIPT LOAD
        // (an error reply, e.g. an ACL), run_scripts still falls back to EVAL on NOSCRIPT. A
        // cluster's nodes get them from that fallback (EVAL caches the script).
        try {
            if (vcon_redis::redis::Connection *conn = client_->standalone())
                vcon_redis::redis::load_scripts(*conn);
        } catch (const vcon_redis::redis::Error &e) {
            if (e.kind() != vcon_redis::redis::Error::Kind::reply)
                throw;
        }
    } catch (...) {
        Close();
        throw;
    }
}

void RedisLink::Close() noexcept {
    client_.reset(); // closes the sockets and gives their file descriptors back
}

void RedisLink::Reset() noexcept {
    Close();
    StopWatch();
}

void RedisLink::StopWatch() noexcept {
    if (watch_) {
        watch_.reset();
        ReleaseExternalFD();
    }
}

// A watch holds one reserved file descriptor for its life. One that is not subscribed is built
// again from the settings of this connect (a password file may have changed since).
void RedisLink::StartWatch(const vcon_redis::redis::Url &url,
                           const vcon_redis::redis::Connection::Options &options) {
    if (watch_ && !watch_->subscribed())
        StopWatch();
    if (watch_ || !PgGuard([]() noexcept { return AcquireExternalFD(); }))
        return; // no descriptor to spare: failovers are still followed through errors
    try {
        watch_ =
            std::make_unique<vcon_redis::redis::SentinelWatch>(url, options, LatchWaiter(kWatchYieldAfter));
    } catch (...) {
        ReleaseExternalFD();
        throw;
    }
}

std::optional<vcon_redis::redis::MasterSwitch> RedisLink::FollowSwitches() {
    if (!watch_)
        return std::nullopt;
    if (watch_->due())
        watch_->subscribe();
    std::optional<vcon_redis::redis::MasterSwitch> moved = watch_->poll();
    if (moved)
        Close(); // the next batch looks the primary up again (and checks its ROLE)
    return moved;
}

int RedisLink::WatchFd() const noexcept {
    return watch_ ? watch_->fd() : -1;
}

std::optional<vcon_redis::redis::Clock::time_point> RedisLink::WatchRetryAt() const noexcept {
    if (!watch_ || watch_->subscribed())
        return std::nullopt;
    return watch_->retry_at();
}

std::string RedisLink::WatchedSentinel() const {
    if (!watch_)
        return {};
    const vcon_redis::redis::HostPort &at = watch_->sentinel();
    return vcon_redis::redis::format_endpoint(at.host, at.port);
}

vcon_redis::redis::Client &RedisLink::Client() {
    if (client_ == nullptr)
        throw std::logic_error("Redis connection used before Connect()");
    return *client_;
}

} // namespace vcon_redis
