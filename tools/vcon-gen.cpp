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

// What the command line asks for.
struct Request {
    vcon_redis::vcon::GeneratorOptions opts;
    std::uint64_t count = 0;
    std::uint64_t start = 0;
    std::string format = "jsonl";
};

// One option and its value (`--name value` or `--name=value`) into *req.
void apply_option(std::string_view a, std::string_view value, Request &req) {
    std::uint64_t n = 0;
    if (a == "--count") {
        if (!parse_u64(value, req.count))
            die("bad --count");
    } else if (a == "--seed") {
        if (!parse_u64(value, req.opts.seed))
            die("bad --seed");
    } else if (a == "--start") {
        if (!parse_u64(value, req.start))
            die("bad --start");
    } else if (a == "--bytes") {
        if (!parse_u64(value, n) || n == 0)
            die("bad --bytes");
        req.opts.target_bytes = static_cast<std::size_t>(n);
    } else if (a == "--size") {
        const auto c = vcon_redis::vcon::parse_size_class(value);
        if (!c)
            die("--size must be small, medium, large or mixed");
        req.opts.size = *c;
    } else if (a == "--format") {
        if (value != "jsonl" && value != "sql" && value != "copy" && value != "uuid")
            die("--format must be jsonl, sql, copy or uuid");
        req.format = value;
    } else {
        die("unknown argument " + std::string(a));
    }
}

// The command line as a Request; exits on --help (0) and on a usage error (2).
Request parse_args(int argc, char **argv) {
    Request req;
    bool have_count = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        std::string_view value;
        const bool takes_value = a == "--count" || a == "--seed" || a == "--start" || a == "--size" ||
                                 a == "--bytes" || a == "--format";
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        if (const auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        } else if (takes_value) {
            if (i + 1 >= argc)
                die(std::string(a) + " needs a value");
            value = argv[++i];
        }
        apply_option(a, value, req);
        have_count = have_count || a == "--count";
    }
    if (!have_count)
        die("--count is required");
    return req;
}

// Document i in req.format, with its newline, appended to out.
void append_document(const Request &req, std::uint64_t i, std::string &out) {
    using namespace vcon_redis::vcon;
    if (req.format == "uuid") {
        out += uuid_for(req.opts.seed, i);
    } else {
        const std::string doc = generate_text(i, req.opts);
        if (req.format == "jsonl") {
            out += doc;
        } else if (req.format == "sql") {
            out += "SELECT vcon_redis.save_vcon(";
            append_sql_literal(doc, out);
            out += "::jsonb);";
        } else {
            append_copy_field(doc, out);
        }
    }
    out.push_back('\n');
}

} // namespace

int main(int argc, char **argv) {
    const Request req = parse_args(argc, argv);
    std::string out;
    out.reserve(1 << 20);
    auto flush = [&] {
        if (!out.empty() && std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
            std::fprintf(stderr, "vcon-gen: write failed: %s\n", std::strerror(errno));
            std::exit(1);
        }
        out.clear();
    };
    for (std::uint64_t i = req.start; i < req.start + req.count; ++i) {
        append_document(req, i, out);
        if (out.size() >= (1 << 20))
            flush();
    }
    flush();
    return std::fflush(stdout) == 0 ? 0 : 1;
}
