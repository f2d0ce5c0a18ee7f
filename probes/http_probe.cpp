#include "probes/http_probe.hpp"

#include <openssl/asn1.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "core/duration.hpp"
#include "io/curl_multi.hpp"
#include "probes/http_expect.hpp"
#include "probes/http_fast_probe.hpp"

namespace pantau {
namespace {

using probes::format_bytes;
using std::chrono::microseconds;
using std::chrono::nanoseconds;

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

class http_probe final : public probe {
public:
    http_probe(curl_multi& curl, http_check spec, body_inspector inspect)
        : curl_(curl)
        , spec_(std::move(spec))
        , expect_(spec_, std::move(inspect)) {
        for (const auto& [name, value] : spec_.headers) {
            std::string line = name;
            line += ": ";
            line += value;
            headers_.reset(curl_slist_append(headers_.release(), line.c_str()));
        }
    }

    ~http_probe() override { cancel(); }
    http_probe(const http_probe&) = delete;
    http_probe& operator=(const http_probe&) = delete;

    const char* type() const override { return "http"; }

    void async_run(std::chrono::milliseconds timeout, probe_handler done) override {
        easy_ = curl_.acquire_easy();
        configure();
        timeout_ = timeout;
        body_.clear();
        body_bytes_ = 0;
        body_too_large_ = false;
        cert_expiry_.reset();
        cert_checked_ = false;
        error_[0] = '\0';
        curl_easy_setopt(easy_.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
        curl_easy_setopt(easy_.get(), CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(timeout.count()));
        done_ = std::move(done);
        running_ = true;
        curl_.add(easy_.get(), [this](CURLcode rc) { on_done(rc); });
    }

    void cancel() override {
        if (running_) {
            curl_.release_easy(std::move(easy_));
            running_ = false;
            done_ = nullptr;
        }
    }

private:
    void configure() {
        CURL* h = easy_.get();
        curl_easy_setopt(h, CURLOPT_URL, spec_.url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_USERAGENT, "Pantau/" PANTAU_VERSION);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &http_probe::on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &http_probe::on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, this);
        // Decompression happens before on_body, so max_body bounds the decoded size too.
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        if (!spec_.reuse_connection) {
            curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
            curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
        }
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, spec_.follow_redirects ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(spec_.max_redirects));
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, spec_.tls_verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, spec_.tls_verify ? 2L : 0L);
        if (spec_.ca_file) {
            curl_easy_setopt(h, CURLOPT_CAINFO, spec_.ca_file->c_str());
        }
        if (spec_.method == "HEAD") {
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (spec_.method != "GET") {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, spec_.method.c_str());
        }
        if (!spec_.body.empty()) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(spec_.body.size()));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, spec_.body.c_str());
        }
        if (headers_) {
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_.get());
        }
    }

    static size_t on_body(char* data, size_t size, size_t count, void* self) {
        auto* me = static_cast<http_probe*>(self);
        const size_t n = size * count;
        if (me->body_bytes_ + n > me->spec_.max_body) {
            me->body_too_large_ = true;
            return CURL_WRITEFUNC_ERROR;
        }
        me->body_bytes_ += n;
        if (me->expect_.needs_body()) {
            me->body_.append(data, n);
        }
        return n;
    }

    static size_t on_header(char* /*data*/, size_t size, size_t count, void* self) {
        auto* me = static_cast<http_probe*>(self);
        if (!me->cert_checked_) {
            // The first header arrives after the TLS handshake; read the chain while the
            // connection is alive (with a fresh connection it is gone at completion).
            me->cert_checked_ = true;
            me->read_certificate_expiry();
        }
        return size * count;
    }

    void read_certificate_expiry() {
        curl_tlssessioninfo* info = nullptr;
        if (curl_easy_getinfo(easy_.get(), CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
            info->backend != CURLSSLBACKEND_OPENSSL || !info->internals) {
            return;
        }
        auto* ssl = static_cast<SSL*>(info->internals);
        STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
        std::optional<std::chrono::system_clock::time_point> earliest;
        auto consider = [&earliest](X509* cert) {
            const ASN1_TIME* not_after = X509_get0_notAfter(cert);
            struct tm tm_after {};
            if (!not_after || ASN1_TIME_to_tm(not_after, &tm_after) != 1) {
                return;
            }
            const auto t = std::chrono::system_clock::from_time_t(timegm(&tm_after));
            if (!earliest || t < *earliest) {
                earliest = t;
            }
        };
        if (chain) {
            for (int i = 0; i < sk_X509_num(chain); ++i) {
                consider(sk_X509_value(chain, i));
            }
        } else if (X509* leaf = SSL_get1_peer_certificate(ssl)) {
            consider(leaf);
            X509_free(leaf);
        }
        cert_expiry_ = earliest;
    }

    nanoseconds info_time(CURLINFO what) const {
        curl_off_t us = 0;
        curl_easy_getinfo(easy_.get(), what, &us);
        return std::chrono::duration_cast<nanoseconds>(microseconds{us});
    }

    std::string transport_reason(CURLcode rc) const {
        long os_errno = 0;
        curl_easy_getinfo(easy_.get(), CURLINFO_OS_ERRNO, &os_errno);
        std::string detail = error_[0] != '\0' ? error_ : curl_easy_strerror(rc);
        switch (rc) {
        case CURLE_OPERATION_TIMEDOUT: return "timeout after " + format_duration(timeout_);
        case CURLE_COULDNT_CONNECT:
            if (os_errno == ECONNREFUSED) {
                return "connection refused";
            }
            return "connect failed: " +
                   (os_errno != 0 ? std::string(std::strerror(static_cast<int>(os_errno)))
                                  : detail);
        case CURLE_COULDNT_RESOLVE_HOST: return "cannot resolve host: " + detail;
        case CURLE_TOO_MANY_REDIRECTS:
            return "too many redirects (more than " + std::to_string(spec_.max_redirects) + ")";
        case CURLE_WRITE_ERROR:
            if (body_too_large_) {
                return "body larger than max_body " + format_bytes(spec_.max_body);
            }
            return "write error: " + detail;
        case CURLE_RECV_ERROR:
            if (os_errno == ECONNRESET) {
                return "connection reset while reading the response";
            }
            return "receive failed: " + detail;
        case CURLE_SEND_ERROR: return "send failed: " + detail;
        case CURLE_PARTIAL_FILE:
            return "connection closed before the whole body arrived (" + detail + ")";
        case CURLE_GOT_NOTHING: return "server closed the connection without answering";
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL: return "invalid HTTP response: " + detail;
        case CURLE_BAD_CONTENT_ENCODING: return "bad content encoding: " + detail;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CONNECT_ERROR: return tls_reason(detail);
        default: return detail;
        }
    }

    static std::string tls_reason(const std::string& detail) {
        if (contains(detail, "certificate has expired")) {
            return "TLS certificate expired";
        }
        if (contains(detail, "self-signed") || contains(detail, "self signed")) {
            return "TLS certificate self-signed";
        }
        if (contains(detail, "unable to get local issuer")) {
            return "TLS certificate not trusted: unknown issuer";
        }
        if (contains(detail, "does not match target host") ||
            contains(detail, "no alternative certificate subject name")) {
            return "TLS certificate host name mismatch";
        }
        if (contains(detail, "not yet valid")) {
            return "TLS certificate not yet valid";
        }
        return "TLS handshake failed: " + detail;
    }

    void on_done(CURLcode rc) {
        running_ = false;
        probe_result r;
        r.elapsed = info_time(CURLINFO_TOTAL_TIME_T);
        r.cert_earliest_expiry = cert_expiry_;

        const nanoseconds resolve = info_time(CURLINFO_NAMELOOKUP_TIME_T);
        const nanoseconds connect = info_time(CURLINFO_CONNECT_TIME_T);
        const nanoseconds tls = info_time(CURLINFO_APPCONNECT_TIME_T);
        const nanoseconds pretransfer = info_time(CURLINFO_PRETRANSFER_TIME_T);
        const nanoseconds first_byte = info_time(CURLINFO_STARTTRANSFER_TIME_T);
        http_phases phases;
        phases.resolve = resolve;
        phases.connect = connect > resolve ? connect - resolve : nanoseconds{0};
        phases.tls = tls > connect ? tls - connect : nanoseconds{0};
        phases.processing = first_byte > pretransfer ? first_byte - pretransfer : nanoseconds{0};
        phases.transfer = r.elapsed > first_byte && first_byte.count() > 0 ? r.elapsed - first_byte
                                                                           : nanoseconds{0};
        r.phases = phases;

        long code = 0;
        curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
        if (code > 0) {
            r.http_status_code = static_cast<int>(code);
        }
        if (rc != CURLE_OK) {
            r.status = probe_status::failure;
            r.reason = transport_reason(rc);
        } else {
            expect_.evaluate(r, static_cast<int>(code), body_);
        }
        body_.clear();
        body_.shrink_to_fit(); // do not keep up to max_body per check between runs
        curl_.release_easy(std::move(easy_));
        probe_handler done = std::move(done_);
        done_ = nullptr;
        if (done) {
            done(std::move(r));
        }
    }

    curl_multi& curl_;
    http_check spec_;
    probes::http_expectations expect_;
    curl_easy_ptr easy_;
    curl_slist_ptr headers_;
    bool running_ = false;
    std::chrono::milliseconds timeout_{0};
    probe_handler done_;
    std::string body_;
    std::size_t body_bytes_ = 0;
    bool body_too_large_ = false;
    bool cert_checked_ = false;
    std::optional<std::chrono::system_clock::time_point> cert_expiry_;
    char error_[CURL_ERROR_SIZE] = {};
};

} // namespace

std::unique_ptr<probe> make_http_probe(curl_multi& curl, const http_check& spec) {
    return std::make_unique<http_probe>(curl, spec, nullptr);
}

std::unique_ptr<probe> make_http_probe(curl_multi& curl, const http_check& spec,
                                       body_inspector inspect) {
    return std::make_unique<http_probe>(curl, spec, std::move(inspect));
}

std::unique_ptr<probe> make_http_probe(probe_context& ctx, const http_check& spec,
                                       body_inspector inspect) {
    if (auto fast = make_fast_http_probe(ctx, spec, inspect)) {
        return fast;
    }
    return std::make_unique<http_probe>(ctx.curl, spec, std::move(inspect));
}

} // namespace pantau
