#include "vcon/generator.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

namespace vcon_redis::vcon {

namespace {

// ---------------------------------------------------------------------------------------------------
// Randomness: splitmix64 only, with our own range reduction, so output never depends on the standard
// library's distribution implementations.

constexpr std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Independent streams per (seed, index, purpose).
enum Stream : std::uint64_t {
    kEpoch = 1,
    kTime = 2,
    kZone = 3,
    kUuidA = 4,
    kUuidB = 5,
    kClass = 6,
    kTarget = 7,
    kBody = 8,
};

constexpr std::uint64_t mix(std::uint64_t seed, std::uint64_t index, std::uint64_t stream) {
    return splitmix(splitmix(splitmix(seed ^ 0x5eedULL) ^ index) ^ (stream * 0xd1b54a32d192ed03ULL));
}

class Rng {
public:
    explicit Rng(std::uint64_t state) : s_(state) {}
    std::uint64_t next() {
        s_ += 0x9e3779b97f4a7c15ULL;
        std::uint64_t z = s_;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant here and deterministic).
    std::uint64_t below(std::uint64_t n) {
        if (n == 0)
            return 0;
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }
    // Uniform in [lo, hi].
    std::int64_t between(std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
    }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <typename T, std::size_t N> const T &pick(const std::array<T, N> &a) { return a[below(N)]; }

private:
    std::uint64_t s_;
};

// ---------------------------------------------------------------------------------------------------
// Vocabulary. Plain words so PostgreSQL full-text search has something real to find.

struct Person {
    std::string_view first, last;
};

constexpr std::array<std::string_view, 32> kFirst = {
    "Emma",   "Liam",   "Olivia", "Noah",  "Ava",    "Mateo", "Sophia", "Lucas", "Mia",   "Ethan", "Amelia",
    "James",  "Harper", "Daniel", "Chloé", "Elijah", "Aria",  "José",   "Zoë",   "Priya", "Wei",   "Fatima",
    "Łukasz", "Søren",  "Aiko",   "Kwame", "Ingrid", "Rahul", "Nadia",  "Omar",  "Grace", "Hiro"};
constexpr std::array<std::string_view, 28> kLast = {
    "Smith",    "Johnson",   "Williams", "Garcia",  "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernández", "Lopez",    "Nguyen",  "Kim",    "Patel", "Müller",
    "O'Brien",  "Rossi",     "Kowalski", "Okafor",  "Tanaka", "Silva", "Cohen",
    "Larsen",   "Dubois",    "Andersen", "Fischer", "Chen",   "Singh", "Moreau"};

struct Company {
    std::string_view slug, name, domain;
};
constexpr std::array<Company, 12> kCustomers = {{
    {"acme", "Acme Corporation", "acme.example"},
    {"globex", "Globex", "globex.example"},
    {"initech", "Initech", "initech.example"},
    {"umbrella", "Umbrella Health", "umbrella.example"},
    {"hooli", "Hooli", "hooli.example"},
    {"stark", "Stark Industries", "stark.example"},
    {"wayne", "Wayne Enterprises", "wayne.example"},
    {"wonka", "Wonka Confectionery", "wonka.example"},
    {"cyberdyne", "Cyberdyne Systems", "cyberdyne.example"},
    {"tyrell", "Tyrell Corporation", "tyrell.example"},
    {"vandelay", "Vandelay Industries", "vandelay.example"},
    {"soylent", "Soylent Foods", "soylent.example"},
}};
constexpr std::array<Company, 4> kVendors = {{
    {"northwind", "Northwind Telecom", "northwind.example"},
    {"contoso", "Contoso Energy", "contoso.example"},
    {"fabrikam", "Fabrikam Bank", "fabrikam.example"},
    {"tailspin", "Tailspin Logistics", "tailspin.example"},
}};
constexpr std::array<std::string_view, 6> kDepts = {"Customer Care", "Billing", "Technical Support",
                                                    "Retention",     "Sales",   "Fraud Prevention"};
constexpr std::array<std::string_view, 10> kProducts = {"Fiber 500 plan",      "mesh router",
                                                        "business phone line", "premium support contract",
                                                        "cloud backup add-on", "unlimited mobile",
                                                        "smart thermostat",    "payroll module",
                                                        "solar panel lease",   "freight tracking portal"};
constexpr std::array<std::string_view, 4> kPriorities = {"low", "normal", "high", "urgent"};
constexpr std::array<std::string_view, 5> kRegions = {"us-east", "us-west", "emea", "apac", "latam"};
constexpr std::array<std::string_view, 4> kSentiments = {"negative", "mixed", "neutral", "positive"};

struct Topic {
    std::string_view slug;
    std::array<std::string_view, 2> subjects; // "{p}" = product
    std::array<std::string_view, 4> customer; // customer lines
    std::array<std::string_view, 3> agent;    // agent lines
    std::string_view summary;                 // what happened, after "about "
    std::string_view resolution;              // what the agent did
};

constexpr std::array<Topic, 12> kTopics = {{
    {"billing",
     {"Duplicate charge on the {p} invoice", "Billing dispute about the {p}"},
     {"I was charged twice for the {p} this month.",
      "The invoice number ends in {n} and the amount looks wrong.",
      "Can you refund the duplicate payment to my card?",
      "Why did my monthly bill go up without any notice?"},
     {"I can see the duplicate charge on your account.",
      "I have issued a refund of {m} dollars to the card on file.",
      "The refund should appear within three to five business days."},
     "a duplicate charge on the {p} invoice",
     "confirmed the billing error and issued a refund"},
    {"outage",
     {"Service outage affecting the {p}", "Intermittent connection drops on the {p}"},
     {"The {p} has been down since this morning.", "The connection keeps dropping every few minutes.",
      "We have a whole office that cannot work right now.",
      "The status light on the router is blinking red."},
     {"There is a known outage in your area and technicians are on site.",
      "I am running a line test from our side now.",
      "I have opened ticket {n} and escalated it to the network team."},
     "a service outage affecting the {p}",
     "ran a line test, linked the case to the regional outage and escalated it"},
    {"access",
     {"Password reset and locked account", "Cannot log in to the {p} portal"},
     {"I am locked out of my account after too many attempts.", "The password reset email never arrives.",
      "I changed my phone number so the verification code goes to the old one.",
      "I need access restored before the payroll run tomorrow."},
     {"For security I need to verify your identity first.",
      "I have unlocked the account and sent a new reset link.",
      "Please update the phone number under security settings once you are in."},
     "being locked out of the {p} portal",
     "verified the caller, unlocked the account and sent a new reset link"},
    {"cancellation",
     {"Request to cancel the {p}", "Cancellation and retention offer for the {p}"},
     {"I would like to cancel the {p} at the end of this month.",
      "A competitor offered us a much better price.", "We are not using half of the features we pay for.",
      "What is the early termination fee?"},
     {"I am sorry to hear that; may I ask why you want to cancel?",
      "I can offer a twenty percent discount for the next twelve months.",
      "The early termination fee would be waived if you stay until the renewal date."},
     "cancelling the {p}",
     "presented a retention discount and documented the decision"},
    {"shipping",
     {"Delayed delivery of the {p}", "Shipment {n} is missing"},
     {"The tracking page has not changed for six days.",
      "The package was marked delivered but nothing arrived.",
      "We need the {p} installed before the new office opens.",
      "Can you send a replacement by express shipping?"},
     {"I see the shipment is held at the regional depot.", "I have requested a trace with the carrier.",
      "A replacement will ship today with overnight delivery at no charge."},
     "a delayed delivery of the {p}",
     "opened a carrier trace and shipped a replacement overnight"},
    {"installation",
     {"Installation appointment for the {p}", "Help setting up the {p}"},
     {"The technician did not show up for the appointment.", "I cannot pair the {p} with the mobile app.",
      "Which firmware version should the device be running?", "The setup wizard stops at step three."},
     {"Let us try a factory reset and pair it again.",
      "I have rescheduled the technician for Thursday morning.",
      "The latest firmware is version {n}; it installs automatically overnight."},
     "setting up the {p}",
     "walked the customer through the setup and rescheduled the technician"},
    {"upgrade",
     {"Upgrade quote for the {p}", "Adding seats to the {p}"},
     {"We are hiring and need twenty more seats.", "What would the upgrade to the next tier cost?",
      "Does the higher plan include priority support?", "Can the upgrade start on the first of next month?"},
     {"The next tier costs {m} dollars per month and includes priority support.",
      "I can prorate the upgrade from today.",
      "I will email the quote and the order form right after this call."},
     "upgrading the {p}",
     "prepared a prorated upgrade quote and emailed the order form"},
    {"complaint",
     {"Complaint about repeated failures of the {p}", "Escalation: unresolved issue with the {p}"},
     {"This is the fourth time I am calling about the same problem.",
      "Nobody called me back although it was promised twice.", "I want to speak to a supervisor.",
      "We are losing customers because of this."},
     {"I understand your frustration and I apologise for the missed call backs.",
      "I am transferring you to my supervisor now.",
      "A senior engineer will own this case until it is resolved."},
     "repeated failures of the {p}",
     "apologised, escalated to a supervisor and assigned a senior engineer"},
    {"fraud",
     {"Suspicious transactions on the {p} account", "Fraud alert follow-up"},
     {"I received an alert about a payment I did not make.", "There are three transfers I do not recognise.",
      "Should I cancel my card right away?", "Someone changed the mailing address on my account."},
     {"I have frozen the card and the disputed transfers.",
      "A new card will arrive within five business days.",
      "Please review the last thirty days of activity and report anything unfamiliar."},
     "suspicious transactions on the {p} account",
     "froze the card, disputed the transfers and ordered a replacement card"},
    {"appointment",
     {"Rescheduling the {p} service visit", "Maintenance window for the {p}"},
     {"I need to move the service visit to next week.", "Morning appointments work best for us.",
      "Will the maintenance interrupt our phones?", "Can you confirm the appointment by email?"},
     {"I have an opening on Tuesday between eight and ten.",
      "The maintenance window is about forty minutes and phones stay up.",
      "You will receive a confirmation email and a reminder the day before."},
     "rescheduling the {p} service visit",
     "moved the visit to a morning slot and sent a confirmation"},
    {"warranty",
     {"Warranty claim for a faulty {p}", "Return and replacement of the {p}"},
     {"The {p} stopped working after two months.", "There is a crack in the housing since delivery.",
      "Is this covered by the warranty?", "I still have the original receipt."},
     {"Yes, this is covered by the manufacturer warranty.",
      "I am sending a prepaid return label to your email address.",
      "The replacement ships as soon as the carrier scans the return."},
     "a warranty claim for a faulty {p}",
     "approved the warranty claim and sent a prepaid return label"},
    {"renewal",
     {"Contract renewal for the {p}", "Renewal terms and pricing for the {p}"},
     {"Our contract for the {p} expires next month.", "We would like a two year term if the price is right.",
      "Can you match last year's rate?", "Legal needs the renewal documents by Friday."},
     {"I can hold the current rate for a twenty four month term.",
      "I will send the renewal documents for electronic signature today.",
      "The new term starts the day after the current one ends."},
     "renewing the contract for the {p}",
     "offered a two year term at the current rate and sent the documents"},
}};

constexpr std::array<std::string_view, 8> kAgentGeneric = {
    "Thank you for calling {v}, this is {a}, how can I help you today?",
    "Can you please confirm the email address on the account?",
    "Let me pull up your account, one moment please.",
    "Thank you for your patience while I check that.",
    "Just to confirm, we are talking about the {p}, correct?",
    "I have added a note to your case so the next agent sees the full history.",
    "Is there anything else I can help you with today?",
    "Thank you for contacting {v}, have a great day."};
constexpr std::array<std::string_view, 8> kCustomerGeneric = {"Hi, thanks for picking up.",
                                                              "Sure, it is {e}.",
                                                              "Yes, that is correct.",
                                                              "Okay, I will wait.",
                                                              "Could you repeat the case number please?",
                                                              "That sounds reasonable.",
                                                              "No, that is everything, thank you.",
                                                              "I appreciate the help."};

constexpr std::array<std::string_view, 6> kAsrVendors = {"deepgram", "openai", "assemblyai",
                                                         "google",   "aws",    "azure"};
constexpr std::array<std::string_view, 6> kAsrProducts = {"nova-2", "whisper-1",  "best",
                                                          "chirp",  "transcribe", "speech-to-text"};
constexpr std::array<std::string_view, 3> kLlmVendors = {"openai", "anthropic", "mistral"};
constexpr std::array<std::string_view, 3> kLlmProducts = {"gpt-4o-mini", "claude-3-5-haiku", "mistral-small"};

// ---------------------------------------------------------------------------------------------------
// Dates.

// days since 1970-01-01 → (y, m, d), proleptic Gregorian (H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, std::int64_t &y, unsigned &m, unsigned &d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);
}

std::string format_date(std::int64_t unix_ms, int offset_minutes) {
    const std::int64_t local = unix_ms + static_cast<std::int64_t>(offset_minutes) * 60000;
    std::int64_t days = local / 86400000;
    std::int64_t rem = local % 86400000;
    if (rem < 0) {
        rem += 86400000;
        --days;
    }
    std::int64_t y;
    unsigned mo, d;
    civil_from_days(days, y, mo, d);
    const int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%c%02d:%02d",
                  static_cast<long long>(y), mo, d, static_cast<int>(rem / 3600000),
                  static_cast<int>(rem / 60000 % 60), static_cast<int>(rem / 1000 % 60),
                  static_cast<int>(rem % 1000), offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
    return buf;
}

constexpr std::int64_t kBaseMs = 1748736000000LL; // 2025-06-01T00:00:00Z
constexpr std::int64_t kSpacingMs = 37000;        // one document per ~37 s of simulated time
constexpr std::array<int, 8> kOffsets = {0, 0, -300, -240, -480, 60, 120, 330};

std::int64_t created_ms(std::uint64_t seed, std::uint64_t index) {
    const std::int64_t epoch = kBaseMs + static_cast<std::int64_t>(mix(seed, 0, kEpoch) % 180) * 86400000LL;
    return epoch + static_cast<std::int64_t>(index) * kSpacingMs +
           static_cast<std::int64_t>(mix(seed, index, kTime) % kSpacingMs);
}

int zone_minutes(std::uint64_t seed, std::uint64_t index) {
    return kOffsets[mix(seed, index, kZone) % kOffsets.size()];
}

// ---------------------------------------------------------------------------------------------------

void hex(std::uint64_t v, int nibbles, std::string &out) {
    static constexpr char digits[] = "0123456789abcdef";
    for (int i = nibbles - 1; i >= 0; --i)
        out.push_back(digits[(v >> (i * 4)) & 0xf]);
}

std::string uuid_from(std::uint64_t hi, std::uint64_t lo) {
    std::string s;
    s.reserve(36);
    hex(hi >> 32, 8, s);
    s.push_back('-');
    hex(hi >> 16, 4, s);
    s.push_back('-');
    hex(hi, 4, s);
    s.push_back('-');
    hex(lo >> 48, 4, s);
    s.push_back('-');
    hex(lo, 12, s);
    return s;
}

// Replaces {p} product, {v} vendor, {a} agent, {e} email, {n} number, {m} money.
struct Slots {
    std::string_view product, vendor, agent, email;
};

std::string fill(std::string_view tpl, const Slots &s, Rng &rng) {
    std::string out;
    out.reserve(tpl.size() + 32);
    for (std::size_t i = 0; i < tpl.size(); ++i) {
        if (tpl[i] == '{' && i + 2 < tpl.size() && tpl[i + 2] == '}') {
            switch (tpl[i + 1]) {
            case 'p':
                out.append(s.product);
                break;
            case 'v':
                out.append(s.vendor);
                break;
            case 'a':
                out.append(s.agent);
                break;
            case 'e':
                out.append(s.email);
                break;
            case 'n':
                out.append(std::to_string(rng.between(1000, 99999)));
                break;
            case 'm':
                out.append(std::to_string(rng.between(12, 480)));
                break;
            default:
                out.append(tpl.substr(i, 3));
            }
            i += 2;
        } else {
            out.push_back(tpl[i]);
        }
    }
    return out;
}

std::string lower_ascii(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c >= 'A' && c <= 'Z')
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out.push_back(c);
        // drop apostrophes and non-ASCII bytes: e-mail local parts stay plain ASCII
    }
    return out;
}

std::string tel(Rng &rng) {
    std::string t = "+1555";
    for (int i = 0; i < 7; ++i)
        t.push_back(static_cast<char>('0' + rng.below(10)));
    return t;
}

// Size of one more element in a JSON array (its text plus a comma).
std::size_t element_cost(const Document &v) {
    return v.dump().size() + 1;
}

std::size_t string_cost(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) {
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f')
            n += 2;
        else if (c < 0x20)
            n += 6;
        else
            n += 1;
    }
    return n;
}

// An 8 kHz mono 16-bit PCM WAV of exactly `bytes` bytes (>= 46): quiet noise around a slow tone.
std::vector<std::uint8_t> wav(std::size_t bytes, Rng &rng) {
    bytes = std::max<std::size_t>(bytes, 46) & ~std::size_t{1};
    std::vector<std::uint8_t> w(bytes);
    auto put32 = [&](std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i)
            w[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    auto put16 = [&](std::size_t at, std::uint16_t v) {
        w[at] = static_cast<std::uint8_t>(v);
        w[at + 1] = static_cast<std::uint8_t>(v >> 8);
    };
    const auto data = static_cast<std::uint32_t>(bytes - 44);
    std::copy_n("RIFF", 4, w.begin());
    put32(4, 36 + data);
    std::copy_n("WAVEfmt ", 8, w.begin() + 8);
    put32(16, 16);
    put16(20, 1);     // PCM
    put16(22, 1);     // mono
    put32(24, 8000);  // sample rate
    put32(28, 16000); // byte rate
    put16(32, 2);     // block align
    put16(34, 16);    // bits per sample
    std::copy_n("data", 4, w.begin() + 36);
    put32(40, data);
    std::int32_t phase = 0;
    for (std::size_t i = 44; i + 1 < bytes; i += 2) {
        phase = (phase + 37) & 1023;
        const std::int32_t tri = (phase < 512 ? phase : 1023 - phase) - 256; // triangle, ±256
        const auto noise = static_cast<std::int32_t>(rng.below(512)) - 256;
        put16(i, static_cast<std::uint16_t>(static_cast<std::int16_t>(tri * 8 + noise)));
    }
    return w;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, Rng &rng) {
    std::vector<std::uint8_t> b(n);
    for (auto &x : b)
        x = static_cast<std::uint8_t>(rng.next() >> 56);
    return b;
}

double cents(std::int64_t hundredths) {
    return static_cast<double>(hundredths) / 100.0;
}
double tenths(std::int64_t t) {
    return static_cast<double>(t) / 10.0;
}

// ---------------------------------------------------------------------------------------------------

struct PartyInfo {
    std::string name, email;
    bool agent = false;
};

class Builder {
public:
    Builder(std::uint64_t seed, std::uint64_t index, std::size_t target)
        : seed_(seed), index_(index), target_(target), rng_(mix(seed, index, kBody)) {}

    Document build();

private:
    void choose_context();
    void add_parties(int n);
    void add_dialogs(int n, int recording_percent, bool want_inline);
    void add_analyses(bool sentiment);
    void add_tags();
    void fill_to_target();

    Document transcript_line(std::size_t t);
    std::string chat_line(std::size_t speaker_slot);
    std::string pick_line(bool agent);
    Slots slots(const PartyInfo &agent) const;

    std::uint64_t seed_, index_;
    std::size_t target_;
    bool compact_ = false; // ~1 KB targets: only the members that matter
    Rng rng_;
    Document doc_;

    std::int64_t created_ms_ = 0;
    int zone_ = 0;
    const Topic *topic_ = nullptr;
    const Company *customer_ = nullptr;
    const Company *vendor_ = nullptr;
    std::string_view product_;
    std::vector<PartyInfo> parties_;

    struct DialogInfo {
        bool recording = false;
        bool inline_body = false;
        std::int64_t start_ms = 0;
        std::int64_t duration_tenths = 0;
    };
    std::vector<DialogInfo> dialogs_;
    struct TranscriptInfo {
        std::size_t analysis = 0, dialog = 0;
        std::int64_t next_start_tenths = 0;
        std::size_t turn = 0;
    };
    std::vector<TranscriptInfo> transcripts_;
    std::vector<std::size_t> text_dialogs_;
    std::vector<std::size_t> text_turns_;
};

void Builder::choose_context() {
    created_ms_ = created_ms(seed_, index_);
    zone_ = zone_minutes(seed_, index_);
    topic_ = &rng_.pick(kTopics);
    customer_ = &rng_.pick(kCustomers);
    vendor_ = &rng_.pick(kVendors);
    product_ = rng_.pick(kProducts);
}

Slots Builder::slots(const PartyInfo &agent) const {
    return Slots{product_, vendor_->name, agent.name,
                 parties_.empty() ? std::string_view{} : parties_[0].email};
}

void Builder::add_parties(int n) {
    // party 0: the customer; party 1: the agent; then a mix of colleagues, a supervisor and an IVR bot.
    Document arr = Document::array();
    for (int i = 0; i < n; ++i) {
        Document p = Document::object();
        const bool bot = i >= 2 && rng_.chance(15);
        const bool agent = i == 1 || (i >= 2 && !bot && rng_.chance(50));
        PartyInfo info;
        info.agent = agent;
        if (bot) {
            info.name = std::string(vendor_->name) + " virtual assistant";
            p["name"] = info.name;
            p["validation"] = "none";
            p["type"] = "bot";
            p["org"] = vendor_->name;
        } else {
            const auto first = rng_.pick(kFirst);
            const auto last = rng_.pick(kLast);
            info.name = std::string(first) + " " + std::string(last);
            const auto &company = agent ? *vendor_ : *customer_;
            info.email = lower_ascii(first) + "." + lower_ascii(last) + "@" + std::string(company.domain);
            p["name"] = info.name;
            p["tel"] = tel(rng_);
            p["mailto"] = info.email;
            p["validation"] = agent ? "employee-directory" : (rng_.chance(50) ? "caller-id" : "none");
            if (compact_) {
                arr.push_back(std::move(p));
                parties_.push_back(std::move(info));
                continue;
            }
            p["type"] = "person";
            p["org"] = company.name;
            if (agent) {
                p["dept"] = rng_.pick(kDepts);
                const std::uint64_t h = rng_.next();
                p["uuid"] = uuid_from((h & 0xffffffffffff0fffULL) | 0x4000ULL,
                                      (rng_.next() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL);
            }
        }
        arr.push_back(std::move(p));
        parties_.push_back(std::move(info));
    }
    doc_["parties"] = std::move(arr);
}

std::string Builder::pick_line(bool agent) {
    const PartyInfo &a = parties_[1];
    const bool specific = rng_.chance(55);
    std::string_view tpl;
    if (agent)
        tpl = specific ? rng_.pick(topic_->agent) : rng_.pick(kAgentGeneric);
    else
        tpl = specific ? rng_.pick(topic_->customer) : rng_.pick(kCustomerGeneric);
    return fill(tpl, slots(a), rng_);
}

void Builder::add_dialogs(int n, int recording_percent, bool want_inline) {
    Document arr = Document::array();
    // The conversation ends a few minutes before the vCon is created.
    std::int64_t t = created_ms_ - rng_.between(30, 600) * 1000 - static_cast<std::int64_t>(n) * 400000;
    bool have_inline = false;
    for (int i = 0; i < n; ++i) {
        DialogInfo info;
        info.recording = rng_.chance(static_cast<unsigned>(recording_percent));
        if (want_inline && !have_inline && (i == n - 1 || (info.recording && rng_.chance(50)))) {
            info.recording = true;
            info.inline_body = true;
            have_inline = true;
        }
        info.start_ms = t;
        Document d = Document::object();
        d["type"] = info.recording ? "recording" : "text";
        d["start"] = format_date(t, zone_);
        Document ps = Document::array();
        ps.push_back(0);
        ps.push_back(1);
        if (parties_.size() > 2 && rng_.chance(30))
            ps.push_back(rng_.between(2, static_cast<std::int64_t>(parties_.size()) - 1));
        if (info.recording) {
            info.duration_tenths = rng_.between(300, 3600);
            d["duration"] = tenths(info.duration_tenths);
            d["parties"] = std::move(ps);
            d["mediatype"] = "audio/x-wav";
            const std::string file = "call-" + std::to_string(index_) + "-" + std::to_string(i) + ".wav";
            d["filename"] = file;
            if (info.inline_body) {
                d["encoding"] = "base64url";
                d["body"] = ""; // sized by fill_to_target
            } else {
                d["url"] = "https://recordings." + std::string(vendor_->domain) + "/" +
                           std::to_string(created_ms_ / 86400000) + "/" + file;
                const auto digest = random_bytes(64, rng_);
                d["content_hash"] = "sha512-" + base64url(digest.data(), digest.size());
            }
        } else {
            info.duration_tenths = rng_.between(600, 4800);
            if (!compact_)
                d["duration"] = tenths(info.duration_tenths);
            d["parties"] = std::move(ps);
            d["mediatype"] = "text/plain";
            d["encoding"] = "none";
            std::string body =
                parties_[1].name + ": " + fill(rng_.pick(kAgentGeneric), slots(parties_[1]), rng_);
            body +=
                "\n" + parties_[0].name + ": " + fill(rng_.pick(topic_->customer), slots(parties_[1]), rng_);
            d["body"] = std::move(body);
            text_dialogs_.push_back(static_cast<std::size_t>(i));
            text_turns_.push_back(2);
        }
        arr.push_back(std::move(d));
        dialogs_.push_back(info);
        t += info.duration_tenths * 100 + rng_.between(20, 300) * 1000;
    }
    doc_["dialog"] = std::move(arr);
}

Document Builder::transcript_line(std::size_t ti) {
    TranscriptInfo &tr = transcripts_[ti];
    const bool agent = tr.turn % 2 == 0; // the agent greets first
    Document e = Document::object();
    e["speaker"] = agent ? 1 : 0;
    std::string text;
    if (tr.turn == 0)
        text = fill(kAgentGeneric[0], slots(parties_[1]), rng_);
    else if (tr.turn == 1)
        text = fill(rng_.pick(topic_->customer), slots(parties_[1]), rng_);
    else
        text = pick_line(agent);
    e["text"] = std::move(text);
    e["start"] = tenths(tr.next_start_tenths);
    tr.next_start_tenths += rng_.between(25, 140);
    ++tr.turn;
    return e;
}

std::string Builder::chat_line(std::size_t slot) {
    const bool agent = text_turns_[slot] % 2 == 0;
    ++text_turns_[slot];
    return parties_[agent ? 1 : 0].name + ": " + pick_line(agent);
}

void Builder::add_analyses(bool sentiment) {
    Document arr = Document::array();
    for (std::size_t i = 0; i < dialogs_.size(); ++i) {
        if (!dialogs_[i].recording)
            continue;
        const std::size_t v = rng_.below(kAsrVendors.size());
        Document a = Document::object();
        a["type"] = "transcript";
        a["dialog"] = i;
        a["mediatype"] = "application/json";
        a["vendor"] = kAsrVendors[v];
        a["product"] = kAsrProducts[v];
        a["encoding"] = "json";
        a["body"] = Document::array();
        transcripts_.push_back(
            TranscriptInfo{arr.size(), i, static_cast<std::int64_t>(rng_.between(0, 20)), 0});
        arr.push_back(std::move(a));
    }
    Document all = Document::array();
    for (std::size_t i = 0; i < dialogs_.size(); ++i)
        all.push_back(i);
    const std::size_t l = rng_.below(kLlmVendors.size());
    {
        Document a = Document::object();
        a["type"] = "summary";
        a["dialog"] = dialogs_.size() == 1 ? Document(0) : all;
        a["mediatype"] = "text/plain";
        a["vendor"] = kLlmVendors[l];
        a["product"] = kLlmProducts[l];
        a["encoding"] = "none";
        std::string s = parties_[0].name + " from " + std::string(customer_->name) + " contacted " +
                        std::string(vendor_->name) + " about " +
                        fill(topic_->summary, slots(parties_[1]), rng_) + ".";
        if (!compact_)
            s += " " + parties_[1].name + " " + std::string(topic_->resolution) + ".";
        a["body"] = std::move(s);
        arr.push_back(std::move(a));
    }
    if (sentiment) {
        Document a = Document::object();
        a["type"] = "sentiment";
        a["dialog"] = dialogs_.size() == 1 ? Document(0) : all;
        a["mediatype"] = "application/json";
        a["vendor"] = kLlmVendors[l];
        a["product"] = kLlmProducts[l];
        a["encoding"] = "json";
        const auto overall = rng_.between(-90, 90);
        Document body = Document::object();
        body["overall"] = overall < -40   ? kSentiments[0]
                          : overall < -10 ? kSentiments[1]
                          : overall < 25  ? kSentiments[2]
                                          : kSentiments[3];
        body["score"] = cents(overall);
        Document by = Document::array();
        for (std::size_t p = 0; p < std::min<std::size_t>(parties_.size(), 2); ++p) {
            Document e = Document::object();
            e["party"] = p;
            e["score"] = cents(std::clamp<std::int64_t>(overall + rng_.between(-30, 30), -100, 100));
            by.push_back(std::move(e));
        }
        body["by_party"] = std::move(by);
        a["body"] = std::move(body);
        arr.push_back(std::move(a));
    }
    doc_["analysis"] = std::move(arr);
}

void Builder::add_tags() {
    Document tags = Document::array();
    tags.push_back("customer:" + std::string(customer_->slug));
    tags.push_back("priority:" + std::string(rng_.pick(kPriorities)));
    tags.push_back("topic:" + std::string(topic_->slug));
    if (!compact_)
        tags.push_back("channel:" + std::string(dialogs_[0].recording ? "voice" : "chat"));
    if (!compact_ && rng_.chance(60))
        tags.push_back("region:" + std::string(rng_.pick(kRegions)));
    if (!compact_ && rng_.chance(40))
        tags.push_back("vendor:" + std::string(vendor_->slug));
    Document a = Document::object();
    a["purpose"] = "tags";
    a["start"] = format_date(created_ms_, zone_);
    a["party"] = 1;
    a["dialog"] = 0;
    a["mediatype"] = "application/json";
    a["encoding"] = "json";
    a["body"] = std::move(tags);
    Document arr = Document::array();
    arr.push_back(std::move(a));
    doc_["attachments"] = std::move(arr);
}

void Builder::fill_to_target() {
    std::size_t size = doc_.dump().size();
    if (size >= target_)
        return;
    std::size_t deficit = target_ - size;

    // Large documents: most of the bytes go into the inline recording, up to 200 KB into transcripts.
    for (std::size_t i = 0; i < dialogs_.size(); ++i) {
        if (!dialogs_[i].inline_body)
            continue;
        const std::size_t lines = std::min<std::size_t>(deficit * 3 / 10, 200000);
        const std::size_t chars = deficit - lines;
        const auto audio = wav(chars * 3 / 4, rng_);
        std::string body = base64url(audio.data(), audio.size());
        deficit -= std::min(deficit, body.size());
        // 16-bit 8 kHz mono: 16000 bytes per second of audio.
        const auto secs_tenths = static_cast<std::int64_t>((audio.size() - 44) / 1600);
        dialogs_[i].duration_tenths = std::max<std::int64_t>(secs_tenths, 1);
        doc_["dialog"][i]["duration"] = tenths(dialogs_[i].duration_tenths);
        doc_["dialog"][i]["body"] = std::move(body);
        break;
    }

    // Then lines, round robin over transcripts and chat dialogs, until the next one would overshoot
    // by more than it undershoots.
    const std::size_t sinks = transcripts_.size() + text_dialogs_.size();
    for (std::size_t k = 0; sinks > 0 && deficit > 0; ++k) {
        const std::size_t s = k % sinks;
        if (s < transcripts_.size()) {
            Document line = transcript_line(s);
            const std::size_t cost = element_cost(line);
            if (cost > deficit && cost - deficit > deficit)
                break;
            auto &body = doc_["analysis"][transcripts_[s].analysis]["body"];
            if (body.empty())
                deficit += 1; // the first element needs no comma
            body.push_back(std::move(line));
            deficit -= std::min(deficit, cost);
        } else {
            const std::size_t slot = s - transcripts_.size();
            const std::string line = chat_line(slot);
            const std::size_t cost = string_cost(line) + 2; // "\n" separator
            if (cost > deficit && cost - deficit > deficit)
                break;
            auto &body = doc_["dialog"][text_dialogs_[slot]]["body"];
            body.get_ref<std::string &>().append("\n").append(line);
            deficit -= std::min(deficit, cost);
        }
    }
}

Document Builder::build() {
    choose_context();
    doc_["vcon"] = "0.4.0";
    doc_["uuid"] = uuid_for(seed_, index_);
    doc_["created_at"] = format_date(created_ms_, zone_);
    doc_["subject"] = fill(topic_->subjects[rng_.below(2)], Slots{product_, vendor_->name, "", ""}, rng_);

    int parties, dialogs, recording_percent;
    bool want_inline, sentiment;
    if (target_ < 1900) {
        compact_ = true;
        parties = 2;
        dialogs = 1;
        recording_percent = 0; // a chat: an external recording alone is ~350 bytes
        want_inline = false;
        sentiment = false;
    } else if (target_ < 2500) {
        parties = target_ < 2200 ? 2 : static_cast<int>(rng_.between(2, 3));
        dialogs = 1;
        recording_percent = 50;
        want_inline = false;
        sentiment = target_ >= 2200;
    } else if (target_ < 4000) {
        parties = static_cast<int>(rng_.between(2, 3));
        dialogs = static_cast<int>(rng_.between(1, 2));
        recording_percent = 50;
        want_inline = false;
        sentiment = true;
    } else if (target_ < 7000) {
        parties = static_cast<int>(rng_.between(2, 4));
        dialogs = static_cast<int>(rng_.between(1, 3));
        recording_percent = 60;
        want_inline = false;
        sentiment = true;
    } else {
        parties = static_cast<int>(rng_.between(3, 6));
        dialogs = static_cast<int>(rng_.between(3, 6));
        recording_percent = 60;
        want_inline = target_ >= 40000 || (target_ >= 10000 && rng_.chance(20));
        sentiment = true;
    }
    add_parties(parties);
    add_dialogs(dialogs, recording_percent, want_inline);
    add_analyses(sentiment);
    add_tags();

    // Every transcript starts with the greeting and an answer, so none is empty.
    for (std::size_t t = 0; t < transcripts_.size(); ++t)
        for (int k = 0; k < 2; ++k)
            doc_["analysis"][transcripts_[t].analysis]["body"].push_back(transcript_line(t));

    fill_to_target();

    // Recordings last at least as long as what was said in them.
    for (const auto &tr : transcripts_) {
        auto &d = dialogs_[tr.dialog];
        if (!d.inline_body && d.duration_tenths < tr.next_start_tenths + 50) {
            d.duration_tenths = tr.next_start_tenths + 50;
            doc_["dialog"][tr.dialog]["duration"] = tenths(d.duration_tenths);
        }
    }
    return std::move(doc_);
}

} // namespace

// ---------------------------------------------------------------------------------------------------

std::optional<SizeClass> parse_size_class(std::string_view name) {
    if (name == "small")
        return SizeClass::Small;
    if (name == "medium")
        return SizeClass::Medium;
    if (name == "large")
        return SizeClass::Large;
    if (name == "mixed")
        return SizeClass::Mixed;
    return std::nullopt;
}

std::string_view size_class_name(SizeClass c) {
    switch (c) {
    case SizeClass::Small:
        return "small";
    case SizeClass::Medium:
        return "medium";
    case SizeClass::Large:
        return "large";
    case SizeClass::Mixed:
        return "mixed";
    }
    return "medium";
}

std::string uuid_for(std::uint64_t seed, std::uint64_t index) {
    const auto ms = static_cast<std::uint64_t>(created_ms(seed, index)) & 0xffffffffffffULL;
    const std::uint64_t hi = (ms << 16) | 0x8000ULL | (mix(seed, index, kUuidA) & 0x0fffULL);
    const std::uint64_t lo = (mix(seed, index, kUuidB) & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
    return uuid_from(hi, lo);
}

std::string created_at_for(std::uint64_t seed, std::uint64_t index) {
    return format_date(created_ms(seed, index), zone_minutes(seed, index));
}

std::size_t target_size(std::uint64_t index, const GeneratorOptions &opts) {
    if (opts.target_bytes > 0)
        return opts.target_bytes;
    Rng rng(mix(opts.seed, index, kTarget));
    SizeClass c = opts.size;
    if (c == SizeClass::Mixed) {
        const auto r = mix(opts.seed, index, kClass) % 100;
        c = r < 75 ? SizeClass::Small : r < 97 ? SizeClass::Medium : SizeClass::Large;
    }
    switch (c) {
    case SizeClass::Small:
        return static_cast<std::size_t>(rng.between(1000, 3000));
    case SizeClass::Large:
        return static_cast<std::size_t>(rng.between(100000, 400000));
    case SizeClass::Medium:
    case SizeClass::Mixed:
        break;
    }
    return static_cast<std::size_t>(rng.between(4000, 16000));
}

Document generate(std::uint64_t index, const GeneratorOptions &opts) {
    return Builder(opts.seed, index, target_size(index, opts)).build();
}

std::string generate_text(std::uint64_t index, const GeneratorOptions &opts) {
    return generate(index, opts).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

void append_sql_literal(std::string_view text, std::string &out) {
    out.push_back('\'');
    for (char c : text) {
        if (c == '\'')
            out.push_back('\'');
        out.push_back(c);
    }
    out.push_back('\'');
}

void append_copy_field(std::string_view text, std::string &out) {
    for (char c : text) {
        switch (c) {
        case '\\':
            out.append("\\\\");
            break;
        case '\t':
            out.append("\\t");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        case '\v':
            out.append("\\v");
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\%03o",
                              static_cast<unsigned>(static_cast<unsigned char>(c)));
                out.append(buf);
            } else {
                out.push_back(c);
            }
        }
    }
}

std::string base64url(const std::uint8_t *data, std::size_t len) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((len * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        const std::uint32_t v =
            (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(alphabet[(v >> 6) & 63]);
        out.push_back(alphabet[v & 63]);
    }
    if (len - i == 1) {
        const std::uint32_t v = std::uint32_t{data[i]} << 16;
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
    } else if (len - i == 2) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(alphabet[(v >> 6) & 63]);
    }
    return out;
}

} // namespace vcon_redis::vcon
