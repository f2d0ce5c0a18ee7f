// The report as Markdown (GitHub flavour): tables per agency, outages, monitoring gaps.
#include <initializer_list>

#include "core/text.hpp"
#include "report/report.hpp"
#include "report/report_detail.hpp"

namespace pantau {

namespace {

using report_detail::agency_conformance;
using report_detail::conformance_label;
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
using text::human_duration;
using text::long_date_time;
using text::short_date_time;

// A table cell or inline text: no line breaks, pipes escaped, no raw HTML.
std::string md(std::string_view text) {
    std::string out;
    for (char ch : text) {
        switch (ch) {
        case '|': out += "\\|"; break;
        case '\\': out += "\\\\"; break;
        case '`': out += "\\`"; break;
        case '*': out += "\\*"; break;
        case '_': out += "\\_"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '\r': break;
        case '\n': out += ' '; break;
        default: out += ch; break;
        }
    }
    return out;
}

// "| a | b |" and a line break.
void md_row(std::string& out, std::initializer_list<std::string> cells) {
    out += "|";
    for (const std::string& cell : cells) {
        out += " ";
        out += cell;
        out += " |";
    }
    out += "\n";
}

std::string service_label(const service_report& s, const labels& t) {
    std::string out = text::display_name(s.name, s.id);
    if (!s.configured) {
        out += std::string(" [") + std::string(t.not_in_config) + "]";
    }
    return out;
}

} // namespace

std::string render_markdown(const report& r, report_lang lang) {
    const labels& t = labels_for(lang);
    std::string out;
    out += "# " + std::string(t.title) + "\n\n";
    if (!r.organization.empty()) {
        out += "**" + md(r.organization) + "**\n\n";
    }
    out += std::string(t.period) + ": " + period_text(r, lang) + "  \n";
    out += std::string(t.generated) + ": " + long_date_time(r.generated_at, r.utc_offset, lang);
    if (r.covered_to < r.period_to) {
        out += "  \n" + std::string(t.covered_until) + ": " +
               long_date_time(r.covered_to, r.utc_offset, lang);
    }
    if (r.agency_filter) {
        out += "  \n" + std::string(t.agency_only) + ": " + md(*r.agency_filter);
    }
    out += "\n\n";
    if (!r.ledger_check.ok) {
        out += "> **" + std::string(t.warning) + ":** " + std::string(t.warning_text) + " (" +
               md(r.ledger_check.problem) + ")\n\n";
    }
    out += "## " + std::string(t.summary) + "\n\n";
    out += "**" + md(headline(r, lang)) + "** " + md(second_sentence(r, lang)) + "\n\n";

    for (const agency_report& a : r.agencies) {
        out += "## " + md(a.name) + (a.name == a.id ? "" : " (" + md(a.id) + ")") + "\n\n";
        out += "| " + std::string(t.service) + " | " + std::string(t.availability) + " | " +
               std::string(t.in_hours) + " | " + std::string(t.objective) + " | " +
               std::string(t.conformance) + " | " + std::string(t.outages) + " | " +
               std::string(t.downtime) + " (" + std::string(t.longest) + ") | MTTA | MTTR | " +
               std::string(t.level) + " | " + std::string(t.acknowledged_by) + " |\n";
        out += "|---|--:|--:|--:|---|--:|--:|--:|--:|---|---|\n";
        const auto row = [&](std::string name, const report_figures& f, std::string objective,
                             std::string status) {
            md_row(out,
                   {
                       std::move(name),
                       percent(f.overall.availability, lang),
                       f.in_service_hours ? percent(f.in_service_hours->availability, lang)
                                          : std::string(t.none),
                       std::move(objective),
                       std::move(status),
                       std::to_string(f.outage_count),
                       f.outage_count == 0 ? human_duration(f.total_downtime, lang)
                                           : human_duration(f.total_downtime, lang) + " (" +
                                                 human_duration(f.longest_downtime, lang) + ")",
                       human_duration(f.mtta, lang),
                       human_duration(f.mttr, lang),
                       level_text(f.highest_level, t),
                       f.acknowledged_by.empty() ? std::string(t.none)
                                                 : md(join(f.acknowledged_by, ", ")),
                   });
        };
        for (const service_report& s : a.services) {
            row(md(service_label(s, t)), s.figures, objective_text(s.objective, lang),
                std::string(conformance_label(s.conformance, t)));
        }
        if (a.services.size() > 1) {
            row("**" + std::string(t.agency_total) + "**", a.figures, std::string(t.none),
                agency_conformance(a, t));
        }
        out += "\n";
    }

    out += "## " + std::string(t.outage_list) + "\n\n";
    if (r.outage_count == 0) {
        out += std::string(t.no_outages) + "\n\n";
    } else {
        out += "| # | " + std::string(t.service) + " | " + std::string(t.started) + " | " +
               std::string(t.ended) + " | " + std::string(t.duration) + " | " +
               std::string(t.cause) + " | Level | " + std::string(t.acknowledged_by) + " |\n";
        out += "|--:|---|---|---|--:|---|--:|---|\n";
        for (const agency_report& a : r.agencies) {
            for (const service_report& s : a.services) {
                for (const report_outage& o : s.outages) {
                    const outage_record& rec = o.record;
                    std::string ack(t.not_acknowledged);
                    if (rec.acknowledged_by) {
                        ack = md(*rec.acknowledged_by);
                        if (rec.acknowledged_at) {
                            ack += ", " + short_date_time(*rec.acknowledged_at, r.utc_offset, lang);
                        }
                    }
                    md_row(out,
                           {
                               std::to_string(rec.id),
                               md(s.name),
                               short_date_time(rec.started_at, r.utc_offset, lang),
                               rec.ended_at ? short_date_time(*rec.ended_at, r.utc_offset, lang)
                                            : std::string(t.ongoing),
                               human_duration(o.duration, lang),
                               md(rec.cause),
                               rec.level > 0 ? std::to_string(rec.level) : std::string(t.none),
                               ack,
                           });
                }
            }
        }
        out += "\n" + std::string(t.open_note) + "\n\n";
    }

    out += "## " + std::string(t.gaps) + "\n\n";
    if (r.gaps.empty()) {
        out += std::string(t.no_gaps) + "\n\n";
    } else {
        for (const monitoring_gap& g : r.gaps) {
            out += "- " + short_date_time(g.from, r.utc_offset, lang) + " – " +
                   short_date_time(g.to, r.utc_offset, lang) + " (" +
                   human_duration(whole_seconds(g.to - g.from), lang) + ")\n";
        }
        out += "\n" + std::string(t.gaps_total) + ": " + human_duration(r.unmonitored, lang) +
               ". " + std::string(t.gaps_note) + "\n\n";
    }

    out += "---\n\n" + std::string(t.verification) + ": " + std::string(t.last_hash) + " `" +
           (r.ledger_check.last_hash.empty() ? std::string(t.none) : r.ledger_check.last_hash) +
           "` (" + std::to_string(r.ledger_check.events) + " " + std::string(t.events) + "). " +
           std::string(t.verify_hint) + " `pantau ledger verify`.\n";
    return out;
}

} // namespace pantau
