#include "mcp/vcon_reads.hpp"

#include "mcp/tool_args.hpp"
#include "store/uuid.hpp"

namespace vcon_redis::server::mcp {

std::string unavailable_message(const VconResult &r) {
    return "vCon store unavailable: " + (r.error.empty() ? std::string("try again later") : r.error);
}

nlohmann::json parse_vcon(const std::string &text, const std::string &uuid) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw ToolError("vCon " + uuid + " is stored in a form that is not a JSON object");
    return doc;
}

boost::asio::awaitable<VconResult> read_vcon(const std::string &uuid, const char *what, VconStore &store) {
    auto canonical = canonical_uuid(uuid);
    if (!canonical)
        throw ToolError(
            std::string(what) +
            " must be a UUID (8-4-4-4-12 hexadecimal, e.g. 01234567-89ab-4cde-8f01-23456789abcd)");
    VconResult r = co_await store.get(*canonical);
    if (r.status == VconResult::Status::NotFound)
        throw ToolError("vCon " + *canonical + " not found");
    if (r.status == VconResult::Status::Unavailable)
        throw ToolError(unavailable_message(r));
    co_return r;
}

boost::asio::awaitable<nlohmann::json> read_vcons(std::vector<std::string> uuids, VconStore &store) {
    std::vector<std::string> asked = uuids; // kept for the error messages
    std::vector<VconResult> results = co_await store.get_many(std::move(asked));
    nlohmann::json docs = nlohmann::json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].status == VconResult::Status::Unavailable)
            throw ToolError(unavailable_message(results[i]));
        if (results[i].status == VconResult::Status::Found)
            docs.push_back(parse_vcon(results[i].json, uuids[i]));
    }
    co_return docs;
}

} // namespace vcon_redis::server::mcp
