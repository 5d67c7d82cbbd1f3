#include "redis/scripts.hpp"

#include "redis/keys.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <stdexcept>

namespace vcon_redis::redis {
namespace {

// Keep in step with the comment in scripts.hpp. Nothing is pushed before the document is written
// (in one call the SET comes first; the worker sends push-only calls after the document's call
// succeeded), so a consumer never pops a uuid before its document is there. Each list has its own guard, SET
// before its RPUSH: a replayed event finds the guard and pushes nothing twice. An RPUSH that fails
// (WRONGTYPE, NOPERM) takes its guard back, so the retry pushes to that list after all, and the
// error reply keeps Redis's own code first, so the worker can tell permanent errors from transient
// ones. (Redis refuses a script's first write when it is out of memory, never a later one: an OOM
// reply means the script changed nothing.)
constexpr std::string_view apply_source = R"lua(-- vcon_redis apply v3
local action = ARGV[1]
local first = 3
if action == 'set' then
  if tonumber(ARGV[3]) > 0 then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  else
    redis.call('SET', KEYS[1], ARGV[2])
  end
  redis.call('DEL', KEYS[2])
elseif action == 'del' then
  redis.call('DEL', KEYS[1], KEYS[2])
elseif action == 'none' then
  first = 1
else
  return redis.error_reply('ERR vcon_redis apply: unknown action')
end
local pushed = 0
for i = first, #KEYS - 1, 2 do
  if redis.call('SET', KEYS[i + 1], '1', 'NX', 'EX', ARGV[5]) then
    local r = redis.pcall('RPUSH', KEYS[i], ARGV[4])
    if type(r) == 'table' and r.err then
      redis.call('DEL', KEYS[i + 1])
      return redis.error_reply(r.err .. ' (ingress list ' .. KEYS[i] .. ')')
    end
    pushed = pushed + 1
  end
end
return pushed
)lua";

// The lease is deleted by every worker change of the key, so a fill that read PostgreSQL before
// that change finds the lease gone (or replaced) and writes nothing.
constexpr std::string_view fill_source = R"lua(-- vcon_redis fill v1
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('DEL', KEYS[2])
return 1
)lua";

// Compare-and-delete: a lease that expired and was taken by someone else is left alone.
constexpr std::string_view release_source = R"lua(-- vcon_redis release v1
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua";

Script make_script(std::string_view name, std::string_view source) {
    return Script{name, source, detail::sha1_hex(source)};
}

} // namespace

// The SHA-1 Redis names a script by (EVALSHA), computed here so no round trip is needed. OpenSSL
// is linked for TLS already; nothing security-related rests on SHA-1.
std::string detail::sha1_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 unavailable in OpenSSL");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * len);
    for (unsigned int k = 0; k < len; ++k) {
        out.push_back(kHex[md[k] >> 4]);
        out.push_back(kHex[md[k] & 0x0F]);
    }
    return out;
}

const Script &apply_script() {
    static const Script s = make_script("apply", apply_source);
    return s;
}

const Script &fill_script() {
    static const Script s = make_script("fill", fill_source);
    return s;
}

const Script &release_script() {
    static const Script s = make_script("release", release_source);
    return s;
}

std::string_view to_string(ApplyAction action) noexcept {
    switch (action) {
    case ApplyAction::set:
        return "set";
    case ApplyAction::del:
        return "del";
    case ApplyAction::none:
        return "none";
    }
    return "none";
}

ScriptCall apply_call(std::string_view prefix, std::string_view vcon_uuid, ApplyAction action,
                      std::string_view document, long ttl_seconds, std::string_view event_id,
                      const std::vector<std::string_view> &lists, long push_guard_ttl_seconds) {
    if (ttl_seconds < 0)
        throw std::invalid_argument("apply_call: negative ttl");
    if (push_guard_ttl_seconds <= 0)
        throw std::invalid_argument("apply_call: push guard ttl must be positive");
    ScriptCall c;
    c.script = &apply_script();
    c.keys.reserve(2 + 2 * lists.size());
    if (action != ApplyAction::none) {
        c.keys.push_back(c.own(doc_key(prefix, vcon_uuid)));
        c.keys.push_back(c.own(lease_key(prefix, vcon_uuid)));
    }
    for (std::string_view list : lists) {
        c.keys.push_back(c.own(std::string(list)));
        c.keys.push_back(c.own(push_guard_key(list, event_id)));
    }
    c.args = {to_string(action), action == ApplyAction::set ? document : std::string_view{},
              c.own(std::to_string(ttl_seconds)), c.own(std::string(vcon_uuid)),
              c.own(std::to_string(push_guard_ttl_seconds))};
    return c;
}

ScriptCall push_call(std::string_view vcon_uuid, std::string_view event_id, std::string_view list,
                     long push_guard_ttl_seconds) {
    return apply_call({}, vcon_uuid, ApplyAction::none, {}, 0, event_id, {list}, push_guard_ttl_seconds);
}

ScriptCall fill_call(std::string_view prefix, std::string_view vcon_uuid, std::string_view lease_token,
                     std::string_view document, long ttl_seconds) {
    if (ttl_seconds < 0)
        throw std::invalid_argument("fill_call: negative ttl");
    ScriptCall c;
    c.script = &fill_script();
    c.keys.push_back(c.own(doc_key(prefix, vcon_uuid)));
    c.keys.push_back(c.own(lease_key(prefix, vcon_uuid)));
    c.args = {c.own(std::string(lease_token)), document, c.own(std::to_string(ttl_seconds))};
    return c;
}

ScriptCall release_call(std::string_view prefix, std::string_view vcon_uuid, std::string_view lease_token) {
    ScriptCall c;
    c.script = &release_script();
    c.keys.push_back(c.own(lease_key(prefix, vcon_uuid)));
    c.args = {c.own(std::string(lease_token))};
    return c;
}

Command script_command(const ScriptCall &call, bool by_sha, std::string &numkeys) {
    if (call.script == nullptr)
        throw std::invalid_argument("script_command: no script");
    numkeys = std::to_string(call.keys.size());
    Command cmd;
    cmd.reserve(3 + call.keys.size() + call.args.size());
    cmd.push_back(by_sha ? "EVALSHA" : "EVAL");
    cmd.push_back(by_sha ? std::string_view(call.script->sha1) : call.script->source);
    cmd.push_back(numkeys);
    cmd.insert(cmd.end(), call.keys.begin(), call.keys.end());
    cmd.insert(cmd.end(), call.args.begin(), call.args.end());
    return cmd;
}

namespace {

// EVALSHA for every call in one pipeline; from the first NOSCRIPT on, every call again in call
// order with EVAL (so a call that slipped through, because another client loaded the script
// meanwhile, is re-applied after its predecessors). Target: a Connection or a Client.
template <class Target>
std::vector<Reply> run_again_with_eval(Target &target, const std::vector<ScriptCall> &calls,
                                       std::vector<Reply> replies) {
    std::size_t first = 0;
    while (first < replies.size() && !is_noscript(*replies[first]))
        ++first;
    if (first == replies.size())
        return replies;

    std::vector<std::string> numkeys(calls.size()); // sized once: the commands view into it
    std::vector<Command> cmds;
    cmds.reserve(calls.size() - first);
    for (std::size_t i = first; i < calls.size(); ++i)
        cmds.push_back(script_command(calls[i], false, numkeys[i]));
    std::vector<Reply> again = target.pipeline(cmds);
    for (std::size_t i = first; i < calls.size(); ++i)
        if (is_noscript(*replies[i]))
            replies[i] = std::move(again[i - first]);
    return replies;
}

template <class Target>
std::vector<Reply> run_scripts_on(Target &target, const std::vector<ScriptCall> &calls) {
    std::vector<std::string> numkeys(calls.size()); // sized once: the commands view into it
    std::vector<Command> cmds;
    cmds.reserve(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i)
        cmds.push_back(script_command(calls[i], true, numkeys[i]));
    return run_again_with_eval(target, calls, target.pipeline(cmds));
}

} // namespace

std::vector<Reply> run_scripts(Connection &conn, const std::vector<ScriptCall> &calls) {
    return run_scripts_on(conn, calls);
}

std::vector<Reply> run_scripts(Client &client, const std::vector<ScriptCall> &calls) {
    return run_scripts_on(client, calls);
}

void send_scripts(Connection &conn, const std::vector<ScriptCall> &calls) {
    std::string numkeys;
    for (const ScriptCall &call : calls)
        conn.append(script_command(call, true, numkeys)); // encoded at once: numkeys is reused
    conn.flush();
}

std::vector<Reply> receive_scripts(Connection &conn, const std::vector<ScriptCall> &calls) {
    return run_again_with_eval(conn, calls, conn.receive(calls.size()));
}

Reply run_script(Connection &conn, const ScriptCall &call) {
    std::string numkeys;
    Reply r = conn.command(script_command(call, true, numkeys));
    if (is_noscript(*r))
        r = conn.command(script_command(call, false, numkeys));
    return r;
}

void load_scripts(Connection &conn) {
    for (const Script *s : {&apply_script(), &fill_script(), &release_script()}) {
        Reply r = conn.command({"SCRIPT", "LOAD", s->source});
        if (is_error(*r) || text(*r) != s->sha1)
            throw Error(Error::Kind::reply, "redis: SCRIPT LOAD " + std::string(s->name) + " answered " +
                                                describe(*r) + ", expected " + s->sha1);
    }
}

} // namespace vcon_redis::redis
