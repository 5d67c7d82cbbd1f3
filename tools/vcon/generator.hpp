// Deterministic generator of realistic vCons (draft-ietf-vcon-vcon-core, "vcon": "0.4.0") for tests,
// the demo and the benchmarks. Pure C++20 + nlohmann::json; never includes postgres.h.
//
// Determinism: the document is a pure function of (seed, index, options). Nothing here uses
// std::*_distribution, the clock, locale or hash-table iteration order, so the same inputs give
// byte-identical output on every platform and compiler. The uuid and created_at of a document depend
// on (seed, index) only, so changing the size options changes the content but not the identity.
//
// Shape of every document (all indices valid, every MUST of the draft satisfied):
//   vcon, uuid (v8: 48-bit created_at ms, version 8, variant 10), created_at (RFC 3339, ms, offset),
//   subject (from a vocabulary, so full-text search finds real words),
//   parties[2..6]    name, tel "+1555…", mailto, validation, type; agents also uuid, org, dept
//   dialog[]         "text" (mediatype text/plain, encoding none, chat lines) and
//                    "recording" (url https + content_hash sha512-<86 b64url> | inline base64url WAV)
//   analysis[]       "transcript" per recording (encoding json, body [{speaker, text, start}]),
//                    "summary" (encoding none, string), "sentiment" (encoding json, object)
//   attachments[0]   purpose "tags", encoding json, body ["customer:acme", "priority:high", …]
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vcon_redis::vcon {

enum class SizeClass {
    Small,  // ~1–3 KB: 2–3 parties, one dialog, summary (+ transcript), tags
    Medium, // ~4–16 KB: 3–6 parties, 3–6 dialogs, a transcript per recording, summary, sentiment
    Large,  // ~100–400 KB: like medium plus a long transcript and an inline recording
    Mixed,  // per document: 75 % small, 22 % medium, 3 % large
};

std::optional<SizeClass> parse_size_class(std::string_view name);
std::string_view size_class_name(SizeClass c);

struct GeneratorOptions {
    std::uint64_t seed = 1;
    SizeClass size = SizeClass::Medium;
    // When non-zero: aim the compact JSON text at this many bytes (overrides the size class's range).
    // Reachable range is about 1 KB … many MB; results are within a few percent above ~2 KB.
    std::size_t target_bytes = 0;
};

// Member order of the documents is the natural reading order (vcon, uuid, created_at, subject,
// parties, dialog, analysis, attachments); the JSON value itself is order-insensitive.
using Document = nlohmann::ordered_json;

// The uuid of document (seed, index): lowercase 8-4-4-4-12, version 8, variant 0b10. The first 48
// bits are created_at's Unix milliseconds (strictly increasing with index for one seed, so uuids of
// one seed never collide); the other 74 bits are a hash of (seed, index).
std::string uuid_for(std::uint64_t seed, std::uint64_t index);

// created_at of document (seed, index), e.g. "2025-07-14T09:12:44.317-05:00".
std::string created_at_for(std::uint64_t seed, std::uint64_t index);

// The size in bytes the document (seed, index) aims at under these options.
std::size_t target_size(std::uint64_t index, const GeneratorOptions &opts);

Document generate(std::uint64_t index, const GeneratorOptions &opts);

// Compact JSON text (no whitespace, UTF-8 kept as is) of generate(index, opts).
std::string generate_text(std::uint64_t index, const GeneratorOptions &opts);

// --- output helpers (used by tools/vcon-gen) ----------------------------------------------------

// Appends text as an SQL string literal: '…' with quotes doubled (standard_conforming_strings=on).
void append_sql_literal(std::string_view text, std::string &out);

// Appends text as one field of PostgreSQL COPY text format: backslash, tab, newline, CR, and the
// other control characters are backslash-escaped so that `\copy t(doc) from stdin` reads it back.
void append_copy_field(std::string_view text, std::string &out);

// RFC 4648 §5 base64url without padding.
std::string base64url(const std::uint8_t *data, std::size_t len);

} // namespace vcon_redis::vcon
