// The daemon's configuration, as loaded and validated from YAML. Everything here is
// plain data; loading reports the first problem as FILE:LINE:COL: message.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/availability.hpp"
#include "core/duration.hpp"
#include "core/escalation.hpp"
#include "core/maintenance.hpp"
#include "core/metric_text.hpp"

namespace pantau {

// A position in a configuration file, 1-based like compilers print them.
struct source_location {
    std::string file;
    int line = 0;
    int column = 0;
};

// One `json:` expectation of an HTTP check, e.g. `/queue/waiting < 200`: the body is parsed as
// JSON and the value at `pointer` (RFC 6901) is compared with `operand`.
enum class json_op { eq, ne, lt, le, gt, ge, exists, contains };

struct json_expectation {
    std::string pointer; // "/queue/waiting"; never contains spaces
    json_op op = json_op::exists;
    // The right-hand side as JSON text ("\"ok\"", "200", "true", "null"); empty for exists.
    // Numbers for <, <=, >, >=; for contains a string (substring of a string value) or any
    // value (element of an array value).
    std::string operand;
    std::string text; // as written, for messages

    bool operator==(const json_expectation&) const = default;
};

// Parses `/pointer OP value` or `/pointer exists`. On failure returns nullopt and sets
// `error` to a message saying what to write instead.
std::optional<json_expectation> parse_json_expectation(std::string_view text, std::string& error);

// Whether `pointer` is an RFC 6901 JSON pointer to a member ("/a/b", not ""); sets `error`
// when not.
bool valid_json_pointer(std::string_view pointer, std::string& error);

// "==", "<", "exists", ...
std::string_view to_string(json_op op);

struct http_expect {
    // Accepted status codes; empty means any 2xx.
    std::vector<int> status;
    std::vector<std::string> body_contains;
    std::vector<std::string> body_not_contains;
    // ECMAScript regular expression (Boost.Regex, as the probe uses), searched anywhere in the
    // body.
    std::optional<std::string> body_matches;
    std::optional<duration> max_latency;
    // Fail when the server's certificate expires in fewer days than this.
    std::optional<int> cert_min_days;
    // All must hold; the body is read (up to max_body) and parsed as JSON when non-empty.
    std::vector<json_expectation> json;

    bool operator==(const http_expect&) const = default;
};

struct http_check {
    std::string url; // http:// or https://
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    http_expect expect;
    bool follow_redirects = true;
    int max_redirects = 10;
    bool tls_verify = true; // key: tls_verify
    std::optional<std::string> ca_file;
    std::size_t max_body = std::size_t{1024} * 1024; // bytes of (decompressed) body read at most
    bool reuse_connection = false;                   // fresh connection per probe by default

    // Equal settings mean a reload can keep the running probe.
    bool operator==(const http_check&) const = default;
};

// tcp: connect to address, optionally send bytes, optionally expect a reply.
struct tcp_check {
    std::string address; // host:port, [v6]:port
    std::string send;    // written after connecting when not empty
    // Boost.Regex (ECMAScript) searched in what the server sends; unset: connecting is enough.
    std::optional<std::string> expect;

    bool operator==(const tcp_check&) const = default;
};

enum class starttls_protocol { none, smtp };

// tls: handshake, verify chain and host name, report the earliest expiry of the chain.
struct tls_check {
    std::string address;                    // host:port
    std::optional<std::string> server_name; // SNI and name verified; default: address's host
    std::optional<int> cert_min_days;       // fail when the chain expires sooner
    std::optional<std::string> ca_file;     // PEM bundle; default: the system's trust store
    starttls_protocol starttls = starttls_protocol::none;

    bool operator==(const tls_check&) const = default;
};

// dns: one query, asynchronous (c-ares).
struct dns_check {
    std::string name;
    std::string type = "A";            // A, AAAA, CNAME, MX, TXT, NS or SOA
    std::optional<std::string> server; // IP or IP:port (IPv6 as [addr]:port); unset: system's
    std::string rcode = "NOERROR";     // expected response code
    // Each must equal one of the answers of `type` (names compare case-insensitively and
    // without the final dot; an MX answer matches "10 mx.example.go.id" or "mx.example.go.id").
    std::vector<std::string> answers_contain;

    bool operator==(const dns_check&) const = default;
};

// icmp: `count` echo requests; fails when more than max_loss percent go unanswered.
struct icmp_check {
    std::string host;
    unsigned count = 3;
    double max_loss = 34.0; // percent, 0..100; losing every packet always fails

    bool operator==(const icmp_check&) const = default;
};

// heartbeat: pushed, not probed. The service, or a job at the agency, calls
// POST /api/v1/heartbeat/{service}/{check} with `Authorization: Bearer <token>`; the check is
// DOWN once none arrived for expect_every + grace.
struct heartbeat_check {
    duration expect_every{std::chrono::hours{24}};
    duration grace{0};
    std::string token;

    bool operator==(const heartbeat_check&) const = default;
};

// activity (the Bekasi detector): a number read over HTTP must increase by at least
// min_increase within must_increase_within, counted in the `during` hours only.
struct activity_check {
    // What is fetched: url, headers, tls_verify, ca_file (a 2xx answer is required).
    http_check http;
    std::string pointer;                   // `value:` JSON pointer into a JSON body, or
    std::optional<metric_selector> metric; // `metric:` a sample of a Prometheus text page
    double min_increase = 1;
    duration must_increase_within{std::chrono::hours{1}};
    std::optional<std::string> during;        // calendar name; unset: at all hours
    std::optional<service_calendar> calendar; // that calendar, resolved at load
    std::string what;                         // "tickets served", for reasons

    bool operator==(const activity_check&) const = default;
};

using check_spec = std::variant<http_check, tcp_check, tls_check, dns_check, icmp_check,
                                heartbeat_check, activity_check>;

struct check_config {
    std::string id;
    duration interval{30000};
    duration timeout{10000};
    duration retry_interval{10000}; // default: interval/3, at least 1s
    unsigned failure_threshold = 3;
    unsigned success_threshold = 1;
    check_spec spec;
    // Services ("agency/service") this check relies on, beyond its own service's
    // depends_on: while one of them is down, an outage this check causes is the parent's.
    std::vector<std::string> depends_on;
    source_location where;
};

struct service_config {
    std::string id;
    std::string name;
    std::string agency;
    std::optional<double> objective;       // percent, e.g. 99.5
    std::optional<std::string> escalation; // overrides the agency's policy
    std::optional<std::string> hours;      // service hours: a calendar under calendars:
    // `hours: always`: open around the clock (IGD, 112) with no calendar; hours is unset,
    // so availability is reported overall only, as without hours.
    bool always_open = false;
    // Services ("agency/service") this one relies on, e.g. the data centre uplink: while
    // one of them is down, this service's outages are recorded as caused by it and are
    // not escalated separately.
    std::vector<std::string> depends_on;
    std::vector<check_config> checks;
    source_location where;
};

struct agency_config {
    std::string id;
    std::string name;
    std::optional<std::string> escalation; // name of a policy under escalation:
    source_location where;
};

// One level of a policy: the engine's rule (after, notify, repeat, even_if_acknowledged;
// levels in increasing order of after, channels defined under channels:) and where it was
// written.
struct escalation_level : escalation_rule {
    source_location where;
};

struct channel_config {
    std::string name;
    std::string type; // telegram, email, webhook, alertmanager
    // Remaining settings as given (after ${ENV} expansion); typed by the notify issue.
    // A list value is joined with "," (to: [a, b] -> "a,b"); a nested mapping is flattened
    // with dotted keys (smtp: {host: h} -> "smtp.host" = "h").
    std::map<std::string, std::string> settings;
    source_location where;
};

// A module of the blackbox-compatible /probe endpoint: how to probe a target given in the
// request. `http.url` is empty (the target supplies it).
struct probe_module {
    std::string name;
    std::optional<duration> timeout; // at most this long, within the scrape's own timeout
    http_check http;
    source_location where;
};

struct defaults_config {
    duration interval{30000};
    duration timeout{10000};
    std::optional<duration> retry_interval; // unset: interval/3, at least 1s
    unsigned failure_threshold = 3;
    unsigned success_threshold = 1;
};

// The public status page at `/` (status_page: {title, logo, footer}).
struct status_page_config {
    std::string title;  // empty: "Status Layanan Publik" / "Public Service Status"
    std::string footer; // plain text under the page, e.g. who runs it and whom to call
    // What <img src> gets: an http(s) URL as written, or a data: URI holding the image file
    // named in the configuration (relative to it; read at load, so the page stays
    // self-contained). Empty: no logo.
    std::string logo;
    source_location where;
};

struct config {
    std::string listen = "127.0.0.1:9470"; // host:port; port 0 picks a free port
    std::string ledger = "/var/lib/pantau/ledger.db";
    std::string admin_token;
    // Where people reach this Pantau (e.g. https://pantau.kota.go.id), for links in
    // notifications; empty: messages carry no link.
    std::string public_url;
    std::string timezone = "Asia/Jakarta";
    std::chrono::minutes utc_offset{7 * 60}; // of timezone (see utc_offset_of)
    std::size_t max_in_flight = 4096;        // global cap on probes in flight
    defaults_config defaults;
    std::vector<agency_config> agencies;
    std::vector<service_config> services;
    std::map<std::string, std::vector<escalation_level>> escalation;
    std::map<std::string, channel_config> channels;
    // Service-hours calendars by name. `hours:` maps day keys (mon..sun, ranges such as
    // mon-fri, or daily) to "HH:MM-HH:MM", a list of them, or "24h"; `holidays:` is a list of
    // dates or {date, name} maps, inline or in a file (relative to this file's directory);
    // `exceptions:` gives dates their own hours ({date, hours} or {date, closed: true}),
    // overriding weekday and holiday; `timezone:` (default: the top-level one) sets each
    // calendar's utc_offset. No calendar is named "always" (see service_config).
    std::map<std::string, service_calendar> calendars;
    // Planned maintenance, ids "config-1", "config-2", ... in file order. One-off windows
    // give start/end; weekly ones `weekly: {days: [sat], from: "22:00", to: "02:00"}` in
    // `timezone` (default: the top-level timezone).
    std::vector<maintenance_window> maintenance;
    // Failed notification deliveries are retried after `first`, doubling up to `max`
    // (with jitter). Key: notify_retry: {first: 1s, max: 5m}.
    duration notify_retry_first{1000};
    duration notify_retry_max{300000};
    // /probe modules by name (`modules:`), besides the built-in http_2xx and http_post_2xx.
    std::map<std::string, probe_module> modules;
    status_page_config status_page;
    std::string path; // file it was loaded from
};

// The first problem found, formatted "FILE:LINE:COL: message".
struct config_error {
    source_location where;
    std::string message;
    std::string to_string() const;
};

// Loads and validates a file. ${NAME} in scalar values is replaced by the environment
// variable NAME (an unset variable is an error); $${ is a literal "${".
std::variant<config, config_error> load_config_file(const std::string& path);

// Same, from text already in memory; `file_name` is used in messages and stored as
// config::path. The parsed YAML tree is freed before returning and the freed heap is given
// back to the operating system (malloc_trim), so a huge file does not inflate RSS for the
// daemon's lifetime. Never throws. Not thread-safe with concurrent setenv().
std::variant<config, config_error> load_config_text(const std::string& text,
                                                    const std::string& file_name);

} // namespace pantau
