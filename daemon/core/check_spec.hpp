// The check model: what one check probes and how it is judged (check_config, check_spec and
// their parts), as the configuration describes it and the probes and the monitor consume it.
// Plain data with value semantics (equal settings compare equal, so a reload can keep a
// running probe); validation happens where it is read (daemon/config). Depends on the
// standard library and other core headers only.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/availability.hpp"
#include "core/duration.hpp"
#include "core/metric_text.hpp"
#include "core/source_location.hpp"

namespace pantau {

// One `json:` expectation of an HTTP check, e.g. `/queue/waiting < 200`: the body is parsed as
// JSON and the value at `pointer` (RFC 6901) is compared with `operand`. Written as text and
// parsed by parse_json_expectation (config/json_expectation.hpp).
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

// One check of a service: the probe to run (spec), its pace, and the thresholds that turn
// its results into UP and DOWN.
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

} // namespace pantau
