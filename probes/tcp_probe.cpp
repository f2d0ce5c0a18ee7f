#include "probes/tcp_probe.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/regex.hpp>

#include <array>
#include <optional>

#include "core/duration.hpp"
#include "probes/net_common.hpp"

namespace pantau {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using std::chrono::steady_clock;

constexpr std::size_t max_reply = std::size_t{64} * 1024;

enum class tcp_phase { resolving, connecting, sending, reading };

const char* to_string(tcp_phase p) {
    switch (p) {
    case tcp_phase::resolving: return "resolving";
    case tcp_phase::connecting: return "connecting";
    case tcp_phase::sending: return "sending";
    case tcp_phase::reading: return "reading";
    }
    return "?";
}

// One run: owns its socket, timer and handler. Completion handlers hold it alive, so a
// probe may be destroyed (or cancelled) while operations are still queued.
class tcp_run final : public std::enable_shared_from_this<tcp_run> {
public:
    tcp_run(asio::io_context& io, const tcp_check& spec, const boost::regex* expect,
            std::chrono::milliseconds timeout, probe_handler done)
        : spec_(spec)
        , expect_(expect)
        , resolver_(io)
        , socket_(io)
        , deadline_(io)
        , timeout_(timeout)
        , done_(std::move(done)) {}

    void start() {
        started_ = steady_clock::now();
        deadline_.expires_after(timeout_);
        deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (!ec) {
                self->on_timeout();
            }
        });
        const probes::host_port target = probes::split_host_port(spec_.address);
        if (probes::is_ip_literal(target.host)) {
            // No resolver: go through the loop so `done` never runs inside async_run.
            error_code ec;
            const tcp::endpoint ep{asio::ip::make_address(target.host, ec),
                                   static_cast<unsigned short>(std::stoi(target.port))};
            asio::post(socket_.get_executor(), [self = shared_from_this(), ep] {
                self->connect(std::array<tcp::endpoint, 1>{ep});
            });
            return;
        }
        resolver_.async_resolve(target.host, target.port,
                                [self = shared_from_this()](const error_code& ec,
                                                            const tcp::resolver::results_type& r) {
                                    self->on_resolved(ec, r);
                                });
    }

    // Abandons the run; its handler is not called.
    void abandon() {
        done_ = nullptr;
        close();
    }

private:
    void on_resolved(const error_code& ec, const tcp::resolver::results_type& results) {
        if (finished_) {
            return;
        }
        lookup_ = steady_clock::now() - started_;
        if (ec) {
            fail("cannot resolve " + probes::split_host_port(spec_.address).host + ": " +
                 ec.message());
            return;
        }
        connect(results);
    }

    template <typename Endpoints>
    void connect(const Endpoints& endpoints) {
        if (finished_) {
            return;
        }
        phase_ = tcp_phase::connecting;
        asio::async_connect(socket_, endpoints,
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
        if (!spec_.send.empty()) {
            phase_ = tcp_phase::sending;
            asio::async_write(socket_, asio::buffer(spec_.send),
                              [self = shared_from_this()](const error_code& e, std::size_t) {
                                  self->on_sent(e);
                              });
            return;
        }
        on_sent({});
    }

    void on_sent(const error_code& ec) {
        if (finished_) {
            return;
        }
        if (ec) {
            fail("send failed: " + probes::describe_error(ec));
            return;
        }
        if (expect_ == nullptr) {
            succeed(spec_.send.empty()
                        ? "connected"
                        : "connected, sent " + std::to_string(spec_.send.size()) + " bytes");
            return;
        }
        phase_ = tcp_phase::reading;
        read_more();
    }

    void read_more() {
        const std::size_t room = std::min(chunk_.size(), max_reply - reply_.size());
        socket_.async_read_some(asio::buffer(chunk_.data(), room),
                                [self = shared_from_this()](const error_code& ec, std::size_t n) {
                                    self->reply_.append(self->chunk_.data(), n);
                                    self->on_read(ec);
                                });
    }

    void on_read(const error_code& ec) {
        if (finished_) {
            return;
        }
        boost::match_results<std::string::const_iterator> m;
        bool full = false;
        bool possible = false;
        try {
            possible = boost::regex_search(reply_.cbegin(), reply_.cend(), m, *expect_,
                                           boost::match_default | boost::match_partial);
            full = possible && m[0].matched;
        } catch (const std::exception&) {
            fail("expect: regular expression too complex for this reply");
            return;
        }
        if (full) {
            succeed("reply matched /" + *spec_.expect + "/");
            return;
        }
        const std::string mismatch = "reply did not match /" + *spec_.expect + "/ (got " +
                                     probes::quote_excerpt(reply_) + ")";
        if (!possible || reply_.size() >= max_reply) {
            fail(mismatch); // more bytes cannot make it match
            return;
        }
        if (ec == asio::error::eof) {
            fail(reply_.empty() ? "connection closed by the server without a reply" : mismatch);
            return;
        }
        if (ec) {
            fail(probes::describe_error(ec) + " while reading");
            return;
        }
        read_more();
    }

    void on_timeout() {
        if (finished_) {
            return;
        }
        std::string reason =
            "timeout after " + format_duration(timeout_) + " while " + to_string(phase_);
        if (phase_ == tcp_phase::reading && !reply_.empty()) {
            reason += " (got " + probes::quote_excerpt(reply_) + ")";
        }
        fail(std::move(reason));
    }

    void succeed(std::string reason) { finish(probe_status::success, std::move(reason)); }
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
        socket_.close(ignored);
    }

    const tcp_check& spec_; // owned by the probe, which outlives delivery (see abandon)
    const boost::regex* expect_;
    tcp::resolver resolver_;
    tcp::socket socket_;
    asio::steady_timer deadline_;
    std::chrono::milliseconds timeout_;
    probe_handler done_;
    steady_clock::time_point started_;
    std::chrono::nanoseconds lookup_{0};
    tcp_phase phase_ = tcp_phase::resolving;
    std::string reply_;              // what the server sent so far
    std::array<char, 4096> chunk_{}; // one read
    bool finished_ = false;
};

class tcp_probe final : public probe {
public:
    tcp_probe(asio::io_context& io, tcp_check spec) : io_(io), spec_(std::move(spec)) {
        if (spec_.expect) {
            try {
                expect_.emplace(*spec_.expect, boost::regex::ECMAScript);
            } catch (const std::exception&) {
                regex_error_ = true; // the configuration rejects this earlier
            }
        }
    }

    ~tcp_probe() override {
        try {
            cancel();
        } catch (...) {
            // Tearing down: the run is abandoned either way; nothing may escape.
        }
    }
    tcp_probe(const tcp_probe&) = delete;
    tcp_probe& operator=(const tcp_probe&) = delete;

    const char* type() const override { return "tcp"; }

    void async_run(std::chrono::milliseconds timeout, probe_handler done) override {
        if (regex_error_) {
            asio::post(io_, [done = std::move(done), pattern = *spec_.expect] {
                done(probe_failure("invalid regular expression /" + pattern + "/"));
            });
            return;
        }
        // The run keeps a copy-free reference to spec_ and expect_: cancel() and the
        // destructor abandon it before they go away, and an abandoned run reads neither.
        run_ = std::make_shared<tcp_run>(io_, spec_, expect_ ? &*expect_ : nullptr, timeout,
                                         std::move(done));
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
    tcp_check spec_;
    std::optional<boost::regex> expect_;
    bool regex_error_ = false;
    std::shared_ptr<tcp_run> run_;
};

} // namespace

std::unique_ptr<probe> make_tcp_probe(asio::io_context& io, const tcp_check& spec) {
    return std::make_unique<tcp_probe>(io, spec);
}

} // namespace pantau
