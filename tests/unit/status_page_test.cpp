// The public status page: daily availability arithmetic, the pure renderer (escaping, both
// languages, state words), the request's language, and the status_page: configuration.
#include "web/status_page.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include <doctest/doctest.h>

#include "config/config.hpp"
#include "core/daily_availability.hpp"
#include "fake_ledger.hpp"
#include "web/status_data.hpp"

namespace {

using namespace std::chrono_literals;
using pantau::day_availability;
using pantau::display_state;
using pantau::status_lang;
using pantau::status_view;
using pantau::time_span;
using pantau::wall_time;
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

constexpr std::chrono::minutes wib_offset{7 * 60};

std::int32_t day_of(int y, unsigned m, unsigned d) {
    return pantau::local_day_number(wib(y, m, d, 12), wib_offset);
}

pantau::status_service service(std::string id, std::string name, display_state state) {
    pantau::status_service s;
    s.id = std::move(id);
    s.name = std::move(name);
    s.state = state;
    s.since = wib(2026, 11, 28, 19, 0);
    return s;
}

// Two agencies, one service in every state; 28 Nov 2026 19:30 WIB.
status_view sample_view() {
    status_view v;
    v.generated_at = wib(2026, 11, 28, 19, 30);
    v.first_day = day_of(2026, 11, 28) - 89;
    pantau::status_agency dukcapil{"dukcapil", "Dinas Kependudukan dan Pencatatan Sipil", {}};
    auto akta = service("akta-online", "Layanan Akta Kelahiran Online", display_state::down);
    akta.cause = "check portal: http 503";
    akta.open_outage = 12;
    dukcapil.services.push_back(akta);
    dukcapil.services.push_back(service("ktp", "KTP Elektronik", display_state::up));
    pantau::status_agency dinkes{"dinkes", "Dinas Kesehatan", {}};
    auto janji = service("janji", "Janji Temu Puskesmas", display_state::degraded);
    janji.cause = "check portal: slow: 3.21s > max_latency 3s";
    dinkes.services.push_back(janji);
    dinkes.services.push_back(service("sehat", "Sehat Ibu", display_state::maintenance));
    dinkes.services.push_back(service("antrian", "Antrian Puskesmas", display_state::idle));
    dinkes.services.push_back(service("baru", "Layanan Baru", display_state::unknown));
    v.agencies = {dukcapil, dinkes};
    pantau::status_outage o;
    o.id = 12;
    o.agency_name = dukcapil.name;
    o.service_name = akta.name;
    o.started_at = wib(2026, 11, 28, 19, 0);
    o.level = 2;
    o.cause = akta.cause;
    v.open_outages.push_back(o);
    return v;
}

} // namespace

TEST_CASE("daily availability: unwatched days are empty, outages split at local midnight") {
    const std::int32_t first = day_of(2026, 11, 26);
    // Watched from 27 Nov; an outage 23:00 27 Nov -> 01:00 28 Nov; an open one since 19:00.
    const std::vector<time_span> down{{wib(2026, 11, 27, 23), wib(2026, 11, 28, 1)},
                                      {wib(2026, 11, 28, 19), wib(2026, 11, 28, 19, 30)}};
    const std::vector<std::int32_t> watched{first + 1, first + 2};
    pantau::daily_availability_input in;
    in.first_day = first;
    in.days = 3;
    in.utc_offset = wib_offset;
    in.now = wib(2026, 11, 28, 19, 30);
    in.downtime = down;
    in.watched_days = watched;
    const auto r = pantau::compute_daily_availability(in);
    REQUIRE(r.days.size() == 3);
    CHECK_FALSE(r.days[0].availability.has_value());
    REQUIRE(r.days[1].availability.has_value());
    CHECK(r.days[1].down == 1h);
    CHECK(r.days[1].outages == 1);
    CHECK(*r.days[1].availability == doctest::Approx(23.0 / 24.0));
    // Today counts only up to now: 19.5 h watched, 1.5 h down, two outages.
    CHECK(r.days[2].down == 90min);
    CHECK(r.days[2].outages == 2);
    CHECK(*r.days[2].availability == doctest::Approx(1.0 - 1.5 / 19.5));
    CHECK(r.total.considered == 24h + 19h + 30min);
    CHECK(r.total.down == 150min);
}

TEST_CASE("daily availability: a monitoring gap hides downtime and shrinks the day") {
    const std::int32_t day = day_of(2026, 11, 27);
    const std::vector<time_span> down{{wib(2026, 11, 27, 10), wib(2026, 11, 27, 12)}};
    const std::vector<time_span> gaps{{wib(2026, 11, 27, 11), wib(2026, 11, 27, 17)}};
    const std::vector<std::int32_t> watched{day};
    pantau::daily_availability_input in;
    in.first_day = day;
    in.days = 1;
    in.utc_offset = wib_offset;
    in.now = wib(2026, 11, 29);
    in.downtime = down;
    in.gaps = gaps;
    in.watched_days = watched;
    const auto r = pantau::compute_daily_availability(in);
    CHECK(r.days[0].down == 1h);
    CHECK(*r.days[0].availability == doctest::Approx(1.0 - 1.0 / 18.0));
    CHECK(r.total.unmonitored == 6h);
}

TEST_CASE("daily availability: local day numbers follow the UTC offset") {
    // 00:30 WIB on 28 Nov is still 27 Nov in UTC.
    const wall_time t = wib(2026, 11, 28, 0, 30);
    CHECK(pantau::local_day_number(t, wib_offset) == pantau::local_day_number(t, 0min) + 1);
    CHECK(pantau::local_midnight(pantau::local_day_number(t, wib_offset), wib_offset) ==
          wib(2026, 11, 28));
}

TEST_CASE("status page: names from configuration and probes are escaped") {
    status_view v = sample_view();
    v.title = "Kota <b>Contoh</b>";
    v.footer = "Hubungi <script>alert('footer')</script>";
    v.logo = "https://kota.example/logo.png\" onerror=\"alert(1)";
    v.agencies[0].name = "<script>alert('agency')</script>";
    v.agencies[0].services[0].name = "\"><img src=x onerror=alert('svc')>";
    v.agencies[0].services[0].cause = "check portal: body contains \"</p><script>x()</script>\"";
    v.open_outages[0].service_name = v.agencies[0].services[0].name;
    v.open_outages[0].agency_name = v.agencies[0].name;
    v.open_outages[0].cause = v.agencies[0].services[0].cause;
    pantau::status_maintenance m;
    m.agency_name = "<i>Dinkes</i>";
    m.service_name = "<u>Sehat</u>";
    m.description = "<marquee>upgrade</marquee>";
    m.from = wib(2026, 11, 30, 22);
    m.to = wib(2026, 12, 1, 2);
    v.maintenance.push_back(m);

    for (const status_lang lang : {status_lang::id, status_lang::en}) {
        const std::string html = pantau::render_status_page(v, lang);
        // The only script is our own, by URL.
        CHECK(count_of(html, "<script") == 1);
        CHECK(contains(html, "<script src=\"/status.js\"></script>"));
        CHECK_FALSE(contains(html, "<img src=x"));
        CHECK_FALSE(contains(html, "<b>Contoh"));
        CHECK_FALSE(contains(html, "<marquee>"));
        CHECK_FALSE(contains(html, "<i>Dinkes"));
        CHECK_FALSE(contains(html, "\" onerror=\""));
        CHECK(contains(html, "<title>Kota &lt;b&gt;Contoh&lt;/b&gt;</title>"));
        CHECK(contains(html, "&lt;script&gt;alert(&#39;agency&#39;)&lt;/script&gt;"));
        CHECK(contains(html, "&quot;&gt;&lt;img src=x onerror=alert(&#39;svc&#39;)&gt;"));
        CHECK(contains(html, "&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;"));
        CHECK(contains(html, "Hubungi &lt;script&gt;alert(&#39;footer&#39;)&lt;/script&gt;"));
        CHECK(contains(html, "src=\"https://kota.example/logo.png&quot; onerror=&quot;alert(1)\""));
        CHECK(contains(html, "&lt;marquee&gt;upgrade&lt;/marquee&gt;"));
    }
}

TEST_CASE("status page: bahasa Indonesia by default, English on request") {
    const status_view v = sample_view();
    const std::string id = pantau::render_status_page(v, status_lang::id);
    CHECK(contains(id, "<html lang=\"id\">"));
    CHECK(contains(id, "<title>Status Layanan Publik</title>"));
    CHECK(contains(id, "1 layanan sedang mengalami gangguan"));
    CHECK(contains(id, "Gangguan yang sedang berlangsung"));
    CHECK(contains(id, "Pemeliharaan terjadwal"));
    CHECK(contains(id, "Tidak ada pemeliharaan terjadwal."));
    CHECK(contains(id, "Diperbarui 28 Nov 2026 19.30 WIB"));
    CHECK(contains(id, "href=\"?lang=en\" hreflang=\"en\" lang=\"en\">English</a>"));
    CHECK(contains(id, ">Tema gelap</button>"));

    const std::string en = pantau::render_status_page(v, status_lang::en);
    CHECK(contains(en, "<html lang=\"en\">"));
    CHECK(contains(en, "<title>Public Service Status</title>"));
    CHECK(contains(en, "1 service is down"));
    CHECK(contains(en, "Ongoing outages"));
    CHECK(contains(en, "No planned maintenance."));
    CHECK(contains(en, "Updated 28 Nov 2026 19:30 WIB"));
    CHECK(contains(en, ">Bahasa Indonesia</a>"));
    CHECK_FALSE(contains(en, "Gangguan yang sedang berlangsung"));
    CHECK_FALSE(contains(id, "Ongoing outages"));
}

TEST_CASE("status page: every state reads as words with an icon, not colour alone") {
    const status_view v = sample_view();
    const std::string id = pantau::render_status_page(v, status_lang::id);
    const std::string en = pantau::render_status_page(v, status_lang::en);
    const auto row = [](const std::string& state, const std::string& name) {
        return "<li class=\"svc st-" + state +
               "\"><div class=\"svc-top\"><span class=\"svc-name\">" + name +
               "</span><span class=\"state\"><span class=\"ico\" aria-hidden=\"true\">";
    };
    CHECK(contains(id, row("down", "Layanan Akta Kelahiran Online")));
    CHECK(contains(id, row("up", "KTP Elektronik")));
    CHECK(contains(id, row("degraded", "Janji Temu Puskesmas")));
    CHECK(contains(id, row("maintenance", "Sehat Ibu")));
    CHECK(contains(id, row("idle", "Antrian Puskesmas")));
    CHECK(contains(id, row("unknown", "Layanan Baru")));
    for (const char* words :
         {"</span>Gangguan</span>", "</span>Berjalan normal</span>",
          "</span>Terganggu sebagian</span>", "</span>Pemeliharaan</span>",
          "</span>Di luar jam layanan</span>", "</span>Belum diketahui</span>"}) {
        CHECK_MESSAGE(contains(id, words), words);
    }
    for (const char* words : {"</span>Down</span>", "</span>Operational</span>",
                              "</span>Degraded</span>", "</span>Maintenance</span>",
                              "</span>Outside service hours</span>", "</span>Unknown</span>"}) {
        CHECK_MESSAGE(contains(en, words), words);
    }
    // The down service says since when and why.
    CHECK(contains(id, "Sejak 28 Nov 2026 19.00 WIB \u00B7 check portal: http 503"));
    CHECK(contains(en, "Since 28 Nov 2026 19:00 WIB \u00B7 check portal: http 503"));
    // The counts line under the headline.
    CHECK(contains(id, "1 Berjalan normal \u00B7 1 Gangguan \u00B7 1 Terganggu sebagian"));
}

TEST_CASE("status page: headline names the most urgent state") {
    status_view v = sample_view();
    v.agencies[0].services[0].state = display_state::up;
    CHECK(contains(pantau::render_status_page(v, status_lang::id), "1 layanan terganggu sebagian"));
    v.agencies[1].services[0].state = display_state::down;
    v.agencies[1].services[1].state = display_state::down;
    CHECK(contains(pantau::render_status_page(v, status_lang::en), "2 services are down"));
    for (auto& a : v.agencies) {
        for (auto& s : a.services) {
            s.state = display_state::up;
        }
    }
    v.agencies[1].services[2].state = display_state::idle;
    const std::string html = pantau::render_status_page(v, status_lang::id);
    CHECK(contains(html, "class=\"overall st-up\""));
    CHECK(contains(html, "Semua layanan berjalan normal"));
    CHECK(contains(pantau::render_status_page(v, status_lang::en),
                   "All services are operating normally"));
}

TEST_CASE("status page: open outages show start, duration, escalation level, acknowledgement") {
    status_view v = sample_view();
    const std::string id = pantau::render_status_page(v, status_lang::id);
    CHECK(contains(id, "<td data-label=\"Mulai\">28 Nov 2026 19.00 WIB</td>"));
    CHECK(contains(id, "<td data-label=\"Durasi\">30 menit</td>"));
    CHECK(contains(id, "<td data-label=\"Tingkat eskalasi\">2</td>"));
    CHECK(contains(id, "<td data-label=\"Ditanggapi\">belum</td>"));
    v.open_outages[0].acknowledged = true;
    v.open_outages[0].level = 0;
    const std::string en = pantau::render_status_page(v, status_lang::en);
    CHECK(contains(en, "<td data-label=\"Escalation level\">\u2013</td>"));
    CHECK(contains(en, "<td data-label=\"Acknowledged\">yes</td>"));
    CHECK(contains(en, "<td data-label=\"Duration\">30 min</td>"));
    v.open_outages.clear();
    CHECK(contains(pantau::render_status_page(v, status_lang::id), "Tidak ada gangguan saat ini."));
}

TEST_CASE("status page: planned maintenance is listed when fed in") {
    status_view v = sample_view();
    pantau::status_maintenance m;
    m.agency_name = "Dinas Kesehatan";
    m.service_name = "Sehat Ibu";
    m.from = wib(2026, 11, 30, 22);
    m.to = wib(2026, 12, 1, 2);
    m.description = "Pembaruan server";
    v.maintenance.push_back(m);
    const std::string id = pantau::render_status_page(v, status_lang::id);
    CHECK_FALSE(contains(id, "Tidak ada pemeliharaan terjadwal."));
    CHECK(contains(id, "<li><strong>Sehat Ibu</strong> (Dinas Kesehatan): 30 Nov 2026 22.00 WIB "
                       "\u2013 1 Des 2026 02.00 WIB. Pembaruan server</li>"));
}

TEST_CASE("status page: 90-day bar reads each day, merging alike days") {
    status_view v = sample_view();
    auto& s = v.agencies[0].services[1]; // KTP
    s.days.assign(90, day_availability{1.0, 0s, 0});
    for (std::size_t i = 0; i < 60; ++i) {
        s.days[i] = day_availability{}; // not watched yet
    }
    s.days[87] = day_availability{1.0 - 600.0 / 86400.0, 600s, 1}; // 26 Nov: 10 minutes down
    s.availability = 0.9997;
    const std::string id = pantau::render_status_page(v, status_lang::id);
    CHECK(contains(id, "title=\"31 Agu 2026 \u2013 29 Okt 2026: belum dipantau\""));
    CHECK(contains(id, "title=\"30 Okt 2026 \u2013 25 Nov 2026: 100% \u00B7 tanpa gangguan\""));
    CHECK(contains(id, "<span class=\"d2\" title=\"26 Nov 2026: 99,30% "
                       "\u00B7 1 gangguan, 10 menit\"></span>"));
    CHECK(contains(id, "title=\"27 Nov 2026 \u2013 28 Nov 2026: 100% \u00B7 tanpa gangguan\""));
    CHECK(contains(id, "aria-label=\"Ketersediaan 90 hari: 99,97%; Hari dengan gangguan: 1\""));
    CHECK(contains(id, "<summary>Hari dengan gangguan (1)</summary><ul><li>26 Nov 2026: 99,30% "
                       "\u00B7 1 gangguan, 10 menit</li></ul>"));
    CHECK(contains(id, "<span>90 hari lalu</span><span class=\"pct\">99,97%</span>"));
    const std::string en = pantau::render_status_page(v, status_lang::en);
    CHECK(contains(en, "title=\"26 Nov 2026: 99.30% \u00B7 1 outage, 10 min\""));
    CHECK(contains(en, "aria-label=\"Availability over 90 d: 99.97%; Days with outages: 1\""));
    // A day below 99% is the "major" colour, and never rounds up to 100%.
    s.days[88] = day_availability{0.5, 12h, 2};
    const std::string worse = pantau::render_status_page(v, status_lang::en);
    CHECK(contains(worse, "<span class=\"d3\" title=\"27 Nov 2026: 50.00% "
                          "\u00B7 2 outages, 12 h\"></span>"));
}

TEST_CASE("status page: language from ?lang=, then the cookie, else Indonesian") {
    using pantau::request_language;
    CHECK(request_language("", "") == status_lang::id);
    CHECK(request_language("lang=en", "") == status_lang::en);
    CHECK(request_language("lang=id", "pantau_lang=en") == status_lang::id);
    CHECK(request_language("", "a=1; pantau_lang=en; b=2") == status_lang::en);
    CHECK(request_language("lang=fr", "pantau_lang=en") == status_lang::en);
    CHECK(request_language("lang=<script>", "") == status_lang::id);
    CHECK(request_language("", "xpantau_lang=en") == status_lang::id);
}

TEST_CASE("config: status_page title, footer and logo") {
    auto loaded = pantau::load_config_text("status_page:\n"
                                           "  title: Status Layanan Kota Contoh\n"
                                           "  footer: \"Diskominfo Kota Contoh, telepon 112\"\n"
                                           "  logo: https://kota.example.go.id/logo.png\n",
                                           "test.yaml");
    REQUIRE(std::holds_alternative<pantau::config>(loaded));
    const auto& page = std::get<pantau::config>(loaded).status_page;
    CHECK(page.title == "Status Layanan Kota Contoh");
    CHECK(page.footer == "Diskominfo Kota Contoh, telepon 112");
    CHECK(page.logo == "https://kota.example.go.id/logo.png");

    const auto error = [](const std::string& yaml) {
        auto r = pantau::load_config_text(yaml, "test.yaml");
        REQUIRE(std::holds_alternative<pantau::config_error>(r));
        return std::get<pantau::config_error>(r).to_string();
    };
    CHECK(error("status_page:\n  titel: x\n") ==
          "test.yaml:2:3: unknown key \"titel\" in status_page; did you mean \"title\"?");
    CHECK(contains(error("status_page: Kota\n"), "test.yaml:1:14: expected a mapping"));
    CHECK(contains(error("status_page:\n  logo: logo.bmp\n"),
                   "test.yaml:2:9: logo \"logo.bmp\": write an http(s) URL or the path of"));
    CHECK(contains(error("status_page:\n  logo: missing.png\n"),
                   "test.yaml:2:9: cannot read logo file \"missing.png\""));
}

TEST_CASE("config: a logo file is inlined as a data: URI, relative to the config file") {
    const auto dir = std::filesystem::temp_directory_path() / "pantau-status-logo-test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "logo.svg") << "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
    const std::string file = (dir / "pantau.yaml").string();
    auto loaded = pantau::load_config_text("status_page: {logo: logo.svg}\n", file);
    std::filesystem::remove_all(dir);
    REQUIRE(std::holds_alternative<pantau::config>(loaded));
    // base64 of <svg xmlns="http://www.w3.org/2000/svg"/>
    CHECK(std::get<pantau::config>(loaded).status_page.logo ==
          "data:image/svg+xml;base64,"
          "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=");
}
