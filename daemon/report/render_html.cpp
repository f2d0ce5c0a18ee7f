// The report as one self-contained, printable HTML document (A4): inline CSS
// (assets/report.css) and SVG, nothing fetched from elsewhere.
#include <algorithm>
#include <array>
#include <cstdio>

#include "core/html.hpp"
#include "core/text.hpp"
#include "embedded/report_css.hpp"
#include "report/report.hpp"
#include "report/report_detail.hpp"

namespace pantau {

namespace {

using report_detail::agency_conformance;
using report_detail::conformance_label;
using report_detail::find_worst;
using report_detail::headline;
using report_detail::human_duration;
using report_detail::join;
using report_detail::labels;
using report_detail::labels_for;
using report_detail::level_text;
using report_detail::objective_text;
using report_detail::percent;
using report_detail::period_text;
using report_detail::second_sentence;
using report_detail::whole_seconds;
using report_detail::worst_outage;
using text::decimal;
using text::human_duration;
using text::long_date_time;
using text::short_date_time;

// Text as the HTML document shows it.
std::string h(std::string_view text) {
    return html_escape(text);
}

std::string headline_class(const report& r) {
    return r.services_not_met > 0 ? "headline bad" : "headline";
}

// Lower end of the bars' scale: the largest "round" percentage below every value shown, so
// that 99.2% and 99.9% do not both look like full bars.
double scale_floor(const report& r) {
    double lowest = 100.0;
    for (const agency_report& a : r.agencies) {
        for (const service_report& s : a.services) {
            if (const auto v = s.figures.judged().availability) {
                lowest = std::min(lowest, *v * 100.0);
            }
            if (s.objective) {
                lowest = std::min(lowest, *s.objective);
            }
        }
    }
    for (const double floor : {99.0, 98.0, 95.0, 90.0, 80.0, 50.0}) {
        if (floor <= lowest - 0.1) {
            return floor;
        }
    }
    return 0.0;
}

std::string svg_number(double v) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.2f", v);
    return buf.data();
}

// A bar from `lo`% to 100%: the availability filled, the objective as a vertical line.
std::string availability_bar(const service_report& s, double lo, report_lang lang,
                             const labels& t) {
    constexpr double width = 300.0;
    const auto x_of = [&](double pct) {
        return std::clamp((pct - lo) / (100.0 - lo), 0.0, 1.0) * width;
    };
    const std::optional<double> a = s.figures.judged().availability;
    std::string colour = "#8a96a6";
    if (s.conformance == conformance_status::met) {
        colour = "#1f8a4c";
    } else if (s.conformance == conformance_status::not_met) {
        colour = "#c62828";
    }
    std::string label = h(s.name) + ": " + percent(a, lang);
    if (s.objective) {
        label += ", " + std::string(t.legend_objective) + " " + objective_text(s.objective, lang);
    }
    std::string out = R"(<svg viewBox="0 0 300 14" preserveAspectRatio="none" role="img" )"
                      R"(aria-label=")" +
                      label + R"("><title>)" + label + "</title>";
    out += R"(<rect x="0" y="1" width="300" height="12" fill="#e4e8ed"/>)";
    if (a) {
        out += R"(<rect x="0" y="1" width=")" + svg_number(x_of(*a * 100.0)) +
               R"(" height="12" fill=")" + colour + R"("/>)";
    }
    if (s.objective) {
        const std::string x = svg_number(std::min(x_of(*s.objective), width - 1.0));
        out += R"(<rect x=")" + x + R"(" y="0" width="2" height="14" fill="#1c2430"/>)";
    }
    return out + "</svg>";
}

std::string status_cell(conformance_status c, const labels& t) {
    return R"(<span class=")" + std::string(to_string(c)) + R"(">)" +
           std::string(conformance_label(c, t)) + "</span>";
}

std::string figures_cells(const report_figures& f, report_lang lang, const labels& t) {
    std::string out;
    out += R"(<td class="num pct">)" + percent(f.overall.availability, lang) + "</td>";
    out += R"(<td class="num pct">)" +
           (f.in_service_hours ? percent(f.in_service_hours->availability, lang)
                               : std::string(t.none)) +
           "</td>";
    return out;
}

std::string response_cells(const report_figures& f, report_lang lang, const labels& t) {
    std::string out;
    out += R"(<td class="num">)" + std::to_string(f.outage_count) + "</td>";
    out += R"(<td class="num">)" + human_duration(f.total_downtime, lang);
    if (f.outage_count > 0) {
        out += "<small>" + std::string(t.longest) + " " + human_duration(f.longest_downtime, lang) +
               "</small>";
    }
    out += "</td>";
    out += R"(<td class="num">)" + human_duration(f.mtta, lang) + "<small>" +
           human_duration(f.mttr, lang) + "</small></td>";
    out += R"(<td class="nowrap">)" + level_text(f.highest_level, t) + "</td>";
    out += "<td>" +
           (f.acknowledged_by.empty() ? std::string(t.none) : h(join(f.acknowledged_by, ", "))) +
           "</td>";
    return out;
}

void html_header(std::string& out, const report& r, report_lang lang, const labels& t) {
    out += R"(<header class="doc">)";
    if (!r.organization.empty()) {
        out += R"(<div class="org">)" + h(r.organization) + "</div>";
    }
    out += "<h1>" + std::string(t.title) + "</h1><dl class=\"meta\">";
    out += "<dt>" + std::string(t.period) + "</dt><dd>" + period_text(r, lang) + "</dd>";
    if (r.agency_filter) {
        std::string name = *r.agency_filter;
        for (const agency_report& a : r.agencies) {
            if (a.id == *r.agency_filter) {
                name = a.name;
            }
        }
        out += "<dt>" + std::string(t.agency_only) + "</dt><dd>" + h(name) + "</dd>";
    }
    if (r.covered_to < r.period_to) {
        out += "<dt>" + std::string(t.covered_until) + "</dt><dd>" +
               long_date_time(r.covered_to, r.utc_offset, lang) + "</dd>";
    }
    out += "<dt>" + std::string(t.generated) + "</dt><dd>" +
           long_date_time(r.generated_at, r.utc_offset, lang) + "</dd>";
    out += "</dl></header>\n";
    if (!r.ledger_check.ok) {
        out += R"(<div class="warning" role="alert">)" + std::string(t.warning) + ": " +
               std::string(t.warning_text) + "<br><code>" + h(r.ledger_check.problem) +
               "</code></div>\n";
    }
}

void html_summary(std::string& out, const report& r, report_lang lang, const labels& t) {
    out += "<section><h2>" + std::string(t.summary) + "</h2>";
    out += R"(<p class=")" + headline_class(r) + R"(">)" + h(headline(r, lang)) + "<span>" +
           h(second_sentence(r, lang)) + "</span></p>";
    const worst_outage w = find_worst(r);
    const auto kpi = [&](const std::string& value, std::string_view label, std::string_view cls) {
        out += R"(<div class="kpi )" + std::string(cls) + R"("><b>)" + value + "</b><span>" +
               std::string(label) + "</span></div>";
    };
    out += R"(<div class="kpis">)";
    kpi(std::to_string(r.service_count), t.kpi_services, "");
    kpi(std::to_string(r.services_not_met), t.kpi_not_met, r.services_not_met > 0 ? "bad" : "");
    kpi(std::to_string(r.outage_count), t.kpi_outages, "");
    kpi(human_duration(w.total, lang), t.kpi_downtime, "");
    kpi(human_duration(r.unmonitored, lang), t.kpi_gaps, r.unmonitored.count() > 0 ? "warn" : "");
    out += "</div></section>\n";
}

void html_chart(std::string& out, const report& r, report_lang lang, const labels& t) {
    if (r.service_count == 0) {
        return;
    }
    const double lo = scale_floor(r);
    out += "<section><h2>" + std::string(t.services_chart) + "</h2>";
    out += R"(<table class="chart"><thead><tr><th style="width:34%">)" + std::string(t.service) +
           R"(</th><th>)" + std::string(t.scale) + " " + decimal(lo, 0, lang) + "% – 100%" +
           R"(</th><th class="num" style="width:13%">)" + std::string(t.availability) +
           R"(</th><th class="num" style="width:11%">)" + std::string(t.objective) +
           "</th></tr></thead><tbody>";
    for (const agency_report& a : r.agencies) {
        for (const service_report& s : a.services) {
            out += "<tr><td>" + h(s.name) + R"(<span class="id"> · )" + h(a.name) +
                   "</span></td><td>" + availability_bar(s, lo, lang, t) +
                   R"(</td><td class="num"><span class=")" + std::string(to_string(s.conformance)) +
                   R"(">)" + percent(s.figures.judged().availability, lang) +
                   R"(</span></td><td class="num">)" + objective_text(s.objective, lang) +
                   "</td></tr>";
        }
    }
    out += "</tbody></table><p class=\"note\">" + std::string(t.chart_note) + "</p></section>\n";
}

void html_agencies(std::string& out, const report& r, report_lang lang, const labels& t) {
    if (r.agencies.empty()) {
        return;
    }
    // On paper the details start on page 2: page 1 is what leadership reads.
    out += "<section class=\"details\"><h2>" + std::string(t.details) + "</h2>";
    for (const agency_report& a : r.agencies) {
        out += "<h3>" + h(a.name);
        if (a.name != a.id) {
            out += " <small>(" + h(a.id) + ")</small>";
        }
        out += "</h3>";
        // Fixed widths keep ten columns inside A4's 182 mm.
        out += R"(<table class="fixed"><colgroup><col style="width:18%"><col style="width:10%">)"
               R"(<col style="width:9%"><col style="width:8%"><col style="width:10%">)"
               R"(<col style="width:7%"><col style="width:11%"><col style="width:9.5%">)"
               R"(<col style="width:7%"><col style="width:10.5%"></colgroup>)";
        out += "<thead><tr><th>" + std::string(t.service) + R"(</th><th class="num">)" +
               std::string(t.th_availability) + R"(</th><th class="num">)" +
               std::string(t.th_in_hours) + R"(</th><th class="num">)" + std::string(t.objective) +
               "</th><th>" + std::string(t.conformance) + R"(</th><th class="num">)" +
               std::string(t.th_outages) + R"(</th><th class="num">)" + std::string(t.downtime) +
               R"(</th><th class="num">MTTA<small>MTTR</small></th><th>)" +
               std::string(t.th_level) + "</th><th>" + std::string(t.th_acknowledged_by) +
               "</th></tr></thead><tbody>";
        for (const service_report& s : a.services) {
            out += "<tr><td>" + h(s.name);
            if (s.name != s.id) {
                out += R"(<small>)" + h(s.id) + "</small>";
            }
            if (!s.configured) {
                out += R"(<small>()" + std::string(t.not_in_config) + ")</small>";
            }
            out += "</td>" + figures_cells(s.figures, lang, t) + R"(<td class="num pct">)" +
                   objective_text(s.objective, lang) + "</td><td>" + status_cell(s.conformance, t) +
                   "</td>" + response_cells(s.figures, lang, t) + "</tr>";
        }
        out += "</tbody>";
        if (a.services.size() > 1) {
            out += "<tfoot><tr><td>" + std::string(t.agency_total) + "</td>" +
                   figures_cells(a.figures, lang, t) + R"(<td class="num">–</td><td>)" +
                   agency_conformance(a, t) + "</td>" + response_cells(a.figures, lang, t) +
                   "</tr></tfoot>";
        }
        out += "</table>";
    }
    out += "<p class=\"note\">MTTA: " + std::string(t.mtta) + ". MTTR: " + std::string(t.mttr) +
           ".</p></section>\n";
}

void html_outages(std::string& out, const report& r, report_lang lang, const labels& t) {
    out += "<section><h2>" + std::string(t.outage_list) + "</h2>";
    if (r.outage_count == 0) {
        out += "<p>" + std::string(t.no_outages) + "</p></section>\n";
        return;
    }
    out += R"(<table><thead><tr><th class="num">#</th><th>)" + std::string(t.service) +
           "</th><th>" + std::string(t.started) + "</th><th>" + std::string(t.ended) +
           R"(</th><th class="num">)" + std::string(t.duration) + "</th><th>" +
           std::string(t.cause) + R"(</th><th class="num">Level</th><th>)" +
           std::string(t.acknowledged_by) + "</th></tr></thead><tbody>";
    for (const agency_report& a : r.agencies) {
        for (const service_report& s : a.services) {
            for (const report_outage& o : s.outages) {
                const outage_record& rec = o.record;
                out += R"(<tr><td class="num">)" + std::to_string(rec.id) + "</td><td>" +
                       h(s.name) + "<small>" + h(a.name) + "</small></td>";
                out += R"(<td class="nowrap">)" +
                       short_date_time(rec.started_at, r.utc_offset, lang) + "</td>";
                out += rec.ended_at
                           ? R"(<td class="nowrap">)" +
                                 short_date_time(*rec.ended_at, r.utc_offset, lang) + "</td>"
                           : R"(<td class="ongoing">)" + std::string(t.ongoing) + "</td>";
                out += R"(<td class="num">)" + human_duration(o.duration, lang) + "</td>";
                out += "<td>" + h(rec.cause) + "</td>";
                out += R"(<td class="num">)" +
                       (rec.level > 0 ? std::to_string(rec.level) : std::string(t.none)) + "</td>";
                if (rec.acknowledged_by) {
                    out += "<td>" + h(*rec.acknowledged_by);
                    if (rec.acknowledged_at) {
                        out += "<small>" +
                               short_date_time(*rec.acknowledged_at, r.utc_offset, lang) +
                               "</small>";
                    }
                    out += "</td>";
                } else {
                    out += R"(<td class="muted">)" + std::string(t.not_acknowledged) + "</td>";
                }
                out += "</tr>";
            }
        }
    }
    out += "</tbody></table><p class=\"note\">" + std::string(t.open_note) + "</p></section>\n";
}

void html_gaps(std::string& out, const report& r, report_lang lang, const labels& t) {
    out += "<section><h2>" + std::string(t.gaps) + "</h2>";
    if (r.gaps.empty()) {
        out += "<p>" + std::string(t.no_gaps) + "</p></section>\n";
        return;
    }
    out += "<table><thead><tr><th>" + std::string(t.gap_from) + "</th><th>" +
           std::string(t.gap_to) + R"(</th><th class="num">)" + std::string(t.duration) +
           "</th></tr></thead><tbody>";
    for (const monitoring_gap& g : r.gaps) {
        out += "<tr><td>" + short_date_time(g.from, r.utc_offset, lang) + "</td><td>" +
               short_date_time(g.to, r.utc_offset, lang) + R"(</td><td class="num">)" +
               human_duration(whole_seconds(g.to - g.from), lang) + "</td></tr>";
    }
    out += "</tbody><tfoot><tr><td colspan=\"2\">" + std::string(t.gaps_total) +
           R"(</td><td class="num">)" + human_duration(r.unmonitored, lang) +
           "</td></tr></tfoot></table><p class=\"note\">" + std::string(t.gaps_note) +
           "</p></section>\n";
}

void html_footer(std::string& out, const report& r, const labels& t) {
    out += R"(<footer class="doc"><b>)" + std::string(t.verification) + ".</b> " +
           std::string(t.last_hash) + ": <code>" +
           (r.ledger_check.last_hash.empty() ? std::string(t.none) : h(r.ledger_check.last_hash)) +
           "</code> (" + std::to_string(r.ledger_check.events) + " " + std::string(t.events);
    if (r.ledger_check.ok) {
        out += "; " + std::string(t.chain_ok);
    }
    out += "). " + std::string(t.verify_hint) + " <code>pantau ledger verify</code>.";
    if (!r.ledger_check.ok) {
        out += R"( <span class="not_met">)" + std::string(t.warning) + ": " +
               h(r.ledger_check.problem) + "</span>";
    }
    out += "<br>Pantau " PANTAU_VERSION "</footer>\n";
}

} // namespace

std::string render_html(const report& r, report_lang lang) {
    const labels& t = labels_for(lang);
    std::string out = "<!doctype html>\n<html lang=\"";
    out += lang == report_lang::id ? "id" : "en";
    out += "\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" "
           "content=\"width=device-width, initial-scale=1\">\n<title>";
    out += std::string(t.title) + " · " + period_text(r, lang);
    if (!r.organization.empty()) {
        out += " · " + h(r.organization);
    }
    out += "</title>\n<style>\n";
    out += embedded::report_css;
    // Page numbers and the period in the bottom margin of every printed page. Only our own
    // labels and dates go into these CSS strings (nothing from the configuration).
    out += "@page { @bottom-left { content: \"" + std::string(t.title) + " · " +
           period_text(r, lang) + "\"; font: 7.5pt Arial, sans-serif; color: #5a6574; } " +
           "@bottom-right { content: \"" + std::string(t.page) +
           " \" counter(page) \" / \" counter(pages); font: 7.5pt Arial, sans-serif; "
           "color: #5a6574; } }\n";
    out += "</style></head>\n<body><main class=\"page\">\n";
    html_header(out, r, lang, t);
    html_summary(out, r, lang, t);
    html_chart(out, r, lang, t);
    html_agencies(out, r, lang, t);
    html_outages(out, r, lang, t);
    html_gaps(out, r, lang, t);
    html_footer(out, r, t);
    out += "</main></body></html>\n";
    return out;
}

} // namespace pantau
