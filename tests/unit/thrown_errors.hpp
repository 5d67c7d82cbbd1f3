// What a call that must fail threw, for the tests of error messages: the message of any exception
// type, the UrlError of parsing a Redis URL, the redis::Error of connecting through one. Each marks
// the test failed when nothing was thrown.
#pragma once

#include "redis/connection.hpp"
#include "redis/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vcon_redis::testing {

template <class E, class F> std::string thrown_message(F &&call) {
    try {
        call();
    } catch (const E &e) {
        return e.what();
    }
    ADD_FAILURE() << "nothing was thrown";
    return {};
}

inline std::string url_error(const std::string &text) {
    return thrown_message<redis::UrlError>([&] { redis::Url::parse(text); });
}

inline redis::Error connect_error(const std::string &url) {
    try {
        redis::Connection c(redis::Url::parse(url), {});
        c.connect();
    } catch (const redis::Error &e) {
        return e;
    }
    ADD_FAILURE() << "connected to " << url;
    return redis::Error(redis::Error::Kind::reply, "none");
}

} // namespace vcon_redis::testing
