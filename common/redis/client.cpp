#include "redis/client.hpp"

#include "redis/redirect.hpp"
#include "redis/slot.hpp"

#include <algorithm>
#include <optional>

namespace vcon_redis::redis {

Client::Client(Url url, Connection::Options options, Waiter waiter, FdBudget budget)
    : url_(std::move(url)), options_(options), waiter_(std::move(waiter)), budget_(std::move(budget)) {
    if (!waiter_)
        waiter_ = poll_waiter();
}

Client::~Client() {
    close();
}

void Client::close() noexcept {
    if (single_)
        single_->close();
    if (single_reserved_ && budget_.release)
        budget_.release();
    single_reserved_ = false;
    single_.reset();
    for (Node &n : nodes_) {
        n.conn.reset();
        if (budget_.release)
            budget_.release();
    }
    nodes_.clear();
    map_loaded_ = false;
}

bool Client::connected() const noexcept {
    if (is_cluster())
        return map_loaded_;
    return single_ != nullptr && single_->connected();
}

std::string Client::address() const {
    if (!is_cluster())
        return single_ ? single_->address() : url_.endpoint();
    return "cluster of " + std::to_string(map_.nodes().size()) + " primaries";
}

void Client::connect() {
    close();
    if (!is_cluster()) {
        if (budget_.reserve && !budget_.reserve())
            throw Error(Error::Kind::connect, "redis: no file descriptor available for the connection");
        single_reserved_ = true;
        single_ = std::make_unique<Connection>(url_, options_, waiter_);
        single_->connect();
        single_written_ = false;
        return;
    }
    refresh_map();
}

Client::Node &Client::node(const HostPort &at) {
    for (Node &n : nodes_)
        if (n.at == at)
            return n;
    if (budget_.reserve && !budget_.reserve())
        throw Error(Error::Kind::connect, "redis: no file descriptor available for a connection to " +
                                              format_endpoint(at.host, at.port));
    Node &n = nodes_.emplace_back();
    n.at = at;
    n.conn = std::make_unique<Connection>(url_.node(at), options_, waiter_);
    return n;
}

Connection &Client::open(Node &n) {
    if (!n.conn->connected())
        n.conn->connect();
    return *n.conn;
}

// Asks the nodes of the current map, then the seeds, until one answers with a map.
void Client::refresh_map() {
    std::vector<HostPort> candidates = map_.candidates(url_.seeds);
    std::string last = "no seed node configured";
    Error::Kind last_kind = Error::Kind::connect;
    for (const HostPort &at : candidates) {
        try {
            SlotMap map = read_slot_map(open(node(at)), at.host);
            map_ = std::move(map);
            map_loaded_ = true;
            map_stale_ = false;
            return;
        } catch (const Error &e) {
            last = e.what();
            last_kind = e.kind();
        }
    }
    map_loaded_ = false;
    throw Error(last_kind, "redis: no node of " + url_.endpoint() + " gave the slot map: " + last);
}

HostPort Client::route(int slot) const {
    if (slot < 0)
        return map_.nodes().front();
    std::optional<HostPort> at = map_.node_for(slot);
    if (!at)
        throw Error(Error::Kind::io, "redis: no primary serves cluster slot " + std::to_string(slot) +
                                         " (cluster down or resharding); retrying later");
    return *at;
}

std::vector<Reply> Client::pipeline(const std::vector<Command> &commands) {
    if (!is_cluster()) {
        if (!single_)
            throw Error(Error::Kind::io, "redis: pipeline before connect()");
        single_written_ = true;
        return single_->pipeline(commands);
    }
    if (!map_loaded_)
        throw Error(Error::Kind::io, "redis: pipeline before connect()");
    return cluster_pipeline(commands);
}

Reply Client::command(const Command &cmd) {
    auto replies = pipeline(std::vector<Command>{cmd});
    return std::move(replies.front());
}

std::vector<Reply> Client::cluster_pipeline(const std::vector<Command> &commands) {
    const std::size_t n = commands.size();
    std::vector<Reply> result(n);
    std::vector<int> slots(n);
    for (std::size_t i = 0; i < n; ++i)
        slots[i] = command_slot(commands[i]);
    std::vector<std::optional<HostPort>> ask(n); // ASK target of a command, for its next round
    std::vector<std::size_t> todo(n);
    for (std::size_t i = 0; i < n; ++i)
        todo[i] = i;
    static const Command asking{"ASKING"};

    for (int round = 0; !todo.empty(); ++round) {
        if (map_stale_)
            refresh_map();
        // One pipeline per node, the commands in their order.
        std::vector<std::pair<HostPort, std::vector<std::size_t>>> groups;
        for (std::size_t i : todo) {
            HostPort at = ask[i] ? *ask[i] : route(slots[i]);
            auto g = std::find_if(groups.begin(), groups.end(), [&](const auto &p) { return p.first == at; });
            if (g == groups.end())
                g = groups.insert(groups.end(), {at, {}});
            g->second.push_back(i);
        }
        std::vector<std::size_t> again;
        const bool last_round = round + 1 >= max_redirects;
        for (auto &[at, members] : groups) {
            std::vector<Command> batch;
            batch.reserve(members.size());
            for (std::size_t i : members) {
                if (ask[i])
                    batch.push_back(asking);
                batch.push_back(commands[i]);
            }
            Node &nd = node(at);
            nd.written = true;
            std::vector<Reply> replies = open(nd).pipeline(batch);
            std::size_t r = 0;
            for (std::size_t i : members) {
                if (ask[i])
                    ++r; // ASKING's +OK
                result[i] = std::move(replies[r++]);
                ask[i].reset();
                std::optional<Redirect> redirect = parse_redirect(*result[i], at.host);
                if (!redirect || last_round)
                    continue;
                if (redirect->kind == Redirect::Kind::moved) {
                    map_.assign(redirect->slot, redirect->to);
                    map_stale_ = true;
                } else {
                    ask[i] = redirect->to;
                }
                again.push_back(i);
            }
        }
        std::sort(again.begin(), again.end());
        todo = std::move(again);
    }
    return result;
}

std::vector<Reply> Client::on_written_nodes(const Command &cmd) {
    std::vector<Reply> replies;
    if (!is_cluster()) {
        if (single_ && single_written_) {
            single_written_ = false;
            replies.push_back(single_->command(cmd));
        }
        return replies;
    }
    for (Node &n : nodes_) {
        if (!n.written)
            continue;
        n.written = false;
        replies.push_back(open(n).command(cmd));
    }
    return replies;
}

} // namespace vcon_redis::redis
