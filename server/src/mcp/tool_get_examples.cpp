// get_examples: example vCons (minimal, phone_call, chat, email, video, full_featured) as JSON or
// YAML, for agents that write vCons elsewhere. Fixed uuids and dates: the examples are documents
// to learn the shape from, not records.
#include "mcp/tool.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

const json &examples() {
    static const json e = json::parse(R"JSON({
 "minimal": {"vcon": "0.4.0", "uuid": "018f0a4e-0000-8000-8000-000000000001", "created_at": "2025-01-15T10:00:00Z",
   "parties": [{"name": "Agent"}]},
 "phone_call": {"vcon": "0.4.0", "uuid": "018f0a4e-0000-8000-8000-000000000002", "created_at": "2025-01-15T10:00:00Z",
   "subject": "Customer support call",
   "parties": [{"name": "Jane Customer", "tel": "+15551234567"}, {"name": "Bob Agent", "mailto": "bob@example.com"}],
   "dialog": [{"type": "recording", "start": "2025-01-15T10:00:00Z", "duration": 327.5, "parties": [0, 1], "originator": 0,
     "mediatype": "audio/mpeg", "filename": "call.mp3", "url": "https://storage.example.com/call.mp3",
     "content_hash": "sha512-abc123"}],
   "analysis": [
     {"type": "transcript", "dialog": 0, "vendor": "ExampleASR", "product": "asr-2", "schema": "transcript-v1",
      "body": "{\"transcript\":\"Hello, I have a question about my bill. Sure, let me look.\",\"confidence\":0.94}",
      "encoding": "json", "mediatype": "application/json"},
     {"type": "summary", "dialog": 0, "vendor": "ExampleLLM", "product": "summarizer-1", "schema": "summary-v1",
      "body": "The customer asked about a billing question; the agent resolved it on the call.", "encoding": "none"},
     {"type": "sentiment", "dialog": 0, "vendor": "ExampleLLM", "schema": "sentiment-v1",
      "body": "{\"sentiment\":\"positive\",\"score\":0.82}", "encoding": "json"}],
   "attachments": [{"purpose": "tags", "encoding": "json",
     "body": "[\"department:support\",\"priority:normal\",\"disposition:resolved\"]"}]},
 "chat": {"vcon": "0.4.0", "uuid": "018f0a4e-0000-8000-8000-000000000003", "created_at": "2025-01-15T10:00:00Z",
   "subject": "Sales chat",
   "parties": [{"name": "User", "mailto": "user@example.com"}, {"name": "Support Bot"}],
   "dialog": [
     {"type": "text", "start": "2025-01-15T10:00:00Z", "parties": [0], "body": "Do you offer volume pricing?",
      "encoding": "none", "mediatype": "text/plain"},
     {"type": "text", "start": "2025-01-15T10:00:20Z", "parties": [1], "body": "Yes, discounts start at 50 seats.",
      "encoding": "none", "mediatype": "text/plain"}]},
 "email": {"vcon": "0.4.0", "uuid": "018f0a4e-0000-8000-8000-000000000004", "created_at": "2025-01-15T10:00:00Z",
   "subject": "Contract review",
   "parties": [{"name": "Alice", "mailto": "alice@example.com"}, {"name": "Bob", "mailto": "bob@example.com"}],
   "dialog": [{"type": "text", "start": "2025-01-15T10:00:00Z", "parties": [0], "mediatype": "message/rfc822",
     "message_id": "<msg-1@example.com>", "body": "Please review the attached contract by Friday.", "encoding": "none"}],
   "attachments": [{"purpose": "contract", "party": 0, "dialog": 0, "mediatype": "application/pdf",
     "filename": "contract.pdf", "url": "https://storage.example.com/contract.pdf", "content_hash": "sha512-def456"}]},
 "video": {"vcon": "0.4.0", "uuid": "018f0a4e-0000-8000-8000-000000000005", "created_at": "2025-01-15T10:00:00Z",
   "subject": "Quarterly review",
   "parties": [{"name": "Host", "mailto": "host@example.com"}, {"name": "Attendee 1"}, {"name": "Attendee 2"}],
   "dialog": [{"type": "recording", "start": "2025-01-15T10:00:00Z", "duration": 1820, "parties": [0, 1, 2],
     "mediatype": "video/mp4", "filename": "meeting.mp4", "url": "https://storage.example.com/meeting.mp4",
     "content_hash": "sha512-0789ab"}],
   "analysis": [{"type": "transcript", "dialog": 0, "vendor": "ExampleASR", "schema": "transcript-v1",
     "body": "{\"transcript\":\"Welcome to the quarterly review.\"}", "encoding": "json"}]},
 "full_featured": {"vcon": "0.4.0", "uuid": "018f0a4e-0000-8000-8000-000000000006", "created_at": "2025-01-15T10:00:00Z",
   "updated_at": "2025-01-15T11:00:00Z", "subject": "Full-featured example", "extensions": ["lawful_basis"],
   "parties": [{"name": "Alice", "tel": "+15551112222", "mailto": "alice@example.com"},
               {"name": "Bob", "tel": "+15553334444", "mailto": "bob@example.com", "uuid": "018f0a4e-0000-8000-8000-0000000000b0"}],
   "dialog": [
     {"type": "recording", "start": "2025-01-15T10:00:00Z", "duration": 240, "parties": [0, 1], "mediatype": "audio/mpeg",
      "url": "https://storage.example.com/call.mp3", "content_hash": "sha512-123abc"},
     {"type": "text", "start": "2025-01-15T10:05:00Z", "parties": [0], "body": "Follow-up note after the call.",
      "encoding": "none"}],
   "analysis": [
     {"type": "transcript", "dialog": 0, "vendor": "ExampleASR", "body": "{\"transcript\":\"...\"}", "encoding": "json"},
     {"type": "summary", "dialog": 0, "vendor": "ExampleLLM", "body": "Short summary of the conversation.", "encoding": "none"}],
   "attachments": [
     {"purpose": "tags", "encoding": "json", "body": "[\"department:sales\",\"priority:high\"]"},
     {"purpose": "followup", "party": 0, "mediatype": "application/pdf", "filename": "followup.pdf",
      "url": "https://storage.example.com/followup.pdf", "content_hash": "sha512-456def"}]}
})JSON");
    return e;
}

// A string as a YAML scalar: plain when that is unambiguous, else a JSON (double-quoted) string.
std::string yaml_scalar(const json &v) {
    if (!v.is_string())
        return v.dump();
    const auto &s = v.get_ref<const std::string &>();
    const bool plain = !s.empty() && s.find_first_of(":#\n\"'{}[],&*!|>%@`") == std::string::npos &&
                       s.front() != ' ' && s.back() != ' ' && s.front() != '-' && s != "true" &&
                       s != "false" && s != "null" &&
                       s.find_first_not_of("0123456789.+-eE") != std::string::npos;
    return plain ? s : v.dump();
}

void yaml(const json &v, int indent, std::string &out) {
    const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
    for (const auto &[key, value] : v.items()) {
        out += pad + (v.is_array() ? "-" : key + ":");
        if (value.is_structured() && !value.empty()) {
            out += "\n";
            yaml(value, indent + 1, out);
        } else {
            out += " " + (value.is_structured() ? value.dump() : yaml_scalar(value)) + "\n";
        }
    }
}

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &) {
    const std::string type = *args.string("example_type", true);
    const std::string format = args.choice("format", {"json", "yaml"}, "json");
    args.reject_unknown();
    if (!examples().contains(type))
        throw ToolError(
            "example_type must be one of: minimal, phone_call, chat, email, video, full_featured");
    json out = examples()[type];
    if (format == "yaml") {
        std::string text;
        yaml(out, 0, text);
        out = std::move(text);
    }
    co_return out;
}

} // namespace

Tool get_examples_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"example_type",
           {{"type", "string"},
            {"enum", {"minimal", "phone_call", "chat", "email", "video", "full_featured"}}}},
          {"format", {{"type", "string"}, {"enum", {"json", "yaml"}}, {"default", "json"}}}}},
        {"required", {"example_type"}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "get_examples"},
             {"title", "Get example vCons"},
             {"description",
              "Get example vCons (minimal, phone_call, chat, email, video, full_featured) as JSON or "
              "YAML."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Get example vCons")}},
        &run,
        "",
    };
}

} // namespace vcon_redis::server::mcp
