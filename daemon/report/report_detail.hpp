// Internal to pantau_report: what the model and the renderers share. The labels and the
// sentences are for the renderers people read (Markdown, HTML); CSV and JSON use none.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"
#include "report/report.hpp"

namespace pantau::report_detail {

// Whole seconds of `d`, 0 when it is negative.
std::chrono::seconds whole_seconds(wall_clock::duration d);

// Every label a person reads, per language.
struct labels {
    std::string_view title;
    std::string_view period;
    std::string_view generated;
    std::string_view agency_only;
    std::string_view agency;
    std::string_view service;
    std::string_view availability;
    std::string_view in_hours;
    std::string_view objective;
    std::string_view conformance;
    std::string_view outages;
    std::string_view downtime;
    std::string_view longest;
    std::string_view mtta;
    std::string_view mttr;
    std::string_view level;
    std::string_view acknowledged_by;
    std::string_view met;
    std::string_view not_met;
    std::string_view no_objective;
    std::string_view no_data;
    std::string_view summary;
    std::string_view services_chart;
    std::string_view chart_note;
    std::string_view scale;
    std::string_view details;
    std::string_view agency_total;
    std::string_view outage_list;
    std::string_view no_outages;
    std::string_view started;
    std::string_view ended;
    std::string_view duration;
    std::string_view cause;
    std::string_view ongoing;
    std::string_view not_acknowledged;
    std::string_view gaps;
    std::string_view no_gaps;
    std::string_view gap_from;
    std::string_view gap_to;
    std::string_view gaps_total;
    std::string_view gaps_note;
    std::string_view verification;
    std::string_view last_hash;
    std::string_view events;
    std::string_view verify_hint;
    std::string_view chain_ok;
    std::string_view warning;
    std::string_view warning_text;
    std::string_view not_in_config;
    std::string_view services_word;
    std::string_view kpi_services;
    std::string_view kpi_not_met;
    std::string_view kpi_outages;
    std::string_view kpi_downtime;
    std::string_view kpi_gaps;
    std::string_view covered_until;
    std::string_view open_note;
    std::string_view legend_objective;
    // Short column heads of the agency tables, with soft hyphens (U+00AD) where a long word
    // may break.
    std::string_view th_availability;
    std::string_view th_in_hours;
    std::string_view th_outages;
    std::string_view th_level;
    std::string_view th_acknowledged_by;
    std::string_view page;
    std::string_view none;
};

const labels& labels_for(report_lang lang);

std::string_view conformance_label(conformance_status c, const labels& t);

// "Level 2", or the "none" dash for 0.
std::string level_text(int level, const labels& t);

// "1/2 Memenuhi": services that met their objective out of those judged.
std::string agency_conformance(const agency_report& a, const labels& t);

std::string join(const std::vector<std::string>& items, std::string_view sep);

// The sentence leadership reads first: "2 dari 5 layanan tidak memenuhi target."
std::string headline(const report& r, report_lang lang);

// Total downtime and the longest outage across the report, with the service it hit.
struct worst_outage {
    const service_report* service = nullptr; // null when there was no downtime
    std::chrono::seconds longest{0};
    std::chrono::seconds total{0};
};

worst_outage find_worst(const report& r);

// The sentence after the headline: outages, downtime, the longest, monitoring gaps.
std::string second_sentence(const report& r, report_lang lang);

// "1 November 2026 – 30 November 2026 (WIB)".
std::string period_text(const report& r, report_lang lang);

// Availability is rounded down, so a service just under its objective never shows the
// objective's figure ("99,50%" always means at least 99.5%). "–" for nullopt.
std::string percent(std::optional<double> fraction, report_lang lang);

// Objectives as configured: at least two decimals, more when given ("99,95%", "99,995%").
std::string objective_text(std::optional<double> objective, report_lang lang);

// text::human_duration ("2 jam 15 menit", "0 menit"), or "–" for nullopt.
std::string human_duration(std::optional<std::chrono::seconds> d, report_lang lang);

} // namespace pantau::report_detail
