#include "store/settings_watch.hpp"

#include "app/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <charconv>

namespace asio = boost::asio;

namespace vcon_redis::server::store {
namespace {

// status() first: calling it loads the module into the session, so its settings are defined even
// where vcon_redis is not preloaded.
constexpr const char *kStatusSql =
    "SELECT jsonb_build_object('worker_state', worker_state, 'redis_url', redis_url, "
    "'attached', attached_schema IS NOT NULL)::text FROM vcon_redis.status()";

// pg_settings gives the TTL in seconds (current_setting would format it with a unit).
constexpr const char *kSettingsSql =
    "SELECT jsonb_build_object('database', current_database(), "
    "'worker_database', current_setting('vcon_redis.database', true), "
    "'cache_mode', current_setting('vcon_redis.cache_mode', true), "
    "'key_prefix', current_setting('vcon_redis.key_prefix', true), "
    "'ttl', (SELECT setting FROM pg_settings WHERE name = 'vcon_redis.ttl'))::text";

std::optional<std::string> text_member(const nlohmann::json &doc, const char *name) {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string())
        return std::nullopt;
    return it->get<std::string>();
}

// SQLSTATEs of "there is no such schema/function": the extension is not installed.
bool missing_object(const std::string &state) {
    return state == "3F000" || state == "42883" || state == "42P01";
}

} // namespace

SettingsWatch::SettingsWatch(PgPool &pg, CacheDefaults defaults, Publish publish)
    : pg_(pg), defaults_(std::move(defaults)), publish_(std::move(publish)) {}

// g++ 12 at -O2 reports -Wmismatched-new-delete for this coroutine's frame (Asio allocates and frees
// awaitable frames with its own matching operator new/delete; GCC's inliner loses track of the pair):
// a false positive, silenced for this function only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<std::optional<ExtensionSettings>> SettingsWatch::read() {
    std::optional<ExtensionSettings> out;
    ExtensionSettings s;
    std::string status_sql = kStatusSql,
                settings_sql = kSettingsSql; // named (docs/internals.md, g++ 12 coroutine rule)
    QueryParams none, none_either;
    PgResult status = co_await pg_.query(std::move(status_sql), std::move(none));
    bool reachable = status.kind != PgResult::Kind::Unavailable;
    if (status.kind == PgResult::Kind::Row) {
        auto doc = nlohmann::json::parse(status.value, nullptr, false);
        s.worker_state = text_member(doc, "worker_state").value_or("");
        s.worker_redis = text_member(doc, "redis_url").value_or("");
        s.attached = doc.is_object() && doc.value("attached", false);
    } else if (status.kind == PgResult::Kind::QueryError) {
        s.installed = !missing_object(status.sqlstate);
        s.status_readable = false;
        s.status_error = status.error;
    } else if (reachable) {
        s.status_readable = false;
        s.status_error = "no row";
    }
    if (reachable) {
        PgResult settings = co_await pg_.query(std::move(settings_sql), std::move(none_either));
        if (settings.kind == PgResult::Kind::Row) {
            auto doc = nlohmann::json::parse(settings.value, nullptr, false);
            s.database = text_member(doc, "database").value_or("");
            s.worker_database = text_member(doc, "worker_database");
            s.cache_mode = text_member(doc, "cache_mode");
            s.key_prefix = text_member(doc, "key_prefix");
            if (auto ttl = text_member(doc, "ttl")) {
                int value = 0;
                auto [end, ec] = std::from_chars(ttl->data(), ttl->data() + ttl->size(), value);
                if (ec == std::errc() && end == ttl->data() + ttl->size())
                    s.ttl = value;
            }
            out = std::move(s);
        }
    }
    co_return out;
}
#pragma GCC diagnostic pop

asio::awaitable<bool> SettingsWatch::check() {
    std::optional<ExtensionSettings> s = co_await read();
    if (s)
        apply(*s);
    else if (!unreachable_logged_)
        log::warn(
            std::string("cannot read the extension's settings (database unavailable); cache policy stays ") +
            to_string(last_ ? last_->state : CachePolicy::State::Unknown));
    unreachable_logged_ = !s;
    co_return s.has_value();
}

void SettingsWatch::apply(const ExtensionSettings &settings) {
    const ExtensionSettings *s = &settings;
    std::vector<std::string> warnings;
    CachePolicy p = decide_policy(*s, defaults_, warnings);
    for (auto &w : warnings)
        if (warned_.insert(w).second)
            log::warn(w);
    if (!last_ || *last_ != p) {
        if (p.state == CachePolicy::State::Unmaintained)
            log::warn("nobody maintains the cache: " + p.reason +
                      ". Every read is served from PostgreSQL (X-Cache: BYPASS) and nothing is filled");
        else
            log::info("cache maintained by vcon_redis (cache_mode " + s->cache_mode.value_or("?") +
                      "): key prefix '" + p.key_prefix + "', fill expiry " + std::to_string(p.expiry_s) +
                      " s");
        last_ = p;
        state_.store(p.state, std::memory_order_relaxed);
        publish_(p);
    }
}

asio::awaitable<void> SettingsWatch::run(std::chrono::seconds interval) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(interval);
        co_await timer.async_wait(asio::use_awaitable);
        co_await check();
    }
}

} // namespace vcon_redis::server::store
