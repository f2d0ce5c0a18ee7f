// pantau probe: runs one check once and prints what it saw; probe heartbeat sends one
// heartbeat to the running daemon.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/regex.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "app/cli_commands.hpp"
#include "core/duration.hpp"
#include "core/time_format.hpp"
#include "io/curl_multi.hpp"
#include "probes/probe.hpp"

namespace pantau::cli_detail {

namespace {

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

} // namespace

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
        std::printf("cert_earliest_expiry: %s\n",
                    format_rfc3339(*result->cert_earliest_expiry, std::chrono::minutes{0}).c_str());
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

} // namespace pantau::cli_detail
