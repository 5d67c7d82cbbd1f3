// Fuzzes MCP message handling end to end above the socket: JSON-RPC parsing, classification,
// dispatch, tool argument validation, result building and the HTTP status mapping. The store
// returns canned data (found / not found / unavailable, chosen from the uuid) so the tool and
// resource paths are reached; this tests parsing and dispatch, not data.
//
// Invariants checked on every input (violations abort, which libFuzzer reports):
//   - a reply, when there is one, is a JSON-RPC 2.0 object with exactly one of result/error;
//   - HTTP status is 200 (body present) or 202 (empty body) or 400 (JSON-RPC error body);
//   - the stdio and HTTP paths agree on whether a message is answered.
#include "mcp/dispatcher.hpp"
#include "mcp/http_endpoint.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using namespace vcon_redis::server;
using nlohmann::json;

class CannedStore : public VconStore {
public:
    boost::asio::awaitable<VconResult> get(std::string uuid) override {
        VconResult r;
        switch (uuid.empty() ? '0' : uuid.back()) {
        case '0':
            r.status = VconResult::Status::NotFound;
            break;
        case '1':
            r.status = VconResult::Status::Unavailable;
            r.error = "database unavailable";
            break;
        default:
            r.status = VconResult::Status::Found;
            r.cache = CacheStatus::Hit;
            r.json = R"({"vcon":"0.3.0","uuid":")" + uuid +
                     R"(","created_at":"2025-01-01T00:00:00Z","subject":"s","parties":[{"name":"A"}],)"
                     R"("analysis":[{"type":"summary","vendor":"v","body":"b"}]})";
        }
        co_return r;
    }

    boost::asio::awaitable<QueryResult> query_json(std::string sql, QueryParams params) override {
        QueryResult r;
        r.ok = !(params.size() > 1 && params[1] && *params[1] == "fail");
        if (!r.ok) {
            r.error = "database unavailable";
        } else if (sql.find("search_by_tags") != std::string::npos) {
            r.json = R"([{"vcon_id":"018f0a4e-0000-4000-8000-000000000002"}])";
        } else if (sql.find("search_vcons_content") != std::string::npos) {
            r.json = R"([{"vcon_id":"018f0a4e-0000-4000-8000-000000000002","content_type":"subject",)"
                     R"("content_index":null,"relevance_score":0.5,"snippet":"s"}])";
        } else {
            r.json = R"([{"uuid":"018f0a4e-0000-4000-8000-000000000002","subject":"s",)"
                     R"("created_at":"2025-01-01T00:00:00+00:00","parties_count":1,"dialog_count":0,)"
                     R"("analysis_count":1,"attachments_count":0,"total_count":1}])";
        }
        co_return r;
    }
};

void check(bool ok) {
    if (!ok)
        std::abort();
}

void check_reply(const json &reply) {
    check(reply.is_object());
    check(reply.value("jsonrpc", "") == "2.0");
    check(reply.contains("id"));
    check(reply.contains("result") != reply.contains("error"));
    if (reply.contains("error"))
        check(reply["error"]["code"].is_number_integer() && reply["error"]["message"].is_string());
}

template <class T> T run(boost::asio::awaitable<T> op) {
    boost::asio::io_context ioc;
    auto future = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
    ioc.run();
    return future.get();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    CannedStore store;
    const std::string text(reinterpret_cast<const char *>(data), size);

    auto reply = run(mcp::handle_message(text, store));
    if (reply)
        check_reply(*reply);

    // The first byte picks the MCP-Protocol-Version header so that check is fuzzed as well.
    static const char *const versions[] = {nullptr, "2025-11-25", "2025-06-18", "2026-07-28", ""};
    mcp::RequestInfo info;
    if (const char *v = versions[size ? data[0] % 5 : 0])
        info.protocol_version_header = v;
    mcp::HttpReply http = run(mcp::handle_http(text, info, store));
    check(http.status == 200 || http.status == 202 || http.status == 400);
    if (http.status == 202) {
        check(http.body.empty());
    } else {
        auto body = json::parse(http.body, nullptr, false);
        check(!body.is_discarded());
        check_reply(body);
        check(http.status == 200 || body.contains("error"));
    }
    // Without a version-header rejection, HTTP answers exactly what stdio answers.
    if (http.status != 400 || !info.protocol_version_header)
        check((http.status == 202) == !reply.has_value());
    return 0;
}
