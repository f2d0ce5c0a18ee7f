#include "web/probe_endpoint.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "probes/probe.hpp"

namespace pantau {

namespace {

struct curl_url_deleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
using curl_url_ptr = std::unique_ptr<CURLU, curl_url_deleter>;

struct curl_string_deleter {
    void operator()(char* s) const noexcept { curl_free(s); }
};
using curl_string_ptr = std::unique_ptr<char, curl_string_deleter>;

constexpr std::string_view scrape_timeout_header = "X-Prometheus-Scrape-Timeout-Seconds";

void append_number(std::string& out, double v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc{} ? end : buf);
}

void gauge(std::string& out, std::string_view name, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " gauge\n";
}

void sample(std::string& out, std::string_view name, double v) {
    out += name;
    out += ' ';
    append_number(out, v);
    out += '\n';
}

double seconds(std::chrono::nanoseconds d) {
    return std::chrono::duration<double>(d).count();
}

probe_module builtin_module(std::string name, std::string method) {
    probe_module m;
    m.name = std::move(name);
    m.http.method = std::move(method);
    return m;
}

void bad_request(http_response& res, std::string message) {
    res.status = 400;
    res.body = std::move(message) + "\n";
}

} // namespace

std::variant<std::chrono::milliseconds, std::string>
probe_timeout(std::string_view header, std::optional<duration> module_timeout,
              const probe_timeout_limits& limits) {
    using std::chrono::milliseconds;
    milliseconds budget = module_timeout.value_or(limits.fallback);
    if (!header.empty()) {
        double scrape_seconds = 0;
        const char* end = header.data() + header.size();
        const auto [ptr, ec] = std::from_chars(header.data(), end, scrape_seconds);
        if (ec != std::errc{} || ptr != end || !std::isfinite(scrape_seconds) ||
            scrape_seconds <= 0) {
            return "invalid " + std::string{scrape_timeout_header} + " header \"" +
                   std::string{header} + "\": expected a positive number of seconds, e.g. 10";
        }
        // Beyond the cap the exact figure does not matter (and must not overflow).
        const milliseconds scrape{
            static_cast<milliseconds::rep>(std::min(scrape_seconds, 86400.0) * 1000.0)};
        const milliseconds allowed =
            scrape > 2 * limits.offset ? scrape - limits.offset : scrape / 2;
        budget = module_timeout ? std::min(*module_timeout, allowed) : allowed;
    }
    return std::clamp(budget, milliseconds{1}, limits.cap);
}

std::optional<probe_module> find_probe_module(const config& cfg, const std::string& name) {
    if (const auto it = cfg.modules.find(name); it != cfg.modules.end()) {
        return it->second;
    }
    if (name == "http_2xx") {
        return builtin_module(name, "GET");
    }
    if (name == "http_post_2xx") {
        return builtin_module(name, "POST");
    }
    return std::nullopt;
}

std::variant<std::string, std::string> probe_target_url(std::string_view target) {
    using result = std::variant<std::string, std::string>;
    if (target.empty()) {
        return result{std::in_place_index<1>,
                      "missing target: write /probe?target=https://example.go.id/"};
    }
    std::string url{target};
    if (url.find("://") == std::string::npos) {
        url.insert(0, "http://");
    }
    const std::string_view scheme = std::string_view{url}.substr(0, url.find("://"));
    if (scheme != "http" && scheme != "https") {
        return result{std::in_place_index<1>,
                      "unsupported target \"" + std::string{target} +
                          "\": /probe runs HTTP probes; write an http:// or https:// URL, or "
                          "host:port"};
    }
    const curl_url_ptr parsed{curl_url()};
    if (!parsed) {
        return result{std::in_place_index<1>, "out of memory"};
    }
    if (const CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0);
        rc != CURLUE_OK) {
        return result{std::in_place_index<1>,
                      "invalid target \"" + std::string{target} + "\": " + curl_url_strerror(rc)};
    }
    char* host_raw = nullptr;
    const CURLUcode host_rc = curl_url_get(parsed.get(), CURLUPART_HOST, &host_raw, 0);
    const curl_string_ptr host{host_raw};
    if (host_rc != CURLUE_OK || !host || *host == '\0') {
        return result{std::in_place_index<1>,
                      "invalid target \"" + std::string{target} + "\": it names no host"};
    }
    return result{std::in_place_index<0>, std::move(url)};
}

std::string render_probe_metrics(const probe_result& r) {
    std::string out;
    out.reserve(1024);
    if (r.status != probe_status::success && !r.reason.empty()) {
        std::string reason = r.reason;
        std::replace(reason.begin(), reason.end(), '\n', ' ');
        out += "# pantau: probe failed: ";
        out += reason;
        out += '\n';
    }
    gauge(out, "probe_success", "Whether the probe succeeded (1) or failed (0).");
    sample(out, "probe_success", r.status == probe_status::success ? 1 : 0);
    gauge(out, "probe_duration_seconds", "How long the probe took.");
    sample(out, "probe_duration_seconds", seconds(r.elapsed));
    // blackbox_exporter reports 0 when no response arrived; dashboards expect the series.
    gauge(out, "probe_http_status_code", "HTTP status code of the response, 0 if none.");
    sample(out, "probe_http_status_code", r.http_status_code.value_or(0));
    if (r.phases) {
        gauge(out, "probe_http_duration_seconds", "Duration of each phase of the HTTP exchange.");
        const std::pair<std::string_view, std::chrono::nanoseconds> phases[] = {
            {"resolve", r.phases->resolve},   {"connect", r.phases->connect},
            {"tls", r.phases->tls},           {"processing", r.phases->processing},
            {"transfer", r.phases->transfer},
        };
        for (const auto& [phase, d] : phases) {
            out += "probe_http_duration_seconds{phase=\"";
            out += phase;
            out += "\"} ";
            append_number(out, seconds(d));
            out += '\n';
        }
    }
    if (r.cert_earliest_expiry) {
        gauge(out, "probe_ssl_earliest_cert_expiry",
              "Earliest expiry of the server's certificate chain, in Unix seconds.");
        sample(out, "probe_ssl_earliest_cert_expiry",
               std::chrono::duration<double>(r.cert_earliest_expiry->time_since_epoch()).count());
    }
    return out;
}

probe_endpoint::probe_endpoint(probe_context& ctx, const config& cfg,
                               probe_endpoint_options options)
    : ctx_(ctx)
    , cfg_(cfg)
    , options_(options) {}

probe_endpoint::~probe_endpoint() {
    stop();
}

void probe_endpoint::stop() {
    stopped_ = true;
    for (auto& [id, entry] : running_) {
        entry.p->cancel();
    }
    running_.clear();
}

void probe_endpoint::handle(const http_request& req, const http_server::responder& respond) {
    http_response res;
    if (req.method != "GET" && req.method != "HEAD") {
        res.status = 405;
        res.headers.emplace_back("Allow", "GET, HEAD");
        res.body = "use GET\n";
        respond(std::move(res));
        return;
    }
    auto url = probe_target_url(query_param(req.query, "target"));
    if (url.index() == 1) {
        bad_request(res, std::get<1>(std::move(url)));
        respond(std::move(res));
        return;
    }
    std::string module_name = query_param(req.query, "module");
    if (module_name.empty()) {
        module_name = "http_2xx";
    }
    std::optional<probe_module> module = find_probe_module(cfg_, module_name);
    if (!module) {
        std::string known = "http_2xx, http_post_2xx";
        for (const auto& entry : cfg_.modules) {
            if (entry.first != "http_2xx" && entry.first != "http_post_2xx") {
                known += ", " + entry.first;
            }
        }
        bad_request(res, "unknown module \"" + module_name + "\"; known modules: " + known +
                             " (declare more under modules: in the configuration)");
        respond(std::move(res));
        return;
    }
    const auto timeout =
        probe_timeout(req.header(scrape_timeout_header), module->timeout, options_.limits);
    if (const auto* message = std::get_if<std::string>(&timeout)) {
        bad_request(res, *message);
        respond(std::move(res));
        return;
    }
    if (stopped_ || running_.size() >= options_.max_in_flight) {
        res.status = 503;
        res.body = stopped_ ? "stopping\n"
                            : "too many /probe requests at once (at most " +
                                  std::to_string(options_.max_in_flight) + ")\n";
        respond(std::move(res));
        return;
    }
    module->http.url = std::get<0>(std::move(url));
    const std::uint64_t id = next_id_++;
    auto& entry = running_[id];
    entry.p = make_probe(ctx_, check_spec{module->http});
    entry.respond = respond;
    spdlog::debug("/probe {} (module {}), timeout {} ms", module->http.url, module_name,
                  std::get<std::chrono::milliseconds>(timeout).count());
    entry.p->async_run(std::get<std::chrono::milliseconds>(timeout),
                       [this, id](const probe_result& r) { finish(id, r); });
}

void probe_endpoint::finish(std::uint64_t id, const probe_result& result) {
    const auto it = running_.find(id);
    if (it == running_.end()) {
        return;
    }
    running_probe entry = std::move(it->second);
    running_.erase(it);
    // This runs inside the probe's completion: let it return before the probe is destroyed.
    boost::asio::post(ctx_.io, [p = std::shared_ptr<probe>(std::move(entry.p))] {});
    http_response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = render_probe_metrics(result);
    entry.respond(std::move(res));
}

} // namespace pantau
