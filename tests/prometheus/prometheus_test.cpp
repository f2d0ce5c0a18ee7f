// A real Prometheus scrapes the real pantau daemon, both on loopback, and runs every PromQL
// expression of the shipped Grafana dashboard (config/grafana/pantau.json) and of the shipped
// rules (config/prometheus/pantau-rules.yml). Also scrapes /probe the way a Prometheus set up
// for blackbox_exporter does, and has promtool check and unit-test the rules.
//
// Exits 77 (CTest: skipped) only when the prometheus binary is not installed (Debian package
// `prometheus`; scripts/install-deps.sh installs it). Nothing here leaves 127.0.0.1.
#define DOCTEST_CONFIG_IMPLEMENT
#include <nlohmann/json.hpp>
#include <curl/curl.h>
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures/fixture_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::filesystem::path source_dir{PANTAU_SOURCE_DIR};

// An executable called `name` on PATH (or the environment variable `override_env`).
std::string find_program(const char* name, const char* override_env) {
    if (const char* given = std::getenv(override_env); given != nullptr && *given != '\0') {
        return given;
    }
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
    }
    return {};
}

// A loopback port nothing listens on right now (the kernel's pick; Prometheus cannot report
// the port it bound when given 0).
int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    REQUIRE_MESSAGE(in.good(), "cannot read " << p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string escaped(const std::string& text) {
    char* e = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    std::string out = e != nullptr ? e : "";
    curl_free(e);
    return out;
}

// Every "expr" in the dashboard, wherever it sits (panels, rows, targets).
void collect_exprs(const json& node, std::vector<std::string>& out) {
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            if (key == "expr" && value.is_string()) {
                out.push_back(value.get<std::string>());
            } else {
                collect_exprs(value, out);
            }
        }
    } else if (node.is_array()) {
        for (const auto& item : node) {
            collect_exprs(item, out);
        }
    }
}

// Grafana's variables as Grafana would fill them in: every agency and service, and ranges that
// suit a 1 s scrape interval.
std::string substitute_variables(std::string expr) {
    const std::pair<const char*, const char*> variables[] = {
        {"${agency}", ".*"},   {"$agency", ".*"},          {"${service}", ".*"},
        {"$service", ".*"},    {"$__rate_interval", "5s"}, {"${__rate_interval}", "5s"},
        {"$__interval", "1s"}, {"${__interval}", "1s"},    {"$__range", "1m"},
        {"${__range}", "1m"},  {"$__range_s", "60"},       {"$__interval_ms", "1000"},
    };
    for (const auto& [name, value] : variables) {
        for (std::size_t at = expr.find(name); at != std::string::npos;
             at = expr.find(name, at + std::strlen(value))) {
            expr.replace(at, std::strlen(name), value);
        }
    }
    return expr;
}

struct query_result {
    bool success = false;
    std::size_t series = 0;
    std::string raw;
};

query_result instant_query(const std::string& prometheus, const std::string& expr) {
    const http_reply r = http_get(prometheus + "/api/v1/query?query=" + escaped(expr), 10s);
    query_result q;
    q.raw = r.body;
    const json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return q;
    }
    q.success = j.value("status", "") == "success";
    if (q.success && j.contains("data")) {
        const json& result = j["data"]["result"];
        q.series = result.is_array() ? result.size() : 1; // scalars count as one
    }
    return q;
}

// Metrics the running daemon exports today. Expressions built only on these must return
// data; others (escalation, notifications: not wired in yet) may be validly empty.
const std::set<std::string> exported_now = {
    "pantau_service_up",
    "pantau_service_objective_ratio",
    "pantau_outage_open",
    "pantau_check_state",
    "pantau_checks",
    "pantau_probes_total",
    "pantau_probes_in_flight",
    "pantau_schedule_lag_seconds_bucket",
    "pantau_schedule_skipped_total",
    "pantau_config_last_reload_success",
    "pantau_build_info",
    "pantau_ledger_write_errors_total",
    "pantau_ledger_pending_events",
    "pantau_ledger_dropped_events_total",
    "pantau_ledger_up",
    "probe_success",
    "probe_duration_seconds",
    "probe_http_status_code",
    "probe_http_duration_seconds",
    "probe_ssl_earliest_cert_expiry",
    "up",
    "agency_service:pantau_service_up:avg5m",
    "agency_service:pantau_service_up:avg1h",
    "agency_service:pantau_service_up:avg1d",
    "agency_service:pantau_service_up:avg30d",
    "agency_service:pantau_error_budget_remaining:ratio30d",
    "agency_service_check:probe_success:avg1h",
};

// Names of the metrics an expression reads: identifiers that are not PromQL functions,
// keywords, grouping labels, label matchers or strings.
std::set<std::string> metrics_of(const std::string& expr) {
    static const std::set<std::string> keywords = {"by",     "without",    "on",         "ignoring",
                                                   "and",    "or",         "unless",     "bool",
                                                   "offset", "group_left", "group_right"};
    std::string bare = std::regex_replace(expr, std::regex(R"(\{[^}]*\}|"[^"]*"|\[[^\]]*\])"), " ");
    bare = std::regex_replace(
        bare, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"), " ");
    std::set<std::string> out;
    const std::regex ident(R"([a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?)");
    for (auto it = std::sregex_iterator(bare.begin(), bare.end(), ident);
         it != std::sregex_iterator(); ++it) {
        const bool function = (*it)[1].matched;
        std::string name = it->str();
        name = name.substr(0, name.find_first_of(" (\t"));
        const bool number =
            it->position() > 0 && std::isdigit(static_cast<unsigned char>(
                                      bare[static_cast<std::size_t>(it->position() - 1)]));
        if (!function && !number && keywords.count(name) == 0) {
            out.insert(name);
        }
    }
    return out;
}

// Metrics named in the design and being added by other work (escalation, notifications):
// queries on them must be valid, and are empty until the daemon exports them.
const std::set<std::string> exported_later = {
    "pantau_escalation_level",
    "pantau_notifications_total",
    "pantau_outbox_pending",
};

// Names neither exported now nor expected later: typos, or metrics nobody will export.
std::vector<std::string> unknown_metrics(const std::string& expr) {
    std::vector<std::string> out;
    for (const std::string& m : metrics_of(expr)) {
        if (exported_now.count(m) == 0 && exported_later.count(m) == 0) {
            out.push_back(m);
        }
    }
    return out;
}

bool only_exported_now(const std::string& expr) {
    for (const std::string& m : metrics_of(expr)) {
        if (exported_now.count(m) == 0) {
            return false;
        }
    }
    return true;
}

std::string pantau_config(const fixture_server& srv, const fixture_server& tls_srv,
                          const std::string& ca_file) {
    return "listen: 127.0.0.1:0\n"
           "defaults: {interval: 1s, timeout: 800ms, retry_interval: 1s, failure_threshold: 1}\n"
           "agencies:\n"
           "  - {id: dukcapil, name: Dukcapil}\n"
           "  - {id: dinkes, name: Dinkes}\n"
           "services:\n"
           "  - id: akta\n"
           "    agency: dukcapil\n"
           "    objective: 99.5%\n"
           "    checks:\n"
           "      - {id: portal, http: {url: \"" +
           srv.url("/ok") +
           "\"}}\n"
           "      - {id: tls, http: {url: \"" +
           tls_srv.url("/ok", "localhost") + "\", ca_file: \"" + ca_file +
           "\"}}\n"
           "  - id: janji-temu\n"
           "    agency: dinkes\n"
           "    objective: 99%\n"
           "    checks:\n"
           "      - {id: portal, http: {url: \"" +
           srv.url("/status/503") + "\"}}\n";
}

} // namespace

TEST_CASE("prometheus: the dashboard's and the rules' queries run against real data") {
    const std::string prometheus_bin = find_program("prometheus", "PANTAU_PROMETHEUS");
    const std::string promtool = find_program("promtool", "PANTAU_PROMTOOL");
    REQUIRE_MESSAGE(!promtool.empty(), "promtool not found (Debian package prometheus)");
    const auto rules_file = source_dir / "config/prometheus/pantau-rules.yml";
    const auto dashboard_file = source_dir / "config/grafana/pantau.json";

    // The shipped rules are valid and their alerts fire as their unit tests say.
    const auto check = run_program({promtool, "check", "rules", rules_file.string()});
    CHECK_MESSAGE(check.exit_code == 0, check.output);
    const auto unit =
        run_program({promtool, "test", "rules",
                     (source_dir / "tests/prometheus/pantau-rules.test.yml").string()});
    CHECK_MESSAGE(unit.exit_code == 0, unit.output);

    fixture_server srv;
    const certificate cert = make_self_signed({.valid = {.not_after = std::chrono::days(20)}});
    fixture_server tls_srv(fixture_server_options{.tls = cert});
    temp_dir dir;
    const std::string ca = dir.write("ca.pem", cert.cert_pem);
    const std::string cfg = dir.write("pantau.yaml", pantau_config(srv, tls_srv, ca));
    child_process pantau({PANTAU_BINARY, "run", "--config", cfg});
    const std::string pantau_url = wait_for_base_url(pantau);
    REQUIRE_MESSAGE(!pantau_url.empty(), pantau.output());
    const std::string pantau_address = pantau_url.substr(std::string("http://").size());

    // The rules as shipped, evaluated every second instead of every minute.
    std::string rules = read_file(rules_file);
    rules = std::regex_replace(rules, std::regex(R"(interval: 1m)"), "interval: 1s");
    const std::string fast_rules = dir.write("pantau-rules.yml", rules);
    const int port = free_loopback_port();
    const std::string prometheus_url = "http://127.0.0.1:" + std::to_string(port);
    const std::string prom_cfg =
        dir.write("prometheus.yml",
                  "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
                  "rule_files: [\"" +
                      fast_rules +
                      "\"]\n"
                      "scrape_configs:\n"
                      "  - job_name: pantau\n"
                      "    static_configs: [{targets: [\"" +
                      pantau_address +
                      "\"]}]\n"
                      // The configuration blackbox_exporter's users have, pointed at Pantau.
                      "  - job_name: blackbox\n"
                      "    metrics_path: /probe\n"
                      "    params: {module: [http_2xx]}\n"
                      "    static_configs: [{targets: [\"" +
                      srv.url("/ok") + "\", \"" + srv.url("/status/503") +
                      "\"]}]\n"
                      "    relabel_configs:\n"
                      "      - {source_labels: [__address__], target_label: __param_target}\n"
                      "      - {source_labels: [__param_target], target_label: instance}\n"
                      "      - {target_label: __address__, replacement: \"" +
                      pantau_address + "\"}\n");
    const auto config_check = run_program({promtool, "check", "config", prom_cfg});
    REQUIRE_MESSAGE(config_check.exit_code == 0, config_check.output);

    child_process prometheus({prometheus_bin, "--config.file=" + prom_cfg,
                              "--web.listen-address=127.0.0.1:" + std::to_string(port),
                              "--storage.tsdb.path=" + (dir.path / "data").string(),
                              "--storage.tsdb.retention.time=1h", "--log.level=warn"});
    REQUIRE_MESSAGE(
        eventually([&] { return http_get(prometheus_url + "/-/ready").status == 200; }, 30s),
        prometheus.output());

    // Samples of the core series, and the recording rules' first results.
    for (const char* expr :
         {R"(pantau_service_up{agency="dukcapil",service="akta"} == 1)",
          R"(pantau_service_up{agency="dinkes",service="janji-temu"} == 0)",
          R"(probe_success{job="pantau",check="portal"})",
          R"(probe_ssl_earliest_cert_expiry{job="pantau",check="tls"})",
          R"(probe_success{job="blackbox",instance=~".*/ok"} == 1)",
          R"(probe_success{job="blackbox",instance=~".*/status/503"} == 0)",
          "agency_service:pantau_error_budget_remaining:ratio30d",
          "histogram_quantile(0.99, sum by (le) (rate(pantau_schedule_lag_seconds_bucket[5s])))"}) {
        CHECK_MESSAGE(
            eventually([&] { return instant_query(prometheus_url, expr).series > 0; }, 45s),
            expr << ": " << instant_query(prometheus_url, expr).raw << "\n"
                 << prometheus.output());
    }

    // The certificate's 20 days, as the dashboard shows them.
    const query_result days = instant_query(
        prometheus_url, R"((probe_ssl_earliest_cert_expiry{check="tls"} - time()) / 86400)");
    const json days_json = json::parse(days.raw, nullptr, false);
    REQUIRE(days.series == 1);
    const double days_left =
        std::stod(days_json["data"]["result"][0]["value"][1].get<std::string>());
    CHECK(days_left == doctest::Approx(20).epsilon(0.01));

    // Every dashboard query: valid PromQL for Prometheus, and data where the daemon exports
    // everything it reads.
    const json dashboard = json::parse(read_file(dashboard_file));
    std::vector<std::string> exprs;
    collect_exprs(dashboard, exprs);
    REQUIRE(exprs.size() >= 20);
    std::size_t with_data = 0;
    for (const std::string& raw : exprs) {
        const std::string expr = substitute_variables(raw);
        CAPTURE(raw);
        CHECK_MESSAGE(expr.find('$') == std::string::npos,
                      "a Grafana variable this test does not fill in");
        const query_result q = instant_query(prometheus_url, expr);
        CHECK_MESSAGE(q.success, q.raw);
        CHECK_MESSAGE(unknown_metrics(expr).empty(),
                      "unknown metric " << unknown_metrics(expr).front());
        if (only_exported_now(expr)) {
            CHECK_MESSAGE(q.series > 0, "no data for " << expr << ": " << q.raw);
        }
        with_data += q.series > 0 ? 1 : 0;
    }
    MESSAGE(exprs.size() << " dashboard queries, " << with_data << " with data");

    // Every rule's expression, and Prometheus' own verdict on evaluating them.
    const YAML::Node rule_groups = YAML::LoadFile(rules_file.string())["groups"];
    std::size_t rule_count = 0;
    for (const auto& group : rule_groups) {
        for (const auto& rule : group["rules"]) {
            const std::string expr = rule["expr"].as<std::string>();
            CAPTURE(expr);
            const query_result q = instant_query(prometheus_url, expr);
            CHECK_MESSAGE(q.success, q.raw);
            CHECK_MESSAGE(unknown_metrics(expr).empty(),
                          "unknown metric " << unknown_metrics(expr).front());
            ++rule_count;
        }
    }
    REQUIRE(rule_count >= 10);
    const json rules_state = json::parse(http_get(prometheus_url + "/api/v1/rules").body);
    std::size_t evaluated = 0;
    for (const auto& group : rules_state["data"]["groups"]) {
        for (const auto& rule : group["rules"]) {
            CHECK_MESSAGE(rule.value("health", "") == "ok",
                          rule.value("name", "") << ": " << rule.value("lastError", ""));
            ++evaluated;
        }
    }
    CHECK(evaluated == rule_count);

    // The certificate expires in 20 days: not yet an alert (below 14 days it would be).
    CHECK(instant_query(prometheus_url, R"(ALERTS{alertname=~"PantauCertificate.*"})").series == 0);
    // The scrape of Pantau itself is healthy.
    CHECK(instant_query(prometheus_url, R"(ALERTS{alertname="PantauDown"})").series == 0);

    prometheus.signal(SIGTERM);
    CHECK(prometheus.wait(10s).has_value());
    pantau.signal(SIGTERM);
    CHECK(pantau.wait(5s) == 0);
}

int main(int argc, char** argv) {
    if (find_program("prometheus", "PANTAU_PROMETHEUS").empty()) {
        std::printf("SKIPPED: the prometheus binary is not installed (Debian package "
                    "\"prometheus\"; scripts/install-deps.sh installs it)\n");
        return 77;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    doctest::Context context(argc, argv);
    const int rc = context.run();
    curl_global_cleanup();
    return rc;
}
