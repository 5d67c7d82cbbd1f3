#include "redis/tls.hpp"

#include "redis/error.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <climits>
#include <cstdint>
#include <system_error>

namespace vcon_redis::redis {
namespace {

// The BIO: the descriptor is the BIO's data; the caller's socket stays owned by hiredis.
int fd_of(BIO *b) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
}

bool would_block(int e) {
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

int bio_write(BIO *b, const char *buf, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = ::send(fd_of(b), buf, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    if (n < 0 && would_block(errno))
        BIO_set_retry_write(b);
    return static_cast<int>(n);
}

int bio_read(BIO *b, char *buf, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = ::recv(fd_of(b), buf, static_cast<std::size_t>(len), 0);
    if (n < 0 && would_block(errno))
        BIO_set_retry_read(b);
    return static_cast<int>(n);
}

long bio_ctrl(BIO *, int cmd, long, void *) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; // nothing is buffered in this BIO
}

int bio_puts(BIO *b, const char *s) {
    return bio_write(b, s, static_cast<int>(strlen(s)));
}

// Created once, never freed (OpenSSL keeps a pointer in every BIO made from it).
const BIO_METHOD *socket_method() {
    static BIO_METHOD *method = [] {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                     "vcon-redis socket");
        if (m == nullptr || !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
            !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_puts(m, bio_puts))
            return static_cast<BIO_METHOD *>(nullptr);
        return m;
    }();
    return method;
}

// The reason of the oldest queued OpenSSL error (the queue is then cleared), or `fallback`.
std::string openssl_reason(const char *fallback) {
    unsigned long e = ERR_get_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
    ERR_clear_error();
    return reason != nullptr ? reason : fallback;
}

bool is_ip_address(const std::string &host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// OpenSSL would prompt on the terminal for an encrypted key: refuse instead.
int no_passphrase(char *, int, int, void *) {
    return 0;
}

} // namespace

void TlsStream::CtxDeleter::operator()(SSL_CTX *c) const noexcept {
    SSL_CTX_free(c);
}
void TlsStream::SslDeleter::operator()(SSL *s) const noexcept {
    SSL_free(s);
}

TlsStream::TlsStream(int fd, const TlsSettings &settings, const std::string &host, std::string endpoint)
    : endpoint_(std::move(endpoint)) {
    ERR_clear_error();
    auto setup_error = [&](const std::string &what) {
        return Error(Error::Kind::tls, "redis: TLS setup for " + endpoint_ + " failed: " + what);
    };
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_)
        throw setup_error(openssl_reason("cannot create a TLS context"));
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    SSL_CTX_set_default_passwd_cb(ctx_.get(), no_passphrase);
    SSL_CTX_set_mode(ctx_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (settings.verify) {
        int ok = settings.ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(ctx_.get())
                     : SSL_CTX_load_verify_locations(ctx_.get(), settings.ca_file.c_str(), nullptr);
        if (ok != 1)
            throw setup_error("cannot load CA file \"" + settings.ca_file +
                              "\": " + openssl_reason("unreadable"));
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    }
    if (!settings.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx_.get(), settings.cert_file.c_str()) != 1)
            throw setup_error("cannot load client certificate \"" + settings.cert_file +
                              "\": " + openssl_reason("unreadable"));
        // The reason says what is wrong with the key file, never what is in it.
        if (SSL_CTX_use_PrivateKey_file(ctx_.get(), settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
            throw setup_error("cannot load client key \"" + settings.key_file +
                              "\": " + openssl_reason("unreadable"));
        if (SSL_CTX_check_private_key(ctx_.get()) != 1)
            throw setup_error("client key \"" + settings.key_file + "\" does not match certificate \"" +
                              settings.cert_file + "\"");
    }

    ssl_.reset(SSL_new(ctx_.get()));
    const BIO_METHOD *method = socket_method();
    BIO *bio = ssl_ && method != nullptr ? BIO_new(method) : nullptr;
    if (bio == nullptr)
        throw setup_error(openssl_reason("out of memory"));
    BIO_set_data(bio, reinterpret_cast<void *>(static_cast<std::intptr_t>(fd)));
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_.get(), bio, bio); // the session owns the BIO now

    const std::string &name = settings.server_name.empty() ? host : settings.server_name;
    bool ip = is_ip_address(name);
    if (!ip && SSL_set_tlsext_host_name(ssl_.get(), name.c_str()) != 1)
        throw setup_error("invalid server name for SNI");
    if (settings.verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl_.get());
        int ok =
            ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) : SSL_set1_host(ssl_.get(), name.c_str());
        if (ok != 1)
            throw setup_error("invalid server name to verify");
        if (!ip)
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    SSL_set_connect_state(ssl_.get());
}

TlsStream::~TlsStream() = default;

void TlsStream::fail(int rc, const char *during) {
    int err = SSL_get_error(ssl_.get(), rc);
    int saved_errno = errno;
    std::string why;
    Error::Kind kind = Error::Kind::tls;
    long verify = SSL_get_verify_result(ssl_.get());
    if (err == SSL_ERROR_SSL && verify != X509_V_OK) {
        ERR_clear_error();
        why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    } else if (err == SSL_ERROR_SSL) {
        why = openssl_reason("protocol error");
        if (why == "wrong version number" || why == "packet length too long")
            why += " (is it a TLS port?)";
    } else if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && rc == 0)) {
        ERR_clear_error();
        why = "connection closed by the server";
        kind = Error::Kind::io;
    } else {
        ERR_clear_error();
        why = saved_errno != 0 ? std::generic_category().message(saved_errno) : "connection reset";
        kind = Error::Kind::io;
    }
    throw Error(kind, std::string("redis: TLS ") + during + " " + endpoint_ + " failed: " + why);
}

bool TlsStream::handshake() {
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) {
        want_ = Want::none;
        return true;
    }
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        want_ = err == SSL_ERROR_WANT_READ ? Want::read : Want::write;
        return false;
    }
    fail(rc, "handshake with");
}

std::size_t TlsStream::read(char *buf, std::size_t len) {
    ERR_clear_error();
    errno = 0;
    int rc = SSL_read(ssl_.get(), buf, static_cast<int>(std::min<std::size_t>(len, INT_MAX)));
    return settle(rc, &read_wants_write_, Want::write, "read from");
}

std::size_t TlsStream::write(const char *buf, std::size_t len) {
    if (len == 0)
        return 0;
    ERR_clear_error();
    errno = 0;
    // Bounded so that a retry after WANT_WRITE offers the same length again (partial writes on).
    int rc = SSL_write(ssl_.get(), buf, static_cast<int>(std::min<std::size_t>(len, 1u << 20)));
    return settle(rc, &write_wants_read_, Want::read, "write to");
}

std::size_t TlsStream::settle(int rc, bool *crossed, Want crossing, const char *during) {
    *crossed = false;
    if (rc > 0) {
        want_ = Want::none;
        return static_cast<std::size_t>(rc);
    }
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        want_ = err == SSL_ERROR_WANT_READ ? Want::read : Want::write;
        *crossed = want_ == crossing;
        return 0;
    }
    fail(rc, during);
}

} // namespace vcon_redis::redis
