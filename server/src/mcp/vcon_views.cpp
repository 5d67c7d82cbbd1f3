#include "mcp/vcon_views.hpp"

#include <array>

namespace vconredis::server::mcp {

nlohmann::json vcon_view(nlohmann::json doc, std::string_view format) {
    if ((format != "metadata" && format != "summary") || !doc.is_object())
        return doc;
    static constexpr std::array<const char *, 8> metadata_members{
        "vcon", "uuid", "created_at", "updated_at", "subject", "extensions", "critical", "parties"};
    nlohmann::json view = nlohmann::json::object();
    for (const char *member : metadata_members) {
        auto it = doc.find(member);
        if (it != doc.end())
            view[member] = std::move(*it);
    }
    if (format == "summary") {
        nlohmann::json summaries = nlohmann::json::array();
        auto analysis = doc.find("analysis");
        if (analysis != doc.end() && analysis->is_array())
            for (auto &entry : *analysis)
                if (entry.is_object() && entry.value("type", nlohmann::json()) == "summary")
                    summaries.push_back(std::move(entry));
        view["analysis"] = std::move(summaries);
    }
    return view;
}

} // namespace vconredis::server::mcp
