// The server's way to Redis for one io thread: one RedisPipe for a standalone Redis (tcp, unix,
// Sentinel), or, for a Redis Cluster URL, one RedisPipe per primary behind the slot map, each
// command sent to the primary of its key's slot (redis/slot.hpp).
//
// Cluster: the slot map (CLUSTER SLOTS) is read off the io thread (on the connector pool) at
// start(), after every MOVED, and again while it cannot be read. A MOVED reply updates the slot
// at once and the command goes to the node named; an ASK reply sends ASKING + the command to the
// node named; at most redis::Client::max_redirects hops. Whatever stays a MOVED/ASK/TRYAGAIN/
// CLUSTERDOWN error, a node that is down, or a slot no primary serves, comes back as an error
// reply or an empty Reply, which CachedStore serves as BYPASS (never a 5xx): a failover or a
// resharding never stops the server, it only lowers the hit ratio while it lasts.
#pragma once

#include "app/metrics.hpp"
#include "redis/slot_map.hpp"
#include "store/redis_pipe.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vcon_redis::server::store {

class RedisRouter {
public:
    RedisRouter(boost::asio::io_context &ioc, RedisPipe::Options options, boost::asio::thread_pool &connector,
                Metrics &metrics);
    ~RedisRouter();
    RedisRouter(const RedisRouter &) = delete;
    RedisRouter &operator=(const RedisRouter &) = delete;

    // Starts connecting (call on the io thread).
    void start();
    // Shuts every pipe down. Call on the io thread.
    void shutdown();

    // Standalone: the pipe is connected. Cluster: the slot map is known and a primary is connected.
    bool up() const;

    // As RedisPipe::exec, routed by the command's first key; redirections followed.
    boost::asio::awaitable<redis::Reply> exec(const redis::Command &cmd);

    // GET of every key: one reply per key, in order (an empty Reply where Redis is unavailable).
    // Standalone: one MGET (nil for an absent key and for a key of another type). Cluster: the keys split per
    // primary by slot, one pipelined batch of GETs per primary (primaries in turn), redirected keys followed
    // one by one. This is what a multi-key GET must use in a cluster, where MGET needs all keys in one slot.
    boost::asio::awaitable<std::vector<redis::Reply>> get_many(const std::vector<std::string> &keys);

private:
    bool cluster() const noexcept { return options_.url.kind == redis::Url::Kind::Cluster; }
    RedisPipe &pipe_for(const redis::HostPort &at);
    std::optional<redis::HostPort> route(int slot) const;
    void refresh_map();
    void install(redis::SlotMap map);
    void refresh_failed(const std::string &why);
    boost::asio::awaitable<redis::Reply> follow(const redis::Command &cmd, int slot, redis::Reply reply,
                                                redis::HostPort from);

    boost::asio::io_context &ioc_;
    RedisPipe::Options options_;
    boost::asio::thread_pool &connector_;
    Metrics &metrics_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // weak-checked by connector jobs

    std::unique_ptr<RedisPipe> single_;                                         // standalone
    std::vector<std::pair<redis::HostPort, std::unique_ptr<RedisPipe>>> nodes_; // cluster
    redis::SlotMap map_;
    bool map_loaded_ = false;
    bool refreshing_ = false;
    bool refresh_again_ = false;
    bool stopped_ = false;
    bool failure_logged_ = false;
    boost::asio::steady_timer retry_;
};

} // namespace vcon_redis::server::store
