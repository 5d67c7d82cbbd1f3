// A throw-away redis-server for tests: free loopback port, unix socket, temp dir, no persistence;
// killed and removed by the destructor. Optionally password-protected, or TLS-only on its TCP port
// (certificates from tests/harness/make_test_certs.sh, see make_test_certs()). No mocks anywhere.
//
//   vcon_redis::testing::RedisServer srv;             // or RedisServer({.password = "pw"})
//   auto url = vcon_redis::redis::Url::parse(srv.tcp_url(/*db=*/0));
//   srv.pause(); srv.resume(); srv.restart();         // SIGSTOP / SIGCONT / kill + start, same port
#pragma once

#include <hiredis/hiredis.h>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace vcon_redis::testing {

// Binds port 0 on 127.0.0.1 and returns what the kernel chose (racy by nature; start() retries).
inline int free_tcp_port() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        throw std::runtime_error("socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int rc = ::bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a);
    if (rc == 0)
        rc = ::getsockname(s, reinterpret_cast<sockaddr *>(&a), &len);
    ::close(s);
    if (rc != 0)
        throw std::runtime_error("cannot find a free port");
    return ntohs(a.sin_port);
}

// Number of open file descriptors of this process (leak checks).
inline std::size_t open_fd_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] auto &e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

// Defined outside RedisServer so that its member initialisers work in a default argument.
struct RedisServerConfig {
    std::string password{};                // --requirepass when non-empty
    std::vector<std::string> extra_args{}; // more redis-server arguments
    std::string tls_dir{};                 // TLS-only TCP port with tls_dir/<tls_cert>.{crt,key}
    std::string tls_cert = "server";       // which certificate the server presents
    std::string tls_auth_clients = "no";   // yes: mutual TLS (client certificates from ca.crt)
};

class RedisServer {
public:
    using Config = RedisServerConfig;

    explicit RedisServer(Config config = {}) : config_(std::move(config)) {
        char tmpl[] = "/tmp/vcon-redis-test-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        for (int attempt = 0;; ++attempt) {
            port_ = free_tcp_port();
            try {
                start();
                return;
            } catch (...) {
                if (attempt == 4) {
                    std::error_code ec;
                    std::filesystem::remove_all(dir_, ec);
                    throw;
                }
            }
        }
    }

    ~RedisServer() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string &dir() const { return dir_; }
    std::string unix_path() const { return dir_ + "/redis.sock"; }
    const std::string &password() const { return config_.password; }

    // redis://[:password@]127.0.0.1:port/db (rediss:// when TLS)
    std::string tcp_url(int db = 0) const {
        std::string auth = config_.password.empty() ? "" : ":" + config_.password + "@";
        return std::string(config_.tls_dir.empty() ? "redis://" : "rediss://") + auth +
               "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
    }
    std::string unix_url(int db = 0) const {
        std::string auth = config_.password.empty() ? "" : "&password=" + config_.password;
        return "unix://" + unix_path() + "?db=" + std::to_string(db) + auth;
    }

    // Starts redis-server on the same port/socket and waits (5 s) until it answers PING.
    void start() {
        if (pid_ > 0)
            return;
        std::vector<std::string> args = {"/usr/bin/redis-server",
                                         "--port",
                                         config_.tls_dir.empty() ? std::to_string(port_) : "0",
                                         "--bind",
                                         "127.0.0.1",
                                         "--save",
                                         "",
                                         "--appendonly",
                                         "no",
                                         "--daemonize",
                                         "no",
                                         "--dir",
                                         dir_,
                                         "--unixsocket",
                                         unix_path(),
                                         "--unixsocketperm",
                                         "700",
                                         "--logfile",
                                         dir_ + "/redis.log"};
        if (!config_.tls_dir.empty()) {
            const std::string &d = config_.tls_dir;
            args.insert(args.end(), {"--tls-port", std::to_string(port_), "--tls-cert-file",
                                     d + "/" + config_.tls_cert + ".crt", "--tls-key-file",
                                     d + "/" + config_.tls_cert + ".key", "--tls-ca-cert-file", d + "/ca.crt",
                                     "--tls-auth-clients", config_.tls_auth_clients});
        }
        if (!config_.password.empty()) {
            args.push_back("--requirepass");
            args.push_back(config_.password);
        }
        args.insert(args.end(), config_.extra_args.begin(), config_.extra_args.end());
        std::vector<char *> argv;
        for (auto &a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
            pid_ = -1;
            throw std::runtime_error("cannot spawn redis-server");
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!answers_ping()) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server exited at start (port in use?), see " + dir_ +
                                         "/redis.log");
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("redis-server did not answer within 5 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    // SIGKILL (a crash, as far as clients can tell) and reap.
    void stop() {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGCONT);
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    void restart() {
        stop();
        start();
    }

    void pause() { ::kill(pid_, SIGSTOP); }
    void resume() { ::kill(pid_, SIGCONT); }

private:
    // Blocking hiredis on purpose: the fixture must not depend on the code under test. A TLS
    // server is asked over its (plaintext) unix socket.
    bool answers_ping() const {
        timeval tv{0, 200000};
        std::unique_ptr<redisContext, decltype(&redisFree)> c(
            config_.tls_dir.empty() ? redisConnectWithTimeout("127.0.0.1", port_, tv)
                                    : redisConnectUnixWithTimeout(unix_path().c_str(), tv),
            &redisFree);
        if (!c || c->err)
            return false;
        if (!config_.password.empty()) {
            auto *r = static_cast<redisReply *>(redisCommand(c.get(), "AUTH %s", config_.password.c_str()));
            if (r == nullptr)
                return false;
            freeReplyObject(r);
        }
        auto *r = static_cast<redisReply *>(redisCommand(c.get(), "PING"));
        bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
        if (r != nullptr)
            freeReplyObject(r);
        return ok;
    }

    Config config_;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// A redis-server in sentinel mode (plaintext, no password) monitoring 127.0.0.1:master_port as
// master_name, quorum 1; killed and removed by the destructor.
class SentinelProcess {
public:
    SentinelProcess(int master_port, const std::string &master_name) {
        char tmpl[] = "/tmp/vcon-redis-sentinel-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        port_ = free_tcp_port();
        std::string conf = dir_ + "/sentinel.conf";
        {
            std::unique_ptr<FILE, decltype(&fclose)> f(fopen(conf.c_str(), "w"), &fclose);
            if (!f)
                throw std::runtime_error("cannot write " + conf);
            fprintf(f.get(),
                    "port %d\nbind 127.0.0.1\ndir %s\nlogfile %s/sentinel.log\n"
                    "sentinel monitor %s 127.0.0.1 %d 1\n",
                    port_, dir_.c_str(), dir_.c_str(), master_name.c_str(), master_port);
        }
        std::vector<std::string> args = {"/usr/bin/redis-server", conf, "--sentinel"};
        std::vector<char *> argv;
        for (auto &a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("cannot spawn redis-server --sentinel");
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!answers_ping()) {
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("sentinel did not answer within 5 s");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ~SentinelProcess() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    SentinelProcess(const SentinelProcess &) = delete;
    SentinelProcess &operator=(const SentinelProcess &) = delete;

    int port() const { return port_; }

private:
    bool answers_ping() const {
        timeval tv{0, 200000};
        std::unique_ptr<redisContext, decltype(&redisFree)> c(redisConnectWithTimeout("127.0.0.1", port_, tv),
                                                              &redisFree);
        if (!c || c->err)
            return false;
        auto *r = static_cast<redisReply *>(redisCommand(c.get(), "PING"));
        bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
        if (r != nullptr)
            freeReplyObject(r);
        return ok;
    }

    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// Runs tests/harness/make_test_certs.sh into a new temporary directory (removed by the returned
// object's destructor): ca, other-ca, server (127.0.0.1/::1/localhost), wronghost, client.
class TestCerts {
public:
    TestCerts() {
        char tmpl[] = "/tmp/vcon-redis-certs-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::string cmd = std::string(VCON_SOURCE_DIR) + "/tests/harness/make_test_certs.sh " + dir_;
        if (std::system(cmd.c_str()) != 0)
            throw std::runtime_error("make_test_certs.sh failed");
    }
    ~TestCerts() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    TestCerts(const TestCerts &) = delete;
    TestCerts &operator=(const TestCerts &) = delete;

    const std::string &dir() const { return dir_; }
    std::string file(const std::string &name) const { return dir_ + "/" + name; }

private:
    std::string dir_;
};

} // namespace vcon_redis::testing
