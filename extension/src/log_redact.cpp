// A password inside vcon_redis.redis_url would otherwise reach the server log through PostgreSQL
// itself: the postmaster logs `parameter "vcon_redis.redis_url" changed to "<raw value>"` on every
// reload, `log_statement` logs ALTER SYSTEM texts, an error message may quote a value, and a failed
// statement is logged as STATEMENT. This hook masks passwords in every field of each message by
// the grammar of the URL parser (vcon_redis::redis::mask_credentials, common/redis/url.cpp), so a
// password is masked whatever characters it holds. A statement that carries credentials or names
// redis_url (whose value may be one the parser refuses, so the grammar cannot find its password)
// is not logged: hidden as STATEMENT, replaced where a message quotes it (log_statement).
// The hook runs inside error reporting: it must not fail, allocate or throw, so it only edits the
// message buffers in place (they only get shorter).
extern "C" {
#include "postgres.h"

#include "tcop/tcopprot.h"
#include "utils/elog.h"
}

#include "log_redact.hpp"
#include "pg_guard.hpp"

#include "redis/url.hpp"

#include <cstring>
#include <string>

namespace vcon_redis {

namespace {

emit_log_hook_type previous_hook = nullptr;

constexpr char kHiddenStatement[] = "(statement hidden: it carries Redis credentials)";

// Replaces every copy of statement inside s (log_statement's "statement: <text>") by a notice.
void HideStatement(char *s, const char *statement) {
    std::size_t n = std::strlen(statement);
    if (s == nullptr || n == 0)
        return;
    for (char *p = std::strstr(s, statement); p != nullptr; p = std::strstr(p, statement)) {
        const char *notice = n >= sizeof kHiddenStatement - 1 ? kHiddenStatement : "***";
        std::size_t m = std::strlen(notice);
        std::memcpy(p, notice, m);
        std::memmove(p + m, p + n, std::strlen(p + n) + 1);
        p += m;
    }
}

void Mask(char *s) {
    if (s != nullptr)
        vcon_redis::redis::mask_credentials(s);
}

void EmitLog(ErrorData *edata) {
    if (debug_query_string != nullptr && (strcasestr(debug_query_string, "redis_url") != nullptr ||
                                          vcon_redis::redis::has_credentials(debug_query_string))) {
        edata->hide_stmt = true;
        HideStatement(edata->message, debug_query_string);
        HideStatement(edata->detail, debug_query_string);
        HideStatement(edata->detail_log, debug_query_string);
        HideStatement(edata->context, debug_query_string);
    }
    Mask(edata->message);
    Mask(edata->detail);
    Mask(edata->detail_log);
    Mask(edata->hint);
    Mask(edata->context);
    Mask(edata->internalquery);
    if (previous_hook != nullptr)
        previous_hook(edata);
}

} // namespace

void InstallLogRedaction() {
    previous_hook = emit_log_hook;
    emit_log_hook = EmitLog;
}

void RedactUrl(const char *url, char *out, std::size_t out_size) noexcept {
    char error[kMessageMax];
    std::string redacted;
    bool ok = CatchAll(
        [&] { redacted = vcon_redis::redis::Url::parse(url != nullptr ? url : "").redacted(); }, error);
    strlcpy(out, ok ? redacted.c_str() : "***", out_size);
}

} // namespace vcon_redis
