// What an HTTP exchange must show to count as up: status, body and JSON expectations,
// max_latency, cert_min_days, then the body inspector. Shared by the libcurl probe and the
// plain-http fast path so both judge an answer identically. Internal to probes/.
#pragma once

#include <boost/regex.hpp>

#include <optional>
#include <string>

#include "probes/http_probe.hpp"

namespace pantau::probes {

// "1MiB", "4KiB", "1000 bytes": max_body as the reasons print it.
std::string format_bytes(std::size_t n);

class http_expectations {
public:
    http_expectations(const http_check& spec, body_inspector inspect);

    // Whether evaluate() reads the body (otherwise the probe may discard it unread).
    bool needs_body() const { return needs_body_; }
    const body_inspector& inspector() const { return inspect_; }

    // Judges a complete exchange with HTTP status `code` and (at most max_body bytes of)
    // `body`; r.elapsed and r.cert_earliest_expiry must be set. Sets status and reason.
    void evaluate(probe_result& r, int code, const std::string& body) const;

private:
    http_expect expect_;
    body_inspector inspect_;
    std::optional<boost::regex> regex_;
    bool regex_error_ = false;
    bool needs_body_ = false;
};

} // namespace pantau::probes
