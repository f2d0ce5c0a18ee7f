// Reads a service's checks: (see sections.hpp): the settings every check shares, then its one
// probe type. tcp, tls, dns, icmp, heartbeat and activity are read here, http in http.cpp.
#include <boost/regex.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/json_expectation.hpp"
#include "config/schema.hpp"
#include "config/sections.hpp"
#include "config/value_syntax.hpp"
#include "core/duration.hpp"
#include "core/metric_text.hpp"

namespace pantau::config_detail {

namespace {

constexpr std::string_view probe_types_hint =
    "http, tcp, tls, dns, icmp, heartbeat or activity, e.g. http: {url: "
    "\"https://example.go.id/\"} or tcp: "
    "{address: \"mail.example.go.id:25\"}";

// host:port with a port from 1 to 65535.
std::string read_address(const field_reader& ctx, const field& f, std::string_view example) {
    std::string address = ctx.text(f);
    if (!is_host_port(address, true) || address.substr(address.rfind(':') + 1) == "0") {
        ctx.fail(value_mark(f), "invalid address " + quoted(address) +
                                    ": write host:port with a port from 1 to 65535, e.g. " +
                                    std::string{example} + " or [2001:db8::1]:443");
    }
    return address;
}

// An ECMAScript regular expression, compiled with the engine the probes use.
std::string read_regex(const field_reader& ctx, const field& f, std::string_view example) {
    std::string pattern = ctx.text(f);
    try {
        const boost::regex compiled{pattern, boost::regex::ECMAScript};
        static_cast<void>(compiled);
    } catch (const boost::regex_error& e) {
        ctx.fail(value_mark(f), "invalid regular expression " + quoted(pattern) + " (" + e.what() +
                                    "): write an ECMAScript regex, e.g. " + std::string{example} +
                                    " (put a backslash before ( ) [ ] { } . * + ? to match "
                                    "them literally)");
    }
    return pattern;
}

std::string read_ca_file(const field_reader& ctx, const field& f) {
    std::string path = ctx.text(f);
    if (path.empty()) {
        ctx.fail(value_mark(f), "ca_file needs a file path, e.g. /etc/pantau/ca.pem");
    }
    return path;
}

tcp_check read_tcp(const field_reader& ctx, const field& section) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in tcp", tcp_keys);
    ctx.require(f[tcp_address], section.value, "tcp", "address: \"mail.example.go.id:25\"");
    tcp_check tcp;
    tcp.address = read_address(ctx, f[tcp_address], "mail.example.go.id:25");
    if (f[tcp_send].present && !f[tcp_send].value.IsNull()) {
        tcp.send = ctx.text(f[tcp_send]);
    }
    if (f[tcp_expect].present && !f[tcp_expect].value.IsNull()) {
        std::string pattern = read_regex(ctx, f[tcp_expect], "\"^220 \"");
        if (!pattern.empty()) {
            tcp.expect = std::move(pattern);
        }
    }
    return tcp;
}

tls_check read_tls(const field_reader& ctx, const field& section) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in tls", tls_keys);
    ctx.require(f[tls_address], section.value, "tls", "address: \"portal.example.go.id:443\"");
    tls_check tls;
    tls.address = read_address(ctx, f[tls_address], "portal.example.go.id:443");
    if (f[tls_server_name].present) {
        tls.server_name = ctx.text(f[tls_server_name]);
        if (!is_host_port(*tls.server_name, false) ||
            tls.server_name->find(':') != std::string::npos) {
            ctx.fail(value_mark(f[tls_server_name]),
                     "invalid server_name " + quoted(*tls.server_name) +
                         ": write the host name the certificate must carry, without a port, "
                         "e.g. portal.example.go.id");
        }
    }
    if (f[tls_cert_min_days].present) {
        tls.cert_min_days = static_cast<int>(ctx.read_int(f[tls_cert_min_days], 0, 3650, "14"));
    }
    if (f[tls_ca_file].present) {
        tls.ca_file = read_ca_file(ctx, f[tls_ca_file]);
    }
    if (f[tls_starttls].present) {
        const std::string protocol = ctx.text(f[tls_starttls]);
        if (protocol != "smtp") {
            ctx.fail(value_mark(f[tls_starttls]), "unsupported starttls " + quoted(protocol) +
                                                      ": write starttls: smtp, or leave it out "
                                                      "for TLS from the first byte");
        }
        tls.starttls = starttls_protocol::smtp;
    }
    return tls;
}

// One of `names`, case-insensitively; the canonical spelling.
template <std::size_t N>
std::string read_choice(const field_reader& ctx, const field& f, const field_names<N>& names,
                        std::string_view what) {
    std::string value = ctx.text(f);
    std::string upper = value;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    if (std::find(names.begin(), names.end(), upper) != names.end()) {
        return upper;
    }
    std::string message = "unknown " + std::string{what} + " " + quoted(value) + "; ";
    if (const auto suggestion = closest(upper, names)) {
        message += "did you mean " + quoted(*suggestion) + "? ";
    }
    message += "write one of " + joined(names);
    ctx.fail(value_mark(f), std::move(message));
}

// An IP address with an optional port: 127.0.0.1, 127.0.0.1:5353, ::1, [::1]:5353.
bool is_ip_server(std::string_view server) {
    std::string_view host = server;
    if (!server.empty() && server.front() == '[') {
        const std::size_t close = server.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        host = server.substr(1, close - 1);
        const std::string_view rest = server.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) {
            return false;
        }
        return host.find(':') != std::string_view::npos &&
               host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
    }
    if (std::count(server.begin(), server.end(), ':') > 1) { // bare IPv6
        return server.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
    }
    const std::size_t colon = server.find(':');
    if (colon != std::string_view::npos) {
        host = server.substr(0, colon);
        if (!is_port(server.substr(colon + 1))) {
            return false;
        }
    }
    int parts = 0;
    std::size_t start = 0;
    while (start <= host.size()) {
        const std::size_t dot = std::min(host.find('.', start), host.size());
        const std::string_view part = host.substr(start, dot - start);
        if (!is_digits(part) || part.size() > 3 || std::stoi(std::string{part}) > 255) {
            return false;
        }
        ++parts;
        start = dot + 1;
    }
    return parts == 4;
}

dns_check read_dns(const field_reader& ctx, const field& section) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in dns", dns_keys);
    ctx.require(f[dns_name], section.value, "dns", "name: example.go.id");
    dns_check dns;
    dns.name = ctx.text(f[dns_name]);
    if (dns.name.empty() || dns.name.size() > 253 ||
        dns.name.find_first_of(" \t\r\n") != std::string::npos) {
        ctx.fail(value_mark(f[dns_name]),
                 "invalid name " + quoted(dns.name) + ": write a domain name, e.g. example.go.id");
    }
    if (f[dns_type].present) {
        dns.type = read_choice(ctx, f[dns_type], dns_types, "record type");
    }
    if (f[dns_server].present) {
        dns.server = ctx.text(f[dns_server]);
        if (!is_ip_server(*dns.server)) {
            ctx.fail(value_mark(f[dns_server]),
                     "invalid server " + quoted(*dns.server) +
                         ": write an IP address with an optional port, e.g. 10.0.0.53, "
                         "127.0.0.1:5353 or [2001:db8::53]:53 (leave server out to use the "
                         "system's resolvers)");
        }
    }
    if (f[dns_expect].present) {
        ctx.expect_map(f[dns_expect]);
        const auto e = ctx.read_fields(f[dns_expect].value, "in dns expect", dns_expect_keys);
        if (e[de_rcode].present) {
            dns.rcode = read_choice(ctx, e[de_rcode], dns_rcodes, "rcode");
        }
        if (e[de_answers_contain].present) {
            dns.answers_contain = ctx.texts(e[de_answers_contain]);
            if (dns.rcode != "NOERROR" && !dns.answers_contain.empty()) {
                ctx.fail(e[de_answers_contain].key.Mark(),
                         "answers_contain needs rcode NOERROR (a " + dns.rcode +
                             " response has no answers); remove one of them");
            }
        }
    }
    return dns;
}

icmp_check read_icmp(const field_reader& ctx, const field& section) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in icmp", icmp_keys);
    ctx.require(f[icmp_host], section.value, "icmp", "host: gateway.example.go.id");
    icmp_check icmp;
    icmp.host = ctx.text(f[icmp_host]);
    if (!is_host_port(icmp.host, false) ||
        (icmp.host.find(':') != std::string::npos && !is_ip_server(icmp.host))) {
        ctx.fail(value_mark(f[icmp_host]), "invalid host " + quoted(icmp.host) +
                                               ": write a host name or IP address without a "
                                               "port, e.g. 10.0.0.1 or gateway.example.go.id");
    }
    if (f[icmp_count].present) {
        icmp.count = static_cast<unsigned>(ctx.read_int(f[icmp_count], 1, 100, "3"));
    }
    if (f[icmp_max_loss].present) {
        const std::string value = ctx.text(f[icmp_max_loss]);
        std::string_view number{value};
        if (!number.empty() && number.back() == '%') {
            number.remove_suffix(1);
        }
        double percent = -1;
        const char* end = number.data() + number.size();
        const auto [ptr, ec] = std::from_chars(number.data(), end, percent);
        if (number.empty() || ec != std::errc{} || ptr != end || !(percent >= 0.0) ||
            percent > 100.0) {
            ctx.fail(value_mark(f[icmp_max_loss]),
                     "invalid max_loss " + quoted(value) +
                         ": write a percentage from 0% to 100%, e.g. 34% (one of three lost is "
                         "fine, two are not)");
        }
        icmp.max_loss = percent;
    }
    return icmp;
}

heartbeat_check read_heartbeat(const field_reader& ctx, const field& section) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in heartbeat", heartbeat_keys);
    ctx.require(f[hb_expect_every], section.value, "heartbeat", "expect_every: 24h");
    ctx.require(f[hb_token], section.value, "heartbeat", "token: \"${SYNC_TOKEN}\"");
    heartbeat_check hb;
    hb.expect_every = ctx.read_positive_duration(f[hb_expect_every], "24h");
    if (f[hb_grace].present) {
        hb.grace = ctx.read_duration(f[hb_grace]);
    }
    hb.token = ctx.text(f[hb_token]);
    if (hb.token.empty() || hb.token.find_first_of(" \t\r\n") != std::string::npos) {
        ctx.fail(value_mark(f[hb_token]),
                 "a heartbeat token must be a non-empty word without spaces; generate one "
                 "with \"openssl rand -hex 16\" and keep it in the environment, e.g. "
                 "token: \"${SYNC_TOKEN}\"");
    }
    return hb;
}

activity_check read_activity(const field_reader& ctx, const field& section,
                             const check_scope& scope) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in activity", activity_keys);
    ctx.require(f[a_url], section.value, "activity",
                "url: https://antrian.example.go.id/stats.json");
    activity_check a;
    a.http.url = read_http_url(ctx, f[a_url], "https://antrian.example.go.id/stats.json");
    if (f[a_value].present == f[a_metric].present) {
        ctx.fail(f[a_value].present ? f[a_metric].key.Mark() : section.value.Mark(),
                 "activity needs exactly one of value (a JSON pointer into a JSON answer, e.g. "
                 "value: /antrian/dilayani_hari_ini) or metric (a sample of a Prometheus text "
                 "page, e.g. metric: 'antrian_dilayani_total{loket=\"1\"}')");
    }
    if (f[a_value].present) {
        a.pointer = ctx.text(f[a_value]);
        std::string error;
        if (!valid_json_pointer(a.pointer, error)) {
            ctx.fail(value_mark(f[a_value]), "invalid JSON pointer " + quoted(a.pointer) + ": " +
                                                 error + "; write e.g. /antrian/dilayani_hari_ini");
        }
    } else {
        const std::string written = ctx.text(f[a_metric]);
        std::string error;
        a.metric = parse_metric_selector(written, error);
        if (!a.metric) {
            ctx.fail(value_mark(f[a_metric]), "invalid metric " + quoted(written) + ": " + error);
        }
    }
    if (f[a_min_increase].present) {
        a.min_increase = ctx.read_number(f[a_min_increase], "1");
        if (!(a.min_increase > 0)) {
            ctx.fail(value_mark(f[a_min_increase]),
                     "min_increase must be more than 0, e.g. min_increase: 1");
        }
    }
    if (f[a_must_increase_within].present) {
        a.must_increase_within = ctx.read_positive_duration(f[a_must_increase_within], "60m");
    }
    if (f[a_during].present) {
        std::string during = ctx.text(f[a_during]);
        if (during != always_open) { // `during: always`: at all hours, as without it
            if (scope.service_always_open) {
                ctx.fail(value_mark(f[a_during]),
                         "the service has hours: always (it never closes), so its activity "
                         "check applies at all hours; remove \"during: " +
                             during + "\" or give the service hours: " + during);
            }
            check_calendar(ctx, f[a_during], during, scope.cfg);
            a.calendar = scope.cfg.calendars.at(during);
            a.during = std::move(during);
        }
    }
    if (f[a_what].present) {
        a.what = ctx.text(f[a_what]);
    }
    if (f[a_headers].present) {
        read_headers(ctx, f[a_headers], a.http);
    }
    if (f[a_tls_verify].present) {
        a.http.tls_verify = ctx.read_bool(f[a_tls_verify]);
    }
    if (f[a_ca_file].present) {
        a.http.ca_file = read_ca_file(ctx, f[a_ca_file]);
    }
    return a;
}

// The earlier check named `id`, if any; otherwise records `id` as the next check's.
// A service's usual handful of checks is scanned; a large one gets a hash index, so a
// service with 100,000 checks is not quadratic.
const check_config* find_check(const std::vector<check_config>& checks,
                               std::unordered_map<std::string, std::size_t>& index,
                               const std::string& id) {
    constexpr std::size_t scan_limit = 16;
    if (checks.size() < scan_limit) {
        const auto found = std::find_if(checks.begin(), checks.end(),
                                        [&](const check_config& c) { return c.id == id; });
        return found == checks.end() ? nullptr : &*found;
    }
    if (index.empty()) {
        for (std::size_t i = 0; i < checks.size(); ++i) {
            index.emplace(checks[i].id, i);
        }
    }
    const auto [existing, inserted] = index.emplace(id, checks.size());
    return inserted ? nullptr : &checks[existing->second];
}

// Position of the value of `id:` in a mapping, or of the mapping itself.
YAML::Mark id_mark(const YAML::Node& map) {
    for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == "id") {
            return it->second.Mark();
        }
    }
    return map.Mark();
}

check_config read_check(const field_reader& ctx, const field& item, check_scope& scope) {
    const defaults_config& defaults = scope.cfg.defaults;
    ctx.expect_map(item);
    const auto f = ctx.read_fields(item.value, "in check", check_keys);
    ctx.require(f[c_id], item.value, "check", "id: portal");
    check_config check;
    check.where = ctx.at(item.value.Mark());
    check.id = ctx.read_id(f[c_id], "check id", "portal");
    const field* probe_field = nullptr;
    for (std::size_t i = first_probe_key; i < f.size(); ++i) {
        if (!f[i].present) {
            continue;
        }
        if (probe_field != nullptr) {
            ctx.fail(f[i].key.Mark(), "check " + quoted(check.id) + " has two probe types (" +
                                          quoted_list(probe_field->name, f[i].name) +
                                          "); write one probe type per check");
        }
        probe_field = &f[i];
    }
    if (probe_field == nullptr) {
        ctx.fail(item.value.Mark(), "check needs one probe type: " + std::string{probe_types_hint});
    }
    if (f[c_depends_on].present) {
        scope.depends_on.emplace(check.id, f[c_depends_on]);
    }
    check.interval = f[c_interval].present ? ctx.read_positive_duration(f[c_interval], "30s")
                                           : defaults.interval;
    check.timeout =
        f[c_timeout].present ? ctx.read_positive_duration(f[c_timeout], "10s") : defaults.timeout;
    if (f[c_retry_interval].present) {
        check.retry_interval = ctx.read_positive_duration(f[c_retry_interval], "10s");
    } else if (defaults.retry_interval) {
        check.retry_interval = *defaults.retry_interval;
    } else {
        check.retry_interval = std::max(duration{check.interval / 3}, duration{1000});
    }
    // A late heartbeat is late: its grace already allows for slowness.
    const unsigned default_failures = f[c_heartbeat].present ? 1 : defaults.failure_threshold;
    check.failure_threshold = f[c_failure_threshold].present
                                  ? ctx.read_threshold(f[c_failure_threshold])
                                  : default_failures;
    check.success_threshold = f[c_success_threshold].present
                                  ? ctx.read_threshold(f[c_success_threshold])
                                  : defaults.success_threshold;
    if (check.timeout > check.interval) {
        const std::string timeout = format_duration(check.timeout);
        const std::string interval = format_duration(check.interval);
        if (f[c_timeout].present) {
            ctx.fail(value_mark(f[c_timeout]), "timeout " + timeout + " is longer than interval " +
                                                   interval + "; write a timeout of at most " +
                                                   interval + ", or a longer interval");
        }
        ctx.fail(value_mark(f[c_interval]),
                 "interval " + interval + " is shorter than the timeout " + timeout +
                     " inherited from defaults; write \"timeout: " + interval +
                     "\" (or less) in this check, or an interval of at least " + timeout);
    }
    switch (static_cast<check_key>(probe_field - f.data())) {
    case c_tcp: check.spec = read_tcp(ctx, *probe_field); break;
    case c_tls: check.spec = read_tls(ctx, *probe_field); break;
    case c_dns: check.spec = read_dns(ctx, *probe_field); break;
    case c_icmp: check.spec = read_icmp(ctx, *probe_field); break;
    case c_heartbeat: check.spec = read_heartbeat(ctx, *probe_field); break;
    case c_activity: check.spec = read_activity(ctx, *probe_field, scope); break;
    default: check.spec = read_http(ctx, *probe_field); break;
    }
    return check;
}

} // namespace

void read_checks(const field_reader& ctx, const field& section, check_scope& scope,
                 service_config& svc) {
    ctx.expect_list(section);
    if (section.value.size() == 0) {
        ctx.fail(value_mark(section), "service " + quoted(svc.id) +
                                          " needs at least one check, e.g. checks: [{id: "
                                          "portal, http: {url: \"https://example.go.id/\"}}]");
    }
    svc.checks.reserve(section.value.size());
    std::unordered_map<std::string, std::size_t> index;
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const field item{"check", section.key, *it, true};
        check_config check = read_check(ctx, item, scope);
        if (const check_config* first = find_check(svc.checks, index, check.id)) {
            ctx.fail(id_mark(item.value),
                     "duplicate check id " + quoted(check.id) + " in service " + quoted(svc.id) +
                         " (first defined at line " + std::to_string(first->where.line) +
                         "); check ids must be unique within a service");
        }
        svc.checks.push_back(std::move(check));
    }
}

} // namespace pantau::config_detail
