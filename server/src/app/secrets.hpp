// Where the passwords are in a connection URL or libpq key=value string, so they can be blanked
// out of messages and of the process's own argv (a password on the command line is visible to
// every local user in ps).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vcon_redis::server {

// [offset, length) of every password in `url`: the userinfo password of scheme://user:password@…,
// and the value of every password=… (URI query parameter or libpq keyword, quoted or not).
std::vector<std::pair<std::size_t, std::size_t>> password_spans(std::string_view url);

// `text` with every occurrence of each password of `url` replaced by ***.
std::string redact_passwords(std::string text, std::string_view url);

} // namespace vcon_redis::server
