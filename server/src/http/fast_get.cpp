#include "http/fast_get.hpp"

#include "store/uuid.hpp"

#include <algorithm>

namespace vcon_redis::server::http {
namespace {

constexpr std::string_view kPrefix = "GET /api/v1/vcons/";
constexpr std::string_view kVersion = " HTTP/1.1\r\n";
constexpr std::size_t kUuidSize = 36;

// RFC 9110 tchar: the bytes of a field name.
bool is_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Visible ASCII, space and tab: the only bytes taken in a field value (no obs-text, no controls).
bool is_value_char(unsigned char c) {
    return (c >= 0x20 && c < 0x7f) || c == '\t';
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x >= 'A' && x <= 'Z' ? x + ('a' - 'A') : x) == y;
           });
}

std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

// Takes one field into `req`; false when the request must take the general path. `name` is
// compared with lowercase literals (iequals lowers only its first argument).
bool take_field(std::string_view name, std::string_view value, FastGet &req, unsigned &seen) {
    struct Known {
        std::string_view name;
        std::string_view FastGet::*slot;
    };
    static constexpr Known kept[] = {
        {"host", &FastGet::host}, {"origin", &FastGet::origin}, {"authorization", &FastGet::authorization}};
    for (unsigned i = 0; i < std::size(kept); ++i)
        if (iequals(name, kept[i].name)) {
            if (seen & (1u << i))
                return false; // repeated: which one counts is the general path's call
            seen |= 1u << i;
            req.*kept[i].slot = value;
            return true;
        }
    if (iequals(name, "connection")) {
        if (seen & 8u || !(iequals(value, "keep-alive") || iequals(value, "close")))
            return false;
        seen |= 8u;
        req.keep_alive = iequals(value, "keep-alive");
        return true;
    }
    // Fields that frame a body or change the protocol.
    return !(iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
             iequals(name, "expect") || iequals(name, "upgrade") || iequals(name, "te"));
}

} // namespace

std::optional<FastGet> parse_fast_get(std::string_view buffered, std::size_t max_header_bytes) {
    const std::size_t target_end = kPrefix.size() + kUuidSize;
    if (!buffered.starts_with(kPrefix) || buffered.size() < target_end + kVersion.size() ||
        buffered.substr(target_end, kVersion.size()) != kVersion)
        return std::nullopt;
    FastGet req;
    req.uuid = buffered.substr(kPrefix.size(), kUuidSize);
    if (!is_canonical_uuid(req.uuid))
        return std::nullopt;
    const std::string_view head =
        buffered.substr(0, std::min({buffered.size(), kFastHeadMax, max_header_bytes / 2}));
    std::size_t pos = target_end + kVersion.size();
    unsigned seen = 0;
    for (;;) {
        const std::size_t eol = head.find("\r\n", pos);
        if (eol == std::string_view::npos)
            return std::nullopt; // incomplete, or longer than the fast path takes
        const std::string_view line = head.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.empty())
            break;
        const std::size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos)
            return std::nullopt;
        const std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
        if (!std::all_of(name.begin(), name.end(),
                         [](char c) { return is_tchar(static_cast<unsigned char>(c)); }) ||
            !std::all_of(value.begin(), value.end(),
                         [](char c) { return is_value_char(static_cast<unsigned char>(c)); }) ||
            !take_field(name, trim(value), req, seen))
            return std::nullopt;
    }
    req.head_bytes = pos;
    return req;
}

} // namespace vcon_redis::server::http
