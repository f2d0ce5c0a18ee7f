#include "probes/tls_probe.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cctype>
#include <map>
#include <optional>

#include "core/duration.hpp"
#include "probes/net_common.hpp"

namespace pantau {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

// A loaded trust store, or why it could not be loaded.
struct tls_client_context {
    ssl::context context{ssl::context::tls_client};
    std::string load_error; // empty when usable
};

class tls_context_cache {
public:
    std::shared_ptr<tls_client_context> get(const std::string& ca_file) {
        auto& slot = contexts_[ca_file];
        if (auto existing = slot.lock()) {
            return existing;
        }
        auto made = std::make_shared<tls_client_context>();
        boost::system::error_code ec;
        made->context.set_verify_mode(ssl::verify_peer, ec);
        if (ca_file.empty()) {
            made->context.set_default_verify_paths(ec);
            if (ec) {
                made->load_error = "cannot load the system's trust store: " + ec.message();
            }
        } else {
            made->context.load_verify_file(ca_file, ec);
            if (ec) {
                made->load_error = "cannot load ca_file " + ca_file + ": " + ec.message();
            }
        }
        slot = made;
        return made;
    }

private:
    std::map<std::string, std::weak_ptr<tls_client_context>> contexts_;
};

namespace {

using asio::ip::tcp;
using boost::system::error_code;
using std::chrono::steady_clock;

enum class tls_phase { resolving, connecting, starttls, handshake };

// What a failed certificate verification means, in the words of the reason.
std::string verify_reason(long result, const std::string& expected_name) {
    switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return "certificate expired";
    case X509_V_ERR_CERT_NOT_YET_VALID: return "certificate not yet valid";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return "self-signed certificate";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return "self-signed certificate in the chain (untrusted root)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "certificate not trusted: unknown issuer";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "host name mismatch: the certificate is not valid for " + expected_name;
    case X509_V_ERR_CERT_REVOKED: return "certificate revoked";
    default:
        return std::string{"certificate verification failed: "} +
               X509_verify_cert_error_string(result);
    }
}

class tls_run final : public std::enable_shared_from_this<tls_run> {
public:
    tls_run(asio::io_context& io, const tls_check& spec,
            std::shared_ptr<tls_client_context> context, std::chrono::milliseconds timeout,
            probe_handler done)
        : spec_(spec)
        , context_(std::move(context))
        , resolver_(io)
        , stream_(io, context_->context)
        , deadline_(io)
        , timeout_(timeout)
        , done_(std::move(done)) {}

    void start() {
        started_ = steady_clock::now();
        const probes::host_port target = probes::split_host_port(spec_.address);
        name_ = spec_.server_name.value_or(target.host);
        if (!context_->load_error.empty()) {
            asio::post(resolver_.get_executor(),
                       [self = shared_from_this()] { self->fail(self->context_->load_error); });
            return;
        }
        deadline_.expires_after(timeout_);
        deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (!ec) {
                self->on_timeout();
            }
        });
        if (probes::is_ip_literal(target.host)) {
            error_code ec;
            const tcp::endpoint ep{asio::ip::make_address(target.host, ec),
                                   static_cast<unsigned short>(std::stoi(target.port))};
            asio::post(resolver_.get_executor(), [self = shared_from_this(), ep] {
                self->connect(std::array<tcp::endpoint, 1>{ep});
            });
            return;
        }
        resolver_.async_resolve(target.host, target.port,
                                [self = shared_from_this()](const error_code& ec,
                                                            const tcp::resolver::results_type& r) {
                                    if (self->finished_) {
                                        return;
                                    }
                                    self->lookup_ = steady_clock::now() - self->started_;
                                    if (ec) {
                                        self->fail(
                                            "cannot resolve " +
                                            probes::split_host_port(self->spec_.address).host +
                                            ": " + ec.message());
                                        return;
                                    }
                                    self->connect(r);
                                });
    }

    void abandon() {
        done_ = nullptr;
        close();
    }

private:
    template <typename Endpoints>
    void connect(const Endpoints& endpoints) {
        if (finished_) {
            return;
        }
        phase_ = tls_phase::connecting;
        asio::async_connect(stream_.next_layer(), endpoints,
                            [self = shared_from_this()](const error_code& ec, const auto&) {
                                self->on_connected(ec);
                            });
    }

    void on_connected(const error_code& ec) {
        if (finished_) {
            return;
        }
        if (ec) {
            const std::string what = probes::describe_error(ec);
            fail(what == "connection refused" ? what : "connect failed: " + what);
            return;
        }
        switch (spec_.starttls) {
        case starttls_protocol::none: handshake(); return;
        case starttls_protocol::smtp:
            phase_ = tls_phase::starttls;
            smtp_step_ = smtp_step::greeting;
            read_smtp_reply();
            return;
        }
    }

    // --- SMTP STARTTLS (RFC 3207): greeting 220, EHLO -> 250 with STARTTLS, STARTTLS -> 220.
    enum class smtp_step { greeting, ehlo, starttls };

    void read_smtp_reply() {
        asio::async_read_until(stream_.next_layer(), smtp_in_, "\n",
                               [self = shared_from_this()](const error_code& ec, std::size_t n) {
                                   self->on_smtp_line(ec, n);
                               });
    }

    void on_smtp_line(const error_code& ec, std::size_t n) {
        if (finished_) {
            return;
        }
        if (ec) {
            fail("STARTTLS: " + probes::describe_error(ec) + " while reading the SMTP reply");
            return;
        }
        std::string line(asio::buffers_begin(smtp_in_.data()),
                         asio::buffers_begin(smtp_in_.data()) + static_cast<std::ptrdiff_t>(n));
        smtp_in_.consume(n);
        smtp_reply_ += line;
        constexpr std::size_t max_smtp_reply = std::size_t{16} * 1024;
        const bool coded = line.size() >= 4 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                           std::isdigit(static_cast<unsigned char>(line[1])) &&
                           std::isdigit(static_cast<unsigned char>(line[2]));
        if (coded && line[3] == '-') {
            if (smtp_reply_.size() > max_smtp_reply) {
                fail("STARTTLS: SMTP reply too long");
                return;
            }
            read_smtp_reply(); // a continuation line: more follow
            return;
        }
        const std::string reply = std::move(smtp_reply_);
        smtp_reply_.clear();
        const std::string_view code = std::string_view{reply}.substr(0, 3);
        switch (smtp_step_) {
        case smtp_step::greeting:
            if (code != "220") {
                fail("STARTTLS: unexpected SMTP greeting " + probes::quote_excerpt(reply));
                return;
            }
            smtp_step_ = smtp_step::ehlo;
            send_smtp("EHLO pantau.invalid\r\n");
            return;
        case smtp_step::ehlo:
            if (code != "250") {
                fail("STARTTLS: EHLO refused: " + probes::quote_excerpt(reply));
                return;
            }
            if (!offers_starttls(reply)) {
                fail("STARTTLS: the server does not offer STARTTLS");
                return;
            }
            smtp_step_ = smtp_step::starttls;
            send_smtp("STARTTLS\r\n");
            return;
        case smtp_step::starttls:
            if (code != "220") {
                fail("STARTTLS refused: " + probes::quote_excerpt(reply));
                return;
            }
            handshake();
            return;
        }
    }

    static bool offers_starttls(const std::string& reply) {
        std::string upper = reply;
        for (char& c : upper) {
            if (c >= 'a' && c <= 'z') {
                c = static_cast<char>(c - 'a' + 'A');
            }
        }
        return upper.find("250-STARTTLS") != std::string::npos ||
               upper.find("250 STARTTLS") != std::string::npos;
    }

    void send_smtp(const char* command) {
        asio::async_write(stream_.next_layer(), asio::buffer(std::string_view{command}),
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                              if (self->finished_) {
                                  return;
                              }
                              if (ec) {
                                  self->fail("STARTTLS: " + probes::describe_error(ec) +
                                             " while sending");
                                  return;
                              }
                              self->read_smtp_reply();
                          });
    }

    // --- TLS
    void handshake() {
        phase_ = tls_phase::handshake;
        SSL* s = stream_.native_handle();
        X509_VERIFY_PARAM* param = SSL_get0_param(s);
        if (probes::is_ip_literal(name_)) {
            X509_VERIFY_PARAM_set1_ip_asc(param, name_.c_str());
        } else {
            // SSL_set_tlsext_host_name without its C cast.
            SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(name_.c_str()));
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            X509_VERIFY_PARAM_set1_host(param, name_.c_str(), 0);
        }
        stream_.async_handshake(
            ssl::stream_base::client,
            [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
    }

    void on_handshake(const error_code& ec) {
        if (finished_) {
            return;
        }
        SSL* s = stream_.native_handle();
        expiry_ = probes::earliest_peer_expiry(s);
        if (ec) {
            const long verify = SSL_get_verify_result(s);
            if (verify != X509_V_OK) {
                fail(verify_reason(verify, name_));
                return;
            }
            std::string detail = ec.message();
            if (ec.category() == asio::error::get_ssl_category()) {
                char buf[256];
                ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
                const char* reason =
                    ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
                detail = reason != nullptr ? reason : buf;
            } else if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
                detail = "connection closed by the server";
            }
            fail("handshake failed: " + detail);
            return;
        }
        const std::string version = SSL_get_version(s);
        if (expiry_ && spec_.cert_min_days) {
            const auto left = *expiry_ - std::chrono::system_clock::now();
            if (left < std::chrono::hours{24} * *spec_.cert_min_days) {
                const auto days = std::chrono::duration_cast<std::chrono::hours>(left).count() / 24;
                fail("certificate expires in " + std::to_string(days) + " days (cert_min_days " +
                     std::to_string(*spec_.cert_min_days) + ")");
                return;
            }
        }
        std::string reason = version + " handshake OK";
        if (expiry_) {
            const auto left = *expiry_ - std::chrono::system_clock::now();
            reason +=
                ", certificate expires in " +
                std::to_string(std::chrono::duration_cast<std::chrono::hours>(left).count() / 24) +
                " days";
        }
        finish(probe_status::success, std::move(reason));
    }

    void on_timeout() {
        if (finished_) {
            return;
        }
        const std::string after = format_duration(timeout_);
        switch (phase_) {
        case tls_phase::resolving: fail("timeout after " + after + " while resolving"); return;
        case tls_phase::connecting: fail("timeout after " + after + " while connecting"); return;
        case tls_phase::starttls: fail("timeout after " + after + " during STARTTLS"); return;
        case tls_phase::handshake: fail("handshake timeout after " + after); return;
        }
    }

    void fail(std::string reason) { finish(probe_status::failure, std::move(reason)); }

    void finish(probe_status status, std::string reason) {
        if (finished_) {
            return;
        }
        probe_result r;
        r.status = status;
        r.reason = std::move(reason);
        r.elapsed = steady_clock::now() - started_;
        r.dns_lookup = lookup_;
        r.cert_earliest_expiry = expiry_;
        close();
        if (probe_handler done = std::move(done_)) {
            done_ = nullptr;
            done(std::move(r));
        }
    }

    void close() {
        finished_ = true;
        error_code ignored;
        resolver_.cancel();
        deadline_.cancel();
        // No close_notify: a monitor has nothing to say, and waiting for the peer could hang.
        stream_.next_layer().close(ignored);
    }

    const tls_check& spec_; // owned by the probe; an abandoned run no longer reads it
    std::shared_ptr<tls_client_context> context_;
    tcp::resolver resolver_;
    ssl::stream<tcp::socket> stream_;
    asio::steady_timer deadline_;
    std::chrono::milliseconds timeout_;
    probe_handler done_;
    std::string name_;
    steady_clock::time_point started_;
    std::chrono::nanoseconds lookup_{0};
    tls_phase phase_ = tls_phase::resolving;
    smtp_step smtp_step_ = smtp_step::greeting;
    asio::streambuf smtp_in_{std::size_t{16} * 1024};
    std::string smtp_reply_;
    std::optional<std::chrono::system_clock::time_point> expiry_;
    bool finished_ = false;
};

class tls_probe final : public probe {
public:
    tls_probe(asio::io_context& io, std::shared_ptr<tls_client_context> context, tls_check spec)
        : io_(io)
        , context_(std::move(context))
        , spec_(std::move(spec)) {}

    ~tls_probe() override {
        try {
            cancel();
        } catch (...) {
            // Tearing down: the run is abandoned either way; nothing may escape.
        }
    }
    tls_probe(const tls_probe&) = delete;
    tls_probe& operator=(const tls_probe&) = delete;

    const char* type() const override { return "tls"; }

    void async_run(std::chrono::milliseconds timeout, probe_handler done) override {
        run_ = std::make_shared<tls_run>(io_, spec_, context_, timeout, std::move(done));
        run_->start();
    }

    void cancel() override {
        if (run_) {
            run_->abandon();
            run_.reset();
        }
    }

private:
    asio::io_context& io_;
    std::shared_ptr<tls_client_context> context_;
    tls_check spec_;
    std::shared_ptr<tls_run> run_;
};

} // namespace

std::unique_ptr<probe> make_tls_probe(probe_context& ctx, const tls_check& spec) {
    if (!ctx.tls_contexts) {
        ctx.tls_contexts = std::make_shared<tls_context_cache>();
    }
    return std::make_unique<tls_probe>(ctx.io, ctx.tls_contexts->get(spec.ca_file.value_or("")),
                                       spec);
}

} // namespace pantau
