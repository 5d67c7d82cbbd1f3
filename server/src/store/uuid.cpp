#include "store/uuid.hpp"

namespace vcon_redis::server {

std::optional<std::string> canonical_uuid(std::string_view text) {
    if (text.size() != 36)
        return std::nullopt;
    std::string out(text);
    for (std::size_t i = 0; i < out.size(); ++i) {
        char &c = out[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return std::nullopt;
        } else if (c >= '0' && c <= '9') {
        } else if (c >= 'a' && c <= 'f') {
        } else if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        } else {
            return std::nullopt;
        }
    }
    return out;
}

bool is_canonical_uuid(std::string_view text) {
    if (text.size() != 36)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

} // namespace vcon_redis::server
