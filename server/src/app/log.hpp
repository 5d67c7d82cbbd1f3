// Line-oriented logging to stderr (stdout may carry MCP over stdio). Callers never pass secrets:
// URLs are logged redacted, tokens and passwords not at all.
#pragma once

#include <string_view>

namespace vcon_redis::server::log {

enum class Level { Debug, Info, Warn, Error };

void write(Level level, std::string_view message);

inline void info(std::string_view m) {
    write(Level::Info, m);
}
inline void warn(std::string_view m) {
    write(Level::Warn, m);
}
inline void error(std::string_view m) {
    write(Level::Error, m);
}

} // namespace vcon_redis::server::log
