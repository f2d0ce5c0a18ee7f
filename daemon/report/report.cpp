#include "report/report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <utility>

#include "core/html.hpp"
#include "core/time_format.hpp"

namespace pantau {

namespace {

using std::chrono::days;
using std::chrono::duration_cast;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// ---------------------------------------------------------------------------------------
// Time and number formatting

wall_time start_of_local_day(year_month_day d, minutes utc_offset) {
    return wall_time{sys_days{d}} - utc_offset;
}

seconds whole_seconds(wall_clock::duration d) {
    return d.count() <= 0 ? seconds{0} : duration_cast<seconds>(d);
}

seconds overlap(wall_time a_from, wall_time a_to, wall_time b_from, wall_time b_to) {
    const wall_time from = std::max(a_from, b_from);
    const wall_time to = std::min(a_to, b_to);
    return to > from ? whole_seconds(to - from) : seconds{0};
}

struct local_time {
    year_month_day date;
    int hour = 0;
    int minute = 0;
};

local_time to_local(wall_time t, minutes utc_offset) {
    const auto local = std::chrono::floor<seconds>(t + utc_offset);
    const auto day = std::chrono::floor<days>(local);
    const std::chrono::hh_mm_ss<seconds> hms{local - day};
    return {year_month_day{day}, static_cast<int>(hms.hours().count()),
            static_cast<int>(hms.minutes().count())};
}

std::string two_digits(int v) {
    std::string s = std::to_string(v);
    return s.size() < 2 ? "0" + s : s;
}

// "+07:00"
std::string offset_text(minutes utc_offset) {
    const long total = utc_offset.count();
    const long magnitude = std::labs(total);
    return std::string(total < 0 ? "-" : "+") + two_digits(static_cast<int>(magnitude / 60)) + ":" +
           two_digits(static_cast<int>(magnitude % 60));
}

std::string iso_date(year_month_day d) {
    return std::to_string(static_cast<int>(d.year())) + "-" +
           two_digits(static_cast<int>(static_cast<unsigned>(d.month()))) + "-" +
           two_digits(static_cast<int>(static_cast<unsigned>(d.day())));
}

// The zone people say: WIB, WITA, WIT for Indonesia's three offsets.
std::string zone_label(minutes utc_offset) {
    switch (utc_offset.count()) {
    case 7L * 60: return "WIB";
    case 8L * 60: return "WITA";
    case 9L * 60: return "WIT";
    default: return "UTC" + offset_text(utc_offset);
    }
}

constexpr std::array<std::string_view, 12> months_id = {
    "Januari", "Februari", "Maret",     "April",   "Mei",      "Juni",
    "Juli",    "Agustus",  "September", "Oktober", "November", "Desember"};
constexpr std::array<std::string_view, 12> months_en = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 12> months_short_id = {
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
constexpr std::array<std::string_view, 12> months_short_en = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::size_t month_index(year_month_day d) {
    return static_cast<std::size_t>(static_cast<unsigned>(d.month())) - 1;
}

// "28 November 2026" in both languages.
std::string long_date(year_month_day d, report_lang lang) {
    const auto& names = lang == report_lang::id ? months_id : months_en;
    return std::to_string(static_cast<unsigned>(d.day())) + " " +
           std::string(names.at(month_index(d))) + " " + std::to_string(static_cast<int>(d.year()));
}

std::string short_date(year_month_day d, report_lang lang) {
    const auto& names = lang == report_lang::id ? months_short_id : months_short_en;
    return std::to_string(static_cast<unsigned>(d.day())) + " " +
           std::string(names.at(month_index(d))) + " " + std::to_string(static_cast<int>(d.year()));
}

// Indonesian writes the time of day with a period (19.00), English with a colon.
std::string clock_time(const local_time& t, report_lang lang) {
    return two_digits(t.hour) + (lang == report_lang::id ? "." : ":") + two_digits(t.minute);
}

std::string long_date_time(wall_time t, minutes utc_offset, report_lang lang) {
    const local_time lt = to_local(t, utc_offset);
    return long_date(lt.date, lang) + " " + clock_time(lt, lang) + " " + zone_label(utc_offset);
}

std::string short_date_time(wall_time t, minutes utc_offset, report_lang lang) {
    const local_time lt = to_local(t, utc_offset);
    return short_date(lt.date, lang) + " " + clock_time(lt, lang);
}

std::string decimal(double value, int decimals, report_lang lang) {
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.*f", decimals, value);
    std::string s(buf.data());
    if (lang == report_lang::id) {
        std::replace(s.begin(), s.end(), '.', ',');
    }
    return s;
}

// Availability is rounded down, so a service just under its objective never shows the
// objective's figure ("99,50%" always means at least 99.5%).
std::string percent(std::optional<double> fraction, report_lang lang) {
    if (!fraction) {
        return "–";
    }
    const double hundredths = std::floor(*fraction * 10000.0 + 1e-6);
    return decimal(hundredths / 100.0, 2, lang) + "%";
}

// Objectives as configured: at least two decimals, more when given ("99,95%", "99,995%").
std::string objective_text(std::optional<double> objective, report_lang lang) {
    if (!objective) {
        return "–";
    }
    std::string s = decimal(*objective, 4, lang);
    while (s.size() > 3 && s.back() == '0' && s[s.size() - 3] != ',' && s[s.size() - 3] != '.') {
        s.pop_back();
    }
    return s + "%";
}

// The two largest units: "2 jam 15 menit", "3 d 4 h", "45 s".
std::string human_duration(seconds d, report_lang lang) {
    const bool id = lang == report_lang::id;
    const std::array<std::pair<long long, std::string_view>, 4> units = {{
        {86400, id ? " hari" : " d"},
        {3600, id ? " jam" : " h"},
        {60, id ? " menit" : " min"},
        {1, id ? " detik" : " s"},
    }};
    long long rest = d.count();
    std::string out;
    int parts = 0;
    for (const auto& [size, name] : units) {
        const long long n = rest / size;
        if (n > 0 && parts < 2) {
            out += (out.empty() ? "" : " ") + std::to_string(n) + std::string(name);
            rest -= n * size;
            ++parts;
        } else if (parts > 0) {
            break; // only adjacent units: "1 hari 5 menit" would read as more precise than it is
        }
    }
    return out.empty() ? "0" + std::string(id ? " menit" : " min") : out;
}

std::string human_duration(std::optional<seconds> d, report_lang lang) {
    return d ? human_duration(*d, lang) : "–";
}

// ---------------------------------------------------------------------------------------
// Building the model

struct span_less {
    bool operator()(const monitoring_gap& a, const monitoring_gap& b) const {
        return a.from < b.from;
    }
};

// Clips gaps to [from, to), sorts and merges overlapping ones.
std::vector<monitoring_gap> clip_gaps(std::vector<monitoring_gap> raw, wall_time from,
                                      wall_time to) {
    std::vector<monitoring_gap> clipped;
    for (monitoring_gap& g : raw) {
        g.from = std::max(g.from, from);
        g.to = std::min(g.to, to);
        if (g.to > g.from) {
            clipped.push_back(g);
        }
    }
    std::sort(clipped.begin(), clipped.end(), span_less{});
    std::vector<monitoring_gap> merged;
    for (const monitoring_gap& g : clipped) {
        if (!merged.empty() && g.from <= merged.back().to) {
            merged.back().to = std::max(merged.back().to, g.to);
        } else {
            merged.push_back(g);
        }
    }
    return merged;
}

std::optional<seconds> mean(const std::vector<seconds>& values) {
    if (values.empty()) {
        return std::nullopt;
    }
    seconds sum{0};
    for (seconds v : values) {
        sum += v;
    }
    return sum / static_cast<long long>(values.size());
}

std::optional<double> availability_of(const availability_figures& f) {
    if (f.considered.count() <= 0) {
        return std::nullopt;
    }
    const auto down = static_cast<double>(f.down.count());
    const auto considered = static_cast<double>(f.considered.count());
    return 1.0 - std::min(down, considered) / considered;
}

void add_to(availability_figures& sum, const availability_figures& part) {
    sum.considered += part.considered;
    sum.down += part.down;
    sum.unmonitored += part.unmonitored;
    sum.availability = availability_of(sum);
}

conformance_status judge(const std::optional<double>& objective, const report_figures& f) {
    if (!objective) {
        return conformance_status::no_objective;
    }
    const std::optional<double> a = f.judged().availability;
    if (!a) {
        return conformance_status::no_data;
    }
    return *a * 100.0 + 1e-9 >= *objective ? conformance_status::met : conformance_status::not_met;
}

void insert_sorted_unique(std::vector<std::string>& names, const std::string& name) {
    const auto it = std::lower_bound(names.begin(), names.end(), name);
    if (it == names.end() || *it != name) {
        names.insert(it, name);
    }
}

// Outage durations of a service or agency, for the means.
struct response_times {
    std::vector<seconds> to_acknowledge;
    std::vector<seconds> to_recover;

    void add(const outage_record& o) {
        if (o.acknowledged_at) {
            to_acknowledge.push_back(whole_seconds(*o.acknowledged_at - o.started_at));
        }
        if (o.ended_at) {
            to_recover.push_back(whole_seconds(*o.ended_at - o.started_at));
        }
    }
};

void compute_service(service_report& s, const report& r, const std::vector<time_span>& gap_spans,
                     const service_calendar* calendar, wall_time now) {
    availability_input in;
    in.period = {r.period_from, r.covered_to};
    in.gaps = gap_spans;
    in.calendar = calendar; // in its own zone, which may differ from the report's
    response_times times;
    report_figures& f = s.figures;
    for (report_outage& o : s.outages) {
        const outage_record& rec = o.record;
        const wall_time end = rec.ended_at ? *rec.ended_at : std::min(now, r.period_to);
        o.duration = whole_seconds((rec.ended_at ? *rec.ended_at : now) - rec.started_at);
        o.in_period = overlap(rec.started_at, end, r.period_from, r.covered_to);
        if (end > rec.started_at) {
            in.downtime.push_back({rec.started_at, end});
        }
        f.longest_downtime = std::max(f.longest_downtime, o.in_period);
        f.highest_level = std::max(f.highest_level, rec.level);
        if (rec.acknowledged_by && !rec.acknowledged_by->empty()) {
            insert_sorted_unique(f.acknowledged_by, *rec.acknowledged_by);
        }
        times.add(rec);
    }
    const availability_result a = compute_availability(in);
    f.overall = a.overall;
    f.in_service_hours = a.in_service_hours;
    f.outage_count = s.outages.size();
    f.total_downtime = a.overall.down;
    f.mtta = mean(times.to_acknowledge);
    f.mttr = mean(times.to_recover);
    s.conformance = judge(s.objective, f);
}

void roll_up(agency_report& a) {
    report_figures& f = a.figures;
    response_times times;
    for (const service_report& s : a.services) {
        add_to(f.overall, s.figures.overall);
        if (s.figures.in_service_hours) {
            if (!f.in_service_hours) {
                f.in_service_hours = availability_figures{};
            }
            add_to(*f.in_service_hours, *s.figures.in_service_hours);
        }
        f.outage_count += s.figures.outage_count;
        f.total_downtime += s.figures.total_downtime;
        f.longest_downtime = std::max(f.longest_downtime, s.figures.longest_downtime);
        f.highest_level = std::max(f.highest_level, s.figures.highest_level);
        for (const std::string& name : s.figures.acknowledged_by) {
            insert_sorted_unique(f.acknowledged_by, name);
        }
        for (const report_outage& o : s.outages) {
            times.add(o.record);
        }
        switch (s.conformance) {
        case conformance_status::met: ++a.services_met; break;
        case conformance_status::not_met: ++a.services_not_met; break;
        case conformance_status::no_objective:
        case conformance_status::no_data: break;
        }
    }
    f.mtta = mean(times.to_acknowledge);
    f.mttr = mean(times.to_recover);
}

} // namespace

std::optional<report_format> parse_report_format(std::string_view s) {
    if (s == "md" || s == "markdown") {
        return report_format::markdown;
    }
    if (s == "csv") {
        return report_format::csv;
    }
    if (s == "html") {
        return report_format::html;
    }
    if (s == "json") {
        return report_format::json;
    }
    return std::nullopt;
}

std::optional<report_lang> parse_report_lang(std::string_view s) {
    if (s == "id") {
        return report_lang::id;
    }
    if (s == "en") {
        return report_lang::en;
    }
    return std::nullopt;
}

std::string_view to_string(conformance_status c) {
    switch (c) {
    case conformance_status::met: return "met";
    case conformance_status::not_met: return "not_met";
    case conformance_status::no_objective: return "no_objective";
    case conformance_status::no_data: return "no_data";
    }
    return "unknown";
}

report build_report(ledger& l, const config& cfg, const report_options& opt, wall_time now) {
    report r;
    r.from = opt.from;
    r.to = opt.to;
    r.timezone = cfg.timezone;
    r.utc_offset = cfg.utc_offset;
    r.period_from = start_of_local_day(opt.from, r.utc_offset);
    r.period_to = start_of_local_day(year_month_day{sys_days{opt.to} + days{1}}, r.utc_offset);
    r.covered_to = std::clamp(now, r.period_from, std::max(r.period_from, r.period_to));
    r.generated_at = now;
    r.agency_filter = opt.agency;
    r.organization = opt.organization;
    r.ledger_check = opt.ledger_check;

    r.gaps = clip_gaps(l.gaps(r.period_from, r.period_to), r.period_from, r.covered_to);
    std::vector<time_span> gap_spans;
    for (const monitoring_gap& g : r.gaps) {
        r.unmonitored += whole_seconds(g.to - g.from);
        gap_spans.push_back({g.from, g.to});
    }

    const auto wanted = [&](const std::string& agency) {
        return !opt.agency || *opt.agency == agency;
    };
    // Agencies and services in configuration order, then those only the ledger knows.
    std::map<std::string, std::size_t> agency_index;
    const auto agency_of = [&](const std::string& id) -> agency_report& {
        const auto [it, inserted] = agency_index.try_emplace(id, r.agencies.size());
        if (inserted) {
            agency_report a;
            a.id = id;
            a.name = id;
            r.agencies.push_back(std::move(a));
        }
        return r.agencies[it->second];
    };
    std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> where;
    const auto service_of = [&](const std::string& agency,
                                const std::string& id) -> service_report& {
        agency_report& a = agency_of(agency);
        const auto key = std::make_pair(agency, id);
        auto it = where.find(key);
        if (it == where.end()) {
            service_report s;
            s.agency = agency;
            s.id = id;
            s.name = id;
            s.configured = false;
            a.services.push_back(std::move(s));
            it = where.emplace(key, std::make_pair(agency_index[agency], a.services.size() - 1))
                     .first;
        }
        return r.agencies[it->second.first].services[it->second.second];
    };

    for (const agency_config& a : cfg.agencies) {
        if (wanted(a.id)) {
            agency_of(a.id).name = a.name.empty() ? a.id : a.name;
        }
    }
    std::map<std::pair<std::string, std::string>, const service_calendar*> calendars;
    for (const service_config& s : cfg.services) {
        if (!wanted(s.agency)) {
            continue;
        }
        service_report& sr = service_of(s.agency, s.id);
        sr.name = s.name.empty() ? s.id : s.name;
        sr.configured = true;
        sr.objective = s.objective;
        if (s.hours) {
            if (const auto it = cfg.calendars.find(*s.hours); it != cfg.calendars.end()) {
                sr.calendar = *s.hours;
                calendars[{s.agency, s.id}] = &it->second;
            }
        }
    }

    outage_query q;
    q.from = r.period_from;
    q.to = r.period_to;
    q.agency = opt.agency;
    std::vector<outage_record> outages = l.outages(q);
    std::sort(outages.begin(), outages.end(), [](const outage_record& a, const outage_record& b) {
        return a.started_at != b.started_at ? a.started_at < b.started_at : a.id < b.id;
    });
    for (outage_record& o : outages) {
        const bool overlaps =
            o.started_at < r.period_to && (!o.ended_at || *o.ended_at > r.period_from);
        if (!overlaps || !wanted(o.agency)) {
            continue;
        }
        service_report& s = service_of(o.agency, o.service);
        report_outage ro;
        ro.record = std::move(o);
        s.outages.push_back(std::move(ro));
    }

    // Ledger-only agencies and services after the configured ones, by id.
    const std::size_t configured_agencies =
        std::count_if(cfg.agencies.begin(), cfg.agencies.end(),
                      [&](const agency_config& a) { return wanted(a.id); });
    std::sort(r.agencies.begin() + static_cast<std::ptrdiff_t>(configured_agencies),
              r.agencies.end(),
              [](const agency_report& a, const agency_report& b) { return a.id < b.id; });
    for (agency_report& a : r.agencies) {
        const auto first_unconfigured =
            std::stable_partition(a.services.begin(), a.services.end(),
                                  [](const service_report& s) { return s.configured; });
        std::sort(first_unconfigured, a.services.end(),
                  [](const service_report& x, const service_report& y) { return x.id < y.id; });
    }

    for (agency_report& a : r.agencies) {
        for (service_report& s : a.services) {
            const auto it = calendars.find({s.agency, s.id});
            compute_service(s, r, gap_spans, it == calendars.end() ? nullptr : it->second, now);
        }
        roll_up(a);
        r.service_count += a.services.size();
        r.services_met += a.services_met;
        r.services_not_met += a.services_not_met;
        r.outage_count += a.figures.outage_count;
    }
    return r;
}

// ---------------------------------------------------------------------------------------
// Shared by the renderers

namespace {

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

constexpr labels labels_id{
    .title = "Laporan Ketersediaan Layanan Publik",
    .period = "Periode",
    .generated = "Dibuat",
    .agency_only = "Instansi",
    .agency = "Instansi",
    .service = "Layanan",
    .availability = "Ketersediaan",
    .in_hours = "Dalam jam layanan",
    .objective = "Target",
    .conformance = "Status",
    .outages = "Gangguan",
    .downtime = "Waktu henti",
    .longest = "terlama",
    .mtta = "Waktu tanggap rata-rata (MTTA)",
    .mttr = "Waktu pemulihan rata-rata (MTTR)",
    .level = "Eskalasi tertinggi",
    .acknowledged_by = "Ditanggapi oleh",
    .met = "Memenuhi",
    .not_met = "Tidak memenuhi",
    .no_objective = "Tanpa target",
    .no_data = "Tanpa data",
    .summary = "Ringkasan",
    .services_chart = "Ketersediaan per layanan",
    .chart_note = "Batang menunjukkan ketersediaan (dalam jam layanan bila layanan memiliki "
                  "kalender jam layanan); garis tegak menunjukkan target.",
    .scale = "Skala",
    .details = "Rincian per instansi",
    .agency_total = "Seluruh layanan instansi",
    .outage_list = "Daftar gangguan",
    .no_outages = "Tidak ada gangguan dalam periode ini.",
    .started = "Mulai",
    .ended = "Selesai",
    .duration = "Durasi",
    .cause = "Penyebab",
    .ongoing = "masih berlangsung",
    .not_acknowledged = "belum ditanggapi",
    .gaps = "Celah pemantauan",
    .no_gaps = "Tidak ada celah pemantauan dalam periode ini.",
    .gap_from = "Dari",
    .gap_to = "Sampai",
    .gaps_total = "Total celah pemantauan",
    .gaps_note = "Selama celah pemantauan Pantau tidak berjalan; waktu tersebut tidak dihitung "
                 "sebagai tersedia maupun henti.",
    .verification = "Verifikasi",
    .last_hash = "Hash terakhir buku besar",
    .events = "peristiwa",
    .verify_hint = "Periksa dengan perintah",
    .chain_ok = "rantai hash utuh saat laporan dibuat",
    .warning = "PERINGATAN",
    .warning_text = "Buku besar gangguan tidak lolos verifikasi rantai hash. Isinya mungkin "
                    "telah diubah; angka dalam laporan ini tidak dapat dijamin.",
    .not_in_config = "tidak ada dalam konfigurasi",
    .services_word = "layanan",
    .kpi_services = "Layanan dipantau",
    .kpi_not_met = "Tidak memenuhi target",
    .kpi_outages = "Gangguan",
    .kpi_downtime = "Total waktu henti",
    .kpi_gaps = "Celah pemantauan",
    .covered_until = "Data hingga",
    .open_note = "Gangguan yang masih berlangsung dihitung hingga saat laporan dibuat.",
    .legend_objective = "target",
    .th_availability = "Keter\u00ADsediaan",
    .th_in_hours = "Jam layanan",
    .th_outages = "Gang\u00ADguan",
    .th_level = "Eskalasi",
    .th_acknowledged_by = "Ditang\u00ADgapi oleh",
    .page = "Halaman",
    .none = "–",
};

constexpr labels labels_en{
    .title = "Public Service Availability Report",
    .period = "Period",
    .generated = "Generated",
    .agency_only = "Agency",
    .agency = "Agency",
    .service = "Service",
    .availability = "Availability",
    .in_hours = "In service hours",
    .objective = "Objective",
    .conformance = "Status",
    .outages = "Outages",
    .downtime = "Downtime",
    .longest = "longest",
    .mtta = "Mean time to acknowledge (MTTA)",
    .mttr = "Mean time to recover (MTTR)",
    .level = "Highest escalation",
    .acknowledged_by = "Acknowledged by",
    .met = "Met",
    .not_met = "Not met",
    .no_objective = "No objective",
    .no_data = "No data",
    .summary = "Summary",
    .services_chart = "Availability per service",
    .chart_note = "Bars show availability (within service hours when the service has a "
                  "service-hours calendar); the vertical line marks the objective.",
    .scale = "Scale",
    .details = "Details per agency",
    .agency_total = "All services of the agency",
    .outage_list = "Outages",
    .no_outages = "No outages in this period.",
    .started = "Started",
    .ended = "Ended",
    .duration = "Duration",
    .cause = "Cause",
    .ongoing = "ongoing",
    .not_acknowledged = "not acknowledged",
    .gaps = "Monitoring gaps",
    .no_gaps = "No monitoring gaps in this period.",
    .gap_from = "From",
    .gap_to = "To",
    .gaps_total = "Total monitoring gaps",
    .gaps_note = "Pantau was not running during a monitoring gap; that time counts neither as "
                 "available nor as down.",
    .verification = "Verification",
    .last_hash = "Last ledger hash",
    .events = "events",
    .verify_hint = "Check with",
    .chain_ok = "hash chain intact when the report was generated",
    .warning = "WARNING",
    .warning_text = "The outage ledger failed hash-chain verification. It may have been "
                    "altered; the figures in this report cannot be vouched for.",
    .not_in_config = "not in the configuration",
    .services_word = "services",
    .kpi_services = "Services watched",
    .kpi_not_met = "Objective not met",
    .kpi_outages = "Outages",
    .kpi_downtime = "Total downtime",
    .kpi_gaps = "Monitoring gaps",
    .covered_until = "Data up to",
    .open_note = "Ongoing outages are counted up to the time the report was generated.",
    .legend_objective = "objective",
    .th_availability = "Avail\u00ADability",
    .th_in_hours = "Service hours",
    .th_outages = "Out\u00ADages",
    .th_level = "Escalation",
    .th_acknowledged_by = "Acknow\u00ADledged by",
    .page = "Page",
    .none = "–",
};

const labels& labels_for(report_lang lang) {
    return lang == report_lang::id ? labels_id : labels_en;
}

std::string_view conformance_label(conformance_status c, const labels& t) {
    switch (c) {
    case conformance_status::met: return t.met;
    case conformance_status::not_met: return t.not_met;
    case conformance_status::no_objective: return t.no_objective;
    case conformance_status::no_data: return t.no_data;
    }
    return t.none;
}

std::string level_text(int level, const labels& t) {
    return level > 0 ? "Level " + std::to_string(level) : std::string(t.none);
}

// "1/2 Memenuhi": services that met their objective out of those judged.
std::string agency_conformance(const agency_report& a, const labels& t) {
    const std::size_t judged = a.services_met + a.services_not_met;
    if (judged == 0) {
        return std::string(t.no_objective);
    }
    return std::to_string(a.services_met) + "/" + std::to_string(judged) + " " + std::string(t.met);
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) {
            out += sep;
        }
        out += item;
    }
    return out;
}

// The sentence leadership reads first.
std::string headline(const report& r, report_lang lang) {
    const std::string total = std::to_string(r.service_count);
    const std::size_t other = r.service_count - r.services_met - r.services_not_met;
    if (lang == report_lang::id) {
        if (r.service_count == 0) {
            return "Tidak ada layanan dalam laporan ini.";
        }
        if (r.services_not_met > 0) {
            return std::to_string(r.services_not_met) + " dari " + total +
                   " layanan tidak memenuhi target.";
        }
        if (other == 0) {
            return "Seluruh " + total + " layanan memenuhi target.";
        }
        return "Tidak ada layanan yang gagal memenuhi target (" + std::to_string(r.services_met) +
               " dari " + total + " memenuhi, " + std::to_string(other) +
               " tanpa target atau tanpa data).";
    }
    if (r.service_count == 0) {
        return "There are no services in this report.";
    }
    if (r.services_not_met > 0) {
        return std::to_string(r.services_not_met) + " of " + total +
               (r.service_count == 1 ? " service" : " services") + " did not meet " +
               (r.services_not_met == 1 ? "its" : "their") + " objective.";
    }
    if (other == 0) {
        return (r.service_count == 1 ? "The only service met its objective."
                                     : "All " + total + " services met their objective.");
    }
    return "No service missed its objective (" + std::to_string(r.services_met) + " of " + total +
           " met, " + std::to_string(other) + " without an objective or data).";
}

// Total downtime and the longest outage across the report, with the service it hit.
struct worst_outage {
    const service_report* service = nullptr;
    seconds longest{0};
    seconds total{0};
};

worst_outage find_worst(const report& r) {
    worst_outage w;
    for (const agency_report& a : r.agencies) {
        w.total += a.figures.total_downtime;
        for (const service_report& s : a.services) {
            if (s.figures.longest_downtime > w.longest) {
                w.longest = s.figures.longest_downtime;
                w.service = &s;
            }
        }
    }
    return w;
}

std::string second_sentence(const report& r, report_lang lang) {
    const worst_outage w = find_worst(r);
    const bool id = lang == report_lang::id;
    std::string out;
    if (r.outage_count == 0) {
        out = id ? "Tidak ada gangguan tercatat." : "No outages were recorded.";
    } else {
        const std::string n = std::to_string(r.outage_count);
        out = id ? n + " gangguan, total waktu henti " + human_duration(w.total, lang)
                 : n + (r.outage_count == 1 ? " outage" : " outages") + ", " +
                       human_duration(w.total, lang) + " of downtime in total";
        if (w.service != nullptr) {
            out += (id ? "; terlama " : "; the longest ") + human_duration(w.longest, lang) +
                   (id ? " pada " : " on ") + w.service->name;
        }
        out += ".";
    }
    if (r.unmonitored.count() > 0) {
        out += id ? " Celah pemantauan " + human_duration(r.unmonitored, lang) + "."
                  : " Monitoring gaps: " + human_duration(r.unmonitored, lang) + ".";
    }
    return out;
}

std::string period_text(const report& r, report_lang lang) {
    return long_date(r.from, lang) + " – " + long_date(r.to, lang) + " (" +
           zone_label(r.utc_offset) + ")";
}

// ---------------------------------------------------------------------------------------
// Markdown

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
    std::string out = s.name == s.id ? s.id : s.name + " (" + s.id + ")";
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

// ---------------------------------------------------------------------------------------
// CSV

namespace {

// RFC 4180: quote a field holding a comma, quote or line break; double inner quotes. A text
// field that a spreadsheet would run as a formula (=, +, -, @) gets a leading apostrophe.
std::string csv_text(std::string_view text) {
    std::string value(text);
    if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string::npos) {
        value.insert(0, 1, '\'');
    }
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        return value;
    }
    std::string out = "\"";
    for (char ch : value) {
        out += ch;
        if (ch == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

std::string plain_number(double v) {
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.6f", v);
    std::string s(buf.data());
    while (s.back() == '0') {
        s.pop_back();
    }
    if (s.back() == '.') {
        s.pop_back();
    }
    return s;
}

std::string csv_percent(std::optional<double> fraction) {
    return fraction ? plain_number(*fraction * 100.0) : "";
}

std::string csv_seconds(std::optional<seconds> d) {
    return d ? std::to_string(d->count()) : "";
}

} // namespace

std::string render_csv(const report& r) {
    std::string out =
        "agency,agency_name,service,service_name,configured,availability_percent,"
        "availability_in_service_hours_percent,objective_percent,conformance,outages,"
        "downtime_seconds,longest_downtime_seconds,mtta_seconds,mttr_seconds,highest_level,"
        "acknowledged_by,watched_seconds,unmonitored_seconds\r\n";
    for (const agency_report& a : r.agencies) {
        for (const service_report& s : a.services) {
            const report_figures& f = s.figures;
            out += csv_text(a.id) + "," + csv_text(a.name) + "," + csv_text(s.id) + "," +
                   csv_text(s.name) + "," + (s.configured ? "true" : "false") + "," +
                   csv_percent(f.overall.availability) + "," +
                   (f.in_service_hours ? csv_percent(f.in_service_hours->availability) : "") + "," +
                   (s.objective ? plain_number(*s.objective) : "") + "," +
                   std::string(to_string(s.conformance)) + "," + std::to_string(f.outage_count) +
                   "," + std::to_string(f.total_downtime.count()) + "," +
                   std::to_string(f.longest_downtime.count()) + "," + csv_seconds(f.mtta) + "," +
                   csv_seconds(f.mttr) + "," + std::to_string(f.highest_level) + "," +
                   csv_text(join(f.acknowledged_by, "; ")) + "," +
                   std::to_string(f.overall.considered.count()) + "," +
                   std::to_string(f.overall.unmonitored.count()) + "\r\n";
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// JSON

namespace {

nlohmann::json json_percent(std::optional<double> fraction) {
    if (!fraction) {
        return nullptr;
    }
    return std::round(*fraction * 100.0 * 1e6) / 1e6;
}

nlohmann::json json_seconds(std::optional<seconds> d) {
    return d ? nlohmann::json(d->count()) : nlohmann::json(nullptr);
}

nlohmann::json availability_json(const availability_figures& f) {
    return {
        {"availability_percent", json_percent(f.availability)},
        {"watched_seconds", f.considered.count()},
        {"down_seconds", f.down.count()},
        {"unmonitored_seconds", f.unmonitored.count()},
    };
}

void put_figures(nlohmann::json& j, const report_figures& f) {
    j["availability"] = availability_json(f.overall);
    j["availability_in_service_hours"] =
        f.in_service_hours ? availability_json(*f.in_service_hours) : nlohmann::json(nullptr);
    j["outage_count"] = f.outage_count;
    j["downtime_seconds"] = f.total_downtime.count();
    j["longest_downtime_seconds"] = f.longest_downtime.count();
    j["mtta_seconds"] = json_seconds(f.mtta);
    j["mttr_seconds"] = json_seconds(f.mttr);
    j["highest_level"] = f.highest_level;
    j["acknowledged_by"] = f.acknowledged_by;
}

nlohmann::json outage_json(const report_outage& o, minutes off) {
    const outage_record& rec = o.record;
    const auto opt_time = [off](const std::optional<wall_time>& t) {
        return t ? nlohmann::json(format_rfc3339(*t, off)) : nlohmann::json(nullptr);
    };
    return {
        {"id", rec.id},
        {"agency", rec.agency},
        {"service", rec.service},
        {"started_at", format_rfc3339(rec.started_at, off)},
        {"ended_at", opt_time(rec.ended_at)},
        {"duration_seconds", o.duration.count()},
        {"in_period_seconds", o.in_period.count()},
        {"cause", rec.cause},
        {"level", rec.level},
        {"acknowledged_by",
         rec.acknowledged_by ? nlohmann::json(*rec.acknowledged_by) : nlohmann::json(nullptr)},
        {"acknowledged_at", opt_time(rec.acknowledged_at)},
    };
}

} // namespace

nlohmann::json report_json(const report& r) {
    const minutes off = r.utc_offset;
    nlohmann::json agencies = nlohmann::json::array();
    for (const agency_report& a : r.agencies) {
        nlohmann::json services = nlohmann::json::array();
        for (const service_report& s : a.services) {
            nlohmann::json js = {
                {"agency", s.agency},
                {"id", s.id},
                {"name", s.name},
                {"configured", s.configured},
                {"objective_percent", s.objective ? nlohmann::json(*s.objective) : nullptr},
                {"calendar", s.calendar ? nlohmann::json(*s.calendar) : nullptr},
                {"conformance", to_string(s.conformance)},
            };
            put_figures(js, s.figures);
            nlohmann::json outages = nlohmann::json::array();
            for (const report_outage& o : s.outages) {
                outages.push_back(outage_json(o, off));
            }
            js["outages"] = std::move(outages);
            services.push_back(std::move(js));
        }
        nlohmann::json ja = {
            {"id", a.id},
            {"name", a.name},
            {"services_met", a.services_met},
            {"services_not_met", a.services_not_met},
        };
        put_figures(ja, a.figures);
        ja["services"] = std::move(services);
        agencies.push_back(std::move(ja));
    }
    nlohmann::json gaps = nlohmann::json::array();
    for (const monitoring_gap& g : r.gaps) {
        gaps.push_back({{"from", format_rfc3339(g.from, off)},
                        {"to", format_rfc3339(g.to, off)},
                        {"duration_seconds", whole_seconds(g.to - g.from).count()}});
    }
    return {
        {"period",
         {{"from_date", iso_date(r.from)},
          {"to_date", iso_date(r.to)},
          {"from", format_rfc3339(r.period_from, off)},
          {"to", format_rfc3339(r.period_to, off)},
          {"covered_to", format_rfc3339(r.covered_to, off)},
          {"timezone", r.timezone},
          {"utc_offset", offset_text(off)}}},
        {"generated_at", format_rfc3339(r.generated_at, off)},
        {"agency", r.agency_filter ? nlohmann::json(*r.agency_filter) : nullptr},
        {"organization", r.organization},
        {"summary",
         {{"services", r.service_count},
          {"services_met", r.services_met},
          {"services_not_met", r.services_not_met},
          {"outages", r.outage_count},
          {"unmonitored_seconds", r.unmonitored.count()}}},
        {"ledger",
         {{"verified", r.ledger_check.ok},
          {"events", r.ledger_check.events},
          {"last_hash", r.ledger_check.last_hash},
          {"problem",
           r.ledger_check.ok ? nlohmann::json(nullptr) : nlohmann::json(r.ledger_check.problem)}}},
        {"agencies", std::move(agencies)},
        {"monitoring_gaps", std::move(gaps)},
    };
}

std::string render_json(const report& r) {
    return report_json(r).dump(2) + "\n";
}

// ---------------------------------------------------------------------------------------
// HTML

namespace {

constexpr std::string_view html_style = R"css(
@page { size: A4; margin: 15mm 14mm 16mm; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { background: #dfe3e8; }
body { margin: 0; color: #1c2430; font: 10pt/1.45 "Liberation Sans", Arial, Helvetica, sans-serif; }
.page { width: 210mm; min-height: 297mm; margin: 10mm auto; padding: 15mm 14mm 16mm;
  background: #fff; box-shadow: 0 1px 8px rgba(0,0,0,.25); }
header.doc { border-bottom: 2.5pt solid #12355b; padding-bottom: 3.5mm; margin-bottom: 5mm; }
.org { font-size: 9pt; font-weight: bold; letter-spacing: .08em; text-transform: uppercase;
  color: #12355b; }
h1 { margin: 1mm 0 2.5mm; font-size: 19pt; line-height: 1.2; color: #12355b; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .4mm 4mm; margin: 0;
  font-size: 9.5pt; color: #3a4656; }
.meta dt { font-weight: bold; } .meta dd { margin: 0; }
h2 { margin: 7mm 0 2.5mm; padding-bottom: 1mm; font-size: 12.5pt; color: #12355b;
  border-bottom: .75pt solid #12355b; break-after: avoid; page-break-after: avoid; }
h3 { margin: 5mm 0 1.5mm; font-size: 11pt; break-after: avoid; page-break-after: avoid; }
h3 small { font-weight: normal; color: #5a6574; }
.warning { margin: 0 0 5mm; padding: 3mm 4mm; border: 2pt solid #b00020; background: #fdecee;
  color: #7a0015; font-weight: bold; }
.headline { margin: 0 0 3mm; padding: 3mm 4mm; font-size: 13.5pt; font-weight: bold;
  line-height: 1.3; background: #f3f5f8; border-left: 5pt solid #0b7a3b; }
.headline.bad { border-left-color: #b00020; }
.headline span { display: block; margin-top: 1mm; font-size: 10pt; font-weight: normal; }
.kpis { display: flex; gap: 3mm; margin: 0 0 2mm; }
.kpi { flex: 1; padding: 2mm 3mm; border: .75pt solid #c9d1db; border-radius: 1.5mm; }
.kpi b { display: block; font-size: 15pt; line-height: 1.2; }
.kpi span { font-size: 8pt; color: #4a5666; }
.kpi.bad b { color: #b00020; }
.kpi.warn b { color: #a35a00; }
table { width: 100%; border-collapse: collapse; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th { padding: 1.4mm 1.5mm; background: #12355b; color: #fff; text-align: left;
  font-size: 8pt; font-weight: bold; line-height: 1.25; vertical-align: bottom;
  hyphens: manual; }
td { padding: 1.3mm 1.5mm; border-bottom: .5pt solid #cfd6de; vertical-align: top; }
tbody tr:nth-child(even) td { background: #f7f9fb; }
tfoot td { border-top: 1pt solid #12355b; border-bottom: none; font-weight: bold;
  background: #eef2f6; }
.num { text-align: right; }
.nowrap, .pct { white-space: nowrap; }
table.fixed { table-layout: fixed; }
th small { display: block; font-weight: normal; font-size: 7.5pt; }
td small, .small { display: block; color: #5a6574; font-size: 7.5pt; }
.id { color: #5a6574; font-size: 7.5pt; }
.met { color: #0b7a3b; font-weight: bold; }
.not_met { color: #b00020; font-weight: bold; }
.no_objective, .no_data, .muted { color: #5a6574; }
.ongoing { color: #b00020; font-weight: bold; }
.chart td { vertical-align: middle; }
.chart svg { display: block; width: 100%; height: 4.2mm; }
.note { margin: 1.5mm 0 0; font-size: 8pt; color: #4a5666; }
footer.doc { margin-top: 8mm; padding-top: 2mm; border-top: .75pt solid #8a96a6; font-size: 8pt;
  color: #3a4656; }
code { font: 8pt "Liberation Mono", "DejaVu Sans Mono", monospace; word-break: break-all; }
@media print {
  html { background: #fff; }
  .page { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
  section.details { break-before: page; page-break-before: always; }
}
)css";

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
    out += "</title>\n<style>";
    out += html_style;
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

std::string render(const report& r, report_format format, report_lang lang) {
    switch (format) {
    case report_format::markdown: return render_markdown(r, lang);
    case report_format::csv: return render_csv(r);
    case report_format::html: return render_html(r, lang);
    case report_format::json: return render_json(r);
    }
    return {};
}

} // namespace pantau
