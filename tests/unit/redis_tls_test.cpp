// TLS (rediss://) against real TLS-only redis-server processes with a test CA made at test time:
// verification by default (chain and host name), SNI name override, opt-out, mutual TLS, the
// non-blocking primitives, large pipelines, and errors that never carry a password.
#include "redis/connection.hpp"
#include "redis_server_fixture.hpp"
#include "thrown_errors.hpp"

#include <gtest/gtest.h>

#include <poll.h>

#include <string>

using namespace vcon_redis::redis;
using vcon_redis::testing::connect_error;
using vcon_redis::testing::RedisServer;
using vcon_redis::testing::TestCerts;

namespace {

std::unique_ptr<TestCerts> certs;

class RedisTls : public ::testing::Test {
protected:
    static void SetUpTestSuite() { certs = std::make_unique<TestCerts>(); }
    static void TearDownTestSuite() { certs.reset(); }

    static std::unique_ptr<RedisServer> server(std::string cert = "server", std::string auth_clients = "no",
                                               std::string password = "") {
        RedisServer::Config c;
        c.tls_dir = certs->dir();
        c.tls_cert = std::move(cert);
        c.tls_auth_clients = std::move(auth_clients);
        c.password = std::move(password);
        return std::make_unique<RedisServer>(c);
    }
    static std::string ca_query(const std::string &ca = "ca.crt") {
        return "?tls_ca_file=" + certs->file(ca);
    }
};

bool contains(const std::string &s, const std::string &part) {
    return s.find(part) != std::string::npos;
}

} // namespace

TEST_F(RedisTls, VerifiedConnectionCarriesLargePipelines) {
    auto srv = server();
    Connection c(Url::parse(srv->tcp_url(2) + ca_query()), {});
    c.connect();
    std::string big(3u << 20, 'x'); // several TLS records and partial writes
    big[12345] = '\0';
    auto replies = c.pipeline({{"SET", "k", big}, {"GET", "k"}, {"STRLEN", "k"}});
    EXPECT_EQ(text(*replies[1]), big);
    EXPECT_EQ(replies[2]->integer, static_cast<long long>(big.size()));
    std::vector<Command> many(2000, Command{"INCR", "n"});
    auto counts = c.pipeline(many);
    EXPECT_EQ(counts.back()->integer, 2000);
}

TEST_F(RedisTls, NameAndLocalhostAreVerified) {
    auto srv = server();
    std::string port = std::to_string(srv->port());
    Connection byname(Url::parse("rediss://localhost:" + port + ca_query()), {});
    byname.connect();
    EXPECT_EQ(text(*byname.command({"PING"})), "PONG");
}

TEST_F(RedisTls, WrongCaIsRefusedNeverPlaintext) {
    auto srv = server();
    Error e = connect_error(srv->tcp_url() + ca_query("other-ca.crt"));
    EXPECT_EQ(e.kind(), Error::Kind::tls);
    EXPECT_TRUE(e.transient());
    // redis-server sends the test CA along with its certificate: OpenSSL names the chain's root.
    EXPECT_TRUE(contains(
        e.what(), "redis: TLS handshake with 127.0.0.1:" + std::to_string(srv->port()) +
                      " failed: certificate verify failed: self-signed certificate in certificate chain"))
        << e.what();
    // The system CAs do not know the test CA either.
    Error sys = connect_error(srv->tcp_url());
    EXPECT_TRUE(contains(sys.what(), "certificate verify failed")) << sys.what();
}

TEST_F(RedisTls, WrongHostNameIsRefused) {
    auto srv = server("wronghost");
    Error e = connect_error(srv->tcp_url() + ca_query());
    EXPECT_EQ(e.kind(), Error::Kind::tls);
    EXPECT_TRUE(contains(e.what(), "certificate verify failed: IP address mismatch")) << e.what();
    // The name it was issued for, as SNI and verification name, is accepted.
    Connection ok(Url::parse(srv->tcp_url() + ca_query() + "&tls_server_name=wrong.example"), {});
    ok.connect();
    Error other = connect_error(srv->tcp_url() + ca_query() + "&tls_server_name=right.example");
    EXPECT_TRUE(contains(other.what(), "hostname mismatch")) << other.what();
}

TEST_F(RedisTls, VerificationOptOutForTests) {
    auto srv = server("wronghost");
    Connection c(Url::parse(srv->tcp_url() + "?tls_verify=no"), {});
    c.connect();
    EXPECT_EQ(text(*c.command({"PING"})), "PONG");
    EXPECT_TRUE(contains(c.url().redacted(), "tls_verify=no"));
}

TEST_F(RedisTls, MutualTls) {
    auto srv = server("server", "yes");
    std::string base = srv->tcp_url() + ca_query();
    Error e = connect_error(base);
    EXPECT_TRUE(e.transient());
    EXPECT_TRUE(contains(e.what(), "redis: TLS")) << e.what();
    Connection c(Url::parse(base + "&tls_cert_file=" + certs->file("client.crt") +
                            "&tls_key_file=" + certs->file("client.key")),
                 {});
    c.connect();
    EXPECT_EQ(text(*c.command({"PING"})), "PONG");
}

TEST_F(RedisTls, BadKeyMaterialIsAClearErrorWithoutContents) {
    auto srv = server();
    std::string base = srv->tcp_url() + ca_query();
    Error missing = connect_error(base + "&tls_cert_file=" + certs->file("client.crt") +
                                  "&tls_key_file=/nonexistent.key");
    EXPECT_EQ(missing.kind(), Error::Kind::tls);
    EXPECT_TRUE(contains(missing.what(), "cannot load client key \"/nonexistent.key\"")) << missing.what();
    Error mismatch = connect_error(base + "&tls_cert_file=" + certs->file("client.crt") +
                                   "&tls_key_file=" + certs->file("server.key"));
    EXPECT_TRUE(contains(mismatch.what(), "key values mismatch")) << mismatch.what();
    EXPECT_FALSE(contains(mismatch.what(), "PRIVATE KEY"));
    Error noca = connect_error(base.substr(0, base.find('?')) + "?tls_ca_file=/nonexistent.crt");
    EXPECT_TRUE(contains(noca.what(), "cannot load CA file \"/nonexistent.crt\"")) << noca.what();
}

TEST_F(RedisTls, PlaintextAndTlsMismatchFailFast) {
    auto srv = server();
    // A plaintext client on the TLS port: the server drops it.
    std::string plain = "redis://127.0.0.1:" + std::to_string(srv->port());
    Connection::Options fast;
    fast.connect_timeout = std::chrono::milliseconds(3000);
    Connection p(Url::parse(plain), fast);
    EXPECT_THROW(p.connect(), Error);
    // A TLS client on a plaintext port.
    RedisServer plain_srv;
    Error e = connect_error("rediss://127.0.0.1:" + std::to_string(plain_srv.port()) + ca_query());
    EXPECT_TRUE(contains(e.what(), "redis: TLS handshake with 127.0.0.1")) << e.what();
}

TEST_F(RedisTls, PasswordNeverInErrors) {
    const std::string secret = "S3cretTlsPw";
    auto srv = server("server", "no", secret);
    Connection ok(Url::parse(srv->tcp_url() + ca_query()), {});
    ok.connect();
    std::string wrong = "rediss://:" + secret + "x@127.0.0.1:" + std::to_string(srv->port()) + ca_query();
    Error auth = connect_error(wrong);
    EXPECT_EQ(auth.kind(), Error::Kind::auth);
    EXPECT_FALSE(contains(auth.what(), secret));
    Error verify = connect_error(srv->tcp_url() + ca_query("other-ca.crt"));
    EXPECT_FALSE(contains(verify.what(), secret));
    EXPECT_FALSE(contains(Url::parse(srv->tcp_url()).redacted(), secret));
}

// The event-loop primitives (the server's use) over TLS: append, flush, wait, read, next_reply.
TEST_F(RedisTls, NonBlockingPrimitives) {
    auto srv = server();
    Connection c(Url::parse(srv->tcp_url() + ca_query()), {});
    c.connect();
    std::string value(1u << 20, 'v');
    for (int i = 0; i < 50; ++i)
        c.append({"SET", "k" + std::to_string(i), value});
    std::vector<Reply> replies;
    while (replies.size() < 50) {
        bool flushed = c.flush();
        pollfd p{c.fd(), static_cast<short>(POLLIN | (flushed ? 0 : POLLOUT)), 0};
        ASSERT_GE(::poll(&p, 1, 5000), 1);
        while (c.read()) {
        }
        while (Reply r = c.next_reply())
            replies.push_back(std::move(r));
    }
    for (auto &r : replies)
        EXPECT_EQ(text(*r), "OK");
    EXPECT_EQ(c.command({"DBSIZE"})->integer, 50);
}

TEST_F(RedisTls, HandshakeTimesOutAndFailuresLeakNoFds) {
    auto srv = server();
    Connection::Options opts;
    opts.connect_timeout = std::chrono::milliseconds(300);
    std::size_t fds = vcon_redis::testing::open_fd_count();
    for (int i = 0; i < 3; ++i)
        EXPECT_THROW(Connection(Url::parse(srv->tcp_url() + ca_query("other-ca.crt")), opts).connect(),
                     Error);
    srv->pause();
    Connection c(Url::parse(srv->tcp_url() + ca_query()), opts);
    try {
        c.connect();
        ADD_FAILURE() << "connected to a stopped server";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), Error::Kind::timeout);
        EXPECT_TRUE(contains(e.what(), "TLS handshake with 127.0.0.1")) << e.what();
    }
    srv->resume();
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(vcon_redis::testing::open_fd_count(), fds);
    c.connect();
    EXPECT_EQ(text(*c.command({"PING"})), "PONG");
}
