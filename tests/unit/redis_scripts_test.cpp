#include "redis/keys.hpp"
#include "redis/scripts.hpp"
#include "redis_server_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

using namespace vcon_redis::redis;
using vcon_redis::testing::RedisServer;

namespace {

const std::string prefix = "vcon:";
const std::string uuid = "0190a4e2-1111-7000-8000-000000000001";

std::string str(const Reply &r) {
    return std::string(text(*r));
}

class RedisScripts : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server = std::make_unique<RedisServer>(); }
    static void TearDownTestSuite() { server.reset(); }
    void SetUp() override {
        conn.connect();
        conn.command({"FLUSHALL"});
    }

    long long llen(const std::string &list) { return conn.command({"LLEN", list})->integer; }
    long long ttl(const std::string &key) { return conn.command({"TTL", key})->integer; }
    Reply get(const std::string &key) { return conn.command({"GET", key}); }

    // Runs one apply and returns the number of lists pushed (fails the test on an error reply).
    long long apply(ApplyAction action, const std::string &doc, long ttl_s, const std::string &event,
                    const std::vector<std::string_view> &lists, const std::string &id = uuid) {
        Reply r = run_script(conn, apply_call(prefix, id, action, doc, ttl_s, event, lists));
        EXPECT_EQ(r->type, REDIS_REPLY_INTEGER) << describe(*r);
        return r->integer;
    }

    static std::unique_ptr<RedisServer> server;
    Connection conn{Url::parse(server->tcp_url()), {}};
};
std::unique_ptr<RedisServer> RedisScripts::server;

} // namespace

TEST(RedisKeys, Spelling) {
    EXPECT_EQ(doc_key("vcon:", "u1"), "vcon:u1");
    EXPECT_EQ(lease_key("vcon:", "u1"), "{vcon:u1}:lease");
    // the guard lives in its list's cluster slot and does not depend on the document prefix
    EXPECT_EQ(push_guard_key("ingress", "e1"), "{ingress}:push:e1");
    EXPECT_EQ(push_guard_key("q{tenant}a", "e1"), "q{tenant}a:push:e1"); // the list's own hash tag
    EXPECT_EQ(push_guard_key("q{}a", "e1"), "{q{}a}:push:e1");           // {} is no hash tag
}

TEST(RedisReplies, TransientAndPermanentErrors) {
    auto error = [](const char *text) {
        redisReply r{};
        r.type = REDIS_REPLY_ERROR;
        r.str = const_cast<char *>(text);
        r.len = strlen(text);
        return is_transient_error(r);
    };
    EXPECT_TRUE(error("OOM command not allowed when used memory > 'maxmemory'."));
    EXPECT_TRUE(error("LOADING Redis is loading the dataset in memory"));
    EXPECT_TRUE(error("READONLY You can't write against a read only replica."));
    EXPECT_TRUE(error("BUSY Redis is busy running a script."));
    EXPECT_TRUE(error("TRYAGAIN"));
    EXPECT_FALSE(error("WRONGTYPE Operation against a key holding the wrong kind of value (ingress list q)"));
    EXPECT_FALSE(error("NOPERM this user has no permissions to access one of the keys used as arguments"));
    EXPECT_FALSE(error("ERR vcon_redis apply: unknown action"));
    EXPECT_FALSE(error("OOMPH not a code we know"));
}

TEST(RedisScriptSha1, KnownVectors) {
    EXPECT_EQ(detail::sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(detail::sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(detail::sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    EXPECT_EQ(detail::sha1_hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_F(RedisScripts, RedisAgreesOnTheSha1) {
    EXPECT_NO_THROW(load_scripts(conn));
    for (const Script *s : {&apply_script(), &fill_script()})
        EXPECT_EQ(conn.command({"SCRIPT", "EXISTS", s->sha1})->element[0]->integer, 1) << s->name;
}

TEST_F(RedisScripts, ApplySetWritesDocWithTtlDeletesLeaseAndPushesOnce) {
    conn.command({"SET", lease_key(prefix, uuid), "token"});
    EXPECT_EQ(apply(ApplyAction::set, R"({"a":1})", 3600, "ev1", {"q1", "q2"}), 2);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), R"({"a":1})");
    long long t = ttl(doc_key(prefix, uuid));
    EXPECT_GT(t, 3590);
    EXPECT_LE(t, 3600);
    EXPECT_TRUE(is_nil(*get(lease_key(prefix, uuid))));
    EXPECT_EQ(llen("q1"), 1);
    EXPECT_EQ(llen("q2"), 1);
    EXPECT_EQ(str(conn.command({"LINDEX", "q1", "0"})), uuid);
    long long guard_ttl = ttl(push_guard_key("q1", "ev1"));
    EXPECT_GT(guard_ttl, 604000);

    // The same event replayed (crash after Redis answered, before the outbox rows were deleted).
    EXPECT_EQ(apply(ApplyAction::set, R"({"a":2})", 3600, "ev1", {"q1", "q2"}), 0);
    EXPECT_EQ(llen("q1"), 1);
    EXPECT_EQ(llen("q2"), 1);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), R"({"a":2})"); // SET is still applied

    // A different event of the same vCon pushes again (the guard is per event, not per vCon).
    EXPECT_EQ(apply(ApplyAction::none, "", 0, "ev2", {"q1"}), 1);
    EXPECT_EQ(llen("q1"), 2);
}

TEST_F(RedisScripts, ApplySetWithoutTtlAndWithoutLists) {
    EXPECT_EQ(apply(ApplyAction::set, "{}", 0, "ev", {}), 0);
    EXPECT_EQ(ttl(doc_key(prefix, uuid)), -1);
    EXPECT_EQ(conn.command({"DBSIZE"})->integer, 1); // no lists: no guard either
}

TEST_F(RedisScripts, ApplyDelRemovesDocAndLease) {
    conn.pipeline({{"SET", doc_key(prefix, uuid), "old"}, {"SET", lease_key(prefix, uuid), "tok"}});
    EXPECT_EQ(apply(ApplyAction::del, "", 3600, "ev", {}), 0);
    EXPECT_EQ(conn.command({"EXISTS", doc_key(prefix, uuid), lease_key(prefix, uuid)})->integer, 0);
}

TEST_F(RedisScripts, ApplyNoneOnlyPushes) {
    conn.pipeline({{"SET", doc_key(prefix, uuid), "kept"}, {"SET", lease_key(prefix, uuid), "tok"}});
    EXPECT_EQ(apply(ApplyAction::none, "ignored", 3600, "ev", {"q"}), 1);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), "kept");
    EXPECT_EQ(str(get(lease_key(prefix, uuid))), "tok");
    EXPECT_EQ(llen("q"), 1);
}

TEST_F(RedisScripts, APushRefusedByOneListIsRetriedOnThatListAlone) {
    conn.command({"SET", "q2", "not a list"});
    Reply r = run_script(conn, apply_call(prefix, uuid, ApplyAction::set, "{}", 0, "ev", {"q1", "q2", "q3"}));
    ASSERT_TRUE(is_error(*r));
    EXPECT_TRUE(text(*r).starts_with("WRONGTYPE")) << describe(*r);
    EXPECT_NE(text(*r).find("(ingress list q2)"), std::string_view::npos) << describe(*r);
    EXPECT_FALSE(is_transient_error(*r));
    EXPECT_EQ(llen("q1"), 1);
    EXPECT_TRUE(is_nil(*get(push_guard_key("q2", "ev")))); // taken back
    EXPECT_EQ(llen("q3"), 0);                              // the script stopped at q2

    // The list is fixed and the event replayed: q1 is not pushed again, q2 and q3 are.
    conn.command({"DEL", "q2"});
    EXPECT_EQ(apply(ApplyAction::set, "{}", 0, "ev", {"q1", "q2", "q3"}), 2);
    EXPECT_EQ(llen("q1"), 1);
    EXPECT_EQ(llen("q2"), 1);
    EXPECT_EQ(llen("q3"), 1);
}

TEST_F(RedisScripts, ApplyUnknownActionIsAnErrorReply) {
    ScriptCall c = apply_call(prefix, uuid, ApplyAction::set, "{}", 0, "ev", {});
    c.args[0] = "bogus";
    Reply r = run_script(conn, c);
    EXPECT_TRUE(is_error(*r));
    EXPECT_TRUE(conn.connected());
}

// Keyspace notifications arrive in execution order: the document's SET precedes the RPUSH.
TEST_F(RedisScripts, PushHappensAfterTheSet) {
    conn.command({"CONFIG", "SET", "notify-keyspace-events", "KA"});
    Connection sub(Url::parse(server->tcp_url()), {});
    sub.connect();
    sub.command({"SUBSCRIBE", "__keyspace@0__:" + doc_key(prefix, uuid), "__keyspace@0__:q"});
    apply(ApplyAction::set, "{}", 60, "ev", {"q"});

    std::vector<std::string> events; // "<channel suffix> <event>"
    auto deadline = Clock::now() + std::chrono::seconds(2);
    auto has_rpush = [&] { return !events.empty() && events.back().ends_with(" rpush"); };
    while (!has_rpush() && Clock::now() < deadline) {
        Reply r = sub.next_reply();
        if (!r) {
            if (!sub.read())
                poll_waiter()(sub.fd(), false, deadline);
            continue;
        }
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && text(*r->element[0]) == "message")
            events.push_back(std::string(text(*r->element[1])) + " " + std::string(text(*r->element[2])));
    }
    conn.command({"CONFIG", "SET", "notify-keyspace-events", ""});
    // e.g. "...:vcon:<uuid> set", "...:vcon:<uuid> expire", "...:q rpush"
    ASSERT_TRUE(has_rpush());
    EXPECT_EQ(events.front(), "__keyspace@0__:" + doc_key(prefix, uuid) + " set");
    EXPECT_EQ(std::count_if(events.begin(), events.end(), [](auto &e) { return e.ends_with(" rpush"); }), 1);
}

TEST_F(RedisScripts, FillUnderLease) {
    conn.command({"SET", lease_key(prefix, uuid), "tok-1", "NX", "PX", "5000"});
    Reply wrong = run_script(conn, fill_call(prefix, uuid, "tok-2", "{\"x\":0}", 60));
    EXPECT_EQ(wrong->integer, 0);
    EXPECT_TRUE(is_nil(*get(doc_key(prefix, uuid))));

    Reply ok = run_script(conn, fill_call(prefix, uuid, "tok-1", "{\"x\":1}", 60));
    EXPECT_EQ(ok->integer, 1);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), "{\"x\":1}");
    EXPECT_GT(ttl(doc_key(prefix, uuid)), 0);
    EXPECT_TRUE(is_nil(*get(lease_key(prefix, uuid))));

    Reply again = run_script(conn, fill_call(prefix, uuid, "tok-1", "{\"x\":2}", 60));
    EXPECT_EQ(again->integer, 0);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), "{\"x\":1}");
}

TEST_F(RedisScripts, FillWithoutTtl) {
    conn.command({"SET", lease_key(prefix, uuid), "tok"});
    EXPECT_EQ(run_script(conn, fill_call(prefix, uuid, "tok", "{}", 0))->integer, 1);
    EXPECT_EQ(ttl(doc_key(prefix, uuid)), -1);
}

// Race B of the lessons: the server read the old row, the worker applied the new state; the
// late fill must not overwrite it.
TEST_F(RedisScripts, FillRefusedAfterWorkerChange) {
    conn.command({"SET", lease_key(prefix, uuid), "tok", "NX", "PX", "5000"});
    apply(ApplyAction::set, "{\"v\":2}", 60, "ev", {});
    EXPECT_EQ(run_script(conn, fill_call(prefix, uuid, "tok", "{\"v\":1}", 60))->integer, 0);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), "{\"v\":2}");

    conn.command({"SET", lease_key(prefix, uuid), "tok2", "NX", "PX", "5000"});
    apply(ApplyAction::del, "", 60, "ev3", {});
    EXPECT_EQ(run_script(conn, fill_call(prefix, uuid, "tok2", "{\"v\":1}", 60))->integer, 0);
    EXPECT_TRUE(is_nil(*get(doc_key(prefix, uuid))));
}

TEST_F(RedisScripts, NoscriptAfterFlushIsRecovered) {
    load_scripts(conn);
    conn.command({"SCRIPT", "FLUSH"});
    EXPECT_EQ(apply(ApplyAction::set, "{\"n\":1}", 0, "e1", {"q"}), 1);

    conn.command({"SCRIPT", "FLUSH"});
    std::vector<std::string> docs;
    for (int i = 0; i < 200; ++i)
        docs.push_back("{\"n\":" + std::to_string(i) + "}");
    std::vector<ScriptCall> calls;
    for (int i = 0; i < 200; ++i)
        calls.push_back(
            apply_call(prefix, uuid, ApplyAction::set, docs[i], 0, "b" + std::to_string(i), {"q"}));
    auto replies = run_scripts(conn, calls);
    ASSERT_EQ(replies.size(), 200u);
    for (auto &r : replies)
        EXPECT_EQ(r->integer, 1) << describe(*r);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), "{\"n\":199}"); // call order kept
    EXPECT_EQ(llen("q"), 201);

    // Now cached again: a second batch goes through EVALSHA directly, replayed events push nothing.
    auto replay = run_scripts(conn, calls);
    for (auto &r : replay)
        EXPECT_EQ(r->integer, 0);
    EXPECT_EQ(llen("q"), 201);
}

// send_scripts/receive_scripts: the connection is free for other work in between (here, another
// connection writes), the replies come in call order, and NOSCRIPT is recovered as by run_scripts.
TEST_F(RedisScripts, SentScriptsAreReceivedLaterInOrder) {
    conn.command({"SCRIPT", "FLUSH"});
    std::vector<std::string> docs;
    std::vector<ScriptCall> calls;
    for (int i = 0; i < 300; ++i)
        docs.push_back(std::string(4000, static_cast<char>('a' + i % 26)));
    for (int i = 0; i < 300; ++i)
        calls.push_back(
            apply_call(prefix, uuid, ApplyAction::set, docs[i], 0, "s" + std::to_string(i), {"q"}));
    send_scripts(conn, calls);
    Connection other{Url::parse(server->tcp_url()), {}};
    other.connect();
    other.command({"SET", "other", "1"});
    auto replies = receive_scripts(conn, calls);
    ASSERT_EQ(replies.size(), 300u);
    for (auto &r : replies)
        EXPECT_EQ(r->integer, 1) << describe(*r);
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), docs[299]);
    EXPECT_EQ(llen("q"), 300);
    EXPECT_TRUE(receive_scripts(conn, {}).empty());
}

TEST_F(RedisScripts, BinaryDocumentThroughScript) {
    std::string doc("{\"bin\":\"\0\r\n\"}", 13);
    apply(ApplyAction::set, doc, 0, "ev", {});
    EXPECT_EQ(str(get(doc_key(prefix, uuid))), doc);
}

TEST(RedisScriptCalls, RejectBadTtls) {
    EXPECT_THROW(apply_call("p", "u", ApplyAction::set, "{}", -1, "e", {}), std::invalid_argument);
    EXPECT_THROW(apply_call("p", "u", ApplyAction::set, "{}", 1, "e", {}, 0), std::invalid_argument);
    EXPECT_THROW(fill_call("p", "u", "t", "{}", -5), std::invalid_argument);
}

TEST(RedisScriptCalls, PushCallTouchesOnlyTheListAndItsGuard) {
    ScriptCall c = push_call("u1", "e1", "ingress");
    std::string numkeys;
    Command cmd = script_command(c, true, numkeys);
    std::vector<std::string> got(cmd.begin(), cmd.end());
    std::vector<std::string> want = {
        "EVALSHA", apply_script().sha1, "2", "ingress", "{ingress}:push:e1", "none", "", "0", "u1", "604800"};
    EXPECT_EQ(got, want);
    ScriptCall doc_only = apply_call("vcon:", "u1", ApplyAction::set, "{}", 0, "e1", {});
    EXPECT_EQ(doc_only.keys.size(), 2u);
}

TEST(RedisScriptCalls, CommandShape) {
    ScriptCall c = apply_call("vcon:", "u1", ApplyAction::del, "ignored", 10, "e1", {"a", "b"});
    ScriptCall moved = std::move(c); // views stay valid across moves
    std::string numkeys;
    Command cmd = script_command(moved, true, numkeys);
    std::vector<std::string> got(cmd.begin(), cmd.end());
    std::vector<std::string> want = {"EVALSHA",
                                     apply_script().sha1,
                                     "6",
                                     "vcon:u1",
                                     "{vcon:u1}:lease",
                                     "a",
                                     "{a}:push:e1",
                                     "b",
                                     "{b}:push:e1",
                                     "del",
                                     "",
                                     "10",
                                     "u1",
                                     "604800"};
    EXPECT_EQ(got, want);
    EXPECT_EQ(script_command(moved, false, numkeys)[1], apply_script().source);
}
