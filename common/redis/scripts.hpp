// The Lua scripts that make each Redis change atomic, and the EVALSHA-with-EVAL-fallback runner.
//
// apply (worker):
//   ARGV[1] set|del|none, ARGV[2] document (set), ARGV[3] ttl s (0 = none), ARGV[4] vcon uuid,
//   ARGV[5] push guard ttl s. With set/del: KEYS[1] doc key, KEYS[2] lease key, then per ingress
//   list KEYS[2i+1] the list and KEYS[2i+2] its push guard (keys.hpp); with none, the list pairs
//   start at KEYS[1]. SET/DEL the doc, DEL the lease (set/del), then for each list: guard SET NX
//   EX and only if it was set RPUSH the uuid (a failed RPUSH deletes its guard again and ends the
//   script with the error). Returns the number of lists pushed.
//   On a standalone Redis the worker runs one call per event (document, then its lists). In a
//   cluster every call must touch one slot: the worker runs one call for the document (doc +
//   lease, no lists) and, once that succeeded, one push_call per list (list + guard, action none).
// fill (server; lease-checked miss fill):
//   KEYS[1] doc key, KEYS[2] lease key; ARGV[1] token, ARGV[2] document, ARGV[3] ttl s.
//   Returns 1 when the lease was still ours (doc SET, lease deleted), else 0.
// release (server; a miss that found nothing or failed gives its lease back at once):
//   KEYS[1] lease key; ARGV[1] token. Deletes the lease only if it is still ours; returns 1, else 0.
#pragma once

#include "redis/client.hpp"
#include "redis/connection.hpp"

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace vcon_redis::redis {

struct Script {
    std::string_view name;
    std::string_view source;
    std::string sha1; // lowercase hex SHA-1 of source, as Redis computes it (no server round trip)
};

const Script &apply_script();
const Script &fill_script();
const Script &release_script();

enum class ApplyAction { set, del, none };
std::string_view to_string(ApplyAction action) noexcept;

inline constexpr long default_push_guard_ttl = 604800; // 7 days (docs/internals.md)

// One script invocation. keys/args are views; `own` keeps small strings (keys, numbers) alive
// as long as the call, also across moves (a deque never relocates its elements). The builders
// below copy everything except the document, which must outlive the call.
struct ScriptCall {
    ScriptCall() = default;
    ScriptCall(ScriptCall &&) = default;
    ScriptCall &operator=(ScriptCall &&) = default;
    ScriptCall(const ScriptCall &) = delete; // a copy's views would point into the original
    ScriptCall &operator=(const ScriptCall &) = delete;

    const Script *script = nullptr;
    std::vector<std::string_view> keys;
    std::vector<std::string_view> args;
    std::deque<std::string> owned;

    std::string_view own(std::string s) { return owned.emplace_back(std::move(s)); }
};

// apply for one outbox event; `document` is ignored unless action is set.
ScriptCall apply_call(std::string_view prefix, std::string_view vcon_uuid, ApplyAction action,
                      std::string_view document, long ttl_seconds, std::string_view event_id,
                      const std::vector<std::string_view> &lists,
                      long push_guard_ttl_seconds = default_push_guard_ttl);

// apply without document action, pushing vcon_uuid to one list under its guard: touches the
// list's slot only.
ScriptCall push_call(std::string_view vcon_uuid, std::string_view event_id, std::string_view list,
                     long push_guard_ttl_seconds = default_push_guard_ttl);

// fill of a cache miss under a lease taken earlier with SET <lease_key> token NX PX ...
ScriptCall fill_call(std::string_view prefix, std::string_view vcon_uuid, std::string_view lease_token,
                     std::string_view document, long ttl_seconds);

// release of a lease taken with SET <lease_key> token NX PX ... (compare-and-delete)
ScriptCall release_call(std::string_view prefix, std::string_view vcon_uuid, std::string_view lease_token);

// EVALSHA (by_sha) or EVAL command for call; numkeys must outlive the returned command.
Command script_command(const ScriptCall &call, bool by_sha, std::string &numkeys);

// Runs calls as one pipeline of EVALSHA. If Redis lacks a script (NOSCRIPT), every call from the
// first NOSCRIPT on is sent again, in order, with EVAL (which also caches the script), so the
// effects keep call order. A call that succeeded the first time keeps its first reply (a re-run
// of apply/fill is harmless: SET/DEL are idempotent, the guard stops a second push, a used lease
// refuses). Returns one reply per call; error replies are values. Throws Error like pipeline().
std::vector<Reply> run_scripts(Connection &conn, const std::vector<ScriptCall> &calls);
// The same through a Client: in a cluster each call goes to its slot's node (Client::pipeline).
std::vector<Reply> run_scripts(Client &client, const std::vector<ScriptCall> &calls);
// run_scripts in two steps, so that the caller can work while Redis runs the scripts: send_scripts
// queues the EVALSHA pipeline and writes what the socket takes now; receive_scripts writes the rest
// and returns the replies (NOSCRIPT handled as by run_scripts). In between, calls (and what they
// view) must stay alive and unchanged, and nothing else may use the connection.
void send_scripts(Connection &conn, const std::vector<ScriptCall> &calls);
std::vector<Reply> receive_scripts(Connection &conn, const std::vector<ScriptCall> &calls);
Reply run_script(Connection &conn, const ScriptCall &call);

// Loads every script of this file (SCRIPT LOAD) and checks Redis agrees on the SHA-1;
// optional warm-up after connect(). Throws Error{reply} on disagreement.
void load_scripts(Connection &conn);

namespace detail {
std::string sha1_hex(std::string_view data);
}

} // namespace vcon_redis::redis
