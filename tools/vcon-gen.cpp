// vcon-gen: prints deterministic, realistic vCons (tools/vcon/generator.hpp) for loading and benchmarks.
#include "vcon/generator.hpp"

#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr const char *kUsage = R"(usage: vcon-gen --count N [options]

Prints N deterministic, realistic vCons (draft-ietf-vcon-vcon-core, "vcon":"0.4.0"), one per line.
The same seed, index and options always give byte-identical output.

options:
  --count N        number of documents (required)
  --seed S         seed (default 1); documents of one seed have distinct uuids
  --start I        index of the first document (default 0); document i is the same whatever --start
  --size CLASS     small (~1-3 KB), medium (~4-16 KB, default), large (~100-400 KB),
                   mixed (75 % small, 22 % medium, 3 % large)
  --bytes B        aim every document at about B bytes of compact JSON (1000 .. several MB);
                   overrides the size class's range. Suffixes k and m (x1024) are accepted.
  --format F       jsonl (default): one compact JSON document per line
                   sql:   SELECT vcon_redis.save_vcon('<doc>'::jsonb);  per line
                   copy:  COPY text format, one field per line, for  \copy t(doc) from stdin
                   uuid:  only the uuid of each document (what the other formats would produce)
  -h, --help       this text
)";

bool parse_u64(std::string_view s, std::uint64_t &out) {
    std::uint64_t mult = 1;
    if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) {
        mult = 1024;
        s.remove_suffix(1);
    } else if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) {
        mult = 1024 * 1024;
        s.remove_suffix(1);
    }
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty())
        return false;
    out *= mult;
    return true;
}

[[noreturn]] void die(const std::string &msg) {
    std::fprintf(stderr, "vcon-gen: %s\n(try --help)\n", msg.c_str());
    std::exit(2);
}

} // namespace

int main(int argc, char **argv) {
    using namespace vcon_redis::vcon;
    GeneratorOptions opts;
    std::uint64_t count = 0, start = 0;
    bool have_count = false;
    std::string format = "jsonl";

    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        std::string_view value;
        const bool takes_value = a == "--count" || a == "--seed" || a == "--start" || a == "--size" ||
                                 a == "--bytes" || a == "--format";
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (const auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        } else if (takes_value) {
            if (i + 1 >= argc)
                die(std::string(a) + " needs a value");
            value = argv[++i];
        }
        std::uint64_t n = 0;
        if (a == "--count") {
            if (!parse_u64(value, count))
                die("bad --count");
            have_count = true;
        } else if (a == "--seed") {
            if (!parse_u64(value, opts.seed))
                die("bad --seed");
        } else if (a == "--start") {
            if (!parse_u64(value, start))
                die("bad --start");
        } else if (a == "--bytes") {
            if (!parse_u64(value, n) || n == 0)
                die("bad --bytes");
            opts.target_bytes = static_cast<std::size_t>(n);
        } else if (a == "--size") {
            const auto c = parse_size_class(value);
            if (!c)
                die("--size must be small, medium, large or mixed");
            opts.size = *c;
        } else if (a == "--format") {
            if (value != "jsonl" && value != "sql" && value != "copy" && value != "uuid")
                die("--format must be jsonl, sql, copy or uuid");
            format = value;
        } else {
            die("unknown argument " + std::string(a));
        }
    }
    if (!have_count)
        die("--count is required");

    std::string out;
    out.reserve(1 << 20);
    auto flush = [&] {
        if (!out.empty() && std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
            std::fprintf(stderr, "vcon-gen: write failed: %s\n", std::strerror(errno));
            std::exit(1);
        }
        out.clear();
    };
    for (std::uint64_t i = start; i < start + count; ++i) {
        if (format == "uuid") {
            out += uuid_for(opts.seed, i);
        } else {
            const std::string doc = generate_text(i, opts);
            if (format == "jsonl") {
                out += doc;
            } else if (format == "sql") {
                out += "SELECT vcon_redis.save_vcon(";
                append_sql_literal(doc, out);
                out += "::jsonb);";
            } else {
                append_copy_field(doc, out);
            }
        }
        out.push_back('\n');
        if (out.size() >= (1 << 20))
            flush();
    }
    flush();
    if (std::fflush(stdout) != 0)
        return 1;
    return 0;
}
