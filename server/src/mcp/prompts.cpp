#include "mcp/prompts.hpp"

#include <map>
#include <vector>

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;
using Args = std::map<std::string, std::string>;

struct Argument {
    const char *name;
    const char *description;
    bool required;
};

struct Prompt {
    const char *name;
    const char *title;
    const char *description;
    std::vector<Argument> arguments;
    std::string (*message)(const Args &);
};

std::string arg(const Args &a, const char *name) {
    auto it = a.find(name);
    return it == a.end() ? std::string() : it->second;
}

std::string when(const std::string &range) {
    return range.empty() ? "No date range was given: search all dates."
                         : "Turn \"" + range +
                               "\" into ISO 8601 start_date/end_date (e.g. June 2025 → start_date "
                               "\"2025-06-01\", end_date \"2025-06-30T23:59:59Z\").";
}

std::string exact_tags(const Args &a) {
    const std::string what = arg(a, "tag_criteria");
    return "Find vCons whose tags match: \"" + what + "\"" +
           (arg(a, "date_range").empty() ? "" : " " + arg(a, "date_range")) +
           "\n\n## Strategy: exact tag match\n"
           "1. Call `get_unique_tags` (include_counts: true) to see which tag keys and values exist; map \"" +
           what +
           "\" onto them (e.g. \"angry customers\" → {\"sentiment\": \"angry\"} only if that pair exists).\n"
           "2. " +
           when(arg(a, "date_range")) +
           "\n3. Without dates call `search_by_tags` with {\"tags\": {…}, \"limit\": 50}; with dates call "
           "`search_vcons` with {\"tags\": {…}, \"start_date\": …, \"end_date\": …, \"response_format\": "
           "\"metadata\", \"include_count\": true}.\n"
           "4. Read promising hits with `get_vcon` (response_format \"summary\") or `vcon_fetch`.\n\n"
           "Tag matching is exact and every pair must match. If no pair fits, fall back to "
           "`search_vcons_content` "
           "(full-text).";
}

std::string keywords(const Args &a) {
    const std::string words = arg(a, "keywords");
    const std::string filters = arg(a, "filters");
    return "Find vCons whose content mentions: \"" + words +
           "\"\n\n## Strategy: full-text search\n"
           "1. Call `search_vcons_content` with {\"query\": \"" +
           words + "\", \"limit\": 50}. The query uses web-search syntax: quotes for phrases, OR, -word.\n" +
           (filters.empty() ? std::string()
                            : "2. Apply the filters \"" + filters +
                                  "\": dates as start_date/end_date, tags as the tags object.\n") +
           "3. Results are one row per matching field (subject, party, dialog, analysis) with a snippet; the "
           "same "
           "vCon can appear more than once. For one item per vCon with paging use `vcon_search` with mode "
           "\"keyword\".\n"
           "4. Read the best hits with `get_vcon` (response_format \"summary\").";
}

std::string recent_by_topic(const Args &a) {
    const std::string topic = arg(a, "topic");
    const std::string timeframe = arg(a, "timeframe").empty() ? "the last 7 days" : arg(a, "timeframe");
    return "Show recent vCons about \"" + topic + "\" from " + timeframe + ".\n\n1. Turn \"" + timeframe +
           "\" into an ISO 8601 start_date (and end_date if needed).\n"
           "2. Check `get_unique_tags` (key_filter e.g. \"department\" or \"topic\") for a tag that means "
           "\"" +
           topic +
           "\"; if one exists, call `search_vcons` with that tags filter and the dates, response_format "
           "\"metadata\".\n"
           "3. Otherwise call `search_vcons_content` with {\"query\": \"" +
           topic +
           "\", \"start_date\": …}.\n"
           "4. The resource vcon://v1/vcons/recent/ids lists the newest vCons when no filter fits.\n"
           "Present uuid, created_at and subject, newest first.";
}

std::string by_customer(const Args &a) {
    const std::string who = arg(a, "party_identifier");
    return "Find every vCon involving \"" + who +
           "\".\n\n"
           "1. Decide what \"" +
           who +
           "\" is: an email (contains @) → party_email; a phone number → party_tel (digits, e.g. +15551234); "
           "otherwise a name → party_name. All three are case-insensitive substring matches.\n"
           "2. " +
           when(arg(a, "date_range")) +
           "\n3. Call `search_vcons` with that filter, response_format \"metadata\", include_count true, "
           "limit 50; "
           "page with offset (or use `vcon_search` with filters and its cursor).\n"
           "4. Summarise with `get_vcon` (response_format \"summary\") for the most relevant ones.";
}

std::string discover_tags(const Args &a) {
    const std::string category = arg(a, "tag_category");
    return "Discover the tags available for filtering" +
           (category.empty() ? std::string() : " in \"" + category + "\"") +
           ".\n\n1. Call `get_unique_tags` with {\"include_counts\": true" +
           (category.empty() ? std::string() : ", \"key_filter\": \"" + category + "\"") +
           "}.\n2. Present each key with its values and how many vCons carry each value, most common first.\n"
           "3. Suggest searches: `search_by_tags` with one pair, or `search_vcons` with tags plus dates.\n"
           "The resource vcon://v1/graph/shape (or the tool `vcon_graph_shape`) also shows tag keys next to "
           "analysis types and attachment purposes.";
}

std::string complex_search(const Args &a) {
    const std::string criteria = arg(a, "search_criteria");
    return "Search vCons for: \"" + criteria +
           "\"\n\n## Strategy: combine filters\n"
           "1. Split the request into exact criteria (tags: check `get_unique_tags`; people: "
           "party_name/email/tel; "
           "dates: start_date/end_date) and content words.\n"
           "2. Exact criteria only → `search_vcons` (tags, party_*, dates, response_format \"metadata\").\n"
           "3. Content words too → `search_vcons_content` with query, dates and tags; or `vcon_search` mode "
           "\"keyword\" with tags and filters.start_date/end_date for one item per vCon and a cursor.\n"
           "4. If a step returns nothing, relax the least certain criterion and say which.\n"
           "5. Read the results with `vcon_fetch` (include [\"core\",\"summary\"]).\n"
           "Semantic (meaning-based) search is not available on this server.";
}

std::string help_me_search(const Args &a) {
    const std::string want = arg(a, "what_you_want");
    return "Help me choose how to search for: \"" + want +
           "\"\n\n"
           "Tools on this server:\n"
           "- `search_by_tags`: exact tag pairs (all must match). Discover tags with `get_unique_tags`.\n"
           "- `search_vcons`: subject, party name/email/phone, dates, tags; newest first.\n"
           "- `search_vcons_content`: full-text words and phrases in subjects, parties, dialog and "
           "analysis.\n"
           "- `vcon_search`: metadata or keyword mode in one envelope with include groups and a cursor.\n"
           "- `get_vcon` / `vcon_fetch`: read one vCon (use summary / include to keep it small).\n"
           "- Resources: vcon://v1/vcons/recent, vcon://v1/vcons/{uuid}/summary, vcon://v1/graph/shape.\n"
           "Semantic and hybrid search need embeddings, which this server does not have.\n\n"
           "Recommend the best tool (or a sequence) for \"" +
           want + "\", with the exact arguments to pass.";
}

std::string daily_report(const Args &a) {
    const std::string date =
        arg(a, "date").empty() ? std::string("yesterday (compute the date)") : arg(a, "date");
    const std::string focus = arg(a, "focus_areas");
    return "Write an activity report for " + date +
           (focus.empty() ? std::string() : ", focusing on: " + focus) +
           ".\n\n"
           "1. Call `search_vcons` with start_date = that day 00:00:00Z, end_date = 23:59:59Z, "
           "response_format "
           "\"metadata\", include_count true, limit 1000: total_count is the day's volume; the rows give "
           "subjects "
           "and member counts.\n"
           "2. Call `get_unique_tags` (include_counts true) and, for the most important tags, `search_vcons` "
           "with "
           "the same dates plus that tag to count per category.\n"
           "3. Read a few notable vCons with `get_vcon` (response_format \"summary\").\n"
           "4. Report: volume, breakdown by tag, notable conversations (uuid, subject, one-line summary), "
           "and "
           "anything unusual.";
}

const std::vector<Prompt> &prompts() {
    static const std::vector<Prompt> p{
        {"find_by_exact_tags",
         "Find by exact tags",
         "Find vCons using exact tag matches, e.g. \"high-priority sales calls\" or \"angry customers from "
         "June\".",
         {{"tag_criteria", "Natural language description of the tags to match (e.g. \"high priority sales\")",
           true},
          {"date_range", "Optional date range (e.g. \"from June\", \"last week\")", false}},
         &exact_tags},
        {"find_by_keywords",
         "Find by keywords",
         "Find vCons containing specific words or phrases in their content, e.g. \"refund\".",
         {{"keywords", "Keywords or phrases to search for", true},
          {"filters", "Optional additional filters: dates, tags, parties", false}},
         &keywords},
        {"find_recent_by_topic",
         "Find recent by topic",
         "Find recent vCons about a topic or category, e.g. \"this week's support calls\".",
         {{"topic", "Topic or category (e.g. \"support\", \"billing\")", true},
          {"timeframe", "Recency (e.g. \"today\", \"this week\", \"last 7 days\")", false}},
         &recent_by_topic},
        {"find_by_customer",
         "Find by customer",
         "Find all vCons involving a customer or participant, by name, email or phone number.",
         {{"party_identifier", "Name, email or phone number", true},
          {"date_range", "Optional date range", false}},
         &by_customer},
        {"discover_available_tags",
         "Discover available tags",
         "Discover which tags exist for filtering (departments, priorities, categories, …).",
         {{"tag_category", "Optional: a tag key to focus on (e.g. \"department\")", false}},
         &discover_tags},
        {"complex_search",
         "Complex search",
         "Combine tags, keywords, parties and dates in one search, e.g. \"high-priority sales calls from Q1 "
         "mentioning pricing\".",
         {{"search_criteria", "The complete search description", true}},
         &complex_search},
        {"help_me_search",
         "Help me search",
         "Get guidance on which search tool to use and how to phrase the query.",
         {{"what_you_want", "What you are trying to find, in natural language", true}},
         &help_me_search},
        {"daily_activity_report",
         "Daily activity report",
         "Generate an activity report for one day from searches over that day's vCons.",
         {{"date", "The date in YYYY-MM-DD (default: yesterday)", false},
          {"focus_areas", "Optional focus areas for the report", false}},
         &daily_report},
    };
    return p;
}

} // namespace

const json &list_prompts_result() {
    static const json result = [] {
        json list = json::array();
        for (const auto &p : prompts()) {
            json args = json::array();
            for (const auto &a : p.arguments)
                args.push_back({{"name", a.name}, {"description", a.description}, {"required", a.required}});
            list.push_back(
                {{"name", p.name}, {"title", p.title}, {"description", p.description}, {"arguments", args}});
        }
        return json{{"prompts", std::move(list)}};
    }();
    return result;
}

std::optional<json> get_prompt(const std::string &name, const json &arguments, std::string &error) {
    const Prompt *prompt = nullptr;
    for (const auto &p : prompts())
        if (name == p.name)
            prompt = &p;
    if (!prompt) {
        error = "Unknown prompt: " + name;
        return std::nullopt;
    }
    Args args;
    if (!arguments.is_null() && !arguments.is_object()) {
        error = "arguments must be an object of strings";
        return std::nullopt;
    }
    static const json no_arguments = json::object();
    const json &given = arguments.is_object() ? arguments : no_arguments;
    for (const auto &[key, value] : given.items()) {
        bool known = false;
        for (const auto &a : prompt->arguments)
            known = known || key == a.name;
        if (!known) {
            error = "unknown argument \"" + key + "\" for prompt " + name;
            return std::nullopt;
        }
        if (!value.is_string() || value.get_ref<const std::string &>().size() > 4096) {
            error = "argument \"" + key + "\" must be a string of at most 4096 bytes";
            return std::nullopt;
        }
        args[key] = value.get<std::string>();
    }
    for (const auto &a : prompt->arguments)
        if (a.required && arg(args, a.name).empty()) {
            error = "missing required argument \"" + std::string(a.name) + "\" for prompt " + name;
            return std::nullopt;
        }
    return json{
        {"description", prompt->description},
        {"messages", json::array({{{"role", "user"},
                                   {"content", {{"type", "text"}, {"text", prompt->message(args)}}}}})}};
}

} // namespace vcon_redis::server::mcp
