// Helpers shared by the socket-level probes (tcp, tls, dns, icmp): addresses, reasons,
// certificate dates. Internal to probes/.
#pragma once

#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pantau::probes {

struct host_port {
    std::string host; // without brackets for IPv6
    std::string port;
};

// Splits "host:port" or "[v6]:port" (already validated by the configuration); port is
// empty when `text` has none.
host_port split_host_port(std::string_view text);

// True for a literal IPv4 or IPv6 address (no resolution needed).
bool is_ip_literal(const std::string& host);

// A server's bytes for a message: at most `max` characters, non-printable ones escaped
// (\r, \n, \t, \xNN), in double quotes.
std::string quote_excerpt(std::string_view bytes, std::size_t max = 60);

// "connection refused", "connection reset", "No route to host": what an I/O error means
// to someone reading a check's reason.
std::string describe_error(const boost::system::error_code& ec);

// Earliest notAfter over the certificates the peer sent; nullopt without any.
std::optional<std::chrono::system_clock::time_point> earliest_peer_expiry(SSL* ssl);

// Seconds with at most 3 significant digits, for messages ("0.0421s").
std::string format_seconds(std::chrono::nanoseconds d);

} // namespace pantau::probes
