#include "redis/slot.hpp"

#include <array>
#include <cctype>

namespace vcon_redis::redis {
namespace {

constexpr std::array<std::uint16_t, 256> make_table() {
    std::array<std::uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        std::uint16_t crc = static_cast<std::uint16_t>(i << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
        t[i] = crc;
    }
    return t;
}

constexpr auto table = make_table();

} // namespace

std::uint16_t crc16(std::string_view data) noexcept {
    std::uint16_t crc = 0;
    for (unsigned char c : data)
        crc = static_cast<std::uint16_t>((crc << 8) ^ table[((crc >> 8) ^ c) & 0xFF]);
    return crc;
}

std::string_view hash_tag(std::string_view key) noexcept {
    auto open = key.find('{');
    if (open == std::string_view::npos)
        return key;
    auto close = key.find('}', open + 1);
    if (close == std::string_view::npos || close == open + 1)
        return key;
    return key.substr(open + 1, close - open - 1);
}

bool has_hash_tag(std::string_view key) noexcept {
    return hash_tag(key).size() != key.size();
}

int key_slot(std::string_view key) noexcept {
    return crc16(hash_tag(key)) & (slot_count - 1);
}

} // namespace vcon_redis::redis

namespace vcon_redis::redis {
namespace {

bool same_word(std::string_view a, std::string_view upper) noexcept {
    if (a.size() != upper.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != upper[i])
            return false;
    return true;
}

} // namespace

int command_slot(const std::vector<std::string_view> &cmd) noexcept {
    if (cmd.size() < 2)
        return -1;
    if (same_word(cmd[0], "EVAL") || same_word(cmd[0], "EVALSHA")) {
        if (cmd.size() < 4 || cmd[2].empty() || cmd[2] == "0")
            return -1;
        return key_slot(cmd[3]);
    }
    for (std::string_view keyless :
         {"PING",    "WAIT",   "SCRIPT",   "CLUSTER",  "ROLE",      "INFO",  "AUTH",
          "SELECT",  "ASKING", "ECHO",     "CONFIG",   "CLIENT",    "HELLO", "FLUSHALL",
          "FLUSHDB", "DBSIZE", "SENTINEL", "READONLY", "READWRITE", "TIME",  "COMMAND"})
        if (same_word(cmd[0], keyless))
            return -1;
    return key_slot(cmd[1]);
}

} // namespace vcon_redis::redis
