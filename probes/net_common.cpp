#include "probes/net_common.hpp"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace pantau::probes {

host_port split_host_port(std::string_view text) {
    host_port out;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        out.host = std::string{text.substr(1, close - 1)};
        if (close + 1 < text.size() && text[close + 1] == ':') {
            out.port = std::string{text.substr(close + 2)};
        }
        return out;
    }
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
        out.host = std::string{text}; // no port, or a bare IPv6 address
        return out;
    }
    out.host = std::string{text.substr(0, colon)};
    out.port = std::string{text.substr(colon + 1)};
    return out;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

std::string quote_excerpt(std::string_view bytes, std::size_t max) {
    std::string out = "\"";
    std::size_t shown = 0;
    for (const char c : bytes) {
        if (shown == max) {
            out += "...";
            break;
        }
        ++shown;
        switch (c) {
        case '\r': out += "\\r"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
                out += hex;
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

std::string describe_error(const boost::system::error_code& ec) {
    namespace error = boost::asio::error;
    if (ec == error::connection_refused) {
        return "connection refused";
    }
    if (ec == error::connection_reset) {
        return "connection reset";
    }
    if (ec == error::eof) {
        return "connection closed by the server";
    }
    if (ec == error::host_not_found || ec == error::host_not_found_try_again) {
        return "cannot resolve host: " + ec.message();
    }
    return ec.message();
}

std::optional<std::chrono::system_clock::time_point> earliest_peer_expiry(SSL* ssl) {
    std::optional<std::chrono::system_clock::time_point> earliest;
    const auto consider = [&earliest](X509* cert) {
        const ASN1_TIME* not_after = X509_get0_notAfter(cert);
        std::tm tm_after{};
        if (not_after == nullptr || ASN1_TIME_to_tm(not_after, &tm_after) != 1) {
            return;
        }
        const auto t = std::chrono::system_clock::from_time_t(timegm(&tm_after));
        if (!earliest || t < *earliest) {
            earliest = t;
        }
    };
    // On a client the chain the server sent includes its leaf.
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
        for (int i = 0; i < sk_X509_num(chain); ++i) {
            consider(sk_X509_value(chain, i));
        }
    } else if (X509* leaf = SSL_get1_peer_certificate(ssl)) {
        consider(leaf);
        X509_free(leaf);
    }
    return earliest;
}

std::string format_seconds(std::chrono::nanoseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3gs", std::chrono::duration<double>(d).count());
    return buf;
}

} // namespace pantau::probes
