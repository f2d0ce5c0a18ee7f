#include "probes/icmp_probe.hpp"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/icmp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/duration.hpp"
#include "probes/net_common.hpp"

namespace pantau {
namespace {

namespace asio = boost::asio;
using asio::ip::icmp;
using boost::system::error_code;
using std::chrono::nanoseconds;
using std::chrono::steady_clock;

constexpr std::array<unsigned char, 16> payload{'p', 'a', 'n', 't', 'a', 'u', '-', 'i',
                                                'c', 'm', 'p', '-', 'e', 'c', 'h', 'o'};

std::uint16_t internet_checksum(const unsigned char* data, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        sum += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
    }
    if (n % 2 == 1) {
        sum += static_cast<std::uint32_t>(data[n - 1] << 8);
    }
    while ((sum >> 16) != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

std::string milliseconds_text(nanoseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double, std::milli>(d).count());
    return buf;
}

struct opened_socket {
    int fd = -1;
    bool raw = false;
    std::string error; // when fd < 0
};

// Datagram ("ping") socket first, raw socket second.
opened_socket open_icmp_socket(bool v6) {
    const int family = v6 ? AF_INET6 : AF_INET;
    const int protocol = v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
    opened_socket out;
    out.fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (out.fd >= 0) {
        return out;
    }
    const int dgram_errno = errno;
    out.fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (out.fd >= 0) {
        out.raw = true;
        return out;
    }
    const int raw_errno = errno;
    out.error = std::string{"cannot open an ICMP socket: datagram socket: "} +
                std::strerror(dgram_errno) + " (allow the group in net.ipv4.ping_group_range)" +
                ", raw socket: " + std::strerror(raw_errno) + " (needs CAP_NET_RAW)";
    return out;
}

class icmp_run final : public std::enable_shared_from_this<icmp_run> {
public:
    icmp_run(asio::io_context& io, const icmp_check& spec, std::uint16_t id,
             std::uint16_t first_sequence, std::chrono::milliseconds timeout, probe_handler done)
        : io_(io)
        , spec_(spec)
        , resolver_(io)
        , descriptor_(io)
        , send_timer_(io)
        , deadline_(io)
        , timeout_(timeout)
        , done_(std::move(done))
        , id_(id)
        , first_sequence_(first_sequence)
        , sent_at_(spec.count)
        , rtt_(spec.count) {}

    ~icmp_run() {
        try {
            close();
        } catch (...) {
            // Tearing down: nothing may escape a destructor.
        }
    }
    icmp_run(const icmp_run&) = delete;
    icmp_run& operator=(const icmp_run&) = delete;

    void start() {
        started_ = steady_clock::now();
        deadline_.expires_after(timeout_);
        deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (!ec) {
                self->on_deadline();
            }
        });
        if (probes::is_ip_literal(spec_.host)) {
            error_code ec;
            const auto address = asio::ip::make_address(spec_.host, ec);
            asio::post(io_, [self = shared_from_this(), address] { self->begin(address); });
            return;
        }
        resolver_.async_resolve(spec_.host, "",
                                [self = shared_from_this()](const error_code& ec,
                                                            const icmp::resolver::results_type& r) {
                                    if (self->finished_) {
                                        return;
                                    }
                                    self->lookup_ = steady_clock::now() - self->started_;
                                    if (ec || r.empty()) {
                                        self->fail("cannot resolve " + self->spec_.host + ": " +
                                                   (ec ? ec.message() : std::string{"no address"}));
                                        return;
                                    }
                                    self->begin(r.begin()->endpoint().address());
                                });
    }

    void abandon() {
        done_ = nullptr;
        finished_ = true;
        close();
    }

private:
    void begin(const asio::ip::address& target) {
        if (finished_) {
            return;
        }
        target_ = target;
        v6_ = target.is_v6();
        opened_socket s = open_icmp_socket(v6_);
        if (s.fd < 0) {
            fail(std::move(s.error));
            return;
        }
        raw_ = s.raw;
        error_code ec;
        descriptor_.assign(s.fd, ec);
        if (ec) {
            ::close(s.fd);
            fail("cannot watch the ICMP socket: " + ec.message());
            return;
        }
        if (v6_) {
            sockaddr_in6 sa{};
            sa.sin6_family = AF_INET6;
            const auto bytes = target.to_v6().to_bytes();
            std::memcpy(&sa.sin6_addr, bytes.data(), bytes.size());
            sa.sin6_scope_id = target.to_v6().scope_id();
            std::memcpy(&to_, &sa, sizeof sa);
            to_len_ = sizeof sa;
        } else {
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            const auto bytes = target.to_v4().to_bytes();
            std::memcpy(&sa.sin_addr, bytes.data(), bytes.size());
            std::memcpy(&to_, &sa, sizeof sa);
            to_len_ = sizeof sa;
        }
        spacing_ = std::min<nanoseconds>(std::chrono::seconds{1}, timeout_ / (2 * spec_.count));
        wait_readable();
        send_next();
    }

    void send_next() {
        if (finished_ || sent_ == spec_.count) {
            return;
        }
        const auto sequence = static_cast<std::uint16_t>(first_sequence_ + sent_);
        std::array<unsigned char, 8 + payload.size()> packet{};
        packet[0] = v6_ ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
        packet[4] = static_cast<unsigned char>(id_ >> 8);
        packet[5] = static_cast<unsigned char>(id_ & 0xff);
        packet[6] = static_cast<unsigned char>(sequence >> 8);
        packet[7] = static_cast<unsigned char>(sequence & 0xff);
        std::memcpy(packet.data() + 8, payload.data(), payload.size());
        if (!v6_) { // the kernel computes ICMPv6 checksums (it needs the pseudo-header)
            const std::uint16_t sum = internet_checksum(packet.data(), packet.size());
            packet[2] = static_cast<unsigned char>(sum >> 8);
            packet[3] = static_cast<unsigned char>(sum & 0xff);
        }
        sent_at_[sent_] = steady_clock::now();
        const ssize_t n = ::sendto(descriptor_.native_handle(), packet.data(), packet.size(), 0,
                                   reinterpret_cast<const sockaddr*>(&to_), to_len_);
        if (n < 0) {
            send_error_ = std::strerror(errno);
        }
        ++sent_;
        if (sent_ < spec_.count) {
            send_timer_.expires_after(spacing_);
            send_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
                if (!ec) {
                    self->send_next();
                }
            });
        }
    }

    void wait_readable() {
        descriptor_.async_wait(asio::posix::descriptor_base::wait_read,
                               [self = shared_from_this()](const error_code& ec) {
                                   if (ec || self->finished_) {
                                       return;
                                   }
                                   self->receive_all();
                                   if (!self->finished_) {
                                       self->wait_readable();
                                   }
                               });
    }

    void receive_all() {
        std::array<unsigned char, 1500> buf{};
        while (!finished_) {
            sockaddr_storage from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = ::recvfrom(descriptor_.native_handle(), buf.data(), buf.size(), 0,
                                         reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 0) {
                return; // EAGAIN: drained; an error (ICMP error queued) is a lost packet
            }
            on_packet(buf.data(), static_cast<std::size_t>(n), from);
        }
    }

    void on_packet(const unsigned char* data, std::size_t n, const sockaddr_storage& from) {
        const auto now = steady_clock::now();
        if (raw_ && !v6_) {
            // A raw IPv4 socket hands over the IP header too.
            if (n < 20) {
                return;
            }
            const std::size_t header = static_cast<std::size_t>(data[0] & 0x0f) * 4;
            if (n < header) {
                return;
            }
            data += header;
            n -= header;
        }
        if (n < 8 || data[0] != (v6_ ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) || data[1] != 0) {
            return; // e.g. our own requests looped back on a raw socket
        }
        if (raw_) {
            // A raw socket sees every echo reply on the host: keep only ours. (A datagram
            // socket gets only its own; the kernel rewrote the identifier.)
            const auto id = static_cast<std::uint16_t>((data[4] << 8) | data[5]);
            if (id != id_ || !from_target(from)) {
                return;
            }
        }
        const auto sequence = static_cast<std::uint16_t>((data[6] << 8) | data[7]);
        const auto index = static_cast<std::uint16_t>(sequence - first_sequence_);
        if (index >= sent_ || rtt_[index]) {
            return; // not ours, or a duplicate
        }
        rtt_[index] = now - sent_at_[index];
        ++received_;
        if (received_ == spec_.count) {
            report();
        }
    }

    bool from_target(const sockaddr_storage& from) const {
        if (v6_) {
            const auto& sa = reinterpret_cast<const sockaddr_in6&>(from);
            const auto bytes = target_.to_v6().to_bytes();
            return sa.sin6_family == AF_INET6 &&
                   std::memcmp(&sa.sin6_addr, bytes.data(), bytes.size()) == 0;
        }
        const auto& sa = reinterpret_cast<const sockaddr_in&>(from);
        const auto bytes = target_.to_v4().to_bytes();
        return sa.sin_family == AF_INET &&
               std::memcmp(&sa.sin_addr, bytes.data(), bytes.size()) == 0;
    }

    void on_deadline() {
        if (finished_) {
            return;
        }
        if (!descriptor_.is_open()) {
            fail("timeout after " + format_duration(timeout_) + " while resolving " + spec_.host);
            return;
        }
        receive_all(); // replies that arrived together with the deadline still count
        if (!finished_) {
            report();
        }
    }

    void report() {
        icmp_stats stats;
        stats.sent = sent_;
        stats.received = received_;
        stats.raw_socket = raw_;
        nanoseconds sum{0};
        for (const auto& rtt : rtt_) {
            if (!rtt) {
                continue;
            }
            if (sum == nanoseconds{0} || *rtt < stats.rtt_min) {
                stats.rtt_min = *rtt;
            }
            stats.rtt_max = std::max(stats.rtt_max, *rtt);
            sum += *rtt;
        }
        if (received_ > 0) {
            stats.rtt_avg = sum / received_;
        }
        const unsigned count = spec_.count;
        const unsigned lost = count - received_;
        const double loss = 100.0 * lost / count;
        const std::string loss_text = std::to_string(static_cast<int>(std::lround(loss))) + "%";
        std::string replies = std::to_string(received_) + "/" + std::to_string(count) + " replies";
        if (received_ > 0) {
            replies += ", rtt min/avg/max " + milliseconds_text(stats.rtt_min) + "/" +
                       milliseconds_text(stats.rtt_avg) + "/" + milliseconds_text(stats.rtt_max) +
                       " ms";
        }
        probe_status status = probe_status::success;
        std::string reason;
        if (received_ == 0) {
            status = probe_status::failure;
            reason = std::to_string(count) + "/" + std::to_string(count) + " packets lost";
            if (!send_error_.empty()) {
                reason += " (send failed: " + send_error_ + ")";
            }
        } else if (loss > spec_.max_loss) {
            status = probe_status::failure;
            char max[32];
            std::snprintf(max, sizeof max, "%g%%", spec_.max_loss);
            reason = "loss " + loss_text + " > " + max + " (" + replies + ")";
        } else {
            reason = replies;
            if (lost > 0) {
                reason += ", loss " + loss_text;
            }
        }
        finish(status, std::move(reason), stats);
    }

    void fail(std::string reason) { finish(probe_status::failure, std::move(reason), {}); }

    void finish(probe_status status, std::string reason, std::optional<icmp_stats> stats) {
        if (finished_) {
            return;
        }
        finished_ = true;
        probe_result r;
        r.status = status;
        r.reason = std::move(reason);
        r.elapsed = steady_clock::now() - started_;
        r.icmp = stats;
        if (!probes::is_ip_literal(spec_.host)) {
            r.dns_lookup = lookup_;
        }
        close();
        if (probe_handler done = std::move(done_)) {
            done_ = nullptr;
            done(std::move(r));
        }
    }

    void close() {
        resolver_.cancel();
        send_timer_.cancel();
        deadline_.cancel();
        error_code ignored;
        descriptor_.close(ignored); // owns the socket
    }

    asio::io_context& io_;
    const icmp_check& spec_; // owned by the probe; an abandoned run no longer reads it
    icmp::resolver resolver_;
    asio::posix::stream_descriptor descriptor_;
    asio::steady_timer send_timer_;
    asio::steady_timer deadline_;
    std::chrono::milliseconds timeout_;
    probe_handler done_;
    std::uint16_t id_;
    std::uint16_t first_sequence_;
    asio::ip::address target_;
    bool v6_ = false;
    bool raw_ = false;
    sockaddr_storage to_{};
    socklen_t to_len_ = 0;
    nanoseconds spacing_{0};
    unsigned sent_ = 0;
    unsigned received_ = 0;
    std::vector<steady_clock::time_point> sent_at_;
    std::vector<std::optional<nanoseconds>> rtt_;
    std::string send_error_;
    steady_clock::time_point started_;
    nanoseconds lookup_{0};
    bool finished_ = false;
};

class icmp_probe final : public probe {
public:
    icmp_probe(asio::io_context& io, icmp_check spec) : io_(io), spec_(std::move(spec)) {
        // An identifier per probe (raw sockets see every reply on the host); the address of
        // this object differs between probes alive at the same time.
        const auto bits = reinterpret_cast<std::uintptr_t>(this);
        id_ = static_cast<std::uint16_t>((bits >> 4) ^ (bits >> 20) ^
                                         static_cast<unsigned>(getpid()));
    }

    ~icmp_probe() override {
        try {
            cancel();
        } catch (...) {
            // Tearing down: the run is abandoned either way; nothing may escape.
        }
    }
    icmp_probe(const icmp_probe&) = delete;
    icmp_probe& operator=(const icmp_probe&) = delete;

    const char* type() const override { return "icmp"; }

    void async_run(std::chrono::milliseconds timeout, probe_handler done) override {
        run_ =
            std::make_shared<icmp_run>(io_, spec_, id_, next_sequence_, timeout, std::move(done));
        // Each run uses fresh sequence numbers, so a late reply to an earlier run never
        // counts for this one.
        next_sequence_ = static_cast<std::uint16_t>(next_sequence_ + spec_.count);
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
    icmp_check spec_;
    std::uint16_t id_ = 0;
    std::uint16_t next_sequence_ = 1;
    std::shared_ptr<icmp_run> run_;
};

} // namespace

std::unique_ptr<probe> make_icmp_probe(boost::asio::io_context& io, const icmp_check& spec) {
    return std::make_unique<icmp_probe>(io, spec);
}

} // namespace pantau
