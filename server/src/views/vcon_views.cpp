#include "views/vcon_views.hpp"

#include <algorithm>
#include <array>

namespace vcon_redis::server {

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

namespace {

using nlohmann::json;

// A JSON member that may hold JSON as text: the parsed value of a string (once more when that is
// a string again: double encoding), or the value itself.
json decoded(const json &body) {
    json v = body;
    for (int level = 0; level < 2 && v.is_string(); ++level) {
        json parsed = json::parse(v.get_ref<const std::string &>(), nullptr, false);
        if (parsed.is_discarded())
            return json();
        v = std::move(parsed);
    }
    return v;
}

bool member_is(const json &entry, const char *member, std::string_view value) {
    auto it = entry.find(member);
    return it != entry.end() && it->is_string() && it->get_ref<const std::string &>() == value;
}

const json &member_or(const json &doc, const char *member, const json &fallback) {
    auto it = doc.find(member);
    return it == doc.end() ? fallback : *it;
}

std::size_t array_size(const json &doc, const char *member) {
    auto it = doc.find(member);
    return it != doc.end() && it->is_array() ? it->size() : 0;
}

// vcon-mcp's summary entries: the summary-type analyses without their empty bodies.
json summary_entries(const json &doc) {
    json out = json::array();
    auto analysis = doc.find("analysis");
    if (analysis == doc.end() || !analysis->is_array())
        return out;
    for (const auto &entry : *analysis) {
        if (!entry.is_object() || !member_is(entry, "type", "summary"))
            continue;
        json s = json::object();
        for (const char *m : {"type", "vendor", "product", "schema", "encoding"})
            if (entry.contains(m))
                s[m] = entry[m];
        if (auto body = entry.find("body");
            body != entry.end() && body->is_string() &&
            body->get_ref<const std::string &>().find_first_not_of(" \t\r\n") != std::string::npos)
            s["body"] = *body;
        if (entry.contains("dialog"))
            s["dialog"] = entry["dialog"];
        out.push_back(std::move(s));
    }
    return out;
}

// The parsed strolid_dealer attachment (vcon-mcp's dealer group), or null.
json dealer_of(const json &doc) {
    auto attachments = doc.find("attachments");
    if (attachments == doc.end() || !attachments->is_array())
        return nullptr;
    for (const auto &a : *attachments) {
        if (!a.is_object() || !member_is(a, "type", "strolid_dealer"))
            continue;
        json body = decoded(member_or(a, "body", json()));
        if (!body.is_object())
            return nullptr;
        json id = member_or(body, "id", json());
        json team = member_or(body, "team", json());
        return {{"id", id.is_null()     ? json()
                       : id.is_string() ? id
                                        : json(id.dump())},
                {"name", member_or(body, "name", json())},
                {"outboundPhoneNumber", member_or(body, "outboundPhoneNumber", json())},
                {"team", team.is_object() && !team.empty() ? team : json()}};
    }
    return nullptr;
}

} // namespace

json vcon_tags(const json &doc) {
    json tags = json::object();
    auto attachments = doc.find("attachments");
    if (attachments == doc.end() || !attachments->is_array())
        return tags;
    for (const auto &a : *attachments) {
        if (!a.is_object() || !(member_is(a, "purpose", "tags") || member_is(a, "type", "tags")))
            continue;
        json body = decoded(member_or(a, "body", json()));
        if (body.is_array()) {
            for (const auto &e : body) {
                if (!e.is_string())
                    continue;
                const auto &pair = e.get_ref<const std::string &>();
                const auto colon = pair.find(':');
                if (colon == 0)
                    continue;
                if (colon == std::string::npos)
                    tags[pair] = "";
                else
                    tags[pair.substr(0, colon)] = pair.substr(colon + 1);
            }
        } else if (body.is_object()) {
            for (const auto &[key, value] : body.items())
                if (value.is_string() && !key.empty() && key.find(':') == std::string::npos)
                    tags[key] = value;
        }
    }
    return tags;
}

json contract_item(const json &doc, const std::vector<std::string> &include) {
    auto wants = [&](std::string_view group) {
        return std::find(include.begin(), include.end(), group) != include.end();
    };
    static const json none;
    static const json empty_array = json::array();
    json item = {{"id", member_or(doc, "uuid", none)},
                 {"vcon_version", member_or(doc, "vcon", json("0.4.0"))},
                 {"created_at", member_or(doc, "created_at", none)},
                 {"updated_at", member_or(doc, "updated_at", none)},
                 {"subject", member_or(doc, "subject", none)},
                 {"extensions", member_or(doc, "extensions", none)},
                 {"critical", member_or(doc, "critical", none)}};
    // JSON.stringify drops undefined members: absent ones stay absent, as in vcon-mcp.
    for (const char *m : {"updated_at", "subject", "extensions", "critical"})
        if (!doc.contains(m))
            item.erase(m);
    if (wants("parties"))
        item["parties"] = member_or(doc, "parties", empty_array);
    if (wants("summary"))
        item["summary"] = summary_entries(doc);
    if (wants("dialog"))
        item["dialog"] = member_or(doc, "dialog", empty_array);
    if (wants("analysis"))
        item["analysis"] = member_or(doc, "analysis", empty_array);
    if (wants("attachments"))
        item["attachments"] = member_or(doc, "attachments", empty_array);
    if (wants("dealer"))
        item["dealer"] = dealer_of(doc);
    if (wants("counts"))
        item["counts"] = {{"parties", array_size(doc, "parties")},
                          {"dialog", array_size(doc, "dialog")},
                          {"analysis", array_size(doc, "analysis")},
                          {"attachments", array_size(doc, "attachments")}};
    if (wants("tags"))
        item["tags"] = vcon_tags(doc);
    return item;
}

} // namespace vcon_redis::server
