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
    Close();
}

bool RedisLink::Connected() const noexcept {
    return conn_ != nullptr && conn_->connected();
}

void RedisLink::Connect() {
    Close();
    auto url = vconredis::redis::Url::parse(guc::redis_url != nullptr ? guc::redis_url : "");
    if (url.password.empty() && IsSet(guc::redis_password_file))
        url.password = ReadPasswordFile("vcon_redis.redis_password_file", guc::redis_password_file);
    if (url.kind == vconredis::redis::Url::Kind::Sentinel && url.sentinel_password.empty() &&
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
        throw vconredis::redis::Error(
            vconredis::redis::Error::Kind::tls,
            "redis: TLS needs both vcon_redis.tls_cert_file and vcon_redis.tls_key_file "
            "(or neither)");
    PublishUrl(url.redacted().c_str());

    vconredis::redis::Connection::Options options;
    options.connect_timeout = std::chrono::milliseconds(guc::connect_timeout_ms);
    options.command_timeout = std::chrono::milliseconds(guc::command_timeout_ms);

    // The socket is a file descriptor PostgreSQL's fd.c does not know about: reserve it.
    fd_reserved_ = PgGuard([]() noexcept { return AcquireExternalFD(); });
    if (!fd_reserved_)
        throw std::runtime_error("no file descriptor available for the Redis connection");

    conn_ = std::make_unique<vconredis::redis::Connection>(std::move(url), options, LatchWaiter());
    try {
        conn_->connect();
        // Pre-load the scripts so batches use EVALSHA. Only a warm-up: if Redis refuses SCRIPT LOAD
        // (an error reply, e.g. an ACL), run_scripts still falls back to EVAL on NOSCRIPT.
        try {
            vconredis::redis::load_scripts(*conn_);
        } catch (const vconredis::redis::Error &e) {
            if (e.kind() != vconredis::redis::Error::Kind::reply)
                throw;
        }
    } catch (...) {
        Close();
        throw;
    }
}

void RedisLink::Close() noexcept {
    conn_.reset(); // closes the socket
    if (fd_reserved_) {
        ReleaseExternalFD();
        fd_reserved_ = false;
    }
}

vconredis::redis::Connection &RedisLink::Conn() {
    if (conn_ == nullptr)
        throw std::logic_error("Redis connection used before Connect()");
    return *conn_;
}

} // namespace vcon_redis
