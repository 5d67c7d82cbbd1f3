// The blocking Redis client of the worker (and of plain programs): one Connection for a
// standalone Redis (tcp, unix, Sentinel), or one Connection per primary of a Redis Cluster, every
// command routed by the slot of its key (redis/slot.hpp) through the slot map (CLUSTER SLOTS).
//
// Cluster: the map is read at connect() from the seeds of the URL. A MOVED reply updates the
// slot and sends the command to the node named, and the whole map is read again before the next
// pipeline; an ASK reply sends ASKING and the command to the node named (the slot is being
// migrated). Up to max_redirects rounds; a command still redirected then returns its last
// MOVED/ASK reply (a transient error reply). TRYAGAIN and CLUSTERDOWN replies are returned as
// they are (transient: is_transient_error).
//
// Order: commands on one slot always travel in one pipeline to one node, in order, and are
// redirected together, so the commands of one key keep their order. Commands on different slots
// have no order between them.
//
// Failure model as Connection's: a transport error throws Error and closes that node's
// connection; the caller reconnects (connect() reads the map again) and retries.
#pragma once

#include "redis/connection.hpp"
#include "redis/slot_map.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vcon_redis::redis {

class Client {
public:
    // Counts every node connection against a budget (the worker: PostgreSQL's external file
    // descriptors). reserve() false refuses the connection (Error{connect}).
    struct FdBudget {
        std::function<bool()> reserve;
        std::function<void()> release;
    };

    static constexpr int max_redirects = 5;

    Client(Url url, Connection::Options options, Waiter waiter = poll_waiter(), FdBudget budget = {});
    ~Client();
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    // (Re)connects: standalone, Connection::connect(); cluster, reads the slot map from the first
    // known node or seed that answers. Throws Error.
    void connect();
    bool connected() const noexcept;
    void close() noexcept;

    bool is_cluster() const noexcept { return url_.kind == Url::Kind::Cluster; }
    const Url &url() const noexcept { return url_; }
    // The node connected to, or "cluster of N primaries" for a cluster.
    std::string address() const;

    // One reply per command, in order (see the header comment). Throws Error like pipeline().
    std::vector<Reply> pipeline(const std::vector<Command> &commands);
    Reply command(const Command &cmd);

    // Sends cmd (a keyless command such as WAIT) to every node that received a command since the
    // last call (standalone: the one connection) and returns their replies.
    std::vector<Reply> on_written_nodes(const Command &cmd);

    // Standalone: the connection (connected or not). Cluster: nullptr.
    Connection *standalone() noexcept { return single_.get(); }
    // The same, for writes the caller sends on it itself (Connection::append … receive): counted as
    // written, so that on_written_nodes (WAIT) covers them.
    Connection *standalone_for_writes() noexcept {
        single_written_ = single_written_ || single_ != nullptr;
        return single_.get();
    }

    // Cluster: the current slot map (empty before connect()).
    const SlotMap &slot_map() const noexcept { return map_; }

private:
    struct Node {
        HostPort at;
        std::unique_ptr<Connection> conn;
        bool written = false;
    };

    Node &node(const HostPort &at);
    Connection &open(Node &n);
    void refresh_map();
    HostPort route(int slot) const;
    std::vector<Reply> cluster_pipeline(const std::vector<Command> &commands);

    Url url_;
    Connection::Options options_;
    Waiter waiter_;
    FdBudget budget_;
    std::unique_ptr<Connection> single_; // standalone
    bool single_reserved_ = false;
    bool single_written_ = false;
    std::vector<Node> nodes_; // cluster: every node talked to since connect(), each holding an fd
    SlotMap map_;
    bool map_loaded_ = false;
    bool map_stale_ = false;
};

} // namespace vcon_redis::redis
