#include "report/report.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <variant>

#include <doctest/doctest.h>

#include "core/time_format.hpp"
#include "fake_ledger.hpp"

namespace {

using namespace std::chrono_literals;
using pantau::conformance_status;
using pantau::outage_record;
using pantau::report;
using pantau::report_lang;
using pantau::service_report;
using pantau::wall_time;
using pantau::testing::fake_ledger;
using pantau::testing::wib;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) {
        ++n;
    }
    return n;
}

// Two agencies; akta-online is judged overall, ktp within Mon-Fri 08:00-16:00 service hours,
// booking has no objective.
const std::string city_yaml = R"(ledger: /nonexistent/ledger.db
timezone: Asia/Jakarta
calendars:
  jam-kantor:
    hours: {mon-fri: "08:00-16:00"}
channels:
  ops: {webhook: {url: "https://ops.example.go.id/hook"}}
escalation:
  standar: [{after: 0m, notify: ops}]
agencies:
  - {id: dukcapil, name: Dinas Kependudukan dan Pencatatan Sipil, escalation: standar}
  - {id: dinkes, name: Dinas Kesehatan, escalation: standar}
services:
  - id: akta-online
    name: Layanan Akta Kelahiran Online
    agency: dukcapil
    objective: 99.5%
    checks: [{id: portal, http: {url: "https://akta.example.go.id/"}}]
  - id: ktp
    name: KTP Elektronik
    agency: dukcapil
    objective: 99%
    hours: jam-kantor
    checks: [{id: portal, http: {url: "https://ktp.example.go.id/"}}]
  - id: booking
    name: Pendaftaran Puskesmas
    agency: dinkes
    checks: [{id: portal, http: {url: "https://booking.example.go.id/"}}]
)";

pantau::config load(const std::string& yaml) {
    auto result = pantau::load_config_text(yaml, "test.yaml");
    if (const auto* error = std::get_if<pantau::config_error>(&result)) {
        FAIL("config does not load: " << error->to_string());
    }
    return std::get<pantau::config>(std::move(result));
}

outage_record outage(std::int64_t id, const std::string& agency, const std::string& service,
                     wall_time start, std::optional<wall_time> end, const std::string& cause) {
    outage_record o;
    o.id = id;
    o.agency = agency;
    o.service = service;
    o.started_at = start;
    o.ended_at = end;
    o.cause = cause;
    return o;
}

outage_record acknowledged(outage_record o, const std::string& by, wall_time at, int level) {
    o.acknowledged_by = by;
    o.acknowledged_at = at;
    o.level = level;
    return o;
}

// November 2026 (30 days) in WIB, with outages crossing both ends of the period.
fake_ledger november_ledger() {
    fake_ledger l;
    l.verification.ok = true;
    l.verification.events = 42;
    l.verification.last_hash = "9f2c4e1b7a";
    // From 31 Oct 20:00 to 1 Nov 02:00: 2 h inside the period, 6 h in all.
    l.outage_rows.push_back(acknowledged(outage(1, "dukcapil", "akta-online", wib(2026, 10, 31, 20),
                                                wib(2026, 11, 1, 2), "check portal: http 503"),
                                         "Budi", wib(2026, 10, 31, 20, 30), 2));
    l.outage_rows.push_back(
        acknowledged(outage(2, "dukcapil", "akta-online", wib(2026, 11, 10, 10),
                            wib(2026, 11, 10, 11), "check portal: connection refused"),
                     "Sari", wib(2026, 11, 10, 10, 10), 1));
    // From 30 Nov 23:00 to 1 Dec 01:00: 1 h inside, never acknowledged.
    l.outage_rows.push_back(outage(3, "dukcapil", "akta-online", wib(2026, 11, 30, 23),
                                   wib(2026, 12, 1, 1), "check portal: timeout after 10s"));
    // Tuesday 3 Nov 07:00-09:00: 2 h down, 1 h of it in service hours.
    l.outage_rows.push_back(acknowledged(outage(4, "dukcapil", "ktp", wib(2026, 11, 3, 7),
                                                wib(2026, 11, 3, 9), "check portal: http 502"),
                                         "Sari", wib(2026, 11, 3, 7, 20), 1));
    // Entirely outside the period.
    l.outage_rows.push_back(outage(5, "dinkes", "booking", wib(2026, 10, 5, 7), wib(2026, 10, 5, 9),
                                   "check portal: http 500"));
    return l;
}

pantau::report_options november(std::optional<std::string> agency = std::nullopt) {
    pantau::report_options opt;
    opt.from = std::chrono::year{2026} / 11 / 1;
    opt.to = std::chrono::year{2026} / 11 / 30;
    opt.agency = std::move(agency);
    opt.organization = "Pemerintah Kota Contoh";
    opt.ledger_check.ok = true;
    opt.ledger_check.events = 42;
    opt.ledger_check.last_hash = "9f2c4e1b7a";
    return opt;
}

const service_report& service(const report& r, const std::string& id) {
    for (const auto& a : r.agencies) {
        for (const auto& s : a.services) {
            if (s.id == id) {
                return s;
            }
        }
    }
    FAIL("no service " << id << " in the report");
    throw std::logic_error("unreachable");
}

const pantau::agency_report& agency(const report& r, const std::string& id) {
    for (const auto& a : r.agencies) {
        if (a.id == id) {
            return a;
        }
    }
    FAIL("no agency " << id << " in the report");
    throw std::logic_error("unreachable");
}

constexpr auto period_seconds = 30 * 86400;
const wall_time after_the_month = wib(2026, 12, 5, 9);

} // namespace

TEST_CASE("report: the period runs from 00:00 of --from to 24:00 of --to, local time") {
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    CHECK(r.period_from == wib(2026, 11, 1));
    CHECK(r.period_to == wib(2026, 12, 1));
    CHECK(r.covered_to == r.period_to);
    REQUIRE(l.outage_queries.size() == 1);
    CHECK(l.outage_queries[0].from == r.period_from);
    CHECK(l.outage_queries[0].to == r.period_to);
    CHECK(pantau::format_rfc3339(r.period_from, r.utc_offset) == "2026-11-01T00:00:00+07:00");
}

TEST_CASE("report: figures of a service with outages crossing both ends of the period") {
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    const service_report& s = service(r, "akta-online");
    CHECK(s.name == "Layanan Akta Kelahiran Online");
    CHECK(s.figures.outage_count == 3);
    CHECK(s.figures.total_downtime == 4h); // 2 h + 1 h + 1 h inside November
    CHECK(s.figures.overall.considered == std::chrono::seconds{period_seconds});
    REQUIRE(s.figures.overall.availability);
    CHECK(*s.figures.overall.availability == doctest::Approx(1.0 - 4.0 * 3600 / period_seconds));
    CHECK_FALSE(s.figures.in_service_hours);
    CHECK(s.figures.longest_downtime == 2h);
    REQUIRE(s.figures.mtta);
    CHECK(*s.figures.mtta == 20min); // (30 min + 10 min) / 2; outage 3 never acknowledged
    REQUIRE(s.figures.mttr);
    CHECK(*s.figures.mttr == 3h); // (6 h + 1 h + 2 h) / 3, whole outages
    CHECK(s.figures.highest_level == 2);
    CHECK(s.figures.acknowledged_by == std::vector<std::string>{"Budi", "Sari"});
    // 99.44% < 99.5%
    CHECK(s.conformance == conformance_status::not_met);
    REQUIRE(s.outages.size() == 3);
    CHECK(s.outages[0].duration == 6h);
    CHECK(s.outages[0].in_period == 2h);
    CHECK(s.outages[2].in_period == 1h);
}

TEST_CASE("report: a service with a calendar is judged within its service hours") {
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    const service_report& s = service(r, "ktp");
    CHECK(s.calendar == "jam-kantor");
    CHECK(s.figures.total_downtime == 2h);
    REQUIRE(s.figures.in_service_hours);
    // 21 working days of 8 h in November 2026; one hour of the outage fell in them.
    CHECK(s.figures.in_service_hours->considered == 168h);
    CHECK(s.figures.in_service_hours->down == 1h);
    CHECK(*s.figures.in_service_hours->availability == doctest::Approx(1.0 - 1.0 / 168));
    CHECK(s.conformance == conformance_status::met); // 99.40% >= 99%
    CHECK(*s.figures.mtta == 20min);
    CHECK(*s.figures.mttr == 2h);
}

TEST_CASE("report: service hours are in the calendar's own time zone") {
    // The report stays in WIB; jam-kantor keeps 08:00-16:00 in WIT (two hours ahead).
    std::string yaml = city_yaml;
    const std::string hours = "    hours: {mon-fri: \"08:00-16:00\"}\n";
    const auto at = yaml.find(hours);
    REQUIRE(at != std::string::npos);
    yaml.insert(at, "    timezone: Asia/Jayapura\n");
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(yaml), november(), after_the_month);
    CHECK(r.utc_offset == 7h);
    const service_report& s = service(r, "ktp");
    REQUIRE(s.figures.in_service_hours);
    CHECK(s.figures.in_service_hours->considered == 168h);
    // Tuesday 3 Nov 07:00-09:00 WIB is 09:00-11:00 WIT: all of it within hours.
    CHECK(s.figures.in_service_hours->down == 2h);
}

TEST_CASE("report: services without objective or outages, and the agency rollup") {
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    const service_report& booking = service(r, "booking");
    CHECK(booking.outages.empty()); // its outage was in October
    CHECK(booking.figures.outage_count == 0);
    CHECK(*booking.figures.overall.availability == doctest::Approx(1.0));
    CHECK_FALSE(booking.figures.mtta);
    CHECK_FALSE(booking.figures.mttr);
    CHECK(booking.conformance == conformance_status::no_objective);

    const auto& dukcapil = agency(r, "dukcapil");
    CHECK(dukcapil.name == "Dinas Kependudukan dan Pencatatan Sipil");
    // Time-weighted: (4 h + 2 h) down over two whole months of watching.
    CHECK(dukcapil.figures.overall.considered == std::chrono::seconds{2 * period_seconds});
    CHECK(dukcapil.figures.overall.down == 6h);
    CHECK(*dukcapil.figures.overall.availability ==
          doctest::Approx(1.0 - 6.0 * 3600 / (2.0 * period_seconds)));
    REQUIRE(dukcapil.figures.in_service_hours); // only ktp has service hours
    CHECK(dukcapil.figures.in_service_hours->down == 1h);
    CHECK(dukcapil.figures.outage_count == 4);
    CHECK(dukcapil.figures.longest_downtime == 2h);
    CHECK(*dukcapil.figures.mtta == 20min);  // (30 + 10 + 20) / 3
    CHECK(*dukcapil.figures.mttr == 165min); // (6 h + 1 h + 2 h + 2 h) / 4
    CHECK(dukcapil.figures.highest_level == 2);
    CHECK(dukcapil.services_met == 1);
    CHECK(dukcapil.services_not_met == 1);
    CHECK(r.service_count == 3);
    CHECK(r.services_met == 1);
    CHECK(r.services_not_met == 1);
    CHECK(r.outage_count == 4);
    // Configuration order.
    REQUIRE(r.agencies.size() == 2);
    CHECK(r.agencies[0].id == "dukcapil");
    CHECK(r.agencies[1].id == "dinkes");
}

TEST_CASE("report: an open outage counts until now while the period runs") {
    fake_ledger l;
    l.outage_rows.push_back(outage(7, "dinkes", "booking", wib(2026, 11, 15, 10), std::nullopt,
                                   "check portal: http 503"));
    const wall_time now = wib(2026, 11, 15, 12);
    const report r = pantau::build_report(l, load(city_yaml), november(), now);
    CHECK(r.covered_to == now);
    const service_report& s = service(r, "booking");
    CHECK(s.figures.total_downtime == 2h);
    CHECK(s.figures.overall.considered ==
          std::chrono::duration_cast<std::chrono::seconds>(now - wib(2026, 11, 1)));
    REQUIRE(s.outages.size() == 1);
    CHECK(s.outages[0].open());
    CHECK(s.outages[0].duration == 2h);
    CHECK_FALSE(s.figures.mttr); // nothing recovered yet
    const auto j = pantau::report_json(r);
    const auto& jo = j["agencies"][1]["services"][0]["outages"][0];
    CHECK(jo["ended_at"].is_null());
    CHECK(jo["duration_seconds"] == 7200);
    CHECK(contains(pantau::render_markdown(r), "masih berlangsung"));
    CHECK(contains(pantau::render_html(r, report_lang::en), "ongoing"));
}

TEST_CASE("report: an open outage counts up to the period's end when now is later") {
    fake_ledger l;
    l.outage_rows.push_back(outage(8, "dinkes", "booking", wib(2026, 11, 30, 22), std::nullopt,
                                   "check portal: http 503"));
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    const service_report& s = service(r, "booking");
    CHECK(s.figures.total_downtime == 2h);
    CHECK(s.figures.longest_downtime == 2h);
    CHECK(s.outages[0].duration == std::chrono::duration_cast<std::chrono::seconds>(
                                       after_the_month - wib(2026, 11, 30, 22)));
}

TEST_CASE("report: monitoring gaps are listed, clipped and left out of availability") {
    fake_ledger l = november_ledger();
    l.gap_rows.push_back({wib(2026, 11, 20, 0), wib(2026, 11, 20, 6)});
    l.gap_rows.push_back({wib(2026, 10, 31, 22), wib(2026, 11, 1, 1)}); // 1 h inside
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    REQUIRE(r.gaps.size() == 2);
    CHECK(r.gaps[0].from == wib(2026, 11, 1));
    CHECK(r.gaps[1].from == wib(2026, 11, 20, 0));
    CHECK(r.unmonitored == 7h);
    const service_report& s = service(r, "akta-online");
    CHECK(s.figures.overall.considered == std::chrono::seconds{period_seconds} - 7h);
    // Outage 1's first hour of November fell in the gap.
    CHECK(s.figures.total_downtime == 3h);
    const auto j = pantau::report_json(r);
    CHECK(j["monitoring_gaps"].size() == 2);
    CHECK(j["monitoring_gaps"][1]["from"] == "2026-11-20T00:00:00+07:00");
    CHECK(j["monitoring_gaps"][1]["duration_seconds"] == 21600);
    CHECK(j["summary"]["unmonitored_seconds"] == 25200);
    CHECK(contains(pantau::render_markdown(r), "Celah pemantauan"));
    CHECK(contains(pantau::render_html(r, report_lang::en), "Monitoring gaps"));
}

TEST_CASE("report: the agency filter keeps one agency and asks the ledger for it only") {
    fake_ledger l = november_ledger();
    l.outage_rows.push_back(outage(9, "dinkes", "booking", wib(2026, 11, 2, 8), wib(2026, 11, 2, 9),
                                   "check portal: http 500"));
    const report r = pantau::build_report(l, load(city_yaml), november("dinkes"), after_the_month);
    REQUIRE(l.outage_queries.size() == 1);
    CHECK(l.outage_queries[0].agency == "dinkes");
    REQUIRE(r.agencies.size() == 1);
    CHECK(r.agencies[0].id == "dinkes");
    CHECK(r.service_count == 1);
    CHECK(r.outage_count == 1);
    const std::string html = pantau::render_html(r);
    CHECK(contains(html, "Dinas Kesehatan"));
    CHECK_FALSE(contains(html, "Kependudukan"));
    CHECK_FALSE(contains(html, "Akta"));
}

TEST_CASE("report: services and agencies known only from the ledger are reported by id") {
    fake_ledger l;
    l.outage_rows.push_back(outage(10, "dinkes", "antrian", wib(2026, 11, 4, 8),
                                   wib(2026, 11, 4, 8, 30), "check api: http 500"));
    l.outage_rows.push_back(outage(11, "bapenda", "pajak", wib(2026, 11, 5, 8), wib(2026, 11, 5, 9),
                                   "check web: timeout after 10s"));
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    const service_report& antrian = service(r, "antrian");
    CHECK_FALSE(antrian.configured);
    CHECK(antrian.name == "antrian");
    CHECK(antrian.figures.total_downtime == 30min);
    CHECK(antrian.conformance == conformance_status::no_objective);
    REQUIRE(r.agencies.size() == 3);
    CHECK(r.agencies[1].services.back().id == "antrian"); // after the configured booking
    CHECK(r.agencies[2].id == "bapenda");
    CHECK(r.agencies[2].name == "bapenda");
    CHECK(r.service_count == 5);
    CHECK(contains(pantau::render_markdown(r), "tidak ada dalam konfigurasi"));
}

TEST_CASE("report: Markdown and HTML speak bahasa Indonesia by default and English on request") {
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);

    const std::string md_id = pantau::render_markdown(r);
    CHECK(contains(md_id, "# Laporan Ketersediaan Layanan Publik"));
    CHECK(contains(md_id, "Periode: 1 November 2026 – 30 November 2026 (WIB)"));
    CHECK(contains(md_id, "1 dari 3 layanan tidak memenuhi target."));
    CHECK(contains(md_id, "| Layanan Akta Kelahiran Online (akta-online) | 99,44% |"));
    CHECK(contains(md_id, "99,50%"));
    CHECK(contains(md_id, "Tidak memenuhi"));
    CHECK(contains(md_id, "Tanpa target"));
    CHECK(contains(md_id, "Ditanggapi oleh"));
    CHECK(contains(md_id, "10 Nov 2026 10.00"));
    CHECK(contains(md_id, "20 menit"));
    CHECK(contains(md_id, "`9f2c4e1b7a`"));

    const std::string md_en = pantau::render_markdown(r, report_lang::en);
    CHECK(contains(md_en, "# Public Service Availability Report"));
    CHECK(contains(md_en, "Period: 1 November 2026 – 30 November 2026 (WIB)"));
    CHECK(contains(md_en, "1 of 3 services did not meet its objective."));
    CHECK(contains(md_en, "| 99.44% |"));
    CHECK(contains(md_en, "Not met"));
    CHECK(contains(md_en, "Acknowledged by"));
    CHECK(contains(md_en, "10 Nov 2026 10:00"));
    CHECK(contains(md_en, "20 min"));
    CHECK_FALSE(contains(md_en, "Tidak memenuhi"));

    const std::string html_id = pantau::render_html(r);
    CHECK(contains(html_id, R"(<html lang="id">)"));
    CHECK(contains(html_id, "Laporan Ketersediaan Layanan Publik"));
    CHECK(contains(html_id, "1 dari 3 layanan tidak memenuhi target."));
    CHECK(contains(html_id, "Pemerintah Kota Contoh"));
    CHECK(contains(html_id, "Rincian per instansi"));
    CHECK(contains(html_id, "Daftar gangguan"));
    CHECK(contains(html_id, "Celah pemantauan"));
    CHECK(contains(html_id, "Dibuat"));
    CHECK(contains(html_id, "5 Desember 2026 09.00 WIB"));
    CHECK(contains(html_id, "9f2c4e1b7a"));
    CHECK(contains(html_id, "@page"));
    CHECK(contains(html_id, "size: A4"));
    CHECK(count_of(html_id, "<svg") == 3); // one bar per service

    const std::string html_en = pantau::render_html(r, report_lang::en);
    CHECK(contains(html_en, R"(<html lang="en">)"));
    CHECK(contains(html_en, "Public Service Availability Report"));
    CHECK(contains(html_en, "1 of 3 services did not meet its objective."));
    CHECK(contains(html_en, "Details per agency"));
    CHECK(contains(html_en, "Mean time to acknowledge"));
    CHECK(contains(html_en, "5 December 2026 09:00 WIB"));
    CHECK_FALSE(contains(html_en, "Ringkasan"));
}

TEST_CASE("report: a failed verification puts a warning at the top") {
    fake_ledger l = november_ledger();
    pantau::report_options opt = november();
    opt.ledger_check.ok = false;
    opt.ledger_check.problem = "event 17: content changed (hash mismatch)";
    const report r = pantau::build_report(l, load(city_yaml), opt, after_the_month);
    const std::string html = pantau::render_html(r);
    CHECK(contains(html, R"(class="warning")"));
    CHECK(contains(html, "PERINGATAN"));
    CHECK(contains(html, "event 17: content changed (hash mismatch)"));
    CHECK(html.find("PERINGATAN") < html.find("Ringkasan"));
    CHECK(contains(pantau::render_markdown(r, report_lang::en), "**WARNING:**"));
    CHECK(pantau::report_json(r)["ledger"]["verified"] == false);
}

TEST_CASE("report: CSV has a header and one RFC 4180 row per service") {
    const std::string yaml = city_yaml + R"yaml(  - id: cepat
    name: 'Layanan "Cepat", Aman'
    agency: dinkes
    objective: 99.9%
    checks: [{id: portal, http: {url: "https://cepat.example.go.id/"}}]
  - id: rumus
    name: "=HYPERLINK(1)"
    agency: dinkes
    checks: [{id: portal, http: {url: "https://rumus.example.go.id/"}}]
)yaml";
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(yaml), november(), after_the_month);
    const std::string csv = pantau::render_csv(r);
    CHECK(csv.rfind("agency,agency_name,service,service_name,configured,availability_percent,",
                    0) == 0);
    CHECK(count_of(csv, "\r\n") == 6); // header + 5 services
    CHECK(contains(csv, "\r\ndukcapil,Dinas Kependudukan dan Pencatatan Sipil,akta-online,"
                        "Layanan Akta Kelahiran Online,true,99.444444,,99.5,not_met,3,14400,7200,"
                        "1200,10800,2,Budi; Sari,2592000,0\r\n"));
    CHECK(contains(csv, R"(,cepat,"Layanan ""Cepat"", Aman",true,100,,99.9,met,0,)"));
    CHECK(contains(csv, ",rumus,'=HYPERLINK(1),true,")); // not run as a formula
    CHECK(contains(csv, ",ktp,KTP Elektronik,true,99.722222,99.404762,99,met,1,7200,"));
}

TEST_CASE("report: JSON carries RFC 3339 local times, seconds and percentages") {
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    const auto j = pantau::report_json(r);
    CHECK(j["period"]["from"] == "2026-11-01T00:00:00+07:00");
    CHECK(j["period"]["to"] == "2026-12-01T00:00:00+07:00");
    CHECK(j["period"]["timezone"] == "Asia/Jakarta");
    CHECK(j["generated_at"] == "2026-12-05T09:00:00+07:00");
    CHECK(j["summary"]["services"] == 3);
    CHECK(j["summary"]["services_not_met"] == 1);
    CHECK(j["ledger"]["last_hash"] == "9f2c4e1b7a");
    CHECK(j["ledger"]["verified"] == true);
    const auto& dukcapil = j["agencies"][0];
    CHECK(dukcapil["id"] == "dukcapil");
    CHECK(dukcapil["outage_count"] == 4);
    const auto& akta = dukcapil["services"][0];
    CHECK(akta["id"] == "akta-online");
    CHECK(akta["objective_percent"] == 99.5);
    CHECK(akta["conformance"] == "not_met");
    CHECK(akta["availability"]["availability_percent"].get<double>() == doctest::Approx(99.444444));
    CHECK(akta["availability_in_service_hours"].is_null());
    CHECK(akta["downtime_seconds"] == 14400);
    CHECK(akta["longest_downtime_seconds"] == 7200);
    CHECK(akta["mtta_seconds"] == 1200);
    CHECK(akta["mttr_seconds"] == 10800);
    CHECK(akta["highest_level"] == 2);
    CHECK(akta["acknowledged_by"] == nlohmann::json::array({"Budi", "Sari"}));
    const auto& first = akta["outages"][0];
    CHECK(first["id"] == 1);
    CHECK(first["agency"] == "dukcapil");
    CHECK(first["service"] == "akta-online");
    CHECK(first["started_at"] == "2026-10-31T20:00:00+07:00");
    CHECK(first["ended_at"] == "2026-11-01T02:00:00+07:00");
    CHECK(first["duration_seconds"] == 21600);
    CHECK(first["in_period_seconds"] == 7200);
    CHECK(first["cause"] == "check portal: http 503");
    CHECK(first["level"] == 2);
    CHECK(first["acknowledged_by"] == "Budi");
    CHECK(first["acknowledged_at"] == "2026-10-31T20:30:00+07:00");
    CHECK(akta["outages"][2]["acknowledged_by"].is_null());
    const auto& ktp = dukcapil["services"][1];
    CHECK(ktp["calendar"] == "jam-kantor");
    CHECK(ktp["availability_in_service_hours"]["watched_seconds"] == 168 * 3600);
    // Parses back.
    CHECK(nlohmann::json::parse(pantau::render_json(r)) == j);
}

TEST_CASE("report: JSON times use the configured time zone's offset") {
    std::string yaml = city_yaml;
    yaml.replace(yaml.find("Asia/Jakarta"), 12, "Asia/Jayapura");
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(yaml), november(), after_the_month);
    CHECK(r.utc_offset == 9h);
    const auto j = pantau::report_json(r);
    CHECK(j["period"]["from"] == "2026-11-01T00:00:00+09:00");
    CHECK(contains(pantau::render_html(r), "(WIT)"));
}

TEST_CASE("report: HTML escapes everything from the configuration and the ledger") {
    const std::string yaml = city_yaml + R"yaml(  - id: jahat
    name: "<script>alert('nama')</script>"
    agency: dinkes
    objective: 99%
    checks: [{id: portal, http: {url: "https://jahat.example.go.id/"}}]
)yaml";
    fake_ledger l = november_ledger();
    l.outage_rows.push_back(
        acknowledged(outage(20, "dinkes", "jahat", wib(2026, 11, 6, 9), wib(2026, 11, 6, 9, 5),
                            R"(body contains "<img src=x onerror=alert(1)>")"),
                     "<b>Eve</b>", wib(2026, 11, 6, 9, 1), 1));
    pantau::report_options opt = november();
    opt.organization = "Kota <i>Contoh</i> & \"Sekitarnya\"";
    const report r = pantau::build_report(l, load(yaml), opt, after_the_month);
    for (const report_lang lang : {report_lang::id, report_lang::en}) {
        const std::string html = pantau::render_html(r, lang);
        CHECK_FALSE(contains(html, "<script"));
        CHECK_FALSE(contains(html, "<img"));
        CHECK_FALSE(contains(html, "<b>Eve"));
        CHECK_FALSE(contains(html, "<i>Contoh"));
        CHECK(contains(html, "&lt;script&gt;alert(&#39;nama&#39;)&lt;/script&gt;"));
        CHECK(contains(html, "&lt;img src=x onerror=alert(1)&gt;"));
        CHECK(contains(html, "&lt;b&gt;Eve&lt;/b&gt;"));
        CHECK(contains(html, "Kota &lt;i&gt;Contoh&lt;/i&gt; &amp; &quot;Sekitarnya&quot;"));
    }
    const std::string md = pantau::render_markdown(r);
    CHECK_FALSE(contains(md, "<script"));
    CHECK_FALSE(contains(md, "<img"));
}

TEST_CASE("report: HTML is one self-contained file") {
    fake_ledger l = november_ledger();
    const report r = pantau::build_report(l, load(city_yaml), november(), after_the_month);
    for (const report_lang lang : {report_lang::id, report_lang::en}) {
        const std::string html = pantau::render_html(r, lang);
        CHECK(html.rfind("<!doctype html>", 0) == 0);
        CHECK(contains(html, "<style>"));
        CHECK_FALSE(contains(html, "src=\"http"));
        CHECK_FALSE(contains(html, "href=\"http"));
        CHECK_FALSE(contains(html, "@import"));
        CHECK_FALSE(contains(html, "url(http"));
        CHECK_FALSE(contains(html, "url("));
        CHECK_FALSE(contains(html, "<link"));
        CHECK_FALSE(contains(html, "<script"));
        CHECK_FALSE(contains(html, "<img"));
    }
}

TEST_CASE("report: format and language names") {
    CHECK(pantau::parse_report_format("md") == pantau::report_format::markdown);
    CHECK(pantau::parse_report_format("csv") == pantau::report_format::csv);
    CHECK(pantau::parse_report_format("html") == pantau::report_format::html);
    CHECK(pantau::parse_report_format("json") == pantau::report_format::json);
    CHECK_FALSE(pantau::parse_report_format("pdf"));
    CHECK(pantau::parse_report_lang("id") == report_lang::id);
    CHECK(pantau::parse_report_lang("en") == report_lang::en);
    CHECK_FALSE(pantau::parse_report_lang("jv"));
}
