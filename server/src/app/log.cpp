#include "app/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace vcon_redis::server::log {

void write(Level level, std::string_view message) {
    static std::mutex mu;
    static constexpr const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string line;
    line.reserve(message.size() + 48);
    line.append(stamp).append(".");
    char frac[8];
    std::snprintf(frac, sizeof frac, "%03dZ ", static_cast<int>(ms));
    line.append(frac).append(names[static_cast<int>(level)]).append(" ").append(message).append("\n");
    std::lock_guard lock(mu);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

} // namespace vcon_redis::server::log
