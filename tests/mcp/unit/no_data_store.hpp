// A VconStore for tests of paths that must be decided before any data access (framing, validation,
// protocol errors): every call fails the test. It never stands in for PostgreSQL or Redis.
#pragma once

#include "store/vcon_store.hpp"

#include <gtest/gtest.h>

namespace vcon_redis::server::mcp::test {

class NoDataStore : public VconStore {
public:
    boost::asio::awaitable<VconResult> get(std::string uuid) override {
        ADD_FAILURE() << "unexpected store.get(" << uuid << ")";
        co_return VconResult{VconResult::Status::Unavailable, {}, CacheStatus::Bypass, "test: no data"};
    }
    boost::asio::awaitable<QueryResult> query_json(std::string sql, QueryParams) override {
        ADD_FAILURE() << "unexpected store.query_json(" << sql << ")";
        co_return QueryResult{false, {}, "test: no data"};
    }
};

} // namespace vcon_redis::server::mcp::test
