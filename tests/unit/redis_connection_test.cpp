#include "redis/connection.hpp"
#include "redis_server_fixture.hpp"

#include <gtest/gtest.h>

#include <poll.h>

#include <chrono>
#include <string>
#include <thread>

using namespace vcon_redis::redis;
using vcon_redis::testing::open_fd_count;
using vcon_redis::testing::RedisServer;
using namespace std::chrono_literals;

namespace {

Connection connect_to(const std::string &url, Connection::Options opts = {}) {
    Connection c(Url::parse(url), opts);
    c.connect();
    return c;
}

// Runs fn, expects a redis::Error and returns it.
template <class F> Error expect_error(F &&fn) {
    try {
        fn();
    } catch (const Error &e) {
        return e;
    }
    ADD_FAILURE() << "no redis::Error thrown";
    return Error(Error::Kind::reply, "none");
}

std::string str(const Reply &r) {
    return std::string(text(*r));
}

// One server for the tests that do not stop or pause it.
class RedisConnection : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server = std::make_unique<RedisServer>(); }
    static void TearDownTestSuite() { server.reset(); }
    void SetUp() override {
        Connection admin = connect_to(server->tcp_url());
        for (int db : {0, 3})
            admin.pipeline({{"SELECT", std::to_string(db)}, {"FLUSHDB"}});
    }
    static std::unique_ptr<RedisServer> server;
};
std::unique_ptr<RedisServer> RedisConnection::server;

} // namespace

TEST(RedisEncode, RespIsBinarySafe) {
    std::string out;
    using namespace std::string_view_literals;
    encode_command({"SET", "k", "a\0b"sv}, out);
    EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n"sv);
    EXPECT_THROW(encode_command({}, out), std::invalid_argument);
}

TEST_F(RedisConnection, ConnectTcpAndPing) {
    Connection c = connect_to(server->tcp_url());
    EXPECT_TRUE(c.connected());
    EXPECT_GE(c.fd(), 0);
    Reply r = c.command({"PING"});
    EXPECT_EQ(r->type, REDIS_REPLY_STATUS);
    EXPECT_EQ(str(r), "PONG");
    c.close();
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(c.fd(), -1);
    EXPECT_THROW(c.command({"PING"}), Error);
}

TEST_F(RedisConnection, ConnectUnixSocket) {
    Connection c = connect_to(server->unix_url());
    EXPECT_EQ(str(c.command({"SET", "via", "unix"})), "OK");
    Connection t = connect_to(server->tcp_url());
    EXPECT_EQ(str(t.command({"GET", "via"})), "unix");
}

TEST_F(RedisConnection, SelectDb) {
    Connection c3 = connect_to(server->tcp_url(3));
    c3.command({"SET", "dbkey", "three"});
    Connection c0 = connect_to(server->tcp_url(0));
    EXPECT_TRUE(is_nil(*c0.command({"GET", "dbkey"})));
    Connection u3 = connect_to(server->unix_url(3));
    EXPECT_EQ(str(u3.command({"GET", "dbkey"})), "three");
}

TEST_F(RedisConnection, SelectOutOfRangeIsAReplyError) {
    Error e = expect_error([&] { connect_to(server->tcp_url(999)); });
    EXPECT_EQ(e.kind(), Error::Kind::reply);
    EXPECT_NE(std::string(e.what()).find("SELECT 999"), std::string::npos);
}

TEST_F(RedisConnection, PipelineOfThousandCommands) {
    Connection c = connect_to(server->tcp_url());
    std::vector<std::string> keys, values;
    for (int i = 0; i < 1000; ++i) {
        keys.push_back("k" + std::to_string(i));
        values.push_back("value-" + std::to_string(i));
    }
    std::vector<Command> sets, gets;
    for (int i = 0; i < 1000; ++i) {
        sets.push_back({"SET", keys[i], values[i]});
        gets.push_back({"GET", keys[i]});
    }
    auto r1 = c.pipeline(sets);
    ASSERT_EQ(r1.size(), 1000u);
    for (auto &r : r1)
        EXPECT_EQ(str(r), "OK");
    auto r2 = c.pipeline(gets);
    ASSERT_EQ(r2.size(), 1000u);
    for (int i = 0; i < 1000; ++i)
        EXPECT_EQ(str(r2[i]), values[i]);
}

TEST_F(RedisConnection, BinarySafeValues) {
    Connection c = connect_to(server->tcp_url());
    std::string key("bin\0key", 7);
    std::string value("a\0b\r\n$3\r\n\0\xff", 12);
    c.command({"SET", key, value});
    Reply r = c.command({"GET", key});
    ASSERT_EQ(r->type, REDIS_REPLY_STRING);
    EXPECT_EQ(str(r), value);
}

TEST_F(RedisConnection, OneMegabyteValue) {
    Connection c = connect_to(server->tcp_url());
    std::string big(1 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4093)
        big[i] = static_cast<char>('a' + i % 26);
    auto r = c.pipeline({{"SET", "big", big}, {"GET", "big"}, {"STRLEN", "big"}});
    EXPECT_EQ(str(r[0]), "OK");
    EXPECT_EQ(str(r[1]), big);
    EXPECT_EQ(r[2]->integer, 1 << 20);
}

TEST_F(RedisConnection, ErrorRepliesAreValuesNotExceptions) {
    Connection c = connect_to(server->tcp_url());
    auto r =
        c.pipeline({{"NOSUCHCOMMAND"}, {"SET", "a", "1"}, {"INCR", "nonnum-after-set"}, {"LPUSH", "a", "x"}});
    EXPECT_TRUE(is_error(*r[0]));
    EXPECT_EQ(str(r[1]), "OK");
    EXPECT_EQ(r[2]->integer, 1);
    EXPECT_TRUE(is_error(*r[3])); // WRONGTYPE
    EXPECT_TRUE(c.connected());
}

TEST_F(RedisConnection, AsyncPrimitives) {
    Connection c = connect_to(server->tcp_url());
    c.append({"SET", "async", "1"});
    c.append({"INCR", "async"});
    c.append({"GET", "async"});
    EXPECT_TRUE(c.pending_output());
    while (!c.flush()) {
        pollfd p{c.fd(), POLLOUT, 0};
        ::poll(&p, 1, 1000);
    }
    std::vector<Reply> got;
    while (got.size() < 3) {
        if (Reply r = c.next_reply()) {
            got.push_back(std::move(r));
            continue;
        }
        if (!c.read()) {
            pollfd p{c.fd(), POLLIN, 0};
            ::poll(&p, 1, 1000);
        }
    }
    EXPECT_EQ(str(got[0]), "OK");
    EXPECT_EQ(got[1]->integer, 2);
    EXPECT_EQ(str(got[2]), "2");
    EXPECT_EQ(c.next_reply(), nullptr);
}

TEST_F(RedisConnection, MovedConnectionKeepsWorking) {
    Connection a = connect_to(server->tcp_url());
    Connection b = std::move(a);
    EXPECT_EQ(str(b.command({"PING"})), "PONG");
}

TEST_F(RedisConnection, WaiterExceptionClosesAndPropagates) {
    struct Stop {};
    bool stop_requested = false;
    Connection c(Url::parse(server->tcp_url()), {}, [&](int fd, bool w, Clock::time_point d) {
        if (stop_requested)
            throw Stop{}; // e.g. the PostgreSQL worker got SIGTERM while waiting for a reply
        return poll_waiter()(fd, w, d);
    });
    c.connect();
    stop_requested = true;
    std::size_t fds = open_fd_count();
    // BLPOP blocks server-side, so the client has to wait and the waiter throws.
    EXPECT_THROW(c.command({"BLPOP", "never", "5"}), Stop);
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(open_fd_count(), fds - 1);
}

TEST(RedisAuth, PasswordAclUserAndWrongPassword) {
    const std::string pw = "Pa55-w0rd-Secret";
    RedisServer srv({.password = pw, .extra_args = {}});
    Connection admin = connect_to(srv.tcp_url());
    EXPECT_EQ(str(admin.command({"PING"})), "PONG");
    EXPECT_EQ(str(admin.command({"ACL", "SETUSER", "alice", "on", ">AlicePw-Secret", "~*", "&*", "+@all"})),
              "OK");

    Connection alice =
        connect_to("redis://alice:AlicePw-Secret@127.0.0.1:" + std::to_string(srv.port()) + "/2");
    EXPECT_EQ(str(alice.command({"ACL", "WHOAMI"})), "alice");
    Connection alice_unix = connect_to("unix://" + srv.unix_path() + "?user=alice&password=AlicePw-Secret");
    EXPECT_EQ(str(alice_unix.command({"ACL", "WHOAMI"})), "alice");

    std::size_t fds = open_fd_count();
    const std::string wrong = "Wrong-Secret-42";
    for (const std::string &url : {"redis://:" + wrong + "@127.0.0.1:" + std::to_string(srv.port()),
                                   "redis://alice:" + wrong + "@127.0.0.1:" + std::to_string(srv.port()),
                                   "unix://" + srv.unix_path() + "?password=" + wrong}) {
        Connection c(Url::parse(url), {});
        Error e = expect_error([&] { c.connect(); });
        EXPECT_EQ(e.kind(), Error::Kind::auth) << e.what();
        EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("WRONGPASS"), std::string::npos) << e.what();
        EXPECT_FALSE(c.connected());
    }
    EXPECT_EQ(open_fd_count(), fds);

    Connection none(Url::parse("redis://127.0.0.1:" + std::to_string(srv.port())), {});
    Error e = expect_error([&] { none.connect(); });
    EXPECT_EQ(e.kind(), Error::Kind::auth);
    EXPECT_NE(std::string(e.what()).find("NOAUTH"), std::string::npos);
}

TEST(RedisFailures, TimeoutWhenServerIsPaused) {
    RedisServer srv;
    Connection c = connect_to(srv.tcp_url(), {.connect_timeout = 1000ms, .command_timeout = 300ms});
    std::size_t fds = open_fd_count();
    srv.pause();
    auto t0 = Clock::now();
    Error e = expect_error([&] { c.command({"PING"}); });
    auto elapsed = Clock::now() - t0;
    srv.resume();
    EXPECT_EQ(e.kind(), Error::Kind::timeout) << e.what();
    EXPECT_GE(elapsed, 290ms);
    EXPECT_LT(elapsed, 1500ms);
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(open_fd_count(), fds - 1);
    c.connect();
    EXPECT_EQ(str(c.command({"PING"})), "PONG");
}

TEST(RedisFailures, ConnectTimeoutWhenServerIsPausedDuringHandshake) {
    RedisServer srv;
    srv.pause(); // the kernel still accepts the TCP connection, but nobody answers PING
    Connection c(Url::parse(srv.tcp_url()), {.connect_timeout = 300ms, .command_timeout = 300ms});
    auto t0 = Clock::now();
    Error e = expect_error([&] { c.connect(); });
    srv.resume();
    EXPECT_EQ(e.kind(), Error::Kind::timeout) << e.what();
    EXPECT_LT(Clock::now() - t0, 1500ms);
    EXPECT_FALSE(c.connected());
}

TEST(RedisFailures, ReconnectAfterServerRestart) {
    RedisServer srv;
    Connection c = connect_to(srv.tcp_url());
    c.command({"SET", "k", "v"});
    srv.restart();
    Error e = expect_error([&] { c.pipeline({{"PING"}, {"PING"}}); });
    EXPECT_EQ(e.kind(), Error::Kind::io) << e.what();
    EXPECT_FALSE(c.connected());
    c.connect();
    EXPECT_EQ(str(c.command({"PING"})), "PONG");
    EXPECT_TRUE(is_nil(*c.command({"GET", "k"}))); // --save '': the restart lost the data
}

TEST(RedisFailures, RefusedConnectsThrowAndLeakNoFds) {
    auto srv = std::make_unique<RedisServer>();
    std::string tcp = srv->tcp_url(), unix_url = srv->unix_url();
    srv.reset();
    std::size_t fds = open_fd_count();
    for (int i = 0; i < 50; ++i) {
        for (const std::string &url : {tcp, unix_url}) {
            Connection c(Url::parse(url), {.connect_timeout = 500ms, .command_timeout = 500ms});
            Error e = expect_error([&] { c.connect(); });
            EXPECT_EQ(e.kind(), Error::Kind::connect) << e.what();
        }
    }
    EXPECT_EQ(open_fd_count(), fds);
}

// A peer that is not Redis (here: an HTTP server's answer) is a protocol error, not a hang.
TEST(RedisFailures, NonRedisPeerIsAProtocolError) {
    int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(ls, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(ls, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(ls, 4), 0);
    ASSERT_EQ(::getsockname(ls, reinterpret_cast<sockaddr *>(&a), &len), 0);
    std::thread peer([ls] {
        int s = ::accept(ls, nullptr, nullptr);
        if (s < 0)
            return;
        const char answer[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
        [[maybe_unused]] auto n = ::send(s, answer, sizeof answer - 1, MSG_NOSIGNAL);
        char buf[256];
        while (::recv(s, buf, sizeof buf, 0) > 0) {
        }
        ::close(s);
    });
    std::size_t fds = open_fd_count();
    Connection c(Url::parse("redis://127.0.0.1:" + std::to_string(ntohs(a.sin_port))),
                 {.connect_timeout = 1000ms, .command_timeout = 1000ms});
    Error e = expect_error([&] { c.connect(); });
    EXPECT_EQ(e.kind(), Error::Kind::protocol) << e.what();
    EXPECT_FALSE(c.connected());
    peer.join(); // the peer's accepted socket is closed once our side is: count after it
    EXPECT_EQ(open_fd_count(), fds);
    ::close(ls);
}
