// A password inside vcon_redis.redis_url would otherwise reach the server log through PostgreSQL
// itself: the postmaster logs `parameter "vcon_redis.redis_url" changed to "<raw value>"` on every
// reload, `log_statement` logs ALTER SYSTEM texts, and a failed statement is logged as STATEMENT.
// This hook masks URL passwords in each message (and its detail and context) and hides the
// statement text when it carries credentials. It runs inside error reporting: it must not fail,
// allocate or throw, so it only edits the message buffers in place (they only get shorter).
extern "C" {
#include "postgres.h"

#include "tcop/tcopprot.h"
#include "utils/elog.h"
}

#include "log_redact.hpp"

#include <cstring>

namespace vcon_redis {

namespace {

emit_log_hook_type previous_hook = nullptr;

constexpr char kMask[] = "***";

bool EndsAuthority(char c) {
    return c == '\0' || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == ' ' || c == '\t' ||
           c == '\n' || c == ',' || c == ';';
}

bool EndsValue(char c) {
    return c == '\0' || c == '&' || c == '"' || c == '\'' || c == ' ' || c == '\t' || c == '\n' || c == ',' ||
           c == ';';
}

// Replaces s[begin, end) by "***" (or by as many '*' when shorter); returns the new end.
char *Mask(char *begin, char *end) {
    std::size_t len = static_cast<std::size_t>(end - begin);
    if (len == 0)
        return end;
    if (len < sizeof kMask - 1) {
        std::memset(begin, '*', len);
        return end;
    }
    std::memcpy(begin, kMask, sizeof kMask - 1);
    std::memmove(begin + sizeof kMask - 1, end, std::strlen(end) + 1);
    return begin + sizeof kMask - 1;
}

// The password of the userinfo starting at p (just after "://"); returns where to continue.
char *MaskUserinfo(char *p) {
    char *end = p;
    while (!EndsAuthority(*end))
        end++;
    char *at = nullptr;
    for (char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at == nullptr)
        return end;
    char *colon = static_cast<char *>(std::memchr(p, ':', static_cast<std::size_t>(at - p)));
    if (colon == nullptr)
        return end;
    return Mask(colon + 1, at);
}

bool HasCredentials(const char *s) {
    for (const char *p = std::strstr(s, "://"); p != nullptr; p = std::strstr(p + 3, "://")) {
        const char *q = p + 3;
        while (!EndsAuthority(*q) && *q != '@')
            q++;
        if (*q == '@')
            return true;
    }
    return std::strstr(s, "password=") != nullptr;
}

void MaskAll(char *s) {
    if (s != nullptr)
        MaskCredentials(s);
}

void EmitLog(ErrorData *edata) {
    MaskAll(edata->message);
    MaskAll(edata->detail);
    MaskAll(edata->detail_log);
    MaskAll(edata->hint);
    MaskAll(edata->context);
    MaskAll(edata->internalquery);
    if (debug_query_string != nullptr && HasCredentials(debug_query_string))
        edata->hide_stmt = true;
    if (previous_hook != nullptr)
        previous_hook(edata);
}

} // namespace

void MaskCredentials(char *s) noexcept {
    for (char *p = std::strstr(s, "://"); p != nullptr; p = std::strstr(p, "://"))
        p = MaskUserinfo(p + 3);
    for (char *p = std::strstr(s, "password="); p != nullptr; p = std::strstr(p, "password=")) {
        char *value = p + sizeof "password=" - 1;
        char *end = value;
        while (!EndsValue(*end))
            end++;
        p = Mask(value, end);
    }
}

void InstallLogRedaction() {
    previous_hook = emit_log_hook;
    emit_log_hook = EmitLog;
}

} // namespace vcon_redis
