#include "mcp/contract.hpp"

#include "mcp/jsonrpc.hpp"

namespace vcon_redis::server::mcp::contract {

namespace {

using nlohmann::json;

constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
    std::string out;
    std::uint32_t bits = 0;
    int nbits = 0;
    for (unsigned char c : in) {
        bits = (bits << 8) | c;
        nbits += 8;
        while (nbits >= 6) {
            nbits -= 6;
            out.push_back(kBase64Url[(bits >> nbits) & 0x3f]);
        }
    }
    if (nbits > 0)
        out.push_back(kBase64Url[(bits << (6 - nbits)) & 0x3f]);
    return out;
}

// nullopt for anything that is not unpadded (or padded) base64url.
std::optional<std::string> base64url_decode(std::string_view in) {
    while (!in.empty() && in.back() == '=')
        in.remove_suffix(1);
    std::string out;
    std::uint32_t bits = 0;
    int nbits = 0;
    for (char c : in) {
        const auto v = kBase64Url.find(c);
        if (v == std::string_view::npos)
            return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out.push_back(static_cast<char>((bits >> nbits) & 0xff));
        }
    }
    return out;
}

} // namespace

const std::vector<std::string> &include_groups() {
    static const std::vector<std::string> groups{"core",   "parties", "summary",  "tags",       "dealer",
                                                 "counts", "dialog",  "analysis", "attachments"};
    return groups;
}

const std::vector<std::string> &default_fetch_include() {
    static const std::vector<std::string> groups{"core", "parties", "summary"};
    return groups;
}

const std::vector<std::string> &default_search_include() {
    static const std::vector<std::string> groups{"core", "summary"};
    return groups;
}

std::vector<std::string> include_arg(ToolArgs &args, const std::vector<std::string> &fallback) {
    return args.choices("include", include_groups()).value_or(fallback);
}

std::int64_t max_response_bytes_arg(ToolArgs &args) {
    return args.integer("max_response_bytes", kDefaultMaxResponseBytes, kMinMaxResponseBytes,
                        std::int64_t{1} << 40);
}

std::string encode_cursor(std::int64_t offset) {
    return base64url_encode(R"({"offset":)" + std::to_string(offset) + "}");
}

std::int64_t cursor_arg(ToolArgs &args) {
    auto cursor = args.string("cursor", false, 256);
    if (!cursor || cursor->empty())
        return 0;
    auto text = base64url_decode(*cursor);
    json payload = text ? json::parse(*text, nullptr, false) : json();
    auto offset = payload.is_object() ? payload.find("offset") : payload.end();
    if (!payload.is_object() || offset == payload.end() || !offset->is_number_integer() ||
        offset->get<std::int64_t>() < 0 || offset->get<std::int64_t>() > 1'000'000'000)
        throw ToolError("cursor is invalid or malformed: pass page.next_cursor back exactly as returned");
    return offset->get<std::int64_t>();
}

json error(const std::string &code, const std::string &message) {
    return {{"ok", false}, {"error", {{"code", code}, {"message", message}}}};
}

json too_large(std::size_t bytes, std::int64_t max_bytes, std::vector<std::string> suggestions) {
    return {{"ok", false},
            {"error",
             {{"code", "RESPONSE_TOO_LARGE"},
              {"message", "Response would be " + std::to_string(bytes) + " bytes, exceeding the " +
                              std::to_string(max_bytes) + " byte budget."},
              {"approximate_bytes", bytes},
              {"max_response_bytes", max_bytes},
              {"suggestions", std::move(suggestions)}}}};
}

std::size_t json_bytes(const json &value) {
    return to_text(value).size();
}

json include_property(const char *description) {
    return {{"type", "array"},
            {"description", description},
            {"items", {{"type", "string"}, {"enum", include_groups()}}}};
}

json max_response_bytes_property() {
    return {{"type", "number"},
            {"minimum", kMinMaxResponseBytes},
            {"default", kDefaultMaxResponseBytes},
            {"description", "Maximum allowed serialized response size in bytes before the tool returns "
                            "RESPONSE_TOO_LARGE. Default: 250000."}};
}

} // namespace vcon_redis::server::mcp::contract
