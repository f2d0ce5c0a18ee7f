#include "app/cli.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/regex.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/daemon.hpp"
#include "app/demo.hpp"
#include "config/config.hpp"
#include "core/duration.hpp"
#include "io/curl_multi.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "notify/channel.hpp"
#include "probes/probe.hpp"
#include "report/report_cli.hpp"

namespace pantau {

namespace {

constexpr const char* default_config = "/etc/pantau/pantau.yaml";

const char* usage_main = R"(Pantau watches a city's public services and tells the right people.

Usage:
  pantau run [--config FILE]        run the daemon (default config /etc/pantau/pantau.yaml)
  pantau demo [--listen ADDR]       run on a built-in simulated municipality
  pantau check-config FILE          validate a configuration file
  pantau probe URL [options]        probe a URL once and print what was seen
  pantau report --from DATE --to DATE [--format md|csv|html|json]
                                    availability and outage report from the ledger
  pantau ledger verify              check the ledger's hash chain
  pantau ack OUTAGE --by NAME       acknowledge an outage via the running daemon
  pantau --version                  print the version

Run "pantau COMMAND --help" for a command's options.
)";

const char* usage_run = R"(Usage: pantau run [--config FILE] [--log-level LEVEL]

Runs the daemon. SIGHUP or POST /-/reload re-reads the configuration; an invalid file is
reported and the running configuration kept. SIGTERM stops it.

  --config FILE      configuration file (default /etc/pantau/pantau.yaml)
  --log-level LEVEL  trace, debug, info (default), warn, error
)";

const char* usage_demo = R"(Usage: pantau demo [--listen ADDR] [--dir DIR] [--for DURATION]

Starts a simulated municipality on loopback (a few agencies and their services; one goes
down about 20 s after start and recovers 30 s later, one answers slowly) and watches it.
Open the printed address for the status page and /metrics.

  --listen ADDR   where Pantau listens (default 127.0.0.1:9470; 127.0.0.1:0 for any port)
  --dir DIR       folder for the generated configuration and state (default ./pantau-demo)
  --for DURATION  stop after this long, e.g. 90s (default: until Ctrl-C)
)";

const char* usage_check = R"(Usage: pantau check-config FILE

Exits 0 when FILE is a valid configuration; otherwise prints FILE:LINE:COL: message on
stderr and exits 1.
)";

const char* usage_probe = R"(Usage: pantau probe URL [options]
       pantau probe http URL [options]
       pantau probe tcp HOST:PORT [--send TEXT] [--expect REGEX]
       pantau probe tls HOST:PORT [--server-name NAME] [--cert-min-days N] [--ca-file FILE]
                                  [--starttls smtp]
       pantau probe dns NAME [--type A|AAAA|CNAME|MX|TXT|NS|SOA] [--server IP[:PORT]]
                             [--rcode NOERROR] [--answers-contain TEXT]...
       pantau probe icmp HOST [--count 3] [--max-loss 34%]
       pantau probe activity URL (--value /JSON/POINTER | --metric 'NAME{LABEL="V"}')
                             [--within DURATION] [--min-increase N] [--what TEXT]
       pantau probe heartbeat SERVICE/CHECK [--token TOKEN] [--url URL] [--config FILE]

Runs one probe and prints what it saw. Exit 0 when it succeeded, 1 when not.
Every type takes --timeout DURATION (default 10s).

activity reads the counter once and prints it; with --within it reads it again after that
long and judges whether it rose by --min-increase (default 1), as the check would.
--header, --ca-file and --insecure work as for HTTP.

heartbeat sends one heartbeat to the running daemon, as a job would (POST
/api/v1/heartbeat/SERVICE/CHECK), and prints when the next one is due. The token defaults
to the check's token in the configuration (--config, default /etc/pantau/pantau.yaml);
--url defaults to http:// + the configuration's listen.

HTTP options:
  --expect-status CODES     comma-separated accepted codes (default: any 2xx)
  --body-contains TEXT      require TEXT in the body (repeatable)
  --body-not-contains TEXT  fail when TEXT is in the body (repeatable)
  --json 'EXPECTATION'      e.g. '/status == "ok"', '/queue/waiting < 200' (repeatable)
  --max-latency DURATION    fail when slower, e.g. 3s
  --cert-min-days N         fail when the certificate expires sooner
  --method METHOD           HTTP method (default GET)
  --header 'Name: value'    extra request header (repeatable)
  --ca-file FILE            trust this CA bundle
  --insecure                do not verify TLS certificates
  --no-follow               do not follow redirects
)";

const char* usage_ledger = R"(Usage: pantau ledger verify [--config FILE]

Walks the ledger's hash chain. Prints the number of events and the last hash when every
event fits (write the hash into meeting minutes to check later); otherwise names the first
event that was changed, deleted or inserted and exits 1.
)";

const char* usage_ack =
    R"(Usage: pantau ack OUTAGE --by NAME [--note TEXT] [--config FILE] [--url URL]

Acknowledges an outage through the running daemon (POST /api/v1/outages/OUTAGE/ack with
the configuration's admin_token). Later escalation levels stop, except those marked
even_if_acknowledged.

  --url URL   the daemon's base URL (default: http:// + the configuration's listen)
)";

bool wants_help(const std::vector<std::string_view>& args) {
    for (std::string_view a : args) {
        if (a == "--help" || a == "-h") {
            return true;
        }
    }
    return false;
}

int usage_error(const char* usage, const std::string& message) {
    std::fprintf(stderr, "pantau: %s\n\n%s", message.c_str(), usage);
    return 2;
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view s) {
    const auto level = spdlog::level::from_str(std::string(s));
    if (level == spdlog::level::off && s != "off") {
        return std::nullopt;
    }
    return level;
}

int cmd_run(const std::vector<std::string_view>& args) {
    if (wants_help(args)) {
        std::fputs(usage_run, stdout);
        return 0;
    }
    daemon_options opts;
    opts.config_path = default_config;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config" && i + 1 < args.size()) {
            opts.config_path = std::string(args[++i]);
        } else if (args[i] == "--log-level" && i + 1 < args.size()) {
            auto level = parse_level(args[++i]);
            if (!level) {
                return usage_error(usage_run, "unknown log level " + std::string(args[i]));
            }
            spdlog::set_level(*level);
        } else {
            return usage_error(usage_run, "unexpected argument " + std::string(args[i]));
        }
    }
    return run_daemon(opts);
}

int cmd_demo(const std::vector<std::string_view>& args) {
    if (wants_help(args)) {
        std::fputs(usage_demo, stdout);
        return 0;
    }
    demo_options opts;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--listen" && i + 1 < args.size()) {
            opts.listen = std::string(args[++i]);
        } else if (args[i] == "--dir" && i + 1 < args.size()) {
            opts.dir = std::string(args[++i]);
        } else if (args[i] == "--for" && i + 1 < args.size()) {
            auto d = parse_duration(args[++i]);
            if (!d) {
                return usage_error(usage_demo, "invalid duration " + std::string(args[i]) +
                                                   " (write e.g. 90s or 5m)");
            }
            opts.run_for = *d;
        } else {
            return usage_error(usage_demo, "unexpected argument " + std::string(args[i]));
        }
    }
    return run_demo(opts);
}

int cmd_check_config(const std::vector<std::string_view>& args) {
    if (wants_help(args)) {
        std::fputs(usage_check, stdout);
        return 0;
    }
    if (args.size() != 1) {
        return usage_error(usage_check, "check-config needs exactly one FILE");
    }
    auto loaded = load_config_file(std::string(args[0]));
    if (auto* err = std::get_if<config_error>(&loaded)) {
        std::fprintf(stderr, "%s\n", err->to_string().c_str());
        return 1;
    }
    const config& cfg = std::get<config>(loaded);
    {
        // Channels check their own settings (URLs, durations, required keys) when built.
        boost::asio::io_context io;
        curl_multi curl(io);
        for (const auto& [name, cc] : cfg.channels) {
            std::string error;
            if (!make_channel(curl, cc, error)) {
                std::fprintf(stderr, "%s:%d:%d: %s\n", cc.where.file.c_str(), cc.where.line,
                             cc.where.column, error.c_str());
                return 1;
            }
        }
    }
    std::size_t checks = 0;
    for (const auto& s : cfg.services) {
        checks += s.checks.size();
    }
    std::printf("%s: OK (%zu agencies, %zu services, %zu checks)\n", std::string(args[0]).c_str(),
                cfg.agencies.size(), cfg.services.size(), checks);
    return 0;
}

std::string seconds_text(std::chrono::nanoseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", std::chrono::duration<double>(d).count());
    return buf;
}

// Parses one `pantau probe` option value as a duration; prints the usage error itself.
std::optional<duration> probe_duration_option(const std::string& text, int& rc) {
    auto d = parse_duration(text);
    if (!d || d->count() == 0) {
        rc = usage_error(usage_probe, "invalid duration \"" + text + "\" (write e.g. 500ms or 3s)");
        return std::nullopt;
    }
    return d;
}

std::optional<int> probe_int_option(const std::string& text, int min, int max, int& rc) {
    char* end = nullptr;
    const long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || n < min || n > max) {
        rc = usage_error(usage_probe, "invalid number \"" + text + "\" (write " +
                                          std::to_string(min) + " to " + std::to_string(max) + ")");
        return std::nullopt;
    }
    return static_cast<int>(n);
}

// Reads the arguments of `pantau probe TYPE ...` (all but http) into a check. Returns the
// exit code of a usage error, or nullopt when `spec` and `timeout` are filled in.
std::optional<int> parse_probe_args(std::string_view type,
                                    const std::vector<std::string_view>& args, check_spec& spec,
                                    duration& timeout, std::string& target) {
    int rc = 0;
    tcp_check tcp;
    tls_check tls;
    dns_check dns;
    icmp_check icmp;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        const bool has_value = i + 1 < args.size();
        auto value = [&]() { return std::string(args[++i]); };
        if (a == "--timeout" && has_value) {
            const auto d = probe_duration_option(value(), rc);
            if (!d) {
                return rc;
            }
            timeout = *d;
        } else if (type == "tcp" && a == "--send" && has_value) {
            tcp.send = value();
        } else if (type == "tcp" && a == "--expect" && has_value) {
            tcp.expect = value();
            try {
                const boost::regex compiled{*tcp.expect, boost::regex::ECMAScript};
                static_cast<void>(compiled);
            } catch (const std::exception& e) {
                return usage_error(usage_probe,
                                   "invalid regular expression: " + std::string{e.what()});
            }
        } else if (type == "tls" && a == "--server-name" && has_value) {
            tls.server_name = value();
        } else if (type == "tls" && a == "--cert-min-days" && has_value) {
            const auto n = probe_int_option(value(), 0, 3650, rc);
            if (!n) {
                return rc;
            }
            tls.cert_min_days = *n;
        } else if (type == "tls" && a == "--ca-file" && has_value) {
            tls.ca_file = value();
        } else if (type == "tls" && a == "--starttls" && has_value) {
            if (value() != "smtp") {
                return usage_error(usage_probe, "--starttls supports smtp only");
            }
            tls.starttls = starttls_protocol::smtp;
        } else if (type == "dns" && a == "--type" && has_value) {
            dns.type = value();
            std::transform(dns.type.begin(), dns.type.end(), dns.type.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            constexpr std::string_view types[] = {"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA"};
            if (std::find(std::begin(types), std::end(types), dns.type) == std::end(types)) {
                return usage_error(usage_probe, "unknown record type " + dns.type +
                                                    " (write A, AAAA, CNAME, MX, TXT, NS or SOA)");
            }
        } else if (type == "dns" && a == "--server" && has_value) {
            dns.server = value();
        } else if (type == "dns" && a == "--rcode" && has_value) {
            dns.rcode = value();
            std::transform(dns.rcode.begin(), dns.rcode.end(), dns.rcode.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        } else if (type == "dns" && a == "--answers-contain" && has_value) {
            dns.answers_contain.push_back(value());
        } else if (type == "icmp" && a == "--count" && has_value) {
            const auto n = probe_int_option(value(), 1, 100, rc);
            if (!n) {
                return rc;
            }
            icmp.count = static_cast<unsigned>(*n);
        } else if (type == "icmp" && a == "--max-loss" && has_value) {
            std::string text = value();
            if (!text.empty() && text.back() == '%') {
                text.pop_back();
            }
            char* end = nullptr;
            const double percent = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(percent >= 0.0) || percent > 100.0) {
                return usage_error(usage_probe, "invalid --max-loss (write e.g. 34%)");
            }
            icmp.max_loss = percent;
        } else if (!a.empty() && a[0] != '-' && target.empty()) {
            target = std::string(a);
        } else {
            return usage_error(usage_probe, "unexpected argument " + std::string(a));
        }
    }
    if (target.empty()) {
        return usage_error(usage_probe, "probe " + std::string{type} + " needs a target");
    }
    const auto host_port = [&target]() {
        const auto colon = target.rfind(':');
        return colon != std::string::npos && colon + 1 < target.size() &&
               target.find_first_not_of("0123456789", colon + 1) == std::string::npos;
    };
    if (type == "tcp" || type == "tls") {
        if (!host_port()) {
            return usage_error(usage_probe, "probe " + std::string{type} +
                                                " needs HOST:PORT, e.g. 127.0.0.1:25");
        }
        tcp.address = target;
        tls.address = target;
        spec = type == "tcp" ? check_spec{tcp} : check_spec{tls};
    } else if (type == "dns") {
        dns.name = target;
        spec = dns;
    } else {
        icmp.host = target;
        spec = icmp;
    }
    return std::nullopt;
}

std::string utc_text(std::chrono::system_clock::time_point tp) {
    const std::time_t t = std::chrono::system_clock::to_time_t(tp);
    char buf[32];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

size_t collect_body(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

// The daemon's base URL from its configuration's listen address.
std::string daemon_base_url(const config& cfg) {
    std::string host = cfg.listen.substr(0, cfg.listen.rfind(':'));
    if (host == "0.0.0.0" || host.empty()) {
        host = "127.0.0.1";
    } else if (host == "[::]") {
        host = "[::1]";
    }
    return "http://" + host + cfg.listen.substr(cfg.listen.rfind(':'));
}

struct daemon_reply {
    long status = 0;
    std::string text;
};

// POSTs `body` (JSON) to the running daemon with a bearer token. Prints why and returns
// nullopt when the daemon cannot be reached.
std::optional<daemon_reply> post_to_daemon(const std::string& url, const std::string& token,
                                           const std::string& body) {
    curl_easy_ptr h(curl_easy_init());
    curl_slist_ptr headers;
    headers.reset(curl_slist_append(headers.release(), "Content-Type: application/json"));
    const std::string auth = "Authorization: Bearer " + token;
    headers.reset(curl_slist_append(headers.release(), auth.c_str()));
    daemon_reply reply;
    curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &collect_body);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &reply.text);
    const CURLcode res = curl_easy_perform(h.get());
    if (res != CURLE_OK) {
        std::fprintf(stderr, "pantau: cannot reach the daemon at %s: %s\n", url.c_str(),
                     curl_easy_strerror(res));
        return std::nullopt;
    }
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

// The daemon's {"error": ...} message, or its whole answer.
std::string refusal(const daemon_reply& r) {
    const auto body = nlohmann::json::parse(r.text, nullptr, false);
    return body.is_object() && body.contains("error") && body["error"].is_string()
               ? body["error"].get<std::string>()
               : r.text;
}

// pantau probe heartbeat SERVICE/CHECK: one heartbeat to the running daemon.
int probe_heartbeat(std::vector<std::string_view> args) {
    std::string target;
    std::string token;
    std::string base;
    std::string config_path = default_config;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool has_value = i + 1 < args.size();
        if (args[i] == "--token" && has_value) {
            token = std::string(args[++i]);
        } else if (args[i] == "--url" && has_value) {
            base = std::string(args[++i]);
            while (!base.empty() && base.back() == '/') {
                base.pop_back();
            }
        } else if (args[i] == "--config" && has_value) {
            config_path = std::string(args[++i]);
        } else if (target.empty() && !args[i].empty() && args[i][0] != '-') {
            target = std::string(args[i]);
        } else {
            return usage_error(usage_probe, "unexpected argument " + std::string(args[i]));
        }
    }
    const std::size_t slash = target.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == target.size()) {
        return usage_error(usage_probe, "probe heartbeat needs SERVICE/CHECK, e.g. sinkron/harian");
    }
    if (token.empty() || base.empty()) {
        auto loaded = load_config_file(config_path);
        if (auto* err = std::get_if<config_error>(&loaded)) {
            std::fprintf(stderr, "%s\n", err->to_string().c_str());
            return 1;
        }
        const config& cfg = std::get<config>(loaded);
        if (base.empty()) {
            base = daemon_base_url(cfg);
        }
        for (const service_config& svc : cfg.services) {
            for (const check_config& c : svc.checks) {
                const auto* hb = std::get_if<heartbeat_check>(&c.spec);
                if (token.empty() && hb != nullptr && svc.id == target.substr(0, slash) &&
                    c.id == target.substr(slash + 1)) {
                    token = hb->token;
                }
            }
        }
        if (token.empty()) {
            std::fprintf(stderr, "pantau: %s has no heartbeat check %s; give --token\n",
                         config_path.c_str(), target.c_str());
            return 1;
        }
    }
    const auto reply = post_to_daemon(base + "/api/v1/heartbeat/" + target, token, "{}");
    if (!reply) {
        return 1;
    }
    if (reply->status != 200) {
        std::fprintf(stderr, "pantau: heartbeat refused (HTTP %ld): %s\n", reply->status,
                     refusal(*reply).c_str());
        return 1;
    }
    std::printf("type: heartbeat\ntarget: %s\nresult: success\n", target.c_str());
    const auto body = nlohmann::json::parse(reply->text, nullptr, false);
    if (body.is_object()) {
        std::printf("received_at: %s\n", body.value("received_at", "").c_str());
        std::printf("next_due_by: %s\n", body.value("next_due_by", "").c_str());
    }
    return 0;
}

// `--header 'Name: value'` into the request's headers; false when there is no colon.
bool add_header_option(const std::string& option, http_check& http) {
    const auto colon = option.find(':');
    if (colon == std::string::npos) {
        return false;
    }
    std::string v = option.substr(colon + 1);
    v.erase(0, v.find_first_not_of(' '));
    http.headers.emplace_back(option.substr(0, colon), std::move(v));
    return true;
}

// Reads `pantau probe activity URL ...` into `spec`; the exit code of a usage error, or
// nullopt.
std::optional<int> parse_activity_args(const std::vector<std::string_view>& args,
                                       activity_check& spec, duration& timeout,
                                       std::optional<duration>& within) {
    int rc = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        const bool has_value = i + 1 < args.size();
        auto value = [&]() { return std::string(args[++i]); };
        if ((a == "--timeout" || a == "--within") && has_value) {
            const auto d = probe_duration_option(value(), rc);
            if (!d) {
                return rc;
            }
            (a == "--timeout" ? timeout : within.emplace()) = *d;
        } else if (a == "--value" && has_value) {
            spec.pointer = value();
            if (std::string error; !valid_json_pointer(spec.pointer, error)) {
                return usage_error(usage_probe, "invalid --value " + spec.pointer + ": " + error);
            }
        } else if (a == "--metric" && has_value) {
            std::string error;
            spec.metric = parse_metric_selector(value(), error);
            if (!spec.metric) {
                return usage_error(usage_probe, "invalid --metric: " + error);
            }
        } else if (a == "--min-increase" && has_value) {
            const std::string text = value();
            char* end = nullptr;
            spec.min_increase = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(spec.min_increase > 0)) {
                return usage_error(usage_probe, "invalid --min-increase (write e.g. 1)");
            }
        } else if (a == "--what" && has_value) {
            spec.what = value();
        } else if (a == "--header" && has_value) {
            if (!add_header_option(value(), spec.http)) {
                return usage_error(usage_probe, "header must look like 'Name: value'");
            }
        } else if (a == "--ca-file" && has_value) {
            spec.http.ca_file = value();
        } else if (a == "--insecure") {
            spec.http.tls_verify = false;
        } else if (!a.empty() && a[0] != '-' && spec.http.url.empty()) {
            spec.http.url = std::string(a);
        } else {
            return usage_error(usage_probe, "unexpected argument " + std::string(a));
        }
    }
    if (spec.http.url.rfind("http://", 0) != 0 && spec.http.url.rfind("https://", 0) != 0) {
        return usage_error(usage_probe, "probe activity needs a URL starting with http:// or "
                                        "https://");
    }
    if (spec.pointer.empty() == !spec.metric) {
        return usage_error(usage_probe, "probe activity needs one of --value or --metric");
    }
    if (within) {
        spec.must_increase_within = *within;
    }
    return std::nullopt;
}

// Runs `p` once on `io`; nullopt when it did not complete.
std::optional<probe_result> run_once(boost::asio::io_context& io, probe& p, duration timeout) {
    std::optional<probe_result> result;
    p.async_run(timeout, [&result](probe_result r) { result = std::move(r); });
    io.restart();
    io.run();
    return result;
}

int cmd_probe(std::vector<std::string_view> args) {
    if (wants_help(args)) {
        std::fputs(usage_probe, stdout);
        return 0;
    }
    const std::string_view type = args.empty() ? std::string_view{} : args[0];
    const bool other_type = type == "tcp" || type == "tls" || type == "dns" || type == "icmp";
    if (type == "http" || type == "activity" || type == "heartbeat" || other_type) {
        args.erase(args.begin());
    }
    if (type == "heartbeat") {
        return probe_heartbeat(args);
    }
    check_spec any_spec;
    std::string target;
    duration timeout{10000};
    std::optional<duration> within;
    if (type == "activity") {
        activity_check activity;
        if (auto rc = parse_activity_args(args, activity, timeout, within)) {
            return *rc;
        }
        target = activity.http.url;
        any_spec = activity;
    } else if (other_type) {
        if (auto rc = parse_probe_args(type, args, any_spec, timeout, target)) {
            return *rc;
        }
    } else {
        http_check spec;
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string_view a = args[i];
            const bool has_value = i + 1 < args.size();
            auto value = [&]() { return std::string(args[++i]); };
            if (a == "--expect-status" && has_value) {
                std::string list = value();
                std::size_t pos = 0;
                while (pos <= list.size()) {
                    const std::size_t comma = std::min(list.find(',', pos), list.size());
                    const std::string item = list.substr(pos, comma - pos);
                    char* end = nullptr;
                    const long code = std::strtol(item.c_str(), &end, 10);
                    if (item.empty() || *end != '\0' || code < 100 || code > 599) {
                        return usage_error(usage_probe, "invalid status code \"" + item +
                                                            "\" (write e.g. 200,301)");
                    }
                    spec.expect.status.push_back(static_cast<int>(code));
                    pos = comma + 1;
                }
            } else if (a == "--body-contains" && has_value) {
                spec.expect.body_contains.push_back(value());
            } else if (a == "--body-not-contains" && has_value) {
                spec.expect.body_not_contains.push_back(value());
            } else if (a == "--json" && has_value) {
                const std::string text = value();
                std::string error;
                auto parsed = parse_json_expectation(text, error);
                if (!parsed) {
                    std::string message = "invalid json expectation \"";
                    message += text;
                    message += "\": ";
                    message += error;
                    return usage_error(usage_probe, message);
                }
                spec.expect.json.push_back(std::move(*parsed));
            } else if ((a == "--max-latency" || a == "--timeout") && has_value) {
                int rc = 0;
                const auto d = probe_duration_option(value(), rc);
                if (!d) {
                    return rc;
                }
                (a == "--timeout" ? timeout : spec.expect.max_latency.emplace()) = *d;
            } else if (a == "--cert-min-days" && has_value) {
                spec.expect.cert_min_days = std::atoi(value().c_str());
            } else if (a == "--method" && has_value) {
                spec.method = value();
            } else if (a == "--header" && has_value) {
                if (!add_header_option(value(), spec)) {
                    return usage_error(usage_probe, "header must look like 'Name: value'");
                }
            } else if (a == "--ca-file" && has_value) {
                spec.ca_file = value();
            } else if (a == "--insecure") {
                spec.tls_verify = false;
            } else if (a == "--no-follow") {
                spec.follow_redirects = false;
            } else if (!a.empty() && a[0] != '-' && spec.url.empty()) {
                spec.url = std::string(a);
            } else {
                return usage_error(usage_probe, "unexpected argument " + std::string(a));
            }
        }
        if (spec.url.rfind("http://", 0) != 0 && spec.url.rfind("https://", 0) != 0) {
            return usage_error(usage_probe,
                               "probe needs a URL starting with http:// or https://, or a type: "
                               "tcp, tls, dns, icmp, activity, heartbeat");
        }
        target = spec.url;
        any_spec = spec;
    }
    boost::asio::io_context io;
    curl_multi curl(io);
    probe_context ctx{io, curl};
    std::unique_ptr<probe> p = make_probe(ctx, any_spec);
    std::optional<probe_result> result = run_once(io, *p, timeout);
    if (result && within && result->status == probe_status::success) {
        // The second reading, `within` after the first: judged as the check would.
        std::printf("first: %s\n", result->reason.c_str());
        std::fflush(stdout);
        boost::asio::steady_timer wait(io, *within);
        wait.async_wait([](const boost::system::error_code&) {});
        io.restart();
        io.run();
        result = run_once(io, *p, timeout);
    }
    if (!result) {
        std::fprintf(stderr, "pantau: probe did not complete\n");
        return 1;
    }
    const bool ok = result->status == probe_status::success;
    if (std::holds_alternative<http_check>(any_spec)) {
        std::printf("url: %s\n", target.c_str());
    } else {
        std::printf("type: %s\n", p->type());
        std::printf("target: %s\n", target.c_str());
    }
    std::printf("result: %s\n", ok ? "success" : "failure");
    std::printf("reason: %s\n", result->reason.c_str());
    if (result->http_status_code) {
        std::printf("status: %d\n", *result->http_status_code);
    }
    std::printf("duration_seconds: %s\n", seconds_text(result->elapsed).c_str());
    if (result->phases) {
        const http_phases& ph = *result->phases;
        std::printf("phases: resolve=%s connect=%s tls=%s processing=%s transfer=%s\n",
                    seconds_text(ph.resolve).c_str(), seconds_text(ph.connect).c_str(),
                    seconds_text(ph.tls).c_str(), seconds_text(ph.processing).c_str(),
                    seconds_text(ph.transfer).c_str());
    } else if (result->dns_lookup) {
        std::printf("dns_lookup_seconds: %s\n", seconds_text(*result->dns_lookup).c_str());
    }
    if (result->cert_earliest_expiry) {
        std::printf("cert_earliest_expiry: %s\n", utc_text(*result->cert_earliest_expiry).c_str());
    }
    if (result->icmp) {
        const icmp_stats& st = *result->icmp;
        std::printf("socket: %s\n", st.raw_socket ? "raw" : "datagram");
        std::printf("packets: sent=%u received=%u\n", st.sent, st.received);
        if (st.received > 0) {
            std::printf("rtt_seconds: min=%s avg=%s max=%s\n", seconds_text(st.rtt_min).c_str(),
                        seconds_text(st.rtt_avg).c_str(), seconds_text(st.rtt_max).c_str());
        }
    }
    return ok ? 0 : 1;
}

// Reads --config FILE from args (default /etc/pantau/pantau.yaml), leaving the rest.
std::optional<config> load_for_cli(std::vector<std::string_view>& args, const char* usage,
                                   int& exit_code) {
    std::string path = default_config;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config") {
            if (i + 1 >= args.size()) {
                exit_code = usage_error(usage, "--config needs a FILE");
                return std::nullopt;
            }
            path = std::string(args[i + 1]);
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                       args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
            break;
        }
    }
    auto loaded = load_config_file(path);
    if (auto* err = std::get_if<config_error>(&loaded)) {
        std::fprintf(stderr, "%s\n", err->to_string().c_str());
        exit_code = 1;
        return std::nullopt;
    }
    return std::move(std::get<config>(loaded));
}

int cmd_ledger(std::vector<std::string_view> args) {
    if (wants_help(args)) {
        std::fputs(usage_ledger, stdout);
        return 0;
    }
    int rc = 0;
    auto cfg = load_for_cli(args, usage_ledger, rc);
    if (!cfg) {
        return rc;
    }
    if (args.size() != 1 || args[0] != "verify") {
        return usage_error(usage_ledger, "expected: pantau ledger verify");
    }
    std::string error;
    std::unique_ptr<ledger> l = open_sqlite_ledger_readonly(cfg->ledger, error);
    if (!l) {
        std::fprintf(stderr, "pantau: cannot open the ledger %s: %s\n", cfg->ledger.c_str(),
                     error.c_str());
        return 2;
    }
    const verify_result r = l->verify();
    if (!r.ok) {
        std::fprintf(stderr, "ledger %s: TAMPERED: %s\n", cfg->ledger.c_str(), r.problem.c_str());
        return 1;
    }
    std::printf("ledger %s: OK, %lld events, last hash %s\n", cfg->ledger.c_str(),
                static_cast<long long>(r.events), r.last_hash.empty() ? "-" : r.last_hash.c_str());
    return 0;
}

int cmd_ack(std::vector<std::string_view> args) {
    if (wants_help(args)) {
        std::fputs(usage_ack, stdout);
        return 0;
    }
    int rc = 0;
    auto cfg = load_for_cli(args, usage_ack, rc);
    if (!cfg) {
        return rc;
    }
    std::string id;
    std::string by;
    std::string note;
    std::string base;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--url" && i + 1 < args.size()) {
            base = std::string(args[++i]);
            while (!base.empty() && base.back() == '/') {
                base.pop_back();
            }
        } else if (args[i] == "--by" && i + 1 < args.size()) {
            by = std::string(args[++i]);
        } else if (args[i] == "--note" && i + 1 < args.size()) {
            note = std::string(args[++i]);
        } else if (id.empty() && !args[i].empty() && args[i][0] != '-') {
            id = std::string(args[i]);
        } else {
            return usage_error(usage_ack, "unexpected argument " + std::string(args[i]));
        }
    }
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
        return usage_error(usage_ack, "ack needs an outage id (a number)");
    }
    if (by.empty()) {
        return usage_error(usage_ack, "ack needs --by NAME: who acknowledges");
    }
    if (cfg->admin_token.empty()) {
        std::fprintf(stderr, "pantau: the configuration has no admin_token; set one to allow "
                             "acknowledgements\n");
        return 1;
    }
    if (base.empty()) {
        base = daemon_base_url(*cfg);
    }
    const std::string url = base + "/api/v1/outages/" + id + "/ack";
    const std::string body = nlohmann::json{{"by", by}, {"note", note}}.dump();
    const auto reply = post_to_daemon(url, cfg->admin_token, body);
    if (!reply) {
        return 1;
    }
    if (reply->status != 200) {
        std::fprintf(stderr, "pantau: acknowledgement refused (HTTP %ld): %s\n", reply->status,
                     refusal(*reply).c_str());
        return 1;
    }
    std::printf("outage %s acknowledged by %s\n", id.c_str(), by.c_str());
    return 0;
}

} // namespace

int cli_main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(usage_main, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "version") {
        std::printf("pantau %s\n", PANTAU_VERSION);
        return 0;
    }
    const std::string_view command = args[0];
    args.erase(args.begin());
    if (command == "run") {
        return cmd_run(args);
    }
    if (command == "demo") {
        return cmd_demo(args);
    }
    if (command == "check-config") {
        return cmd_check_config(args);
    }
    if (command == "probe") {
        return cmd_probe(args);
    }
    if (command == "report") {
        return report_main(args);
    }
    if (command == "ledger") {
        return cmd_ledger(args);
    }
    if (command == "ack") {
        return cmd_ack(args);
    }
    return usage_error(usage_main, "unknown command \"" + std::string(command) + "\"");
}

} // namespace pantau
