// Redis Cluster key slots: CRC16 (XMODEM) of the key's hash tag, modulo 16384, exactly as
// Redis computes them (cluster spec, "Keys hash tags").
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace vcon_redis::redis {

inline constexpr int slot_count = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0): crc16("123456789") == 0x31C3.
std::uint16_t crc16(std::string_view data) noexcept;

// The part of key that is hashed: the text between the first '{' and the first '}' after it when
// that is not empty, else the whole key.
std::string_view hash_tag(std::string_view key) noexcept;

// Whether key has a hash tag (hash_tag(key) is not the whole key).
bool has_hash_tag(std::string_view key) noexcept;

// The cluster slot of key, 0..16383.
int key_slot(std::string_view key) noexcept;

// The slot a command is routed by: its first key (EVAL/EVALSHA: the first of KEYS, when numkeys
// > 0; the commands that take no key — PING, WAIT, SCRIPT, CLUSTER, ROLE, INFO, … — and a script
// without keys: -1, any node). Every key of one command must share that slot in a cluster.
int command_slot(const std::vector<std::string_view> &cmd) noexcept;

} // namespace vcon_redis::redis
