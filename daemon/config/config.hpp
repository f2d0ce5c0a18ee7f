// The daemon's configuration, as loaded and validated from YAML. Everything here is
// plain data; loading reports the first problem as FILE:LINE:COL: message. The check model
// (check_config and its parts) lives in core/check_spec.hpp: include that, not this, where
// one check is all that is needed.
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

#include "config/channel_config.hpp"
#include "config/json_expectation.hpp"
#include "core/availability.hpp"
#include "core/check_spec.hpp"
#include "core/duration.hpp"
#include "core/escalation.hpp"
#include "core/maintenance.hpp"
#include "core/source_location.hpp"

namespace pantau {

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
// config::path. The parsed YAML tree is freed before returning; giving the freed heap back
// to the operating system is the caller's memory policy (the daemon's, see app/daemon.cpp),
// not the parser's. Never throws. Not thread-safe with concurrent setenv().
std::variant<config, config_error> load_config_text(const std::string& text,
                                                    const std::string& file_name);

} // namespace pantau
