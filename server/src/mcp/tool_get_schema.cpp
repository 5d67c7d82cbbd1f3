// get_schema: the vCon document schema (vcon-core) as JSON Schema or as TypeScript declarations.
#include "mcp/tool.hpp"

namespace vcon_redis::server::mcp {

namespace {

using nlohmann::json;

const json &vcon_json_schema() {
    static const json s = json::parse(R"JSON({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$ref": "#/definitions/VCon",
  "definitions": {
    "VCon": {
      "type": "object",
      "description": "A vCon (IETF draft-ietf-vcon-vcon-core): one conversation with its parties, dialog, analysis and attachments",
      "required": ["uuid", "created_at", "parties"],
      "properties": {
        "vcon": {"type": "string", "description": "Spec version, e.g. 0.3.0 or 0.4.0"},
        "uuid": {"type": "string", "format": "uuid"},
        "created_at": {"type": "string", "description": "ISO 8601 date-time"},
        "updated_at": {"type": "string"},
        "subject": {"type": "string"},
        "extensions": {"type": "array", "items": {"type": "string"}},
        "critical": {"type": "array", "items": {"type": "string"}, "description": "Extensions that must be supported (must_support before 0.4.0)"},
        "parties": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/Party"}},
        "dialog": {"type": "array", "items": {"$ref": "#/definitions/Dialog"}},
        "analysis": {"type": "array", "items": {"$ref": "#/definitions/Analysis"}},
        "attachments": {"type": "array", "items": {"$ref": "#/definitions/Attachment"}},
        "amended": {"type": "object", "properties": {"uuid": {"type": "string"}, "url": {"type": "string"}, "content_hash": {"$ref": "#/definitions/ContentHash"}}},
        "redacted": {"type": "object", "properties": {"uuid": {"type": "string"}, "type": {"type": "string"}, "url": {"type": "string"}, "content_hash": {"$ref": "#/definitions/ContentHash"}}},
        "group": {"type": "array", "items": {"type": "object", "properties": {"uuid": {"type": "string"}, "body": {"type": "string"}, "encoding": {"const": "json"}, "url": {"type": "string"}, "content_hash": {"$ref": "#/definitions/ContentHash"}}}}
      }
    },
    "ContentHash": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "Encoding": {"type": "string", "enum": ["base64url", "json", "none"]},
    "Party": {
      "type": "object",
      "properties": {
        "tel": {"type": "string"}, "sip": {"type": "string"}, "stir": {"type": "string"}, "mailto": {"type": "string"},
        "name": {"type": "string"}, "did": {"type": "string"}, "uuid": {"type": "string"}, "validation": {"type": "string"},
        "jcard": {"type": "object"}, "gmlpos": {"type": "string"}, "civicaddress": {"type": "object"}, "timezone": {"type": "string"}
      }
    },
    "Dialog": {
      "type": "object",
      "required": ["type"],
      "properties": {
        "type": {"type": "string", "enum": ["recording", "text", "transfer", "incomplete"]},
        "start": {"type": "string"}, "duration": {"type": "number"},
        "parties": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]}}]},
        "originator": {"type": "integer"}, "mediatype": {"type": "string"}, "filename": {"type": "string"},
        "body": {"type": "string"}, "encoding": {"$ref": "#/definitions/Encoding"}, "url": {"type": "string"},
        "content_hash": {"$ref": "#/definitions/ContentHash"}, "disposition": {"type": "string"},
        "session_id": {"type": "string"}, "application": {"type": "string"}, "message_id": {"type": "string"},
        "party_history": {"type": "array", "items": {"type": "object", "required": ["party", "time", "event"],
          "properties": {"party": {"type": "integer"}, "time": {"type": "string"}, "event": {"type": "string", "enum": ["join", "drop", "hold", "unhold", "mute", "unmute"]}}}},
        "transferee": {"type": "integer"}, "transferor": {"type": "integer"},
        "transfer_target": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
        "original": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
        "consultation": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
        "target_dialog": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]}
      }
    },
    "Analysis": {
      "type": "object",
      "required": ["type", "vendor"],
      "properties": {
        "type": {"type": "string"}, "dialog": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
        "mediatype": {"type": "string"}, "filename": {"type": "string"}, "vendor": {"type": "string"}, "product": {"type": "string"},
        "schema": {"type": "string"}, "body": {"type": "string"}, "encoding": {"$ref": "#/definitions/Encoding"},
        "url": {"type": "string"}, "content_hash": {"$ref": "#/definitions/ContentHash"}
      }
    },
    "Attachment": {
      "type": "object",
      "properties": {
        "purpose": {"type": "string"}, "type": {"type": "string", "description": "Legacy; prefer purpose"},
        "start": {"type": "string"}, "party": {"type": "integer"}, "dialog": {"type": "integer"},
        "mediatype": {"type": "string"}, "filename": {"type": "string"}, "body": {"type": "string"},
        "encoding": {"$ref": "#/definitions/Encoding"}, "url": {"type": "string"}, "content_hash": {"$ref": "#/definitions/ContentHash"}
      }
    }
  }
})JSON");
    return s;
}

constexpr const char *kTypeScript = R"TS(// vCon document types (IETF draft-ietf-vcon-vcon-core)
export type Encoding = 'base64url' | 'json' | 'none';
export type ContentHash = string | string[];

export interface Party {
  tel?: string; sip?: string; stir?: string; mailto?: string; name?: string; did?: string;
  uuid?: string; validation?: string; jcard?: Record<string, unknown>; gmlpos?: string;
  civicaddress?: Record<string, unknown>; timezone?: string;
}

export interface PartyHistory { party: number; time: string; event: 'join' | 'drop' | 'hold' | 'unhold' | 'mute' | 'unmute'; }

export interface Dialog {
  type: 'recording' | 'text' | 'transfer' | 'incomplete';
  start?: string; duration?: number; parties?: number | (number | number[])[]; originator?: number;
  mediatype?: string; filename?: string; body?: string; encoding?: Encoding; url?: string;
  content_hash?: ContentHash; disposition?: string; session_id?: string; application?: string;
  message_id?: string; party_history?: PartyHistory[];
  transferee?: number; transferor?: number; transfer_target?: number | number[];
  original?: number | number[]; consultation?: number | number[]; target_dialog?: number | number[];
}

export interface Analysis {
  type: string; dialog?: number | number[]; mediatype?: string; filename?: string;
  vendor: string; product?: string; schema?: string; body?: string; encoding?: Encoding;
  url?: string; content_hash?: ContentHash;
}

export interface Attachment {
  purpose?: string; type?: string; start?: string; party?: number; dialog?: number;
  mediatype?: string; filename?: string; body?: string; encoding?: Encoding; url?: string;
  content_hash?: ContentHash;
}

export interface VCon {
  vcon?: string; uuid: string; created_at: string; updated_at?: string; subject?: string;
  extensions?: string[]; critical?: string[];
  parties: Party[]; dialog?: Dialog[]; analysis?: Analysis[]; attachments?: Attachment[];
  amended?: { uuid?: string; url?: string; content_hash?: ContentHash };
  redacted?: { uuid?: string; type?: string; url?: string; content_hash?: ContentHash };
  group?: { uuid?: string; body?: string; encoding?: 'json'; url?: string; content_hash?: ContentHash }[];
}
)TS";

boost::asio::awaitable<json> run(ToolArgs &args, VconStore &) {
    args.string("version", false, 64); // one schema is served, whatever version is asked for
    const std::string format = args.choice("format", {"json_schema", "typescript"}, "json_schema");
    args.reject_unknown();
    co_return format == "typescript" ? json(kTypeScript) : vcon_json_schema();
}

} // namespace

Tool get_schema_tool() {
    json input = {
        {"type", "object"},
        {"properties",
         {{"version", {{"type", "string"}, {"default", "latest"}}},
          {"format",
           {{"type", "string"}, {"enum", {"json_schema", "typescript"}}, {"default", "json_schema"}}}}},
        {"additionalProperties", false},
    };
    return Tool{
        json{{"name", "get_schema"},
             {"title", "Get vCon schema"},
             {"description",
              "Get the vCon schema definition in the requested format (json_schema or typescript)."},
             {"inputSchema", std::move(input)},
             {"annotations", read_only_annotations("Get vCon schema")}},
        &run,
        "",
    };
}

} // namespace vcon_redis::server::mcp
