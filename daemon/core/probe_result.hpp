// What one probe saw. A failed check is data, not an error.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace pantau {

// idle: the check was not judged this time because nobody is expected to use the service
// now (an activity check outside its `during` hours); neither up nor down.
enum class probe_status { success, failure, idle };

// Time spent in each phase of an HTTP exchange, in the sense of blackbox_exporter's
// probe_http_duration_seconds{phase}. Phases that did not happen stay zero.
struct http_phases {
    std::chrono::nanoseconds resolve{0};
    std::chrono::nanoseconds connect{0};
    std::chrono::nanoseconds tls{0};
    std::chrono::nanoseconds processing{0};
    std::chrono::nanoseconds transfer{0};
};

// Echo statistics of an ICMP probe. RTTs are over the replies received (zero when none).
struct icmp_stats {
    unsigned sent = 0;
    unsigned received = 0;
    std::chrono::nanoseconds rtt_min{0};
    std::chrono::nanoseconds rtt_avg{0};
    std::chrono::nanoseconds rtt_max{0};
    bool raw_socket = false; // a raw socket (CAP_NET_RAW) rather than a datagram socket
};

struct probe_result {
    probe_status status = probe_status::failure;
    // Wall time the probe took from start to completion.
    std::chrono::nanoseconds elapsed{0};
    // Human-readable cause of a failure ("http 503", "timeout after 10s"); for a success a
    // short summary ("http 200"). Never empty once a probe has completed.
    std::string reason;

    // Details for metrics; absent when the probe type or the outcome has none.
    std::optional<int> http_status_code;
    std::optional<http_phases> phases;
    std::optional<std::chrono::system_clock::time_point> cert_earliest_expiry;
    // Time spent resolving names (the DNS probe's query, or resolving a TCP/TLS address).
    std::optional<std::chrono::nanoseconds> dns_lookup;
    std::optional<icmp_stats> icmp;
};

inline probe_result probe_failure(std::string reason, std::chrono::nanoseconds elapsed = {}) {
    probe_result r;
    r.status = probe_status::failure;
    r.reason = std::move(reason);
    r.elapsed = elapsed;
    return r;
}

} // namespace pantau
