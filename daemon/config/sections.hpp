// The section readers of the configuration loader, in the order config.cpp calls them: each
// reads one part of the file into the config being built, checking references against what
// was read before it (a level's channels, a service's agency, calendar and policy), and fails
// with load_failure at the first problem. Internal to daemon/config.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/reader.hpp"

namespace pantau::config_detail {

// --- channels.cpp: channels and escalation policies -------------------------------------

// channels: {NAME: {TYPE: {...}}}, one type per channel, settings flattened to strings.
void read_channels(const field_reader& ctx, const field& section, config& cfg);

// escalation: {NAME: [levels]}; levels in increasing order of after, channels defined.
void read_escalation(const field_reader& ctx, const field& section, config& cfg);

// Fails at `f` unless `policy` names a policy under escalation:.
void check_policy(const field_reader& ctx, const field& f, const std::string& policy,
                  const config& cfg);

// --- calendars.cpp: service-hours calendars and maintenance windows ---------------------

// calendars: {NAME: {hours, holidays, timezone, exceptions}}; holidays files are read
// relative to the configuration file, each once.
void read_calendars(const field_reader& ctx, const field& section, config& cfg);

// Fails at `f` unless `name` names a calendar under calendars:.
void check_calendar(const field_reader& ctx, const field& f, const std::string& name,
                    const config& cfg);

// --- services.cpp: agencies, services and their dependencies ----------------------------

// The agencies read so far: by id with the line each was defined at, and ids in
// definition order (for "did you mean" and "defined agencies: ...").
struct agency_index {
    std::unordered_map<std::string, int> lines;
    std::vector<std::string> ids;
};

// Where each depends_on entry was written: (agency/service, check id or "", index).
using dependency_marks = std::map<std::tuple<std::string, std::string, std::size_t>, YAML::Mark>;

// agencies: [{id, name, escalation}].
void read_agencies(const field_reader& ctx, const field& section, config& cfg,
                   agency_index& agencies);

// services: [{id, name, agency, objective, escalation, hours, checks, depends_on}]; records
// where each depends_on entry was written in `marks` for resolve_dependencies.
void read_services(const field_reader& ctx, const field& section, config& cfg,
                   const agency_index& agencies, dependency_marks& marks);

// Turns every depends_on entry into "agency/service", refusing unknown services, a service
// depending on itself and cycles. Empties `marks`.
void resolve_dependencies(const field_reader& ctx, config& cfg, dependency_marks& marks);

// maintenance: [{service | agency, start + end | weekly, timezone, reason}], ids "config-N"
// (calendars.cpp: it shares the day names and clock times of calendars).
void read_maintenance(const field_reader& ctx, const field& section, const agency_index& agencies,
                      config& cfg);

// --- checks.cpp: one service's checks and the non-HTTP probe types ----------------------

// What reading a service's checks needs from outside the checks list.
struct check_scope {
    const config& cfg;                // defaults, and calendars for an activity's during:
    bool service_always_open = false; // the service has hours: always
    // Out: each check's depends_on field by check id, read once the service is known.
    std::unordered_map<std::string, field>& depends_on;
};

// checks: [{id, interval, timeout, ..., one probe type}] of `svc`; ids unique in the service.
void read_checks(const field_reader& ctx, const field& section, check_scope& scope,
                 service_config& svc);

// --- http.cpp: HTTP checks, their expectations, and /probe modules ----------------------

// An http:// or https:// URL naming a host.
std::string read_http_url(const field_reader& ctx, const field& f, std::string_view example);

// http: {url, method, headers, ...}. `url_required` is false for a /probe module, whose
// target gives the URL.
http_check read_http(const field_reader& ctx, const field& section, bool url_required = true);

// headers: {Name: value}, one line each, each name once.
void read_headers(const field_reader& ctx, const field& section, http_check& http);

// modules: {NAME: {timeout, http: {<a check's http keys but url>}}}.
void read_modules(const field_reader& ctx, const field& section, config& cfg);

} // namespace pantau::config_detail
