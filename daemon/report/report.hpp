// The leadership report: availability against objective, outages, escalation and
// acknowledgement per service and per agency over a period, read from the ledger alone (no
// running daemon). `build_report` turns the ledger into a plain model; the renderers turn
// the model into Markdown, CSV, JSON or one self-contained, printable HTML document.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/availability.hpp"
#include "core/text.hpp"
#include "ledger/ledger.hpp"

namespace pantau {

enum class report_format : std::uint8_t { markdown, csv, html, json };
using report_lang = text::lang; // bahasa Indonesia, English

std::optional<report_format> parse_report_format(std::string_view s); // md, csv, html, json
std::optional<report_lang> parse_report_lang(std::string_view s);     // id, en

struct report_options {
    // Local dates in the configuration's time zone, both inclusive: the period runs from
    // 00:00 local time of `from` to 24:00 local time of `to`.
    std::chrono::year_month_day from{};
    std::chrono::year_month_day to{};
    std::optional<std::string> agency; // only this agency
    // Who the report is for, shown above the title ("Pemerintah Kota Bekasi"); may be empty.
    std::string organization;
    // From ledger::verify(), shown in the footer so a reader can check the ledger later.
    verify_result ledger_check;
};

// Whether a service met its availability objective. The objective is judged against the
// availability within service hours when the service has a calendar, else overall.
enum class conformance_status : std::uint8_t {
    met,
    not_met,
    no_objective, // the service has no objective
    no_data,      // it has one, but nothing was watched in the period (all gaps, or future)
};

std::string_view to_string(conformance_status c); // met, not_met, no_objective, no_data

// One outage overlapping the period.
struct report_outage {
    outage_record record;
    // ended_at - started_at, or now - started_at while open (the whole outage).
    std::chrono::seconds duration{0};
    // The part inside the watched period [period_from, covered_to).
    std::chrono::seconds in_period{0};
    bool open() const { return !record.ended_at.has_value(); }
};

// Figures shared by a service and an agency rollup.
struct report_figures {
    availability_figures overall;
    std::optional<availability_figures> in_service_hours; // services with a calendar only
    std::size_t outage_count = 0;                         // outages overlapping the period
    // Downtime inside watched time (downtime during a monitoring gap counts as gap).
    std::chrono::seconds total_downtime{0};
    std::chrono::seconds longest_downtime{0}; // longest single outage, part in the period
    // Mean over acknowledged outages of acknowledged_at - started_at.
    std::optional<std::chrono::seconds> mtta;
    // Mean over closed outages of ended_at - started_at.
    std::optional<std::chrono::seconds> mttr;
    int highest_level = 0;                    // highest escalation level reached, 0 = none
    std::vector<std::string> acknowledged_by; // distinct names, sorted

    // The availability the objective is judged against (in service hours when there are).
    const availability_figures& judged() const {
        return in_service_hours ? *in_service_hours : overall;
    }
};

struct service_report {
    std::string agency;
    std::string id;
    std::string name;                // the id when the service is not in the configuration
    bool configured = true;          // false: known only from the ledger
    std::optional<double> objective; // percent, e.g. 99.5
    std::optional<std::string> calendar;
    report_figures figures;
    conformance_status conformance = conformance_status::no_objective;
    std::vector<report_outage> outages; // by start time
};

struct agency_report {
    std::string id;
    std::string name; // the id when the agency is not in the configuration
    // Time-weighted over the services: sum of downtime / sum of watched time.
    report_figures figures;
    std::size_t services_met = 0;
    std::size_t services_not_met = 0;
    std::vector<service_report> services;
};

struct report {
    std::chrono::year_month_day from{}; // local dates, inclusive
    std::chrono::year_month_day to{};
    std::string timezone;                 // as configured, e.g. "Asia/Jakarta"
    std::chrono::minutes utc_offset{420}; // used for every local time shown
    wall_time period_from{};              // 00:00 local of `from`
    wall_time period_to{};                // 24:00 local of `to`
    // End of the watched part: min(now, period_to). Time after it is neither up nor down.
    wall_time covered_to{};
    wall_time generated_at{};
    std::optional<std::string> agency_filter;
    std::string organization;

    std::vector<agency_report> agencies; // configuration order, then ledger-only ones
    std::vector<monitoring_gap> gaps;    // clipped to the period, by start
    std::chrono::seconds unmonitored{0}; // total length of `gaps`

    std::size_t service_count = 0;
    std::size_t services_met = 0;
    std::size_t services_not_met = 0;
    std::size_t outage_count = 0;

    verify_result ledger_check;
};

// Reads outages and monitoring gaps overlapping the period from `l` and computes the
// figures. Open outages count as down until min(now, period end). Services that appear in
// the ledger but not in `cfg` are reported too (name = id).
report build_report(ledger& l, const config& cfg, const report_options& opt, wall_time now);

// Renderers. Markdown and HTML are for people and follow `lang`; CSV (one row per service,
// RFC 4180) and JSON (times RFC 3339 with the report's UTC offset, durations in seconds,
// availability and objective in percent) are for programs and do not depend on a language.
std::string render_markdown(const report& r, report_lang lang = report_lang::id);
std::string render_csv(const report& r);
nlohmann::json report_json(const report& r);
std::string render_json(const report& r); // report_json(r), indented, ending in a newline
// One self-contained document (inline CSS and SVG, no external references) that prints on
// A4. Everything taken from the configuration or the ledger is escaped.
std::string render_html(const report& r, report_lang lang = report_lang::id);
std::string render(const report& r, report_format format, report_lang lang);

} // namespace pantau
