// 128 random bits as 32 hex digits: a token nobody else holds (fill leases, connection names).
#pragma once

#include <string>

namespace vcon_redis::server::store {

std::string random_token();

} // namespace vcon_redis::server::store
