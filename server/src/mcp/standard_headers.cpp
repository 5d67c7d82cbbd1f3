#include "mcp/standard_headers.hpp"

namespace vcon_redis::server::mcp {

namespace {

constexpr std::string_view sentinel_prefix = "=?base64?";
constexpr std::string_view sentinel_suffix = "?=";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

// RFC 4648 §4 with padding; anything else (bad characters, bad length, bits after the end) is
// refused rather than guessed at.
std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    std::string out;
    unsigned bits = 0;
    int count = 0;
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        const int v = base64_value(text[i]);
        if (v < 0)
            return std::nullopt;
        bits = (bits << 6) | static_cast<unsigned>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xff));
        }
    }
    if ((bits & ((1u << count) - 1)) != 0) // non-zero bits after the last byte: not canonical
        return std::nullopt;
    return out;
}

// The body value Mcp-Name mirrors for `method`, or nullptr when the method has none or the body
// does not carry it as a string (the method's own validation answers that).
const nlohmann::json *name_source(const Message &m) {
    const char *field = m.method == "resources/read"                            ? "uri"
                        : m.method == "tools/call" || m.method == "prompts/get" ? "name"
                                                                                : nullptr;
    if (!field)
        return nullptr;
    auto it = m.params.find(field);
    return it != m.params.end() && it->is_string() ? &*it : nullptr;
}

} // namespace

std::string_view strip_ows(std::string_view value) {
    const auto first = value.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return value.substr(first, value.find_last_not_of(" \t") - first + 1);
}

std::optional<std::string> decode_header_value(std::string_view value) {
    if (value.size() < sentinel_prefix.size() + sentinel_suffix.size() ||
        !value.starts_with(sentinel_prefix) || !value.ends_with(sentinel_suffix))
        return std::string(value);
    return base64_decode(
        value.substr(sentinel_prefix.size(), value.size() - sentinel_prefix.size() - sentinel_suffix.size()));
}

std::optional<std::string> header_mismatch(const StandardHeaders &headers, const Message &request) {
    if (!headers.protocol_version)
        return "the required MCP-Protocol-Version header is missing";
    if (!headers.method)
        return "the required Mcp-Method header is missing (the body names " + request.method + ")";
    if (strip_ows(*headers.method) != request.method)
        return "Mcp-Method header value '" + std::string(strip_ows(*headers.method)) +
               "' does not match body value '" + request.method + "'";
    const nlohmann::json *source = name_source(request);
    if (!source)
        return std::nullopt;
    const auto &body_value = source->get_ref<const std::string &>();
    if (!headers.name)
        return "the required Mcp-Name header is missing (the body names '" + body_value + "')";
    auto decoded = decode_header_value(strip_ows(*headers.name));
    if (!decoded)
        return "the Mcp-Name header carries an invalid =?base64?…?= value";
    if (*decoded != body_value)
        return "Mcp-Name header value '" + *decoded + "' does not match body value '" + body_value + "'";
    return std::nullopt;
}

} // namespace vcon_redis::server::mcp
