#include "config/config.hpp"

#include <boost/regex.hpp>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "core/time_format.hpp"

namespace pantau {

std::string config_error::to_string() const {
    std::string out = where.file;
    out += ':';
    out += std::to_string(where.line);
    out += ':';
    out += std::to_string(where.column);
    out += ": ";
    out += message;
    return out;
}

namespace {

// Carries the first problem from deep inside the walk to the loader boundary; it never
// leaves this file (load_config_text catches it).
struct load_failure {
    config_error error;
};

constexpr std::string_view duration_hint = "write a number with a unit, e.g. 500ms, 30s, 5m, 2h";
constexpr std::string_view id_hint = "ids must match [a-z0-9][a-z0-9_-]* (lowercase letters, "
                                     "digits, \"-\" and \"_\", starting with a letter or digit)";

// One key of a mapping with a fixed set of allowed keys.
struct field {
    std::string_view name;
    YAML::Node key;   // the key node, for positions
    YAML::Node value; // the value node; Null when `key:` has nothing after it
    bool present = false;
};

template <std::size_t N>
using field_names = std::array<std::string_view, N>;

template <std::size_t N>
using fields = std::array<field, N>;

// Quotes a value for a message, shortening very long ones.
std::string quoted(std::string_view text) {
    constexpr std::size_t max_shown = 80;
    std::string out = "\"";
    if (text.size() > max_shown) {
        out += text.substr(0, max_shown);
        out += "...";
    } else {
        out += text;
    }
    out += '"';
    return out;
}

std::string quoted_list(std::string_view a, std::string_view b) {
    return quoted(a) + " and " + quoted(b);
}

// Levenshtein distance; keys and names are short, so the O(n*m) table is fine.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The candidate closest to `name`, when it is close enough to be a likely typo.
template <typename Range>
std::optional<std::string_view> closest(std::string_view name, const Range& candidates) {
    const std::size_t limit = name.size() <= 4 ? 1 : 2;
    std::optional<std::string_view> best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        const std::string_view c{candidate};
        const std::size_t d = edit_distance(name, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

template <typename Range>
std::string joined(const Range& names, std::size_t max_shown = 20) {
    std::string out;
    std::size_t shown = 0;
    for (const auto& name : names) {
        if (shown == max_shown) {
            out += ", ...";
            break;
        }
        if (shown > 0) {
            out += ", ";
        }
        out += std::string_view{name};
        ++shown;
    }
    return out;
}

bool is_valid_id(std::string_view id) {
    if (id.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '-' && c != '_'))) {
            return false;
        }
    }
    return true;
}

// A valid id that looks like `id`, for "e.g." in messages: "Akta Online" -> "akta-online";
// `fallback` when nothing of `id` can be kept.
std::string id_suggestion(std::string_view id, std::string_view fallback) {
    std::string out;
    for (const char c : id) {
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            out += c;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && (out.front() == '-' || out.front() == '_')) {
        out.erase(out.begin());
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return is_valid_id(out) ? out : std::string{fallback};
}

bool is_env_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

// RFC 9110 token characters, for methods and header names.
bool is_token(std::string_view text) {
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               extra.find(c) != std::string_view::npos;
    });
}

bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_port(std::string_view text) {
    if (!is_digits(text) || text.size() > 5) {
        return false;
    }
    unsigned port = 0;
    std::from_chars(text.data(), text.data() + text.size(), port);
    return port <= 65535;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char c =
            text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
        if (c != prefix[i]) {
            return false;
        }
    }
    return true;
}

// host or [ipv6], optionally followed by :port (required when `port_required`).
bool is_host_port(std::string_view text, bool port_required) {
    std::string_view host;
    std::string_view rest;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos || close == 1) {
            return false;
        }
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
        if (host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
            return false;
        }
    } else {
        const std::size_t colon = text.find(':');
        host = text.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
        if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '%';
            })) {
            return false;
        }
    }
    if (rest.empty()) {
        return !port_required;
    }
    return rest.front() == ':' && is_port(rest.substr(1));
}

bool is_http_url(std::string_view url) {
    std::string_view rest;
    if (iequals_prefix(url, "http://")) {
        rest = url.substr(7);
    } else if (iequals_prefix(url, "https://")) {
        rest = url.substr(8);
    } else {
        return false;
    }
    if (std::any_of(url.begin(), url.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
        return false;
    }
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        authority = authority.substr(at + 1);
    }
    return is_host_port(authority, false);
}

std::string_view describe(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    }
    return "something else";
}

// True when the line of `mark` starts with whitespace containing a tab, which YAML forbids
// for indentation and yaml-cpp reports with a message that does not say so.
bool indented_with_tab(const std::string& text, const YAML::Mark& mark) {
    if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) > text.size()) {
        return false;
    }
    const auto pos = static_cast<std::size_t>(mark.pos);
    const std::size_t newline = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    const std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
    for (std::size_t i = begin; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
        if (text[i] == '\t') {
            return true;
        }
    }
    return false;
}

// Adds hints to yaml-cpp's terse syntax messages.
std::string syntax_message(const std::string& msg, bool tab_indent) {
    std::string out = "YAML syntax error: " + msg;
    if (tab_indent) {
        out += " (indent with spaces, not tabs)";
    } else if (msg.find("illegal map value") != std::string::npos) {
        out += " (a value containing \": \" must be quoted, e.g. name: \"a: b\"; "
               "or is the indentation off?)";
    } else if (msg.find("end of map not found") != std::string::npos ||
               msg.find("end of sequence not found") != std::string::npos) {
        out += " (check the indentation: items of one mapping or list line up, spaces only)";
    } else if (msg.find("flow") != std::string::npos) {
        out += R"( (close every "[" with "]" and every "{" with "}"))";
    }
    return out;
}

// A yaml-cpp exception from loading `text` (the contents of `file`) as a config_error.
config_error yaml_error(const YAML::Exception& e, const std::string& file,
                        const std::string& text) {
    source_location where{file, 1, 1};
    if (!e.mark.is_null()) {
        where.line = e.mark.line + 1;
        where.column = e.mark.column + 1;
    }
    if (dynamic_cast<const YAML::ParserException*>(&e) != nullptr) {
        return config_error{std::move(where),
                            syntax_message(e.msg, indented_with_tab(text, e.mark))};
    }
    return config_error{std::move(where), "cannot load: " + e.msg};
}

// Reads a whole file into `text`; the reason (strerror) when it cannot.
std::optional<std::string> read_whole_file(const std::string& path, std::string& text) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::fopen(path.c_str(), "rb"),
                                                               &std::fclose};
    if (!file) {
        const int err = errno;
        return std::string{std::strerror(err)};
    }
    std::array<char, 65536> buffer{};
    while (true) {
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
        text.append(buffer.data(), n);
        if (n < buffer.size()) {
            break;
        }
    }
    if (std::ferror(file.get()) != 0) {
        const int err = errno;
        return std::string{std::strerror(err != 0 ? err : EIO)};
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// The walk over the YAML tree. Every check fails with load_failure at the first problem.

constexpr field_names<16> top_keys{"listen",        "ledger",       "admin_token", "timezone",
                                   "max_in_flight", "defaults",     "calendars",   "channels",
                                   "escalation",    "agencies",     "services",    "maintenance",
                                   "public_url",    "notify_retry", "modules",     "status_page"};
enum top_key : std::size_t {
    t_listen,
    t_ledger,
    t_admin_token,
    t_timezone,
    t_max_in_flight,
    t_defaults,
    t_calendars,
    t_channels,
    t_escalation,
    t_agencies,
    t_services,
    t_maintenance,
    t_public_url,
    t_notify_retry,
    t_modules,
    t_status_page,
};

constexpr field_names<2> retry_keys{"first", "max"};
enum retry_key : std::size_t { r_first, r_max };

constexpr field_names<2> module_keys{"timeout", "http"};
enum module_key : std::size_t { m_timeout, m_http };

constexpr field_names<5> defaults_keys{"interval", "timeout", "retry_interval", "failure_threshold",
                                       "success_threshold"};
enum defaults_key : std::size_t {
    d_interval,
    d_timeout,
    d_retry_interval,
    d_failure_threshold,
    d_success_threshold,
};

constexpr field_names<3> agency_keys{"id", "name", "escalation"};
enum agency_key : std::size_t { a_id, a_name, a_escalation };

constexpr field_names<8> service_keys{"id",         "name",  "agency", "objective",
                                      "escalation", "hours", "checks", "depends_on"};
enum service_key : std::size_t {
    s_id,
    s_name,
    s_agency,
    s_objective,
    s_escalation,
    s_hours,
    s_checks,
    s_depends_on,
};

constexpr field_names<14> check_keys{"id",
                                     "interval",
                                     "timeout",
                                     "retry_interval",
                                     "failure_threshold",
                                     "success_threshold",
                                     "depends_on",
                                     "http",
                                     "tcp",
                                     "tls",
                                     "dns",
                                     "icmp",
                                     "heartbeat",
                                     "activity"};
enum check_key : std::size_t {
    c_id,
    c_interval,
    c_timeout,
    c_retry_interval,
    c_failure_threshold,
    c_success_threshold,
    c_depends_on,
    c_http, // the probe types come last
    c_tcp,
    c_tls,
    c_dns,
    c_icmp,
    c_heartbeat,
    c_activity,
};
// The probe types, in check_keys' order from c_http on.
constexpr std::size_t first_probe_key = c_http;
constexpr std::string_view probe_types_hint =
    "http, tcp, tls, dns, icmp, heartbeat or activity, e.g. http: {url: "
    "\"https://example.go.id/\"} or tcp: "
    "{address: \"mail.example.go.id:25\"}";

constexpr field_names<3> tcp_keys{"address", "send", "expect"};
enum tcp_key : std::size_t { tcp_address, tcp_send, tcp_expect };

constexpr field_names<5> tls_keys{"address", "server_name", "cert_min_days", "ca_file", "starttls"};
enum tls_key : std::size_t {
    tls_address,
    tls_server_name,
    tls_cert_min_days,
    tls_ca_file,
    tls_starttls
};

constexpr field_names<4> dns_keys{"name", "type", "server", "expect"};
enum dns_key : std::size_t { dns_name, dns_type, dns_server, dns_expect };

constexpr field_names<2> dns_expect_keys{"rcode", "answers_contain"};
enum dns_expect_key : std::size_t { de_rcode, de_answers_contain };

constexpr field_names<7> dns_types{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA"};
constexpr field_names<6> dns_rcodes{"NOERROR",  "FORMERR", "SERVFAIL",
                                    "NXDOMAIN", "NOTIMP",  "REFUSED"};

constexpr field_names<3> icmp_keys{"host", "count", "max_loss"};
enum icmp_key : std::size_t { icmp_host, icmp_count, icmp_max_loss };

constexpr field_names<3> heartbeat_keys{"expect_every", "grace", "token"};
enum heartbeat_key : std::size_t { hb_expect_every, hb_grace, hb_token };

constexpr field_names<10> activity_keys{
    "url",    "value", "metric",  "min_increase", "must_increase_within",
    "during", "what",  "headers", "tls_verify",   "ca_file"};
enum activity_key : std::size_t {
    a_url,
    a_value,
    a_metric,
    a_min_increase,
    a_must_increase_within,
    a_during,
    a_what,
    a_headers,
    a_tls_verify,
    a_ca_file,
};

constexpr field_names<11> http_keys{
    "url",           "method",     "headers", "body",     "follow_redirects",
    "max_redirects", "tls_verify", "ca_file", "max_body", "reuse_connection",
    "expect"};
enum http_key : std::size_t {
    h_url,
    h_method,
    h_headers,
    h_body,
    h_follow_redirects,
    h_max_redirects,
    h_tls_verify,
    h_ca_file,
    h_max_body,
    h_reuse_connection,
    h_expect,
};

constexpr field_names<7> expect_keys{"status",       "body_contains", "body_not_contains",
                                     "body_matches", "max_latency",   "cert_min_days",
                                     "json"};
enum expect_key : std::size_t {
    e_status,
    e_body_contains,
    e_body_not_contains,
    e_body_matches,
    e_max_latency,
    e_cert_min_days,
    e_json,
};

constexpr field_names<4> level_keys{"after", "notify", "repeat", "even_if_acknowledged"};
enum level_key : std::size_t { l_after, l_notify, l_repeat, l_even_if_acknowledged };

constexpr field_names<4> channel_types{"telegram", "email", "webhook", "alertmanager"};

constexpr field_names<7> maintenance_keys{"agency", "service",  "start", "end",
                                          "weekly", "timezone", "reason"};
enum maintenance_key : std::size_t {
    m_agency,
    m_service,
    m_start,
    m_end,
    m_weekly,
    m_timezone,
    m_reason,
};

constexpr field_names<3> weekly_keys{"days", "from", "to"};
enum weekly_key : std::size_t { w_days, w_from, w_to };

constexpr field_names<4> calendar_keys{"hours", "holidays", "timezone", "exceptions"};
enum calendar_key : std::size_t { cal_hours, cal_holidays, cal_timezone, cal_exceptions };

constexpr field_names<4> exception_keys{"date", "hours", "closed", "name"};
enum exception_key : std::size_t { exc_date, exc_hours, exc_closed, exc_name };

// `hours: always` on a service: open around the clock, no calendar (so no calendar may
// take the name).
constexpr std::string_view always_open = "always";

constexpr field_names<3> status_page_keys{"title", "logo", "footer"};
enum status_page_key : std::size_t { sp_title, sp_logo, sp_footer };

// A logo file inlined into the status page: extension -> media type.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> logo_types{{
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
}};
constexpr std::size_t max_logo_bytes = std::size_t{256} * 1024;

std::string base64(std::string_view bytes) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U) |
                       (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U) |
                       std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += alphabet[(n >> 6U) & 63U];
        out += alphabet[n & 63U];
    }
    if (i < bytes.size()) {
        auto n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U;
        if (i + 1 < bytes.size()) {
            n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U;
        }
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += i + 1 < bytes.size() ? alphabet[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

constexpr field_names<2> holiday_keys{"date", "name"};
enum holiday_key : std::size_t { hol_date, hol_name };

// Day keys under a calendar's hours, Monday first (service_calendar::week's order).
constexpr field_names<7> day_names{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr field_names<8> day_keys{"mon", "tue", "wed", "thu", "fri", "sat", "sun", "daily"};
constexpr std::string_view hours_hint =
    R"(write "HH:MM-HH:MM", e.g. "07:30-16:00", a list of them for split shifts, or "24h")";
constexpr std::string_view holiday_hint =
    "e.g. - {date: 2026-08-17, name: Proklamasi Kemerdekaan RI}, or - 2026-08-17";
constexpr std::string_view exception_hint =
    R"(e.g. - {date: 2026-11-07, hours: "08:00-12:00"} or - {date: 2026-12-31, closed: true})";

// "HH:MM" (or "H:MM") from 00:00 to 24:00, as minutes after midnight.
std::optional<std::chrono::minutes> parse_clock(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == 0 || colon > 2 || text.size() != colon + 3 || !is_digits(text.substr(0, colon)) ||
        !is_digits(text.substr(colon + 1))) {
        return std::nullopt;
    }
    int hours = 0;
    for (const char c : text.substr(0, colon)) {
        hours = hours * 10 + (c - '0');
    }
    const int minutes = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
    if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
        return std::nullopt;
    }
    return std::chrono::minutes{hours * 60 + minutes};
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    return text;
}

// "07:30-16:00" or "24h"; the order of open and close is checked by the caller.
std::optional<opening_hours> parse_opening_hours(std::string_view text) {
    if (text == "24h") {
        return opening_hours{std::chrono::minutes{0}, std::chrono::hours{24}};
    }
    const std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    const auto open = parse_clock(trimmed(text.substr(0, dash)));
    const auto close = parse_clock(trimmed(text.substr(dash + 1)));
    if (!open || !close) {
        return std::nullopt;
    }
    return opening_hours{*open, *close};
}

std::string format_clock(std::chrono::minutes m) {
    const auto hh = m.count() / 60;
    const auto mm = m.count() % 60;
    std::string out;
    out += static_cast<char>('0' + hh / 10);
    out += static_cast<char>('0' + hh % 10);
    out += ':';
    out += static_cast<char>('0' + mm / 10);
    out += static_cast<char>('0' + mm % 10);
    return out;
}

std::string format_hours(const opening_hours& h) {
    return format_clock(h.open) + "-" + format_clock(h.close);
}

// "unknown timezone "X"; did you mean ...? accepted: Asia/Jakarta (WIB), ..."
std::string unknown_timezone_message(const std::string& timezone) {
    std::string message = "unknown timezone " + quoted(timezone) + "; ";
    // People say WIB, WITA, WIT; the zone names are what the file takes.
    constexpr std::array<std::pair<std::string_view, std::string_view>, 3> abbreviations{
        {{"WIB", "Asia/Jakarta"}, {"WITA", "Asia/Makassar"}, {"WIT", "Asia/Jayapura"}}};
    std::optional<std::string_view> suggestion = closest(timezone, known_timezones());
    for (const auto& [abbreviation, zone] : abbreviations) {
        if (timezone == abbreviation) {
            suggestion = zone;
        }
    }
    if (suggestion) {
        message += "did you mean " + quoted(*suggestion) + "? ";
    }
    message += "accepted: ";
    for (const std::string_view name : known_timezones()) {
        message += std::string{name};
        const auto offset = utc_offset_of(name);
        if (offset == std::chrono::hours{7}) {
            message += " (WIB)";
        } else if (offset == std::chrono::hours{8}) {
            message += " (WITA)";
        } else if (offset == std::chrono::hours{9}) {
            message += " (WIT)";
        }
        message += ", ";
    }
    message += "or a fixed offset such as +07:00";
    return message;
}

// The first and last weekday (0 = Monday) of a day key: "mon", "mon-fri" or "daily".
struct day_range {
    std::size_t first = 0;
    std::size_t last = 0;
};

class loader {
public:
    explicit loader(const std::string& file) : file_(file) {}

    config load(const YAML::Node& root) {
        config cfg;
        cfg.path = file_;
        if (!root.IsMap()) {
            if (root.IsNull()) {
                fail(root.Mark(), "the file is empty; write a mapping with at least "
                                  "\"agencies:\" and \"services:\"");
            }
            fail(root.Mark(), std::string{"expected a mapping at the top level (key: value "
                                          "lines such as \"services:\"), got "} +
                                  std::string{describe(root)});
        }
        const auto f = read_fields(root, "at top level", top_keys);
        if (f[t_listen].present) {
            cfg.listen = text(f[t_listen]);
            if (!is_host_port(cfg.listen, true)) {
                fail(value_mark(f[t_listen]),
                     "invalid listen address " + quoted(cfg.listen) +
                         ": write host:port, e.g. 127.0.0.1:9470, 0.0.0.0:9470 or [::1]:9470");
            }
        }
        if (f[t_ledger].present) {
            cfg.ledger = text(f[t_ledger]);
            if (cfg.ledger.empty()) {
                fail(value_mark(f[t_ledger]),
                     "ledger needs a file path, e.g. /var/lib/pantau/ledger.db");
            }
        }
        if (f[t_admin_token].present) {
            cfg.admin_token = text(f[t_admin_token]);
        }
        if (f[t_public_url].present) {
            cfg.public_url = text(f[t_public_url]);
            if (cfg.public_url.rfind("http://", 0) != 0 &&
                cfg.public_url.rfind("https://", 0) != 0) {
                fail(value_mark(f[t_public_url]),
                     "public_url must start with http:// or https://, e.g. "
                     "https://pantau.kota.go.id");
            }
            while (!cfg.public_url.empty() && cfg.public_url.back() == '/') {
                cfg.public_url.pop_back();
            }
        }
        if (f[t_timezone].present) {
            cfg.timezone = text(f[t_timezone]);
            if (cfg.timezone.empty()) {
                fail(value_mark(f[t_timezone]),
                     "timezone needs a zone name, e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura");
            }
            const auto offset = utc_offset_of(cfg.timezone);
            if (!offset) {
                fail(value_mark(f[t_timezone]), unknown_timezone_message(cfg.timezone));
            }
            cfg.utc_offset = *offset;
        }
        if (f[t_notify_retry].present) {
            expect_map(f[t_notify_retry]);
            const auto r = read_fields(f[t_notify_retry].value, "in notify_retry", retry_keys);
            if (r[r_first].present) {
                cfg.notify_retry_first = read_positive_duration(r[r_first], "1s");
            }
            if (r[r_max].present) {
                cfg.notify_retry_max = read_positive_duration(r[r_max], "5m");
            }
            if (cfg.notify_retry_max < cfg.notify_retry_first) {
                fail(value_mark(r[r_max].present ? r[r_max] : r[r_first]),
                     "notify_retry max " + format_duration(cfg.notify_retry_max) +
                         " is shorter than first " + format_duration(cfg.notify_retry_first));
            }
        }
        if (f[t_max_in_flight].present) {
            cfg.max_in_flight =
                static_cast<std::size_t>(read_int(f[t_max_in_flight], 1, 10'000'000, "4096"));
        }
        if (f[t_defaults].present) {
            cfg.defaults = read_defaults(f[t_defaults]);
        }
        // Referenced things first, so references can be checked as they are read.
        if (f[t_calendars].present) {
            read_calendars(f[t_calendars], cfg);
        }
        if (f[t_channels].present) {
            read_channels(f[t_channels], cfg);
        }
        if (f[t_escalation].present) {
            read_escalation(f[t_escalation], cfg);
        }
        if (f[t_agencies].present) {
            read_agencies(f[t_agencies], cfg);
        }
        if (f[t_services].present) {
            read_services(f[t_services], cfg);
        }
        resolve_dependencies(cfg);
        if (f[t_maintenance].present) {
            read_maintenance(f[t_maintenance], cfg);
        }
        if (f[t_modules].present) {
            read_modules(f[t_modules], cfg);
        }
        if (f[t_status_page].present) {
            read_status_page(f[t_status_page], cfg.status_page);
        }
        return cfg;
    }

private:
    source_location at(const YAML::Mark& mark) const {
        if (mark.is_null()) {
            return {file_, 1, 1};
        }
        return {file_, mark.line + 1, mark.column + 1};
    }

    [[noreturn]] void fail(const YAML::Mark& mark, std::string message) const {
        throw load_failure{config_error{at(mark), std::move(message)}};
    }

    // Where to point for a problem with a value: `key:` with nothing after it has no
    // useful position of its own (yaml-cpp marks the next token), so use the key's.
    static YAML::Mark value_mark(const field& f) {
        if (!f.value.IsDefined() || f.value.IsNull() || f.value.Mark().is_null()) {
            return f.key.Mark();
        }
        return f.value.Mark();
    }

    // Reads a mapping whose keys must come from `names`; unknown and repeated keys are
    // errors. `context` completes "unknown key ... <context>", e.g. "in check".
    template <std::size_t N>
    fields<N> read_fields(const YAML::Node& map, std::string_view context,
                          const field_names<N>& names) const {
        fields<N> out;
        for (std::size_t i = 0; i < N; ++i) {
            out[i].name = names[i];
        }
        for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
            const YAML::Node key = it->first; // a copy: it-> yields a temporary
            if (!key.IsScalar()) {
                fail(key.Mark(), std::string{"expected a plain key "} + std::string{context} +
                                     ", got " + std::string{describe(key)});
            }
            const std::string& name = key.Scalar();
            const auto found = std::find(names.begin(), names.end(), name);
            if (found == names.end()) {
                std::string message =
                    "unknown key " + quoted(name) + " " + std::string{context} + "; ";
                if (const auto suggestion = closest(name, names)) {
                    message += "did you mean " + quoted(*suggestion) + "?";
                } else {
                    message += "allowed keys: " + joined(names);
                }
                fail(key.Mark(), std::move(message));
            }
            field& slot = out[static_cast<std::size_t>(found - names.begin())];
            if (slot.present) {
                fail(key.Mark(), "duplicate key " + quoted(name) + " " + std::string{context} +
                                     " (first at line " + std::to_string(at(slot.key.Mark()).line) +
                                     "); write each key once");
            }
            slot.key = key;
            slot.value = it->second;
            slot.present = true;
        }
        return out;
    }

    void expect_map(const field& f) const {
        if (!f.value.IsMap()) {
            fail(value_mark(f), "expected a mapping for " + quoted(f.name) +
                                    " (key: value lines), got " + std::string{describe(f.value)});
        }
    }

    void expect_list(const field& f) const {
        if (!f.value.IsSequence()) {
            fail(value_mark(f), "expected a list for " + quoted(f.name) +
                                    " (lines starting with \"- \"), got " +
                                    std::string{describe(f.value)});
        }
    }

    // Replaces ${NAME} with the environment variable NAME; $${ stands for a literal "${".
    std::string expand_env(const std::string& raw, const YAML::Mark& mark) const {
        if (raw.find('$') == std::string::npos) {
            return raw;
        }
        std::string out;
        out.reserve(raw.size());
        std::size_t i = 0;
        while (i < raw.size()) {
            if (raw.compare(i, 3, "$${") == 0) {
                out += "${";
                i += 3;
                continue;
            }
            if (raw.compare(i, 2, "${") != 0) {
                out += raw[i];
                ++i;
                continue;
            }
            const std::size_t close = raw.find('}', i + 2);
            if (close == std::string::npos) {
                fail(mark, "unterminated \"${\" in " + quoted(raw) +
                               ": write ${NAME} for an environment variable, or $${ for a "
                               "literal \"${\"");
            }
            const std::string name = raw.substr(i + 2, close - i - 2);
            if (!is_env_name(name)) {
                fail(mark, "invalid environment variable name " + quoted(name) +
                               ": write ${NAME} with letters, digits and \"_\", e.g. "
                               "${PANTAU_ADMIN_TOKEN}, or $${ for a literal \"${\"");
            }
            const char* value = std::getenv(name.c_str());
            if (value == nullptr) {
                fail(mark, "environment variable " + name +
                               " is not set; set it in pantau's environment (e.g. "
                               "EnvironmentFile= in the systemd unit), or write $${ for a "
                               "literal \"${\"");
            }
            out += value;
            i = close + 1;
        }
        return out;
    }

    // A single value (with ${ENV} expanded).
    std::string text(const field& f) const {
        if (!f.value.IsScalar()) {
            if (f.value.IsNull() || !f.value.IsDefined()) {
                fail(value_mark(f), quoted(f.name) + " needs a value after the colon");
            }
            fail(value_mark(f), "expected a single value for " + quoted(f.name) + ", got " +
                                    std::string{describe(f.value)});
        }
        return expand_env(f.value.Scalar(), f.value.Mark());
    }

    // A single value or a list of them; calls `fn(text, mark)` for each.
    template <typename F>
    void for_each_text(const field& f, F&& fn) const {
        if (!f.value.IsSequence()) {
            fn(text(f), value_mark(f));
            return;
        }
        for (YAML::const_iterator it = f.value.begin(); it != f.value.end(); ++it) {
            const field item{f.name, f.key, *it, true};
            fn(text(item), value_mark(item));
        }
    }

    std::vector<std::string> texts(const field& f) const {
        std::vector<std::string> out;
        for_each_text(
            f, [&](std::string value, const YAML::Mark&) { out.push_back(std::move(value)); });
        return out;
    }

    std::string read_id(const field& f, std::string_view what, std::string_view example) const {
        std::string id = text(f);
        if (!is_valid_id(id)) {
            fail(value_mark(f), "invalid " + std::string{what} + " " + quoted(id) + ": " +
                                    std::string{id_hint} + ", e.g. " +
                                    quoted(id_suggestion(id, example)));
        }
        return id;
    }

    // A name used as a mapping key (channels, escalation policies).
    std::string read_key_name(const YAML::Node& key, std::string_view what,
                              std::string_view example) const {
        if (!key.IsScalar()) {
            fail(key.Mark(), "expected a plain name for a " + std::string{what} + ", got " +
                                 std::string{describe(key)});
        }
        const std::string& name = key.Scalar();
        if (!is_valid_id(name)) {
            fail(key.Mark(), "invalid " + std::string{what} + " name " + quoted(name) + ": " +
                                 std::string{id_hint} + ", e.g. " +
                                 quoted(id_suggestion(name, example)));
        }
        return name;
    }

    duration read_duration(const field& f) const {
        const std::string value = text(f);
        const auto d = parse_duration(value);
        if (!d) {
            fail(value_mark(f),
                 "invalid duration " + quoted(value) + ": " + std::string{duration_hint});
        }
        return *d;
    }

    duration read_positive_duration(const field& f, std::string_view example) const {
        const duration d = read_duration(f);
        if (d.count() <= 0) {
            fail(value_mark(f),
                 std::string{f.name} + " must be longer than 0, e.g. " + std::string{example});
        }
        return d;
    }

    long long read_int(const field& f, long long min, long long max,
                       std::string_view example) const {
        const std::string value = text(f);
        long long n = 0;
        const char* end = value.data() + value.size();
        const auto [ptr, ec] = std::from_chars(value.data(), end, n);
        if (ec == std::errc::result_out_of_range) {
            fail(value_mark(f), std::string{f.name} + " " + quoted(value) +
                                    " is too large; write at most " + std::to_string(max));
        }
        if (ec != std::errc{} || ptr != end) {
            fail(value_mark(f), "expected a whole number for " + quoted(f.name) + ", e.g. " +
                                    std::string{example} + "; got " + quoted(value));
        }
        if (n < min) {
            fail(value_mark(f), std::string{f.name} + " must be at least " + std::to_string(min) +
                                    ", e.g. " + std::string{example});
        }
        if (n > max) {
            fail(value_mark(f), std::string{f.name} + " must be at most " + std::to_string(max) +
                                    ", e.g. " + std::string{example});
        }
        return n;
    }

    unsigned read_threshold(const field& f) const {
        return static_cast<unsigned>(read_int(f, 1, 1'000'000, "3"));
    }

    bool read_bool(const field& f) const {
        std::string value = text(f);
        std::transform(value.begin(), value.end(), value.begin(), [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        });
        if (value == "true" || value == "yes" || value == "on") {
            return true;
        }
        if (value == "false" || value == "no" || value == "off") {
            return false;
        }
        fail(value_mark(f),
             "expected true or false for " + quoted(f.name) + ", got " + quoted(text(f)));
    }

    // A finite decimal number, e.g. 1 or 2.5.
    double read_number(const field& f, std::string_view example) const {
        const std::string value = text(f);
        double n = 0;
        const char* end = value.data() + value.size();
        const auto [ptr, ec] = std::from_chars(value.data(), end, n);
        if (value.empty() || ec != std::errc{} || ptr != end || !std::isfinite(n)) {
            fail(value_mark(f), "expected a number for " + quoted(f.name) + ", e.g. " +
                                    std::string{example} + "; got " + quoted(value));
        }
        return n;
    }

    // "99.5%" or 99.5; above 0 and at most 100.
    double read_percent(const field& f) const {
        const std::string value = text(f);
        std::string_view number{value};
        if (!number.empty() && number.back() == '%') {
            number.remove_suffix(1);
        }
        double percent = 0;
        const char* end = number.data() + number.size();
        const auto [ptr, ec] = std::from_chars(number.data(), end, percent);
        if (number.empty() || ec != std::errc{} || ptr != end || !std::isfinite(percent)) {
            fail(value_mark(f), "invalid " + std::string{f.name} + " " + quoted(value) +
                                    ": write a percentage, e.g. 99.5% or 99.5");
        }
        if (!(percent > 0.0 && percent <= 100.0)) {
            fail(value_mark(f), std::string{f.name} + " " + quoted(value) +
                                    " must be above 0% and at most 100%, e.g. 99.5%");
        }
        return percent;
    }

    // Bytes as a whole number, or with a unit: 512KiB, 1MiB, 10MB.
    std::size_t read_size(const field& f) const {
        const std::string value = text(f);
        const std::string hint = "invalid size " + quoted(value) +
                                 ": write bytes as a whole number, or a number with a unit "
                                 "(B, KB, MB, GB, KiB, MiB, GiB), e.g. 65536, 512KiB, 1MiB, 10MB";
        std::uint64_t number = 0;
        const char* begin = value.data();
        const char* end = value.data() + value.size();
        const auto [ptr, ec] = std::from_chars(begin, end, number);
        if (ec == std::errc::invalid_argument || ptr == begin) {
            fail(value_mark(f), hint);
        }
        if (ec == std::errc::result_out_of_range) {
            fail(value_mark(f), "size " + quoted(value) + " is too large");
        }
        struct unit {
            std::string_view name;
            std::uint64_t bytes;
        };
        static constexpr std::array<unit, 9> units{{{"", 1},
                                                    {"B", 1},
                                                    {"KB", 1000},
                                                    {"kB", 1000},
                                                    {"MB", std::uint64_t{1000} * 1000},
                                                    {"GB", std::uint64_t{1000} * 1000 * 1000},
                                                    {"KiB", 1024},
                                                    {"MiB", std::uint64_t{1024} * 1024},
                                                    {"GiB", std::uint64_t{1024} * 1024 * 1024}}};
        const std::string_view suffix{ptr, static_cast<std::size_t>(end - ptr)};
        const auto u = std::find_if(units.begin(), units.end(),
                                    [&](const unit& x) { return x.name == suffix; });
        if (u == units.end()) {
            fail(value_mark(f), hint);
        }
        if (number > std::numeric_limits<std::size_t>::max() / u->bytes) {
            fail(value_mark(f), "size " + quoted(value) + " is too large");
        }
        return static_cast<std::size_t>(number * u->bytes);
    }

    void require(const field& f, const YAML::Node& map, std::string_view what,
                 std::string_view example) const {
        if (!f.present) {
            fail(map.Mark(),
                 std::string{what} + " needs " + quoted(f.name) + ", e.g. " + std::string{example});
        }
    }

    // "agency "x" is not defined; did you mean "y"? defined agencies: a, b"
    template <typename Range>
    [[noreturn]] void fail_undefined(const YAML::Mark& mark, std::string_view what,
                                     std::string_view plural, const std::string& name,
                                     const Range& defined, std::string_view section) const {
        std::string message = std::string{what} + " " + quoted(name) + " is not defined; ";
        if (defined.empty()) {
            message += "no " + std::string{plural} + " are defined (add them under \"" +
                       std::string{section} + ":\")";
        } else {
            if (const auto suggestion = closest(name, defined)) {
                message += "did you mean " + quoted(*suggestion) + "? ";
            }
            message += "defined " + std::string{plural} + ": " + joined(defined);
        }
        fail(mark, std::move(message));
    }

    defaults_config read_defaults(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in defaults", defaults_keys);
        defaults_config d;
        if (f[d_interval].present) {
            d.interval = read_positive_duration(f[d_interval], "30s");
        }
        if (f[d_timeout].present) {
            d.timeout = read_positive_duration(f[d_timeout], "10s");
        }
        if (f[d_retry_interval].present) {
            d.retry_interval = read_positive_duration(f[d_retry_interval], "10s");
        }
        if (f[d_failure_threshold].present) {
            d.failure_threshold = read_threshold(f[d_failure_threshold]);
        }
        if (f[d_success_threshold].present) {
            d.success_threshold = read_threshold(f[d_success_threshold]);
        }
        if (d.timeout > d.interval) {
            const std::string timeout = format_duration(d.timeout);
            const std::string interval = format_duration(d.interval);
            if (f[d_timeout].present) {
                fail(value_mark(f[d_timeout]), "timeout " + timeout + " is longer than interval " +
                                                   interval + "; write a timeout of at most " +
                                                   interval + ", or a longer interval");
            }
            fail(value_mark(f[d_interval]), "interval " + interval +
                                                " is shorter than the default timeout " + timeout +
                                                "; write \"timeout: " + interval +
                                                "\" (or less) in defaults, or an "
                                                "interval of at least " +
                                                timeout);
        }
        return d;
    }

    void read_channels(const field& section, config& cfg) const {
        expect_map(section);
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const YAML::Node key = it->first;
            std::string name = read_key_name(key, "channel", "ops-telegram");
            const field body{"channel", key, it->second, true};
            if (!body.value.IsMap()) {
                fail(value_mark(body),
                     "expected a mapping for channel " + quoted(name) +
                         " with one of telegram, email, webhook or alertmanager, e.g. {webhook: "
                         "{url: \"https://ops.example.go.id/pantau\"}}; got " +
                         std::string{describe(body.value)});
            }
            channel_config channel;
            channel.name = name;
            channel.where = at(key.Mark());
            const std::string context = "in channel " + quoted(name);
            const auto types = read_fields(body.value, context, channel_types);
            const field* chosen = nullptr;
            for (const field& type : types) {
                if (!type.present) {
                    continue;
                }
                if (chosen != nullptr) {
                    const bool type_is_later = type.key.Mark().pos > chosen->key.Mark().pos;
                    const field& earlier = type_is_later ? *chosen : type;
                    const field& later = type_is_later ? type : *chosen;
                    fail(later.key.Mark(), "channel " + quoted(name) + " has two types (" +
                                               quoted_list(earlier.name, later.name) +
                                               "); write one channel per type");
                }
                chosen = &type;
            }
            if (chosen == nullptr) {
                fail(body.value.Mark(), "channel " + quoted(name) +
                                            " needs one type: telegram, email, webhook or "
                                            "alertmanager, e.g. {telegram: {token: ..., "
                                            "chat_id: ...}}");
            }
            channel.type = std::string{chosen->name};
            expect_map(*chosen);
            read_settings(*chosen, "", channel.settings);
            const auto [existing, inserted] = cfg.channels.emplace(name, std::move(channel));
            if (!inserted) {
                fail(key.Mark(), "duplicate channel " + quoted(name) + " (first defined at line " +
                                     std::to_string(existing->second.where.line) + ")");
            }
        }
    }

    // Flattens a channel's settings into strings (see channel_config::settings).
    void read_settings(const field& f, const std::string& prefix,
                       std::map<std::string, std::string>& out) const {
        for (YAML::const_iterator it = f.value.begin(); it != f.value.end(); ++it) {
            const YAML::Node key = it->first;
            if (!key.IsScalar()) {
                fail(key.Mark(), "expected a plain key in " + quoted(f.name) + ", got " +
                                     std::string{describe(key)});
            }
            const std::string name = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
            const field item{key.Scalar(), key, it->second, true};
            if (out.count(name) != 0) {
                fail(key.Mark(), "duplicate key " + quoted(key.Scalar()) + " in " + quoted(f.name) +
                                     "; write each key once");
            }
            if (item.value.IsMap()) {
                read_settings(item, name, out);
                continue;
            }
            std::string value;
            for_each_text(item, [&](const std::string& part, const YAML::Mark&) {
                if (!value.empty()) {
                    value += ',';
                }
                value += part;
            });
            out.emplace(name, std::move(value));
        }
    }

    void read_escalation(const field& section, config& cfg) const {
        expect_map(section);
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const YAML::Node key = it->first;
            std::string name = read_key_name(key, "escalation policy", "standar");
            if (cfg.escalation.count(name) != 0) {
                fail(key.Mark(),
                     "duplicate escalation policy " + quoted(name) + "; write each policy once");
            }
            const field levels_field{"escalation policy", key, it->second, true};
            if (!levels_field.value.IsSequence()) {
                fail(value_mark(levels_field),
                     "expected a list of levels for escalation policy " + quoted(name) +
                         ", e.g. - {after: 0m, notify: [ops-telegram]}; got " +
                         std::string{describe(levels_field.value)});
            }
            if (levels_field.value.size() == 0) {
                fail(value_mark(levels_field),
                     "escalation policy " + quoted(name) +
                         " needs at least one level, e.g. - {after: 0m, notify: [ops-telegram]}");
            }
            std::vector<escalation_level> levels;
            levels.reserve(levels_field.value.size());
            for (YAML::const_iterator level = levels_field.value.begin();
                 level != levels_field.value.end(); ++level) {
                levels.push_back(read_level(field{"level", key, *level, true}, cfg, levels));
            }
            cfg.escalation.emplace(std::move(name), std::move(levels));
        }
    }

    escalation_level read_level(const field& item, const config& cfg,
                                const std::vector<escalation_level>& earlier) const {
        expect_map(item);
        const auto f = read_fields(item.value, "in escalation level", level_keys);
        require(f[l_after], item.value, "escalation level", "after: 30m");
        require(f[l_notify], item.value, "escalation level", "notify: [ops-telegram]");
        escalation_level level;
        level.where = at(item.value.Mark());
        level.after = read_duration(f[l_after]);
        if (!earlier.empty() && level.after < earlier.back().after) {
            fail(value_mark(f[l_after]), "level after " + format_duration(level.after) +
                                             " comes after a level at " +
                                             format_duration(earlier.back().after) +
                                             "; list levels in increasing order of \"after\"");
        }
        for_each_text(f[l_notify], [&](std::string channel, const YAML::Mark& mark) {
            if (cfg.channels.count(channel) == 0) {
                std::vector<std::string_view> names;
                names.reserve(cfg.channels.size());
                for (const auto& entry : cfg.channels) {
                    names.emplace_back(entry.first);
                }
                fail_undefined(mark, "channel", "channels", channel, names, "channels");
            }
            level.notify.push_back(std::move(channel));
        });
        if (level.notify.empty()) {
            fail(value_mark(f[l_notify]),
                 "notify needs at least one channel, e.g. notify: [ops-telegram]");
        }
        if (f[l_repeat].present) {
            level.repeat = read_positive_duration(f[l_repeat], "1h");
        }
        if (f[l_even_if_acknowledged].present) {
            level.even_if_acknowledged = read_bool(f[l_even_if_acknowledged]);
        }
        return level;
    }

    void check_policy(const field& f, const std::string& policy, const config& cfg) const {
        if (cfg.escalation.count(policy) != 0) {
            return;
        }
        std::vector<std::string_view> names;
        names.reserve(cfg.escalation.size());
        for (const auto& entry : cfg.escalation) {
            names.emplace_back(entry.first);
        }
        fail_undefined(value_mark(f), "escalation policy", "policies", policy, names, "escalation");
    }

    void read_calendars(const field& section, config& cfg) {
        expect_map(section);
        std::unordered_map<std::string, int> lines;
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const YAML::Node key = it->first;
            std::string name = read_key_name(key, "calendar", "jam-layanan");
            const auto [existing, inserted] = lines.emplace(name, at(key.Mark()).line);
            if (!inserted) {
                fail(key.Mark(), "duplicate calendar " + quoted(name) + " (first defined at line " +
                                     std::to_string(existing->second) + ")");
            }
            const field body{"calendar", key, it->second, true};
            if (!body.value.IsMap()) {
                fail(value_mark(body), "expected a mapping for calendar " + quoted(name) +
                                           R"( with hours and holidays, e.g. {hours: {mon-fri: )"
                                           R"("07:30-16:00"}, holidays: [2026-08-17]}; got )" +
                                           std::string{describe(body.value)});
            }
            if (name == always_open) {
                fail(key.Mark(), "a calendar cannot be named " + quoted(name) +
                                     ": services write hours: always for round-the-clock "
                                     "service without a calendar; choose another name, e.g. "
                                     "\"jam-layanan\"");
            }
            const std::string context = "in calendar " + quoted(name);
            const auto f = read_fields(body.value, context, calendar_keys);
            require(f[cal_hours], body.value, "calendar " + quoted(name),
                    R"(hours: {mon-thu: "07:30-16:00", fri: "07:30-16:30"})");
            service_calendar cal;
            cal.id = name;
            cal.utc_offset = cfg.utc_offset;
            if (f[cal_timezone].present) {
                const std::string zone = text(f[cal_timezone]);
                const auto offset = utc_offset_of(zone);
                if (!offset) {
                    fail(value_mark(f[cal_timezone]), unknown_timezone_message(zone));
                }
                cal.utc_offset = *offset;
            }
            read_week(f[cal_hours], cal);
            if (f[cal_holidays].present) {
                cal.holidays = read_holidays(f[cal_holidays]);
            }
            if (f[cal_exceptions].present) {
                cal.exceptions = read_exceptions(f[cal_exceptions]);
            }
            cfg.calendars.emplace(std::move(name), std::move(cal));
        }
    }

    void check_calendar(const field& f, const std::string& name, const config& cfg) const {
        if (cfg.calendars.count(name) != 0) {
            return;
        }
        std::vector<std::string_view> names;
        names.reserve(cfg.calendars.size());
        for (const auto& entry : cfg.calendars) {
            names.emplace_back(entry.first);
        }
        fail_undefined(value_mark(f), "calendar", "calendars", name, names, "calendars");
    }

    // exceptions: [{date: 2026-11-07, hours: "08:00-12:00"}, {date: 2026-12-31, closed: true}]:
    // sorted by date, one per date.
    std::vector<calendar_exception> read_exceptions(const field& section) const {
        if (!section.value.IsSequence()) {
            fail(value_mark(section), "expected a list for \"exceptions\", " +
                                          std::string{exception_hint} + "; got " +
                                          std::string{describe(section.value)});
        }
        std::vector<calendar_exception> out;
        std::map<std::chrono::year_month_day, int> lines;
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const YAML::Node item = *it;
            if (!item.IsMap()) {
                fail(item.Mark(), "expected {date, hours} or {date, closed: true} for an "
                                  "exception, " +
                                      std::string{exception_hint} + "; got " +
                                      std::string{describe(item)});
            }
            const auto f = read_fields(item, "in exception", exception_keys);
            require(f[exc_date], item, "exception", "date: 2026-11-07");
            calendar_exception e;
            e.date = read_date(f[exc_date]);
            const std::string date = text(f[exc_date]);
            const auto [first, inserted] = lines.emplace(e.date, at(item.Mark()).line);
            if (!inserted) {
                fail(value_mark(f[exc_date]),
                     "duplicate exception for " + quoted(date) + " (first at line " +
                         std::to_string(first->second) + "); give each date once");
            }
            if (f[exc_name].present) {
                static_cast<void>(text(f[exc_name])); // a single value, for the reader
            }
            if (f[exc_hours].present && f[exc_closed].present) {
                fail(f[exc_closed].key.Mark(), "exception " + quoted(date) +
                                                   " has both hours and closed; write hours "
                                                   "for the hours it is open, or closed: true");
            }
            if (f[exc_closed].present) {
                if (!read_bool(f[exc_closed])) {
                    fail(value_mark(f[exc_closed]),
                         "exception " + quoted(date) +
                             " has closed: false; to open that date, write its hours, e.g. "
                             "hours: \"08:00-12:00\"");
                }
            } else {
                require(f[exc_hours], item, "exception " + quoted(date),
                        R"(hours: "08:00-12:00" (or closed: true))");
                e.hours = read_day_hours(field{date, f[exc_hours].key, f[exc_hours].value, true});
            }
            out.push_back(std::move(e));
        }
        std::sort(out.begin(), out.end(),
                  [](const calendar_exception& a, const calendar_exception& b) {
                      return a.date < b.date;
                  });
        return out;
    }

    // The weekday index of a day name, or a failure suggesting the closest one.
    std::size_t read_day_name(std::string_view name, const YAML::Node& key) const {
        const auto found = std::find(day_names.begin(), day_names.end(), name);
        if (found != day_names.end()) {
            return static_cast<std::size_t>(found - day_names.begin());
        }
        std::string message = "unknown day " + quoted(name) + " in hours; ";
        if (const auto suggestion = closest(name, day_keys)) {
            message += "did you mean " + quoted(*suggestion) + "? ";
        }
        message += "write one of " + joined(day_names) + ", a range such as mon-fri, or daily";
        fail(key.Mark(), std::move(message));
    }

    day_range read_day_key(const YAML::Node& key) const {
        if (!key.IsScalar()) {
            fail(key.Mark(), "expected a day such as mon, a range such as mon-fri, or daily; "
                             "got " +
                                 std::string{describe(key)});
        }
        const std::string_view name = key.Scalar();
        if (name == "daily") {
            return {0, day_names.size() - 1};
        }
        const std::size_t dash = name.find('-');
        if (dash == std::string_view::npos) {
            const std::size_t day = read_day_name(name, key);
            return {day, day};
        }
        const day_range range{read_day_name(name.substr(0, dash), key),
                              read_day_name(name.substr(dash + 1), key)};
        if (range.first > range.last) {
            const std::string first{day_names[range.first]};
            const std::string last{day_names[range.last]};
            const std::string to_sunday = first == "sun" ? first : first + "-sun";
            const std::string from_monday = last == "mon" ? last : "mon-" + last;
            fail(key.Mark(), "day range " + quoted(name) +
                                 " runs backwards; weeks run mon to sun, so write " +
                                 quoted_list(to_sunday, from_monday) + " as two keys");
        }
        return range;
    }

    // `hours: {mon-thu: "07:30-16:00", fri: ["07:30-11:30", "13:00-16:30"]}`.
    void read_week(const field& section, service_calendar& cal) const {
        expect_map(section);
        std::array<std::optional<YAML::Node>, 7> given; // the key that set each day
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const YAML::Node key = it->first;
            const day_range days = read_day_key(key);
            for (std::size_t day = days.first; day <= days.last; ++day) {
                if (given[day]) {
                    fail(key.Mark(), "day " + quoted(day_names[day]) + " is already given by " +
                                         quoted(given[day]->Scalar()) + " (line " +
                                         std::to_string(at(given[day]->Mark()).line) +
                                         "); name each day in one key only");
                }
                given[day] = key;
            }
            const std::vector<opening_hours> hours =
                read_day_hours(field{key.Scalar(), key, it->second, true});
            for (std::size_t day = days.first; day <= days.last; ++day) {
                cal.week[day] = hours;
            }
        }
        if (section.value.size() == 0) {
            fail(value_mark(section), R"(hours needs at least one day, e.g. {mon-fri: )"
                                      R"("07:30-16:00"})");
        }
    }

    // One day's opening hours: "HH:MM-HH:MM", a list of them, or "24h"; sorted, disjoint.
    std::vector<opening_hours> read_day_hours(const field& f) const {
        if (f.value.IsSequence() && f.value.size() == 0) {
            fail(value_mark(f), "hours for " + quoted(f.name) +
                                    " need at least one range; leave a closed day out");
        }
        struct given_hours {
            opening_hours hours;
            YAML::Mark mark;
        };
        std::vector<given_hours> given;
        for_each_text(f, [&](const std::string& value, const YAML::Mark& mark) {
            const auto hours = parse_opening_hours(value);
            if (!hours) {
                fail(mark, "invalid hours " + quoted(value) + " for " + quoted(f.name) + ": " +
                               std::string{hours_hint});
            }
            if (hours->close == hours->open) {
                fail(mark, "hours " + quoted(value) + " open and close at the same time; " +
                               std::string{hours_hint});
            }
            if (hours->close < hours->open) {
                fail(mark, "hours " + quoted(value) +
                               " close before they open; for hours past midnight write two "
                               R"(ranges, e.g. "22:00-24:00" on this day and "00:00-06:00" on )"
                               "the next");
            }
            given.push_back({*hours, mark});
        });
        std::stable_sort(
            given.begin(), given.end(),
            [](const given_hours& a, const given_hours& b) { return a.hours.open < b.hours.open; });
        std::vector<opening_hours> out;
        out.reserve(given.size());
        for (std::size_t i = 0; i < given.size(); ++i) {
            if (i > 0 && given[i].hours.open < given[i - 1].hours.close) {
                const bool later = given[i].mark.pos > given[i - 1].mark.pos;
                const given_hours& second = later ? given[i] : given[i - 1];
                const given_hours& first = later ? given[i - 1] : given[i];
                fail(second.mark, "hours " + quoted(format_hours(second.hours)) + " overlap " +
                                      quoted(format_hours(first.hours)) + " for " + quoted(f.name) +
                                      "; write ranges that do not overlap");
            }
            out.push_back(given[i].hours);
        }
        return out;
    }

    void read_status_page(const field& section, status_page_config& out) const {
        expect_map(section);
        out.where = at(section.key.Mark());
        const auto f = read_fields(section.value, "in status_page", status_page_keys);
        if (f[sp_title].present) {
            out.title = text(f[sp_title]);
        }
        if (f[sp_footer].present) {
            out.footer = text(f[sp_footer]);
        }
        if (f[sp_logo].present) {
            out.logo = read_logo(f[sp_logo]);
        }
    }

    // An http(s) URL as written, or an image file (relative to the config file) as a data:
    // URI, so the page needs nothing from elsewhere.
    std::string read_logo(const field& f) const {
        std::string value = text(f);
        if (value.empty()) {
            return value;
        }
        if (iequals_prefix(value, "http://") || iequals_prefix(value, "https://")) {
            if (!is_http_url(value) || value.find_first_of("\"<> ") != std::string::npos) {
                fail(value_mark(f), "invalid logo URL " + quoted(value) +
                                        ": write e.g. https://portal.example.go.id/logo.png");
            }
            return value;
        }
        const std::size_t dot = value.rfind('.');
        std::string extension = dot == std::string::npos ? "" : value.substr(dot);
        std::transform(extension.begin(), extension.end(), extension.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto* type = std::find_if(logo_types.begin(), logo_types.end(),
                                        [&](const auto& t) { return t.first == extension; });
        if (type == logo_types.end()) {
            fail(value_mark(f), "logo " + quoted(value) +
                                    ": write an http(s) URL or the path of an .svg, .png, .jpg, "
                                    ".gif or .webp file");
        }
        std::string path = value;
        const std::size_t slash = file_.rfind('/');
        if (path.front() != '/' && slash != std::string::npos) {
            path.insert(0, file_, 0, slash + 1);
        }
        std::string contents;
        if (const auto reason = read_whole_file(path, contents)) {
            fail(value_mark(f), "cannot read logo file " + quoted(path) + ": " + *reason);
        }
        if (contents.size() > max_logo_bytes) {
            fail(value_mark(f), "logo file " + quoted(path) + " is " +
                                    std::to_string(contents.size() / 1024) +
                                    " KiB; the status page inlines it, so keep it under 256 KiB");
        }
        return "data:" + std::string{type->second} + ";base64," + base64(contents);
    }

    // A file name (relative to the config file's directory) or an inline list of dates,
    // {date, name} maps and file names (one file per year); sorted, without duplicates (two
    // holidays may fall on one date).
    std::vector<std::chrono::year_month_day> read_holidays(const field& f) {
        std::vector<std::chrono::year_month_day> dates;
        if (f.value.IsScalar()) {
            const std::string path = text(f);
            if (path.empty()) {
                fail(value_mark(f), "holidays needs a file name or a list of dates");
            }
            dates = holidays_file(f, relative_to_config(path));
        } else if (f.value.IsSequence()) {
            for (YAML::const_iterator it = f.value.begin(); it != f.value.end(); ++it) {
                const YAML::Node item = *it;
                if (item.IsScalar() && is_holidays_file_name(item.Scalar())) {
                    const auto& more = holidays_file(field{"holidays", item, item, true},
                                                     relative_to_config(item.Scalar()));
                    dates.insert(dates.end(), more.begin(), more.end());
                } else {
                    dates.push_back(read_holiday(item));
                }
            }
        } else {
            fail(value_mark(f), "expected a file name or a list of dates for \"holidays\", e.g. "
                                "holidays: calendars/libur-nasional-2026.yaml or holidays: "
                                "[2026-08-17, 2026-12-25]; got " +
                                    std::string{describe(f.value)});
        }
        std::sort(dates.begin(), dates.end());
        dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
        return dates;
    }

    static bool is_holidays_file_name(std::string_view value) {
        const auto ends_with = [&](std::string_view suffix) {
            return value.size() > suffix.size() &&
                   value.substr(value.size() - suffix.size()) == suffix;
        };
        return ends_with(".yaml") || ends_with(".yml");
    }

    // `path` relative to the config file's directory unless absolute. (Not std::filesystem:
    // its header brings std::quoted, which argument-dependent lookup prefers to ours.)
    std::string relative_to_config(std::string path) const {
        const std::size_t slash = file_.rfind('/');
        if (!path.empty() && path.front() != '/' && slash != std::string::npos) {
            path.insert(0, file_, 0, slash + 1);
        }
        return path;
    }

    // The dates of a holidays file; errors name that file. Read once per loader.
    const std::vector<std::chrono::year_month_day>& holidays_file(const field& f,
                                                                  const std::string& path) {
        if (const auto cached = holiday_files_.find(path); cached != holiday_files_.end()) {
            return cached->second;
        }
        std::string contents;
        if (const auto reason = read_whole_file(path, contents)) {
            fail(value_mark(f), "cannot read holidays file " + quoted(path) + ": " + *reason);
        }
        std::vector<std::chrono::year_month_day> dates;
        try {
            const YAML::Node root = YAML::Load(contents);
            if (root.IsNull()) {
                throw load_failure{{{path, 1, 1},
                                    "the holidays file is empty; write a list of holidays, " +
                                        std::string{holiday_hint}}};
            }
            dates = loader{path}.read_holiday_list(root);
        } catch (const YAML::Exception& e) {
            throw load_failure{yaml_error(e, path, contents)};
        }
        return holiday_files_.emplace(path, std::move(dates)).first->second;
    }

    std::vector<std::chrono::year_month_day> read_holiday_list(const YAML::Node& list) const {
        if (!list.IsSequence()) {
            fail(list.Mark(), "expected a list of holidays (lines starting with \"- \"), " +
                                  std::string{holiday_hint} + "; got " +
                                  std::string{describe(list)});
        }
        std::vector<std::chrono::year_month_day> dates;
        dates.reserve(list.size());
        for (YAML::const_iterator it = list.begin(); it != list.end(); ++it) {
            dates.push_back(read_holiday(*it));
        }
        return dates;
    }

    // One holiday: a date or {date, name}.
    std::chrono::year_month_day read_holiday(const YAML::Node& item) const {
        if (item.IsScalar()) {
            return read_date(field{"date", item, item, true});
        }
        if (!item.IsMap()) {
            fail(item.Mark(), "expected a date or {date, name} for a holiday, " +
                                  std::string{holiday_hint} + "; got " +
                                  std::string{describe(item)});
        }
        const auto f = read_fields(item, "in holiday", holiday_keys);
        require(f[hol_date], item, "holiday", "date: 2026-08-17");
        if (f[hol_name].present) {
            static_cast<void>(text(f[hol_name])); // a single value, for the reader
        }
        return read_date(f[hol_date]);
    }

    std::chrono::year_month_day read_date(const field& f) const {
        const std::string value = text(f);
        if (const auto date = parse_date(value)) {
            return *date;
        }
        const bool shaped = value.size() == 10 && value[4] == '-' && value[7] == '-' &&
                            is_digits(std::string_view{value}.substr(0, 4)) &&
                            is_digits(std::string_view{value}.substr(5, 2)) &&
                            is_digits(std::string_view{value}.substr(8, 2));
        if (!shaped) {
            fail(value_mark(f),
                 "invalid date " + quoted(value) + ": write YYYY-MM-DD, e.g. " + "2026-08-17");
        }
        const std::chrono::year year{std::stoi(value.substr(0, 4))};
        const std::chrono::month month{static_cast<unsigned>(std::stoi(value.substr(5, 2)))};
        if (!month.ok()) {
            fail(value_mark(f), "invalid date " + quoted(value) + ": months are 01 to 12");
        }
        const std::chrono::year_month_day_last last{year, std::chrono::month_day_last{month}};
        fail(value_mark(f), "invalid date " + quoted(value) + ": that month has " +
                                std::to_string(static_cast<unsigned>(last.day())) + " days");
    }

    // depends_on: [akta-online, dukcapil/siak, ...]: service ids, or agency/service. The
    // references are checked once every service is known (resolve_dependencies).
    void read_depends_on(const field& f, const std::string& owner, const std::string& check,
                         std::vector<std::string>& out) {
        for_each_text(f, [&](std::string name, const YAML::Mark& mark) {
            if (name.empty()) {
                fail(mark, "depends_on needs service ids, e.g. depends_on: [uplink-dc]");
            }
            dependency_marks_[{owner, check, out.size()}] = mark;
            out.push_back(std::move(name));
        });
    }

    // Turns every depends_on entry into "agency/service", refusing unknown services, a
    // service depending on itself and cycles.
    void resolve_dependencies(config& cfg) {
        if (dependency_marks_.empty()) {
            return;
        }
        std::unordered_map<std::string, std::string> by_id; // service id -> agency/service
        std::vector<std::string_view> ids;
        for (const service_config& svc : cfg.services) {
            by_id.emplace(svc.id, svc.agency + "/" + svc.id);
            ids.emplace_back(svc.id);
        }
        std::map<std::string, std::vector<std::string>> edges;
        for (service_config& svc : cfg.services) {
            const std::string self = svc.agency + "/" + svc.id;
            const auto resolve = [&](std::vector<std::string>& list, const std::string& check) {
                for (std::size_t i = 0; i < list.size(); ++i) {
                    std::string& name = list[i];
                    const YAML::Mark mark = dependency_marks_[{self, check, i}];
                    const std::size_t slash = name.find('/');
                    const std::string id =
                        slash == std::string::npos ? name : name.substr(slash + 1);
                    const auto found = by_id.find(id);
                    if (found == by_id.end() ||
                        (slash != std::string::npos && found->second != name)) {
                        fail_undefined(mark, "service", "services", name, ids, "services");
                    }
                    if (found->second == self) {
                        fail(mark, "service " + quoted(self) + " cannot depend on itself");
                    }
                    name = found->second;
                    edges[self].push_back(name);
                }
            };
            resolve(svc.depends_on, {});
            for (check_config& check : svc.checks) {
                resolve(check.depends_on, check.id);
            }
        }
        // Cycles: depth-first search, colouring services in progress.
        std::unordered_map<std::string, int> colour; // 1: in progress, 2: done
        std::vector<std::string> path;
        std::function<void(const std::string&)> visit = [&](const std::string& key) {
            colour[key] = 1;
            path.push_back(key);
            for (const std::string& next : edges[key]) {
                if (colour[next] == 1) {
                    std::string cycle;
                    for (auto it = std::find(path.begin(), path.end(), next); it != path.end();
                         ++it) {
                        cycle += *it + " -> ";
                    }
                    cycle += next;
                    fail(first_mark(key), "depends_on makes a cycle: " + cycle +
                                              "; a service cannot depend on itself through "
                                              "others");
                }
                if (colour[next] == 0) {
                    visit(next);
                }
            }
            path.pop_back();
            colour[key] = 2;
        };
        for (const auto& entry : edges) {
            if (colour[entry.first] == 0) {
                visit(entry.first);
            }
        }
        dependency_marks_.clear();
    }

    // The first depends_on entry written for a service (or one of its checks).
    YAML::Mark first_mark(const std::string& owner) const {
        for (const auto& [ref, mark] : dependency_marks_) {
            if (std::get<0>(ref) == owner) {
                return mark;
            }
        }
        return {};
    }

    // maintenance: [{service: akta-online, start: ..., end: ..., reason: ...},
    //               {agency: dukcapil, weekly: {days: [sat], from: "22:00", to: "02:00"}}]
    void read_maintenance(const field& section, config& cfg) {
        expect_list(section);
        std::unordered_map<std::string, const service_config*> services;
        std::vector<std::string_view> ids;
        for (const service_config& svc : cfg.services) {
            services.emplace(svc.id, &svc);
            ids.emplace_back(svc.id);
        }
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const field item{"maintenance window", section.key, *it, true};
            expect_map(item);
            const auto f = read_fields(item.value, "in maintenance window", maintenance_keys);
            maintenance_window w;
            w.id = "config-" + std::to_string(cfg.maintenance.size() + 1);
            if (f[m_service].present == f[m_agency].present) {
                fail(item.value.Mark(), "a maintenance window needs either service (e.g. "
                                        "service: akta-online) or agency (e.g. agency: "
                                        "dukcapil), not both");
            }
            if (f[m_service].present) {
                std::string name = text(f[m_service]);
                const std::size_t slash = name.find('/');
                const std::string id = slash == std::string::npos ? name : name.substr(slash + 1);
                const auto found = services.find(id);
                if (found == services.end() || (slash != std::string::npos &&
                                                name.substr(0, slash) != found->second->agency)) {
                    fail_undefined(value_mark(f[m_service]), "service", "services", name, ids,
                                   "services");
                }
                w.agency = found->second->agency;
                w.service = found->second->id;
            } else {
                w.agency = text(f[m_agency]);
                if (agency_lines_.count(w.agency) == 0) {
                    fail_undefined(value_mark(f[m_agency]), "agency", "agencies", w.agency,
                                   agency_ids_, "agencies");
                }
            }
            std::chrono::minutes offset = cfg.utc_offset;
            if (f[m_timezone].present) {
                const std::string zone = text(f[m_timezone]);
                const auto o = utc_offset_of(zone);
                if (!o) {
                    fail(value_mark(f[m_timezone]), unknown_timezone_message(zone));
                }
                offset = *o;
            }
            if (f[m_weekly].present) {
                if (f[m_start].present || f[m_end].present) {
                    fail(f[m_weekly].key.Mark(), "a maintenance window is either weekly or "
                                                 "one-off (start and end), not both");
                }
                w.weekly = read_weekly(f[m_weekly], offset);
            } else {
                require(f[m_start], item.value, "maintenance window",
                        "start: 2026-12-05T22:00:00+07:00 (or weekly: {days: [sat], from: "
                        "\"22:00\", to: \"02:00\"})");
                require(f[m_end], item.value, "maintenance window",
                        "end: 2026-12-06T02:00:00+07:00");
                w.start = read_time(f[m_start], offset);
                w.end = read_time(f[m_end], offset);
                if (*w.end <= *w.start) {
                    fail(value_mark(f[m_end]), "maintenance ends at or before it starts; write "
                                               "an end after the start");
                }
            }
            if (f[m_reason].present) {
                w.reason = text(f[m_reason]);
            }
            cfg.maintenance.push_back(std::move(w));
        }
    }

    std::chrono::system_clock::time_point read_time(const field& f,
                                                    std::chrono::minutes offset) const {
        const std::string value = text(f);
        const auto t = parse_rfc3339_or_date(value, offset);
        if (!t) {
            fail(value_mark(f), "invalid time " + quoted(value) +
                                    ": write RFC 3339, e.g. 2026-12-05T22:00:00+07:00, or a "
                                    "local \"2026-12-05 22:00\"");
        }
        return *t;
    }

    weekly_window read_weekly(const field& section, std::chrono::minutes offset) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in weekly", weekly_keys);
        require(f[w_days], section.value, "weekly", "days: [sat, sun]");
        require(f[w_from], section.value, "weekly", "from: \"22:00\"");
        require(f[w_to], section.value, "weekly", "to: \"02:00\"");
        weekly_window k;
        k.utc_offset = offset;
        for_each_text(f[w_days], [&](const std::string& day, const YAML::Mark& mark) {
            if (day == "daily") {
                k.days.fill(true);
                return;
            }
            const auto found = std::find(day_names.begin(), day_names.end(), day);
            if (found == day_names.end()) {
                std::string message = "unknown day " + quoted(day) + " in weekly days; ";
                if (const auto suggestion = closest(day, day_keys)) {
                    message += "did you mean " + quoted(*suggestion) + "? ";
                }
                fail(mark, message + "write days such as [sat, sun], or daily");
            }
            k.days[static_cast<std::size_t>(found - day_names.begin())] = true;
        });
        const auto clock = [&](const field& c) {
            const std::string value = text(c);
            const auto m = parse_clock(value);
            if (!m) {
                fail(value_mark(c), "invalid time of day " + quoted(value) +
                                        R"( in weekly; write "HH:MM", e.g. "22:00")");
            }
            return *m;
        };
        k.from = clock(f[w_from]);
        k.to = clock(f[w_to]);
        if (k.from == k.to) {
            fail(value_mark(f[w_to]), "weekly window opens and closes at the same time; for a "
                                      "whole day write from: \"00:00\", to: \"24:00\"");
        }
        return k;
    }

    void read_agencies(const field& section, config& cfg) {
        expect_list(section);
        cfg.agencies.reserve(section.value.size());
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const field item{"agency", section.key, *it, true};
            expect_map(item);
            const auto f = read_fields(item.value, "in agency", agency_keys);
            require(f[a_id], item.value, "agency", "id: dukcapil");
            agency_config agency;
            agency.where = at(item.value.Mark());
            agency.id = read_id(f[a_id], "agency id", "dukcapil");
            agency.name = f[a_name].present ? text(f[a_name]) : agency.id;
            if (f[a_escalation].present) {
                agency.escalation = text(f[a_escalation]);
                check_policy(f[a_escalation], *agency.escalation, cfg);
            }
            const auto [existing, inserted] =
                agency_lines_.emplace(agency.id, at(value_mark(f[a_id])).line);
            if (!inserted) {
                fail(value_mark(f[a_id]), "duplicate agency id " + quoted(agency.id) +
                                              " (first defined at line " +
                                              std::to_string(existing->second) + ")");
            }
            agency_ids_.push_back(agency.id);
            cfg.agencies.push_back(std::move(agency));
        }
    }

    void read_services(const field& section, config& cfg) {
        expect_list(section);
        cfg.services.reserve(section.value.size());
        std::unordered_map<std::string, int> service_lines;
        service_lines.reserve(section.value.size());
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const field item{"service", section.key, *it, true};
            expect_map(item);
            const auto f = read_fields(item.value, "in service", service_keys);
            require(f[s_id], item.value, "service", "id: akta-online");
            service_config svc;
            svc.where = at(item.value.Mark());
            svc.id = read_id(f[s_id], "service id", "akta-online");
            const auto [existing, inserted] =
                service_lines.emplace(svc.id, at(value_mark(f[s_id])).line);
            if (!inserted) {
                fail(value_mark(f[s_id]),
                     "duplicate service id " + quoted(svc.id) + " (first defined at line " +
                         std::to_string(existing->second) + "); service ids must be unique");
            }
            require(f[s_agency], item.value, "service",
                    "agency: dukcapil (the id of an agency under \"agencies:\")");
            require(f[s_checks], item.value, "service",
                    "checks: [{id: portal, http: {url: \"https://example.go.id/\"}}]");
            svc.name = f[s_name].present ? text(f[s_name]) : svc.id;
            svc.agency = text(f[s_agency]);
            if (agency_lines_.count(svc.agency) == 0) {
                fail_undefined(value_mark(f[s_agency]), "agency", "agencies", svc.agency,
                               agency_ids_, "agencies");
            }
            if (f[s_objective].present) {
                svc.objective = read_percent(f[s_objective]);
            }
            if (f[s_escalation].present) {
                svc.escalation = text(f[s_escalation]);
                check_policy(f[s_escalation], *svc.escalation, cfg);
            }
            if (f[s_hours].present) {
                std::string hours = text(f[s_hours]);
                if (hours == always_open) {
                    svc.always_open = true;
                } else {
                    check_calendar(f[s_hours], hours, cfg);
                    svc.hours = std::move(hours);
                }
            }
            current_ = &cfg;
            current_always_open_ = svc.always_open;
            read_checks(f[s_checks], cfg.defaults, svc);
            const std::string key = svc.agency + "/" + svc.id;
            if (f[s_depends_on].present) {
                read_depends_on(f[s_depends_on], key, {}, svc.depends_on);
            }
            for (check_config& check : svc.checks) {
                const auto dep = check_depends_.find(check.id);
                if (dep != check_depends_.end()) {
                    read_depends_on(dep->second, key, check.id, check.depends_on);
                }
            }
            check_depends_.clear();
            cfg.services.push_back(std::move(svc));
        }
    }

    void read_checks(const field& section, const defaults_config& defaults, service_config& svc) {
        expect_list(section);
        if (section.value.size() == 0) {
            fail(value_mark(section), "service " + quoted(svc.id) +
                                          " needs at least one check, e.g. checks: [{id: "
                                          "portal, http: {url: \"https://example.go.id/\"}}]");
        }
        svc.checks.reserve(section.value.size());
        std::unordered_map<std::string, std::size_t> index;
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const field item{"check", section.key, *it, true};
            check_config check = read_check(item, defaults);
            if (const check_config* first = find_check(svc.checks, index, check.id)) {
                fail(id_mark(item.value),
                     "duplicate check id " + quoted(check.id) + " in service " + quoted(svc.id) +
                         " (first defined at line " + std::to_string(first->where.line) +
                         "); check ids must be unique within a service");
            }
            svc.checks.push_back(std::move(check));
        }
    }

    // The earlier check named `id`, if any; otherwise records `id` as the next check's.
    // A service's usual handful of checks is scanned; a large one gets a hash index, so a
    // service with 100,000 checks is not quadratic.
    static const check_config* find_check(const std::vector<check_config>& checks,
                                          std::unordered_map<std::string, std::size_t>& index,
                                          const std::string& id) {
        constexpr std::size_t scan_limit = 16;
        if (checks.size() < scan_limit) {
            const auto found = std::find_if(checks.begin(), checks.end(),
                                            [&](const check_config& c) { return c.id == id; });
            return found == checks.end() ? nullptr : &*found;
        }
        if (index.empty()) {
            for (std::size_t i = 0; i < checks.size(); ++i) {
                index.emplace(checks[i].id, i);
            }
        }
        const auto [existing, inserted] = index.emplace(id, checks.size());
        return inserted ? nullptr : &checks[existing->second];
    }

    // Position of the value of `id:` in a mapping, or of the mapping itself.
    static YAML::Mark id_mark(const YAML::Node& map) {
        for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
            if (it->first.IsScalar() && it->first.Scalar() == "id") {
                return it->second.Mark();
            }
        }
        return map.Mark();
    }

    check_config read_check(const field& item, const defaults_config& defaults) {
        expect_map(item);
        const auto f = read_fields(item.value, "in check", check_keys);
        require(f[c_id], item.value, "check", "id: portal");
        check_config check;
        check.where = at(item.value.Mark());
        check.id = read_id(f[c_id], "check id", "portal");
        const field* probe_field = nullptr;
        for (std::size_t i = first_probe_key; i < f.size(); ++i) {
            if (!f[i].present) {
                continue;
            }
            if (probe_field != nullptr) {
                fail(f[i].key.Mark(), "check " + quoted(check.id) + " has two probe types (" +
                                          quoted_list(probe_field->name, f[i].name) +
                                          "); write one probe type per check");
            }
            probe_field = &f[i];
        }
        if (probe_field == nullptr) {
            fail(item.value.Mark(), "check needs one probe type: " + std::string{probe_types_hint});
        }
        if (f[c_depends_on].present) {
            check_depends_.emplace(check.id, f[c_depends_on]);
        }
        check.interval = f[c_interval].present ? read_positive_duration(f[c_interval], "30s")
                                               : defaults.interval;
        check.timeout =
            f[c_timeout].present ? read_positive_duration(f[c_timeout], "10s") : defaults.timeout;
        if (f[c_retry_interval].present) {
            check.retry_interval = read_positive_duration(f[c_retry_interval], "10s");
        } else if (defaults.retry_interval) {
            check.retry_interval = *defaults.retry_interval;
        } else {
            check.retry_interval = std::max(duration{check.interval / 3}, duration{1000});
        }
        // A late heartbeat is late: its grace already allows for slowness.
        const unsigned default_failures = f[c_heartbeat].present ? 1 : defaults.failure_threshold;
        check.failure_threshold = f[c_failure_threshold].present
                                      ? read_threshold(f[c_failure_threshold])
                                      : default_failures;
        check.success_threshold = f[c_success_threshold].present
                                      ? read_threshold(f[c_success_threshold])
                                      : defaults.success_threshold;
        if (check.timeout > check.interval) {
            const std::string timeout = format_duration(check.timeout);
            const std::string interval = format_duration(check.interval);
            if (f[c_timeout].present) {
                fail(value_mark(f[c_timeout]), "timeout " + timeout + " is longer than interval " +
                                                   interval + "; write a timeout of at most " +
                                                   interval + ", or a longer interval");
            }
            fail(value_mark(f[c_interval]),
                 "interval " + interval + " is shorter than the timeout " + timeout +
                     " inherited from defaults; write \"timeout: " + interval +
                     "\" (or less) in this check, or an interval of at least " + timeout);
        }
        switch (static_cast<check_key>(probe_field - f.data())) {
        case c_tcp: check.spec = read_tcp(*probe_field); break;
        case c_tls: check.spec = read_tls(*probe_field); break;
        case c_dns: check.spec = read_dns(*probe_field); break;
        case c_icmp: check.spec = read_icmp(*probe_field); break;
        case c_heartbeat: check.spec = read_heartbeat(*probe_field); break;
        case c_activity: check.spec = read_activity(*probe_field); break;
        default: check.spec = read_http(*probe_field); break;
        }
        return check;
    }

    // host:port with a port from 1 to 65535.
    std::string read_address(const field& f, std::string_view example) const {
        std::string address = text(f);
        if (!is_host_port(address, true) || address.substr(address.rfind(':') + 1) == "0") {
            fail(value_mark(f), "invalid address " + quoted(address) +
                                    ": write host:port with a port from 1 to 65535, e.g. " +
                                    std::string{example} + " or [2001:db8::1]:443");
        }
        return address;
    }

    // An ECMAScript regular expression, compiled with the engine the probes use.
    std::string read_regex(const field& f, std::string_view example) const {
        std::string pattern = text(f);
        try {
            const boost::regex compiled{pattern, boost::regex::ECMAScript};
            static_cast<void>(compiled);
        } catch (const boost::regex_error& e) {
            fail(value_mark(f), "invalid regular expression " + quoted(pattern) + " (" + e.what() +
                                    "): write an ECMAScript regex, e.g. " + std::string{example} +
                                    " (put a backslash before ( ) [ ] { } . * + ? to match "
                                    "them literally)");
        }
        return pattern;
    }

    std::string read_ca_file(const field& f) const {
        std::string path = text(f);
        if (path.empty()) {
            fail(value_mark(f), "ca_file needs a file path, e.g. /etc/pantau/ca.pem");
        }
        return path;
    }

    tcp_check read_tcp(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in tcp", tcp_keys);
        require(f[tcp_address], section.value, "tcp", "address: \"mail.example.go.id:25\"");
        tcp_check tcp;
        tcp.address = read_address(f[tcp_address], "mail.example.go.id:25");
        if (f[tcp_send].present && !f[tcp_send].value.IsNull()) {
            tcp.send = text(f[tcp_send]);
        }
        if (f[tcp_expect].present && !f[tcp_expect].value.IsNull()) {
            std::string pattern = read_regex(f[tcp_expect], "\"^220 \"");
            if (!pattern.empty()) {
                tcp.expect = std::move(pattern);
            }
        }
        return tcp;
    }

    tls_check read_tls(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in tls", tls_keys);
        require(f[tls_address], section.value, "tls", "address: \"portal.example.go.id:443\"");
        tls_check tls;
        tls.address = read_address(f[tls_address], "portal.example.go.id:443");
        if (f[tls_server_name].present) {
            tls.server_name = text(f[tls_server_name]);
            if (!is_host_port(*tls.server_name, false) ||
                tls.server_name->find(':') != std::string::npos) {
                fail(value_mark(f[tls_server_name]),
                     "invalid server_name " + quoted(*tls.server_name) +
                         ": write the host name the certificate must carry, without a port, "
                         "e.g. portal.example.go.id");
            }
        }
        if (f[tls_cert_min_days].present) {
            tls.cert_min_days = static_cast<int>(read_int(f[tls_cert_min_days], 0, 3650, "14"));
        }
        if (f[tls_ca_file].present) {
            tls.ca_file = read_ca_file(f[tls_ca_file]);
        }
        if (f[tls_starttls].present) {
            const std::string protocol = text(f[tls_starttls]);
            if (protocol != "smtp") {
                fail(value_mark(f[tls_starttls]), "unsupported starttls " + quoted(protocol) +
                                                      ": write starttls: smtp, or leave it out "
                                                      "for TLS from the first byte");
            }
            tls.starttls = starttls_protocol::smtp;
        }
        return tls;
    }

    // One of `names`, case-insensitively; the canonical spelling.
    template <std::size_t N>
    std::string read_choice(const field& f, const field_names<N>& names,
                            std::string_view what) const {
        std::string value = text(f);
        std::string upper = value;
        std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
            return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        });
        if (std::find(names.begin(), names.end(), upper) != names.end()) {
            return upper;
        }
        std::string message = "unknown " + std::string{what} + " " + quoted(value) + "; ";
        if (const auto suggestion = closest(upper, names)) {
            message += "did you mean " + quoted(*suggestion) + "? ";
        }
        message += "write one of " + joined(names);
        fail(value_mark(f), std::move(message));
    }

    // An IP address with an optional port: 127.0.0.1, 127.0.0.1:5353, ::1, [::1]:5353.
    static bool is_ip_server(std::string_view server) {
        std::string_view host = server;
        if (!server.empty() && server.front() == '[') {
            const std::size_t close = server.find(']');
            if (close == std::string_view::npos) {
                return false;
            }
            host = server.substr(1, close - 1);
            const std::string_view rest = server.substr(close + 1);
            if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) {
                return false;
            }
            return host.find(':') != std::string_view::npos &&
                   host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
        }
        if (std::count(server.begin(), server.end(), ':') > 1) { // bare IPv6
            return server.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
        }
        const std::size_t colon = server.find(':');
        if (colon != std::string_view::npos) {
            host = server.substr(0, colon);
            if (!is_port(server.substr(colon + 1))) {
                return false;
            }
        }
        int parts = 0;
        std::size_t start = 0;
        while (start <= host.size()) {
            const std::size_t dot = std::min(host.find('.', start), host.size());
            const std::string_view part = host.substr(start, dot - start);
            if (!is_digits(part) || part.size() > 3 || std::stoi(std::string{part}) > 255) {
                return false;
            }
            ++parts;
            start = dot + 1;
        }
        return parts == 4;
    }

    dns_check read_dns(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in dns", dns_keys);
        require(f[dns_name], section.value, "dns", "name: example.go.id");
        dns_check dns;
        dns.name = text(f[dns_name]);
        if (dns.name.empty() || dns.name.size() > 253 ||
            dns.name.find_first_of(" \t\r\n") != std::string::npos) {
            fail(value_mark(f[dns_name]),
                 "invalid name " + quoted(dns.name) + ": write a domain name, e.g. example.go.id");
        }
        if (f[dns_type].present) {
            dns.type = read_choice(f[dns_type], dns_types, "record type");
        }
        if (f[dns_server].present) {
            dns.server = text(f[dns_server]);
            if (!is_ip_server(*dns.server)) {
                fail(value_mark(f[dns_server]),
                     "invalid server " + quoted(*dns.server) +
                         ": write an IP address with an optional port, e.g. 10.0.0.53, "
                         "127.0.0.1:5353 or [2001:db8::53]:53 (leave server out to use the "
                         "system's resolvers)");
            }
        }
        if (f[dns_expect].present) {
            expect_map(f[dns_expect]);
            const auto e = read_fields(f[dns_expect].value, "in dns expect", dns_expect_keys);
            if (e[de_rcode].present) {
                dns.rcode = read_choice(e[de_rcode], dns_rcodes, "rcode");
            }
            if (e[de_answers_contain].present) {
                dns.answers_contain = texts(e[de_answers_contain]);
                if (dns.rcode != "NOERROR" && !dns.answers_contain.empty()) {
                    fail(e[de_answers_contain].key.Mark(),
                         "answers_contain needs rcode NOERROR (a " + dns.rcode +
                             " response has no answers); remove one of them");
                }
            }
        }
        return dns;
    }

    icmp_check read_icmp(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in icmp", icmp_keys);
        require(f[icmp_host], section.value, "icmp", "host: gateway.example.go.id");
        icmp_check icmp;
        icmp.host = text(f[icmp_host]);
        if (!is_host_port(icmp.host, false) ||
            (icmp.host.find(':') != std::string::npos && !is_ip_server(icmp.host))) {
            fail(value_mark(f[icmp_host]), "invalid host " + quoted(icmp.host) +
                                               ": write a host name or IP address without a "
                                               "port, e.g. 10.0.0.1 or gateway.example.go.id");
        }
        if (f[icmp_count].present) {
            icmp.count = static_cast<unsigned>(read_int(f[icmp_count], 1, 100, "3"));
        }
        if (f[icmp_max_loss].present) {
            const std::string value = text(f[icmp_max_loss]);
            std::string_view number{value};
            if (!number.empty() && number.back() == '%') {
                number.remove_suffix(1);
            }
            double percent = -1;
            const char* end = number.data() + number.size();
            const auto [ptr, ec] = std::from_chars(number.data(), end, percent);
            if (number.empty() || ec != std::errc{} || ptr != end || !(percent >= 0.0) ||
                percent > 100.0) {
                fail(value_mark(f[icmp_max_loss]),
                     "invalid max_loss " + quoted(value) +
                         ": write a percentage from 0% to 100%, e.g. 34% (one of three lost is "
                         "fine, two are not)");
            }
            icmp.max_loss = percent;
        }
        return icmp;
    }

    heartbeat_check read_heartbeat(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in heartbeat", heartbeat_keys);
        require(f[hb_expect_every], section.value, "heartbeat", "expect_every: 24h");
        require(f[hb_token], section.value, "heartbeat", "token: \"${SYNC_TOKEN}\"");
        heartbeat_check hb;
        hb.expect_every = read_positive_duration(f[hb_expect_every], "24h");
        if (f[hb_grace].present) {
            hb.grace = read_duration(f[hb_grace]);
        }
        hb.token = text(f[hb_token]);
        if (hb.token.empty() || hb.token.find_first_of(" \t\r\n") != std::string::npos) {
            fail(value_mark(f[hb_token]),
                 "a heartbeat token must be a non-empty word without spaces; generate one "
                 "with \"openssl rand -hex 16\" and keep it in the environment, e.g. "
                 "token: \"${SYNC_TOKEN}\"");
        }
        return hb;
    }

    activity_check read_activity(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in activity", activity_keys);
        require(f[a_url], section.value, "activity",
                "url: https://antrian.example.go.id/stats.json");
        activity_check a;
        a.http.url = read_http_url(f[a_url], "https://antrian.example.go.id/stats.json");
        if (f[a_value].present == f[a_metric].present) {
            fail(f[a_value].present ? f[a_metric].key.Mark() : section.value.Mark(),
                 "activity needs exactly one of value (a JSON pointer into a JSON answer, e.g. "
                 "value: /antrian/dilayani_hari_ini) or metric (a sample of a Prometheus text "
                 "page, e.g. metric: 'antrian_dilayani_total{loket=\"1\"}')");
        }
        if (f[a_value].present) {
            a.pointer = text(f[a_value]);
            std::string error;
            if (!valid_json_pointer(a.pointer, error)) {
                fail(value_mark(f[a_value]), "invalid JSON pointer " + quoted(a.pointer) + ": " +
                                                 error + "; write e.g. /antrian/dilayani_hari_ini");
            }
        } else {
            const std::string written = text(f[a_metric]);
            std::string error;
            a.metric = parse_metric_selector(written, error);
            if (!a.metric) {
                fail(value_mark(f[a_metric]), "invalid metric " + quoted(written) + ": " + error);
            }
        }
        if (f[a_min_increase].present) {
            a.min_increase = read_number(f[a_min_increase], "1");
            if (!(a.min_increase > 0)) {
                fail(value_mark(f[a_min_increase]),
                     "min_increase must be more than 0, e.g. min_increase: 1");
            }
        }
        if (f[a_must_increase_within].present) {
            a.must_increase_within = read_positive_duration(f[a_must_increase_within], "60m");
        }
        if (f[a_during].present) {
            std::string during = text(f[a_during]);
            if (during != always_open) { // `during: always`: at all hours, as without it
                if (current_always_open_) {
                    fail(value_mark(f[a_during]),
                         "the service has hours: always (it never closes), so its activity "
                         "check applies at all hours; remove \"during: " +
                             during + "\" or give the service hours: " + during);
                }
                check_calendar(f[a_during], during, *current_);
                a.calendar = current_->calendars.at(during);
                a.during = std::move(during);
            }
        }
        if (f[a_what].present) {
            a.what = text(f[a_what]);
        }
        if (f[a_headers].present) {
            read_headers(f[a_headers], a.http);
        }
        if (f[a_tls_verify].present) {
            a.http.tls_verify = read_bool(f[a_tls_verify]);
        }
        if (f[a_ca_file].present) {
            a.http.ca_file = read_ca_file(f[a_ca_file]);
        }
        return a;
    }

    // /probe modules: `modules: {name: {timeout: 5s, http: {<a check's http keys but url>}}}`.
    void read_modules(const field& section, config& cfg) const {
        expect_map(section);
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const YAML::Node key = it->first;
            std::string name = read_key_name(key, "module", "http_2xx");
            if (const auto existing = cfg.modules.find(name); existing != cfg.modules.end()) {
                fail(key.Mark(), "duplicate module " + quoted(name) + " (first defined at line " +
                                     std::to_string(existing->second.where.line) + ")");
            }
            const field body{"module", key, it->second, true};
            if (!body.value.IsMap()) {
                fail(value_mark(body), "expected a mapping for module " + quoted(name) +
                                           R"(, e.g. {timeout: 5s, http: {expect: {status: )"
                                           R"([200]}}}; got )" +
                                           std::string{describe(body.value)});
            }
            const auto f = read_fields(body.value, "in module " + quoted(name), module_keys);
            probe_module module;
            module.name = name;
            module.where = at(key.Mark());
            if (f[m_timeout].present) {
                module.timeout = read_positive_duration(f[m_timeout], "5s");
            }
            if (f[m_http].present) {
                module.http = read_http(f[m_http], false);
            }
            cfg.modules.emplace(std::move(name), std::move(module));
        }
    }

    // `url_required` is false for a /probe module, whose target gives the URL.
    // An http:// or https:// URL naming a host.
    std::string read_http_url(const field& f, std::string_view example) const {
        std::string url = text(f);
        if (!is_http_url(url)) {
            fail(value_mark(f), "invalid url " + quoted(url) +
                                    ": url must start with http:// or https:// and name a host, "
                                    "e.g. " +
                                    std::string{example});
        }
        return url;
    }

    http_check read_http(const field& section, bool url_required = true) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in http", http_keys);
        http_check http;
        if (!url_required) {
            if (f[h_url].present) {
                fail(f[h_url].key.Mark(), "a module takes its url from the target parameter of "
                                          "/probe?target=...; remove url here");
            }
        } else {
            require(f[h_url], section.value, "http", "url: https://example.go.id/");
            http.url = read_http_url(f[h_url], "https://example.go.id/");
        }
        if (f[h_method].present) {
            http.method = text(f[h_method]);
            if (!is_token(http.method) ||
                std::any_of(http.method.begin(), http.method.end(),
                            [](char c) { return c >= 'a' && c <= 'z'; })) {
                fail(value_mark(f[h_method]), "invalid method " + quoted(http.method) +
                                                  ": write an HTTP method in capitals, e.g. "
                                                  "GET, HEAD or POST");
            }
        }
        if (f[h_headers].present) {
            read_headers(f[h_headers], http);
        }
        if (f[h_body].present) {
            http.body = text(f[h_body]);
        }
        if (f[h_follow_redirects].present) {
            http.follow_redirects = read_bool(f[h_follow_redirects]);
        }
        if (f[h_max_redirects].present) {
            http.max_redirects = static_cast<int>(read_int(f[h_max_redirects], 0, 100, "10"));
        }
        if (f[h_tls_verify].present) {
            http.tls_verify = read_bool(f[h_tls_verify]);
        }
        if (f[h_ca_file].present) {
            http.ca_file = text(f[h_ca_file]);
            if (http.ca_file->empty()) {
                fail(value_mark(f[h_ca_file]),
                     "ca_file needs a file path, e.g. /etc/pantau/ca.pem");
            }
        }
        if (f[h_max_body].present) {
            http.max_body = read_size(f[h_max_body]);
        }
        if (f[h_reuse_connection].present) {
            http.reuse_connection = read_bool(f[h_reuse_connection]);
        }
        if (f[h_expect].present) {
            http.expect = read_expect(f[h_expect]);
        }
        return http;
    }

    void read_headers(const field& section, http_check& http) const {
        expect_map(section);
        for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
            const YAML::Node key = it->first;
            if (!key.IsScalar() || !is_token(key.Scalar())) {
                fail(key.Mark(), "invalid header name " + quoted(key.Scalar()) +
                                     ": write a name such as Authorization or X-Api-Key");
            }
            const field item{key.Scalar(), key, it->second, true};
            std::string value = text(item);
            if (value.find_first_of(std::string_view{"\r\n\0", 3}) != std::string::npos) {
                fail(value_mark(item), "header " + quoted(key.Scalar()) +
                                           " must be on one line (no line breaks in the value)");
            }
            for (const auto& existing : http.headers) {
                if (existing.first == key.Scalar()) {
                    fail(key.Mark(),
                         "duplicate header " + quoted(key.Scalar()) + "; write each header once");
                }
            }
            http.headers.emplace_back(key.Scalar(), std::move(value));
        }
    }

    http_expect read_expect(const field& section) const {
        expect_map(section);
        const auto f = read_fields(section.value, "in expect", expect_keys);
        http_expect expect;
        if (f[e_status].present) {
            if (f[e_status].value.IsSequence()) {
                for (YAML::const_iterator it = f[e_status].value.begin();
                     it != f[e_status].value.end(); ++it) {
                    expect.status.push_back(
                        read_status(field{"status", f[e_status].key, *it, true}));
                }
                if (expect.status.empty()) {
                    fail(value_mark(f[e_status]),
                         "status needs at least one code, e.g. status: [200, 204]");
                }
            } else {
                expect.status.push_back(read_status(f[e_status]));
            }
        }
        if (f[e_body_contains].present) {
            expect.body_contains = texts(f[e_body_contains]);
        }
        if (f[e_body_not_contains].present) {
            expect.body_not_contains = texts(f[e_body_not_contains]);
        }
        if (f[e_body_matches].present) {
            std::string pattern = text(f[e_body_matches]);
            try {
                // The same engine the HTTP probe matches with.
                const boost::regex compiled{pattern, boost::regex::ECMAScript};
                static_cast<void>(compiled);
            } catch (const boost::regex_error& e) {
                fail(value_mark(f[e_body_matches]),
                     "invalid regular expression " + quoted(pattern) + " (" + e.what() +
                         "): write an ECMAScript regex, e.g. \"Version [0-9]+\" (put a "
                         "backslash before ( ) [ ] { } . * + ? to match them literally)");
            }
            expect.body_matches = std::move(pattern);
        }
        if (f[e_max_latency].present) {
            expect.max_latency = read_positive_duration(f[e_max_latency], "3s");
        }
        if (f[e_cert_min_days].present) {
            expect.cert_min_days = static_cast<int>(read_int(f[e_cert_min_days], 0, 3650, "14"));
        }
        if (f[e_json].present) {
            for_each_text(f[e_json], [&](const std::string& item, const YAML::Mark& mark) {
                std::string error;
                auto parsed = parse_json_expectation(item, error);
                if (!parsed) {
                    fail(mark, "invalid json expectation " + quoted(item) + ": " + error);
                }
                expect.json.push_back(std::move(*parsed));
            });
        }
        return expect;
    }

    int read_status(const field& f) const {
        const std::string value = text(f);
        int code = 0;
        const char* end = value.data() + value.size();
        const auto [ptr, ec] = std::from_chars(value.data(), end, code);
        if (ec != std::errc{} || ptr != end || code < 100 || code > 599) {
            fail(value_mark(f), "invalid status " + quoted(value) +
                                    ": write an HTTP status code from 100 to 599, e.g. 200 or "
                                    "[200, 301]");
        }
        return code;
    }

    const std::string& file_;
    // Agencies by id with the line each was defined at; ids in definition order.
    std::unordered_map<std::string, int> agency_lines_;
    const config* current_ = nullptr;  // the configuration being read (for calendars)
    bool current_always_open_ = false; // the service being read has hours: always
    std::vector<std::string> agency_ids_;
    // depends_on of the checks of the service being read, by check id.
    std::unordered_map<std::string, field> check_depends_;
    // Where each depends_on entry was written: (agency/service, check id or "", index).
    std::map<std::tuple<std::string, std::string, std::size_t>, YAML::Mark> dependency_marks_;
    // Holidays files already read, by path.
    std::map<std::string, std::vector<std::chrono::year_month_day>> holiday_files_;
};

std::variant<config, config_error> parse(const std::string& text, const std::string& file_name) {
    try {
        // The node tree lives only inside this block; it is freed before the caller trims.
        const YAML::Node root = YAML::Load(text);
        loader l{file_name};
        return l.load(root);
    } catch (const load_failure& failure) {
        return failure.error;
    } catch (const YAML::Exception& e) {
        return yaml_error(e, file_name, text);
    } catch (const std::exception& e) {
        return config_error{{file_name, 0, 0}, std::string{"cannot load: "} + e.what()};
    }
}

// Re-allocates `cfg` densely. Why: it was built while yaml-cpp's tree was alive, so its
// many small blocks sit in the gaps between the tree's, spread over the whole heap; once the
// tree is freed, every page holding one of them stays resident and malloc_trim cannot give
// it back (measured: 100,000 checks, 59 MB of config, 330 MB RSS). A copy made on a
// short-lived thread is allocated from that thread's own glibc arena, densely; freeing the
// original then leaves the main heap's pages free to trim (RSS 62 MB). The copy costs a few
// percent of the load time. Without a thread or memory, the config stays where it is.
void compact(config& cfg) noexcept {
    try {
        std::optional<config> copy;
        std::thread copier([&]() noexcept {
            try {
                copy.emplace(cfg);
            } catch (...) {
                copy.reset();
            }
        });
        copier.join();
        if (copy) {
            cfg = std::move(*copy);
        }
    } catch (...) {
        // std::thread could not start (std::system_error): keep the original.
    }
}

} // namespace

std::variant<config, config_error> load_config_text(const std::string& text,
                                                    const std::string& file_name) {
    // parse() frees yaml-cpp's tree before it returns.
    std::variant<config, config_error> result = parse(text, file_name);
    if (auto* loaded = std::get_if<config>(&result)) {
        compact(*loaded);
    }
    // The tree of a large file is hundreds of MB of small blocks; hand the now free heap
    // back so the daemon's RSS reflects what it keeps.
    malloc_trim(0);
    return result;
}

std::variant<config, config_error> load_config_file(const std::string& path) {
    std::string text;
    if (const auto reason = read_whole_file(path, text)) {
        return config_error{{path, 0, 0}, "cannot read: " + *reason};
    }
    return load_config_text(text, path);
}

} // namespace pantau
