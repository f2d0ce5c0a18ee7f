// The daemon's configuration, as loaded and validated from YAML. Everything here is
// plain data; loading reports the first problem as FILE:LINE:COL: message.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/availability.hpp"
#include "core/duration.hpp"

namespace pantau {

// A position in a configuration file, 1-based like compilers print them.
struct source_location {
    std::string file;
    int line = 0;
    int column = 0;
};

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

using check_spec = std::variant<http_check>;

struct check_config {
    std::string id;
    duration interval{30000};
    duration timeout{10000};
    duration retry_interval{10000}; // default: interval/3, at least 1s
    unsigned failure_threshold = 3;
    unsigned success_threshold = 1;
    check_spec spec;
    source_location where;
};

struct service_config {
    std::string id;
    std::string name;
    std::string agency;
    std::optional<double> objective;       // percent, e.g. 99.5
    std::optional<std::string> escalation; // overrides the agency's policy
    std::optional<std::string> hours;      // service hours: a calendar under calendars:
    std::vector<check_config> checks;
    source_location where;
};

struct agency_config {
    std::string id;
    std::string name;
    std::optional<std::string> escalation; // name of a policy under escalation:
    source_location where;
};

struct escalation_level {
    duration after{0};               // from outage start; levels are in increasing order
    std::vector<std::string> notify; // channel names, each defined under channels:
    std::optional<duration> repeat;  // re-notify this often while the level is active
    bool even_if_acknowledged = false;
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
    // dates or {date, name} maps, inline or in a file (relative to this file's directory).
    std::map<std::string, service_calendar> calendars;
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
