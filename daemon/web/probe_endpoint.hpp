// GET /probe?target=...&module=...: blackbox_exporter's multi-target endpoint, so a Prometheus
// configured for blackbox_exporter can scrape Pantau instead. Each request runs one probe on
// the daemon's event loop and answers with probe_success, probe_duration_seconds,
// probe_http_status_code, probe_http_duration_seconds{phase} and
// probe_ssl_earliest_cert_expiry, unlabelled (Prometheus adds the target's labels).
//
// Thread-safety: none; everything runs on the event loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.hpp"
#include "core/probe_result.hpp"
#include "web/http_server.hpp"

namespace pantau {

struct probe_context;
class probe;

// How long one /probe request may run.
struct probe_timeout_limits {
    // Taken off the scrape timeout Prometheus announces, so the answer arrives before
    // Prometheus gives up (blackbox_exporter's --timeout-offset, 0.5 s by default there too).
    std::chrono::milliseconds offset{500};
    // Used when the request has no X-Prometheus-Scrape-Timeout-Seconds header and the module
    // no timeout.
    std::chrono::milliseconds fallback{10000};
    // Never longer than this, whatever the header says.
    std::chrono::milliseconds cap{60000};
};

// The probe's deadline for a request: the header's value (seconds, as Prometheus sends it)
// minus `offset` (half the value when it is not more than twice the offset), shortened to the
// module's timeout when that is shorter, at most `cap` and at least 1 ms. An empty header means
// none was sent. Returns a message for a header that is not a positive number of seconds.
std::variant<std::chrono::milliseconds, std::string>
probe_timeout(std::string_view scrape_timeout_header, std::optional<duration> module_timeout,
              const probe_timeout_limits& limits = {});

// The module called `name`: from the configuration's `modules:`, else built in (http_2xx: GET,
// any 2xx; http_post_2xx: POST, any 2xx). nullopt when there is none.
std::optional<probe_module> find_probe_module(const config& cfg, const std::string& name);

// The URL to probe for a `target` parameter: "host[:port][/path]" gets "http://" in front
// (as blackbox_exporter does); http:// and https:// URLs are kept. Returns a message when the
// target is empty, has another scheme, names no host or is not a valid URL.
std::variant<std::string, std::string> probe_target_url(std::string_view target);

// The Prometheus text exposition of one probe's result, without labels besides `phase`. A
// failure's reason is added as a comment line for people reading it with curl.
std::string render_probe_metrics(const probe_result& result);

struct probe_endpoint_options {
    probe_timeout_limits limits;
    // Requests probing at once; more get 503 (a scrape storm must not exhaust descriptors).
    std::size_t max_in_flight = 64;
};

class probe_endpoint final {
public:
    // `ctx` and `cfg` must outlive this object; `cfg` is read on every request, so a reload
    // (new modules) applies to the next one.
    probe_endpoint(probe_context& ctx, const config& cfg, probe_endpoint_options options = {});
    ~probe_endpoint(); // stop()
    probe_endpoint(const probe_endpoint&) = delete;
    probe_endpoint& operator=(const probe_endpoint&) = delete;

    // The /probe handler for http_server::route_async.
    void handle(const http_request& request, const http_server::responder& respond);

    // Cancels every probe in flight; their requests are not answered (the server closes them
    // on its own stop). Later requests get 503. Idempotent.
    void stop();

    std::size_t in_flight() const { return running_.size(); }

private:
    void finish(std::uint64_t id, const probe_result& result);

    probe_context& ctx_;
    const config& cfg_;
    probe_endpoint_options options_;
    struct running_probe {
        std::unique_ptr<probe> p;
        http_server::responder respond;
    };
    std::map<std::uint64_t, running_probe> running_;
    std::uint64_t next_id_ = 0;
    bool stopped_ = false;
};

} // namespace pantau
