#include "store/redis_router.hpp"

#include "app/log.hpp"
#include "redis/client.hpp"
#include "redis/redirect.hpp"
#include "redis/slot.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <optional>

namespace asio = boost::asio;

namespace vcon_redis::server::store {
namespace {

constexpr std::chrono::milliseconds kMapRetry{500};

} // namespace

RedisRouter::RedisRouter(asio::io_context &ioc, RedisPipe::Options options, asio::thread_pool &connector,
                         Metrics &metrics)
    : ioc_(ioc), options_(std::move(options)), connector_(connector), metrics_(metrics), retry_(ioc) {
    if (!cluster())
        single_ = std::make_unique<RedisPipe>(ioc_, options_, connector_, metrics_);
}

RedisRouter::~RedisRouter() = default;

void RedisRouter::start() {
    if (single_)
        single_->start();
    else
        refresh_map();
}

void RedisRouter::shutdown() {
    stopped_ = true;
    retry_.cancel();
    if (single_)
        single_->shutdown();
    for (auto &[at, pipe] : nodes_)
        pipe->shutdown();
}

bool RedisRouter::up() const {
    if (single_)
        return single_->up();
    return map_loaded_ &&
           std::any_of(nodes_.begin(), nodes_.end(), [](const auto &n) { return n.second->up(); });
}

RedisPipe &RedisRouter::pipe_for(const redis::HostPort &at) {
    for (auto &[node, pipe] : nodes_)
        if (node == at)
            return *pipe;
    RedisPipe::Options o = options_;
    o.url = options_.url.node(at);
    auto &added =
        nodes_.emplace_back(at, std::make_unique<RedisPipe>(ioc_, std::move(o), connector_, metrics_));
    if (!stopped_)
        added.second->start();
    return *added.second;
}

std::optional<redis::HostPort> RedisRouter::route(int slot) const {
    if (!map_loaded_ || map_.nodes().empty())
        return std::nullopt;
    if (slot < 0)
        return map_.nodes().front();
    return map_.node_for(slot);
}

// Reads the map on the connector pool from the known primaries, then the seeds; one read at a time
// (a MOVED during a read asks for one more afterwards).
void RedisRouter::refresh_map() {
    if (stopped_)
        return;
    if (refreshing_) {
        refresh_again_ = true;
        return;
    }
    refreshing_ = true;
    refresh_again_ = false;
    std::vector<redis::HostPort> candidates = map_.candidates(options_.url.seeds);
    redis::Connection::Options copts;
    copts.connect_timeout = options_.connect_timeout;
    copts.command_timeout = std::max(options_.connect_timeout, std::chrono::milliseconds(1000));
    std::weak_ptr<int> alive = alive_;
    asio::post(connector_, [this, alive, candidates = std::move(candidates), url = options_.url, copts,
                            ex = ioc_.get_executor()] {
        std::string last = "no seed node configured";
        for (const redis::HostPort &at : candidates) {
            try {
                redis::Connection c(url.node(at), copts);
                c.connect();
                redis::SlotMap map = redis::read_slot_map(c, at.host);
                asio::post(ex, [this, alive, map = std::move(map)]() mutable {
                    if (!alive.expired())
                        install(std::move(map));
                });
                return;
            } catch (const std::exception &e) {
                last = e.what();
            }
        }
        asio::post(ex, [this, alive, last] {
            if (!alive.expired())
                refresh_failed(last);
        });
    });
}

void RedisRouter::install(redis::SlotMap map) {
    refreshing_ = false;
    if (stopped_)
        return;
    map_ = std::move(map);
    map_loaded_ = true;
    for (const redis::HostPort &at : map_.nodes())
        pipe_for(at);
    if (failure_logged_ || map_.uncovered() > 0)
        log::info("redis: cluster slot map read: " + std::to_string(map_.nodes().size()) + " primaries" +
                  (map_.uncovered() > 0 ? ", " + std::to_string(map_.uncovered()) + " slots unserved" : ""));
    failure_logged_ = false;
    if (refresh_again_)
        refresh_map();
}

void RedisRouter::refresh_failed(const std::string &why) {
    refreshing_ = false;
    metrics_.backend_error(Backend::Redis);
    if (!failure_logged_) {
        log::warn("redis: cannot read the cluster slot map of " + options_.url.endpoint() + ": " + why +
                  "; serving BYPASS and retrying");
        failure_logged_ = true;
    }
    if (stopped_)
        return;
    retry_.expires_after(kMapRetry);
    retry_.async_wait([this](boost::system::error_code ec) {
        if (!ec)
            refresh_map();
    });
}

// Follows MOVED/ASK from `from` for at most max_redirects hops; returns the last reply.
asio::awaitable<redis::Reply> RedisRouter::follow(const redis::Command &cmd, int slot, redis::Reply reply,
                                                  redis::HostPort from) {
    static const redis::Command asking{"ASKING"};
    std::optional<redis::Redirect> redirect;
    std::vector<redis::Command> ask_batch;
    std::vector<redis::Reply> replies;
    for (int hop = 0; hop < redis::Client::max_redirects && reply; ++hop) {
        redirect = redis::parse_redirect(*reply, from.host);
        if (!redirect)
            break;
        from = redirect->to;
        if (redirect->kind == redis::Redirect::Kind::moved) {
            if (slot >= 0)
                map_.assign(slot, redirect->to);
            refresh_map();
            reply = co_await pipe_for(from).exec(cmd);
        } else {
            ask_batch = {asking, cmd};
            replies = co_await pipe_for(from).exec_many(ask_batch);
            reply = std::move(replies.back());
        }
    }
    co_return reply;
}

asio::awaitable<redis::Reply> RedisRouter::exec(const redis::Command &cmd) {
    redis::Reply reply;
    const int slot = cluster() ? redis::command_slot(cmd) : -1;
    const std::optional<redis::HostPort> at = cluster() ? route(slot) : std::nullopt;
    if (single_) {
        reply = co_await single_->exec(cmd);
    } else if (!at) {
        refresh_map(); // no map yet, or a slot nobody serves: BYPASS now, ask again
    } else {
        reply = co_await pipe_for(*at).exec(cmd);
        if (reply && redis::is_error(*reply))
            reply = co_await follow(cmd, slot, std::move(reply), *at);
    }
    co_return reply;
}

asio::awaitable<std::vector<redis::Reply>> RedisRouter::get_many(const std::vector<std::string> &keys) {
    std::vector<redis::Reply> out(keys.size());
    std::vector<redis::Command> cmds;
    std::vector<redis::Reply> replies;
    redis::Reply all;
    std::vector<std::pair<redis::HostPort, std::vector<std::size_t>>> groups;
    if (single_) {
        // One MGET; its elements become the per-key replies (taken out of the array reply, whose
        // deleter then skips them).
        all = co_await single_->mget(keys);
        if (all && all->type == REDIS_REPLY_ARRAY && all->elements == keys.size()) {
            for (std::size_t i = 0; i < keys.size(); ++i) {
                out[i].reset(all->element[i]);
                all->element[i] = nullptr;
            }
        } else if (all && redis::is_error(*all)) {
            all.reset(); // refused (a proxy without MGET, say): a pipelined GET per key
            cmds.reserve(keys.size());
            for (const std::string &k : keys)
                cmds.push_back({std::string_view("GET"), std::string_view(k)});
            out = co_await single_->exec_many(cmds);
        }
    } else {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            std::optional<redis::HostPort> at = route(redis::key_slot(keys[i]));
            if (!at) {
                refresh_map();
                continue; // stays empty: BYPASS
            }
            auto g =
                std::find_if(groups.begin(), groups.end(), [&](const auto &p) { return p.first == *at; });
            if (g == groups.end())
                g = groups.insert(groups.end(), {*at, {}});
            g->second.push_back(i);
        }
        for (auto &group : groups) {
            cmds.clear();
            for (std::size_t i : group.second)
                cmds.push_back({std::string_view("GET"), std::string_view(keys[i])});
            replies = co_await pipe_for(group.first).exec_many(cmds);
            for (std::size_t j = 0; j < group.second.size(); ++j) {
                const std::size_t i = group.second[j];
                if (replies[j] && redis::is_error(*replies[j]))
                    replies[j] = co_await follow(cmds[j], redis::key_slot(keys[i]), std::move(replies[j]),
                                                 group.first);
                out[i] = std::move(replies[j]);
            }
        }
    }
    co_return out;
}

} // namespace vcon_redis::server::store
