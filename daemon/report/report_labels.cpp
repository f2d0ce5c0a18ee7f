// The words of the reports people read, in bahasa Indonesia and English, and the sentences
// built from them.
#include <cmath>

#include "report/report_detail.hpp"

namespace pantau::report_detail {

namespace {

using std::chrono::seconds;
using text::decimal;
using text::human_duration;
using text::long_date;
using text::zone_name;

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

} // namespace

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
           zone_name(r.utc_offset) + ")";
}

std::string percent(std::optional<double> fraction, report_lang lang) {
    if (!fraction) {
        return "–";
    }
    const double hundredths = std::floor(*fraction * 10000.0 + 1e-6);
    return decimal(hundredths / 100.0, 2, lang) + "%";
}

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

std::string human_duration(std::optional<seconds> d, report_lang lang) {
    return d ? human_duration(*d, lang) : "–";
}

} // namespace pantau::report_detail
