#include "web/status_page.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/html.hpp"
#include "core/text.hpp"
#include "embedded/status_page_css.hpp"
#include "embedded/status_page_js.hpp"

namespace pantau {

namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using wall_time = std::chrono::system_clock::time_point;

struct labels {
    std::string_view lang;
    std::string_view other_lang;
    std::string_view other_lang_name;
    std::string_view title;
    std::string_view skip;
    std::string_view language_nav;
    std::string_view dark_theme;
    std::string_view all_up;
    std::string_view not_known;
    std::string_view updated;
    std::string_view ongoing;
    std::string_view no_ongoing;
    std::string_view service;
    std::string_view agency;
    std::string_view started;
    std::string_view duration;
    std::string_view level;
    std::string_view cause;
    std::string_view acknowledged;
    std::string_view yes;
    std::string_view no;
    std::string_view maintenance;
    std::string_view no_maintenance;
    std::string_view whole_agency;
    std::string_view services;
    std::string_view since;
    std::string_view days_ago;
    std::string_view today;
    std::string_view window;
    std::string_view not_watched;
    std::string_view no_outages;
    std::string_view outage_one;
    std::string_view outage_many;
    std::string_view days_with_outages;
    std::string_view legend;
    std::string_view legend_full;
    std::string_view legend_minor;
    std::string_view legend_major;
    std::string_view legend_none;
    std::string_view legend_hint;
    std::string_view no_services;
    std::string_view watched_by;
    std::array<std::string_view, 6> state;        // by display_state
    std::array<std::string_view, 6> headline_one; // "1 layanan ..." by display_state
    std::array<std::string_view, 6> headline_many;
    text::lang language; // dates, durations and numbers
};

constexpr labels labels_id{
    .lang = "id",
    .other_lang = "en",
    .other_lang_name = "English",
    .title = "Status Layanan Publik",
    .skip = "Langsung ke isi",
    .language_nav = "Bahasa",
    .dark_theme = "Tema gelap",
    .all_up = "Semua layanan berjalan normal",
    .not_known = "Status layanan belum diketahui",
    .updated = "Diperbarui",
    .ongoing = "Gangguan yang sedang berlangsung",
    .no_ongoing = "Tidak ada gangguan saat ini.",
    .service = "Layanan",
    .agency = "Instansi",
    .started = "Mulai",
    .duration = "Durasi",
    .level = "Tingkat eskalasi",
    .cause = "Penyebab",
    .acknowledged = "Ditanggapi",
    .yes = "sudah",
    .no = "belum",
    .maintenance = "Pemeliharaan terjadwal",
    .no_maintenance = "Tidak ada pemeliharaan terjadwal.",
    .whole_agency = "seluruh layanan",
    .services = "Layanan per instansi",
    .since = "Sejak",
    .days_ago = " hari lalu",
    .today = "Hari ini",
    .window = "Ketersediaan ",
    .not_watched = "belum dipantau",
    .no_outages = "tanpa gangguan",
    .outage_one = " gangguan",
    .outage_many = " gangguan",
    .days_with_outages = "Hari dengan gangguan",
    .legend = "Keterangan batang",
    .legend_full = "100%",
    .legend_minor = "ada gangguan, ≥ 99%",
    .legend_major = "di bawah 99%",
    .legend_none = "belum dipantau",
    .legend_hint = "Arahkan atau ketuk batang untuk melihat ketersediaan hari itu.",
    .no_services = "Belum ada layanan yang dipantau.",
    .watched_by = "Dipantau oleh Pantau",
    .state = {"Gangguan", "Terganggu sebagian", "Pemeliharaan", "Berjalan normal",
              "Di luar jam layanan", "Belum diketahui"},
    .headline_one = {"1 layanan sedang mengalami gangguan", "1 layanan terganggu sebagian",
                     "1 layanan sedang dalam pemeliharaan", "", "", ""},
    .headline_many = {" layanan sedang mengalami gangguan", " layanan terganggu sebagian",
                      " layanan sedang dalam pemeliharaan", "", "", ""},
    .language = text::lang::id,
};

constexpr labels labels_en{
    .lang = "en",
    .other_lang = "id",
    .other_lang_name = "Bahasa Indonesia",
    .title = "Public Service Status",
    .skip = "Skip to content",
    .language_nav = "Language",
    .dark_theme = "Dark theme",
    .all_up = "All services are operating normally",
    .not_known = "Service status is not known yet",
    .updated = "Updated",
    .ongoing = "Ongoing outages",
    .no_ongoing = "No outages right now.",
    .service = "Service",
    .agency = "Agency",
    .started = "Started",
    .duration = "Duration",
    .level = "Escalation level",
    .cause = "Cause",
    .acknowledged = "Acknowledged",
    .yes = "yes",
    .no = "not yet",
    .maintenance = "Planned maintenance",
    .no_maintenance = "No planned maintenance.",
    .whole_agency = "all services",
    .services = "Services by agency",
    .since = "Since",
    .days_ago = " days ago",
    .today = "Today",
    .window = "Availability over ",
    .not_watched = "not monitored",
    .no_outages = "no outages",
    .outage_one = " outage",
    .outage_many = " outages",
    .days_with_outages = "Days with outages",
    .legend = "Bar legend",
    .legend_full = "100%",
    .legend_minor = "outage, ≥ 99%",
    .legend_major = "below 99%",
    .legend_none = "not monitored",
    .legend_hint = "Hover over or tap a bar to read that day's availability.",
    .no_services = "No services are monitored yet.",
    .watched_by = "Monitored by Pantau",
    .state = {"Down", "Degraded", "Maintenance", "Operational", "Outside service hours", "Unknown"},
    .headline_one = {"1 service is down", "1 service is degraded", "1 service is under maintenance",
                     "", "", ""},
    .headline_many = {" services are down", " services are degraded",
                      " services are under maintenance", "", "", ""},
    .language = text::lang::en,
};

// Text icons beside the state's words (never colour alone). U+FE0E asks for the text
// presentation, so no emoji font turns them into pictures of another colour.
constexpr std::array<std::string_view, 6> state_icons{
    "\u2715",       // down: multiplication x
    "!",            // degraded
    "\u2692\uFE0E", // maintenance: hammer and pick
    "\u2713",       // up: check mark
    "\u263E\uFE0E", // idle: moon
    "?",            // unknown
};

std::size_t index_of(display_state s) {
    return static_cast<std::size_t>(s);
}

std::string date_text(std::int32_t day, const labels& t) {
    return text::short_date(
        std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day}}}, t.language);
}

// "28 Nov 2026 19.00 WIB"; plain "UTC" at offset 0.
std::string date_time_text(wall_time at, minutes offset, const labels& t) {
    return text::short_date_time(at, offset, t.language) + " " +
           text::zone_name(offset, text::utc_form::bare);
}

// Rounded down to hundredths so that a day with any downtime never reads "100%".
std::string percent_text(double fraction, const labels& t) {
    if (fraction >= 1.0) {
        return "100%";
    }
    const double hundredths = std::floor(std::max(fraction, 0.0) * 10000.0 + 1e-6);
    return text::decimal(hundredths / 100.0, 2, t.language) + "%";
}

// The two largest units: "2 jam 15 menit", "45 s"; "0 detik" for nothing.
std::string duration_text(seconds d, const labels& t) {
    return text::human_duration(d, t.language, text::duration_unit::second);
}

// Colour class of a day in the bar; the words are in its title.
std::string_view day_class(const day_availability& d) {
    if (!d.availability) {
        return "d0";
    }
    if (d.down.count() == 0) {
        return "d1";
    }
    return *d.availability >= 0.99 ? "d2" : "d3";
}

std::string outages_text(std::uint32_t n, const labels& t) {
    return std::to_string(n) + std::string(n == 1 ? t.outage_one : t.outage_many);
}

// "28 Nov 2026: 99,31% · 1 gangguan, 10 menit"
std::string day_text(const day_availability& d, const labels& t) {
    if (!d.availability) {
        return std::string(t.not_watched);
    }
    std::string s = percent_text(*d.availability, t);
    if (d.outages == 0 && d.down.count() == 0) {
        return s + " \u00B7 " + std::string(t.no_outages);
    }
    s += " \u00B7 " + outages_text(std::max<std::uint32_t>(d.outages, 1), t);
    if (d.down.count() > 0) {
        s += ", " + duration_text(d.down, t);
    }
    return s;
}

bool same_look(const day_availability& a, const day_availability& b) {
    const bool a_plain = !a.availability || (a.down.count() == 0 && a.outages == 0);
    const bool b_plain = !b.availability || (b.down.count() == 0 && b.outages == 0);
    return a_plain && b_plain && a.availability.has_value() == b.availability.has_value();
}

void append_escaped(std::string& out, std::string_view text) {
    out += html_escape(text);
}

void render_header(std::string& out, const status_view& v, const labels& t,
                   std::string_view title) {
    out += R"(<a class="skip" href="#main">)";
    out += t.skip;
    out += "</a>\n<header class=\"top\"><div class=\"wrap\"><div class=\"brand\">";
    if (!v.logo.empty()) {
        out += "<img src=\"";
        append_escaped(out, v.logo);
        out += R"(" alt="">)"; // decorative: the title next to it says who this is
    }
    out += "<h1>";
    append_escaped(out, title);
    out += "</h1></div>\n<nav class=\"tools\" aria-label=\"";
    out += t.language_nav;
    out += "\"><a href=\"?lang=";
    out += t.other_lang;
    out += "\" hreflang=\"";
    out += t.other_lang;
    out += "\" lang=\"";
    out += t.other_lang;
    out += "\">";
    out += t.other_lang_name;
    out += R"(</a><button type="button" id="theme-toggle" aria-pressed="false" hidden>)";
    out += t.dark_theme;
    out += "</button></nav></div></header>\n";
}

void render_overall(std::string& out, const status_view& v, const labels& t) {
    std::array<std::size_t, 6> counts{};
    std::size_t total = 0;
    for (const status_agency& a : v.agencies) {
        for (const status_service& s : a.services) {
            ++counts.at(index_of(s.state));
            ++total;
        }
    }
    display_state worst = display_state::up;
    std::string headline;
    for (const display_state s :
         {display_state::down, display_state::degraded, display_state::maintenance}) {
        const std::size_t n = counts.at(index_of(s));
        if (n > 0) {
            worst = s;
            headline = n == 1 ? std::string(t.headline_one.at(index_of(s)))
                              : std::to_string(n) + std::string(t.headline_many.at(index_of(s)));
            break;
        }
    }
    if (headline.empty()) {
        const bool known = counts.at(index_of(display_state::unknown)) < total;
        worst = known ? display_state::up : display_state::unknown;
        headline = known ? t.all_up : t.not_known;
    }
    out += "<section class=\"overall st-";
    out += to_string(worst);
    out += "\" aria-labelledby=\"overall\"><h2 id=\"overall\"><span class=\"ico\" "
           "aria-hidden=\"true\">";
    out += state_icons.at(index_of(worst));
    out += "</span>";
    out += headline;
    out += "</h2><p>";
    // "5 layanan: 3 Berjalan normal, 1 Gangguan, 1 Di luar jam layanan"
    bool first = true;
    for (const display_state s :
         {display_state::up, display_state::down, display_state::degraded,
          display_state::maintenance, display_state::idle, display_state::unknown}) {
        const std::size_t n = counts.at(index_of(s));
        if (n == 0) {
            continue;
        }
        out += first ? "" : " \u00B7 ";
        out += std::to_string(n) + " ";
        out += t.state.at(index_of(s));
        first = false;
    }
    if (!first) {
        out += "<br>";
    }
    out += t.updated;
    out += " ";
    out += date_time_text(v.generated_at, v.utc_offset, t);
    out += "</p></section>\n";
}

void render_outages(std::string& out, const status_view& v, const labels& t) {
    out += R"(<section aria-labelledby="ongoing"><h2 id="ongoing">)";
    out += t.ongoing;
    out += "</h2>\n";
    if (v.open_outages.empty()) {
        out += "<p class=\"empty\">";
        out += t.no_ongoing;
        out += "</p></section>\n";
        return;
    }
    out += "<table class=\"outages\"><thead><tr>";
    for (const std::string_view head :
         {t.service, t.agency, t.started, t.duration, t.level, t.cause, t.acknowledged}) {
        out += "<th scope=\"col\">";
        out += head;
        out += "</th>";
    }
    out += "</tr></thead><tbody>\n";
    const auto cell = [&out](std::string_view label, const std::string& html) {
        out += "<td data-label=\"";
        out += label;
        out += "\">";
        out += html;
        out += "</td>";
    };
    for (const status_outage& o : v.open_outages) {
        out += "<tr>";
        cell(t.service, html_escape(o.service_name));
        cell(t.agency, html_escape(o.agency_name));
        cell(t.started, date_time_text(o.started_at, v.utc_offset, t));
        cell(t.duration,
             duration_text(std::chrono::floor<seconds>(v.generated_at - o.started_at), t));
        cell(t.level, o.level > 0 ? std::to_string(o.level) : std::string("\u2013"));
        cell(t.cause, html_escape(o.cause));
        cell(t.acknowledged, std::string(o.acknowledged ? t.yes : t.no));
        out += "</tr>\n";
    }
    out += "</tbody></table></section>\n";
}

void render_maintenance(std::string& out, const status_view& v, const labels& t) {
    out += R"(<section aria-labelledby="maintenance"><h2 id="maintenance">)";
    out += t.maintenance;
    out += "</h2>\n";
    if (v.maintenance.empty()) {
        out += "<p class=\"empty\">";
        out += t.no_maintenance;
        out += "</p></section>\n";
        return;
    }
    out += "<ul>\n";
    for (const status_maintenance& m : v.maintenance) {
        out += "<li><strong>";
        append_escaped(out, m.service_name.empty() ? m.agency_name : m.service_name);
        out += "</strong> (";
        if (m.service_name.empty()) {
            out += t.whole_agency;
        } else {
            append_escaped(out, m.agency_name);
        }
        out += "): ";
        out += date_time_text(m.from, v.utc_offset, t);
        out += " \u2013 ";
        out += date_time_text(m.to, v.utc_offset, t);
        if (!m.description.empty()) {
            out += ". ";
            append_escaped(out, m.description);
        }
        out += "</li>\n";
    }
    out += "</ul></section>\n";
}

const std::string& day_label(const std::vector<std::string>& dates, std::size_t i) {
    static const std::string none = "?";
    return i < dates.size() ? dates[i] : none;
}

// Dates of the window's days, "28 Nov 2026", made once per page.
std::vector<std::string> day_names(const status_view& v, std::size_t n, const labels& t) {
    std::vector<std::string> names;
    names.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        names.push_back(date_text(v.first_day + static_cast<std::int32_t>(i), t));
    }
    return names;
}

void render_bar(std::string& out, const status_service& s, const std::vector<std::string>& dates,
                const labels& t) {
    const std::size_t n = s.days.size();
    std::size_t bad_days = 0;
    for (const day_availability& d : s.days) {
        bad_days += d.availability && (d.down.count() > 0 || d.outages > 0) ? 1 : 0;
    }
    const std::string window =
        std::to_string(n) + std::string(text::unit_name(text::duration_unit::day, t.language));
    const std::string total = s.availability ? percent_text(*s.availability, t) : "\u2013";
    out += R"(<div class="bar" style="--n:)";
    out += std::to_string(n);
    out += R"(" role="img" aria-label=")";
    out += t.window;
    out += window;
    out += ": ";
    out += total;
    if (bad_days > 0) {
        out += "; ";
        out += t.days_with_outages;
        out += ": " + std::to_string(bad_days);
    }
    out += "\">";
    // Runs of days that look and read alike share one element (most days of most
    // services): 1,000 services stay a page of a few hundred kilobytes.
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && same_look(s.days[i], s.days[j])) {
            ++j;
        }
        out += "<span class=\"";
        out += day_class(s.days[i]);
        if (j - i > 1) {
            out += "\" style=\"flex-grow:";
            out += std::to_string(j - i);
        }
        out += "\" title=\"";
        out += day_label(dates, i);
        if (j - i > 1) {
            out += " \u2013 ";
            out += day_label(dates, j - 1);
        }
        out += ": ";
        out += day_text(s.days[i], t);
        out += "\"></span>";
        i = j;
    }
    out += "</div>\n<div class=\"bar-foot\"><span>";
    out += std::to_string(n);
    out += t.days_ago;
    out += "</span><span class=\"pct\">";
    out += total;
    out += "</span><span>";
    out += t.today;
    out += "</span></div>\n";
    if (bad_days > 0) {
        out += "<details><summary>";
        out += t.days_with_outages;
        out += " (" + std::to_string(bad_days) + ")</summary><ul>";
        for (std::size_t i = n; i-- > 0;) { // newest first
            const day_availability& d = s.days[i];
            if (d.availability && (d.down.count() > 0 || d.outages > 0)) {
                out += "<li>";
                out += day_label(dates, i);
                out += ": ";
                out += day_text(d, t);
                out += "</li>";
            }
        }
        out += "</ul></details>\n";
    }
}

void render_service(std::string& out, const status_view& v, const status_service& s,
                    const std::vector<std::string>& dates, const labels& t) {
    out += "<li class=\"svc st-";
    out += to_string(s.state);
    out += R"("><div class="svc-top"><span class="svc-name">)";
    append_escaped(out, s.name);
    out += R"(</span><span class="state"><span class="ico" aria-hidden="true">)";
    out += state_icons.at(index_of(s.state));
    out += "</span>";
    out += t.state.at(index_of(s.state));
    out += "</span></div>\n";
    if (s.state != display_state::up && s.state != display_state::unknown &&
        s.state != display_state::idle) {
        out += "<p class=\"svc-note\">";
        out += t.since;
        out += " ";
        out += date_time_text(s.since, v.utc_offset, t);
        if (!s.cause.empty()) {
            out += " \u00B7 ";
            append_escaped(out, s.cause);
        }
        out += "</p>\n";
    }
    if (!s.days.empty()) {
        render_bar(out, s, dates, t);
    }
    out += "</li>\n";
}

void render_services(std::string& out, const status_view& v, const labels& t) {
    out += R"(<section aria-labelledby="services"><h2 id="services">)";
    out += t.services;
    out += "</h2>\n<ul class=\"legend\" aria-label=\"";
    out += t.legend;
    out += "\">";
    const std::array<std::pair<std::string_view, std::string_view>, 4> legend{{
        {"d1", t.legend_full},
        {"d2", t.legend_minor},
        {"d3", t.legend_major},
        {"d0", t.legend_none},
    }};
    for (const auto& [cls, text] : legend) {
        out += "<li><i class=\"";
        out += cls;
        out += "\"></i>";
        out += text;
        out += "</li>";
    }
    out += "</ul>\n<p class=\"hint\">";
    out += t.legend_hint;
    out += "</p>\n";
    std::size_t longest = 0;
    for (const status_agency& a : v.agencies) {
        for (const status_service& s : a.services) {
            longest = std::max(longest, s.days.size());
        }
    }
    const std::vector<std::string> dates = day_names(v, longest, t);
    bool any = false;
    for (const status_agency& a : v.agencies) {
        if (a.services.empty()) {
            continue;
        }
        any = true;
        out += R"(<section class="agency" aria-labelledby="agency-)";
        append_escaped(out, a.id);
        out += "\"><h3 id=\"agency-";
        append_escaped(out, a.id);
        out += "\">";
        append_escaped(out, a.name.empty() ? a.id : a.name);
        out += "</h3>\n<ul class=\"svcs\">\n";
        for (const status_service& s : a.services) {
            render_service(out, v, s, dates, t);
        }
        out += "</ul></section>\n";
    }
    if (!any) {
        out += "<p class=\"empty\">";
        out += t.no_services;
        out += "</p>\n";
    }
    out += "</section>\n";
}

} // namespace

std::optional<status_lang> parse_status_lang(std::string_view s) {
    return text::parse_lang(s);
}

std::string_view to_string(display_state s) {
    switch (s) {
    case display_state::down: return "down";
    case display_state::degraded: return "degraded";
    case display_state::maintenance: return "maintenance";
    case display_state::up: return "up";
    case display_state::idle: return "idle";
    case display_state::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view status_page_script() {
    return embedded::status_page_js;
}

std::string render_status_page(const status_view& v, status_lang lang) {
    const labels& t = lang == status_lang::id ? labels_id : labels_en;
    const std::string_view title = v.title.empty() ? t.title : std::string_view(v.title);
    std::string out;
    std::size_t services = 0;
    for (const status_agency& a : v.agencies) {
        services += a.services.size();
    }
    out.reserve(8192 + services * 900);
    out += "<!doctype html>\n<html lang=\"";
    out += t.lang;
    out += "\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"color-scheme\" content=\"light dark\">\n<title>";
    append_escaped(out, title);
    out += "</title>\n<link rel=\"alternate\" hreflang=\"";
    out += t.other_lang;
    out += "\" href=\"?lang=";
    out += t.other_lang;
    out += "\">\n<style>\n";
    out += embedded::status_page_css;
    out += "</style>\n<script src=\"/status.js\"></script>\n</head>\n<body>\n";
    render_header(out, v, t, title);
    out += "<main id=\"main\" class=\"wrap\">\n";
    render_overall(out, v, t);
    render_outages(out, v, t);
    render_maintenance(out, v, t);
    render_services(out, v, t);
    out += "</main>\n<footer><div class=\"wrap\">";
    if (!v.footer.empty()) {
        out += "<p>";
        append_escaped(out, v.footer);
        out += "</p>";
    }
    out += "<p>";
    out += t.watched_by;
    out += " \u00B7 <a href=\"/api/v1/services\">JSON</a></p></div></footer>\n</body>\n</html>\n";
    return out;
}

} // namespace pantau
