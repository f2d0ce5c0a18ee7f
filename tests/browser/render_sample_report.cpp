// Writes the HTML report of a sample municipality (a fake ledger, November 2026) for the
// browser test: render_sample_report OUTPUT.html [id|en]
#include <cstdio>
#include <fstream>
#include <string>
#include <variant>

#include "fake_ledger.hpp"
#include "report/report.hpp"

namespace {

using pantau::outage_record;
using pantau::wall_time;
using pantau::testing::wib;

const char* const sample_yaml = R"(ledger: /nonexistent/ledger.db
timezone: Asia/Jakarta
calendars:
  jam-layanan:
    hours: {mon-thu: "07:30-16:00", fri: "07:30-16:30"}
    holidays: [2026-11-16]
channels:
  ops: {webhook: {url: "https://ops.example.go.id/hook"}}
escalation:
  standar: [{after: 0m, notify: ops}]
agencies:
  - {id: dukcapil, name: Dinas Kependudukan dan Pencatatan Sipil, escalation: standar}
  - {id: dinkes, name: Dinas Kesehatan, escalation: standar}
  - {id: dpmptsp, name: Dinas Penanaman Modal dan PTSP, escalation: standar}
  - {id: bapenda, name: Badan Pendapatan Daerah, escalation: standar}
services:
  - id: akta-online
    name: Layanan Akta Kelahiran Online
    agency: dukcapil
    objective: 99.5%
    hours: jam-layanan
    checks: [{id: portal, http: {url: "https://akta.example.go.id/"}}]
  - id: antrian-ktp
    name: Antrean KTP Elektronik
    agency: dukcapil
    objective: 99%
    hours: jam-layanan
    checks: [{id: portal, http: {url: "https://antrian.example.go.id/"}}]
  - id: pindah-datang
    name: Surat Pindah Datang
    agency: dukcapil
    objective: 99%
    checks: [{id: portal, http: {url: "https://pindah.example.go.id/"}}]
  - id: booking-puskesmas
    name: Pendaftaran Puskesmas Online
    agency: dinkes
    objective: 99.5%
    checks: [{id: portal, http: {url: "https://booking.example.go.id/"}}]
  - id: sehat-ibu
    name: Aplikasi Sehat Ibu & Anak
    agency: dinkes
    checks: [{id: portal, http: {url: "https://ibu.example.go.id/"}}]
  - id: oss-izin
    name: Perizinan Berusaha Terpadu
    agency: dpmptsp
    objective: 99.9%
    hours: jam-layanan
    checks: [{id: portal, http: {url: "https://izin.example.go.id/"}}]
  - id: pbb-online
    name: Pembayaran PBB Online
    agency: bapenda
    objective: 99.5%
    checks: [{id: portal, http: {url: "https://pbb.example.go.id/"}}]
  - id: bphtb
    name: e-BPHTB
    agency: bapenda
    objective: 99%
    checks: [{id: portal, http: {url: "https://bphtb.example.go.id/"}}]
)";

outage_record outage(std::int64_t id, const char* agency, const char* service, wall_time start,
                     std::optional<wall_time> end, const char* cause, int level) {
    outage_record o;
    o.id = id;
    o.agency = agency;
    o.service = service;
    o.started_at = start;
    o.ended_at = end;
    o.cause = cause;
    o.level = level;
    return o;
}

outage_record acked(outage_record o, const char* by, wall_time at) {
    o.acknowledged_by = by;
    o.acknowledged_at = at;
    return o;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: render_sample_report OUTPUT.html [id|en]\n");
        return 2;
    }
    const auto lang = pantau::parse_report_lang(argc == 3 ? argv[2] : "id");
    if (!lang) {
        std::fprintf(stderr, "render_sample_report: unknown language %s\n", argv[2]);
        return 2;
    }
    auto loaded = pantau::load_config_text(sample_yaml, "sample.yaml");
    if (const auto* error = std::get_if<pantau::config_error>(&loaded)) {
        std::fprintf(stderr, "%s\n", error->to_string().c_str());
        return 1;
    }
    const pantau::config& cfg = std::get<pantau::config>(loaded);

    pantau::testing::fake_ledger l;
    // The Bekasi case: portal up, nobody served for most of two working days.
    l.outage_rows.push_back(
        acked(outage(101, "dukcapil", "antrian-ktp", wib(2026, 11, 9, 8), wib(2026, 11, 10, 14, 30),
                     "check antrian: no increase in 60m", 4),
              "Kepala Dinas Dukcapil", wib(2026, 11, 9, 9, 40)));
    l.outage_rows.push_back(acked(outage(102, "dukcapil", "akta-online", wib(2026, 11, 12, 10),
                                         wib(2026, 11, 12, 10, 45), "check portal: http 503", 2),
                                  "Rina (operator)", wib(2026, 11, 12, 10, 6)));
    l.outage_rows.push_back(outage(103, "dukcapil", "akta-online", wib(2026, 11, 25, 13, 10),
                                   wib(2026, 11, 25, 13, 22), "check portal: timeout after 10s",
                                   1));
    l.outage_rows.push_back(
        acked(outage(104, "dinkes", "booking-puskesmas", wib(2026, 10, 31, 22),
                     wib(2026, 11, 1, 3, 30), "check portal: connection refused", 3),
              "Agus (piket)", wib(2026, 10, 31, 22, 25)));
    l.outage_rows.push_back(
        acked(outage(105, "dpmptsp", "oss-izin", wib(2026, 11, 18, 9, 5), wib(2026, 11, 18, 9, 50),
                     "check portal: TLS certificate expired", 2),
              "Rina (operator)", wib(2026, 11, 18, 9, 12)));
    l.outage_rows.push_back(outage(106, "bapenda", "pbb-online", wib(2026, 11, 30, 21),
                                   std::nullopt, "check portal: http 502", 2));
    l.outage_rows.push_back(acked(outage(107, "bapenda", "bphtb", wib(2026, 11, 4, 14),
                                         wib(2026, 11, 4, 14, 20), "check portal: http 500", 1),
                                  "Agus (piket)", wib(2026, 11, 4, 14, 3)));
    l.gap_rows.push_back({wib(2026, 11, 22, 2), wib(2026, 11, 22, 3, 15)});

    pantau::report_options opt;
    opt.from = std::chrono::year{2026} / 11 / 1;
    opt.to = std::chrono::year{2026} / 11 / 30;
    opt.organization = "Pemerintah Kota Contoh";
    opt.ledger_check.ok = true;
    opt.ledger_check.events = 18342;
    opt.ledger_check.last_hash = "3b8f2a91c07d4e65b1a9f0c2d3e4b5a6978812fe0c4d5b6a7e8f9012a3b4c5d6";
    const pantau::report r = pantau::build_report(l, cfg, opt, wib(2026, 12, 1, 8, 15));

    std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
    out << pantau::render_html(r, *lang);
    out.close();
    if (!out) {
        std::fprintf(stderr, "render_sample_report: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
