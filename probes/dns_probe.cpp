#include "probes/dns_probe.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>

#include "core/duration.hpp"
#include "probes/net_common.hpp"

namespace pantau {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::steady_clock;

struct record_type {
    std::string_view name;
    int code;
};
constexpr std::array<record_type, 7> record_types{
    {{"A", 1}, {"AAAA", 28}, {"CNAME", 5}, {"MX", 15}, {"TXT", 16}, {"NS", 2}, {"SOA", 6}}};
constexpr std::array<std::string_view, 6> rcode_names{"NOERROR",  "FORMERR", "SERVFAIL",
                                                      "NXDOMAIN", "NOTIMP",  "REFUSED"};

int type_code(const std::string& name) {
    const auto it = std::find_if(record_types.begin(), record_types.end(),
                                 [&](const record_type& t) { return t.name == name; });
    return it == record_types.end() ? 1 : it->code;
}

std::string rcode_name(int rcode) {
    if (rcode >= 0 && static_cast<std::size_t>(rcode) < rcode_names.size()) {
        return std::string{rcode_names[static_cast<std::size_t>(rcode)]};
    }
    return "RCODE" + std::to_string(rcode);
}

struct ares_string_deleter {
    void operator()(char* p) const { ares_free_string(p); }
};

std::uint16_t read16(const unsigned char* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// A decoded response: its rcode and the answers of the asked type as text ("127.0.0.1",
// "10 mx.example", TXT strings joined, SOA fields separated by spaces).
struct dns_response {
    int rcode = 0;
    std::vector<std::string> answers;
};

// Expands the (possibly compressed) name at `p`; advances `p` past it. False when malformed.
bool expand_name(const unsigned char*& p, const unsigned char* buf, int len, std::string& out) {
    char* raw = nullptr;
    long consumed = 0;
    if (ares_expand_name(p, buf, len, &raw, &consumed) != ARES_SUCCESS) {
        return false;
    }
    const std::unique_ptr<char, ares_string_deleter> name{raw};
    out = name.get();
    p += consumed;
    return true;
}

std::optional<dns_response> decode(const unsigned char* buf, int len, int want_type) {
    if (buf == nullptr || len < HFIXEDSZ) {
        return std::nullopt;
    }
    dns_response out;
    out.rcode = buf[3] & 0x0f;
    const unsigned questions = read16(buf + 4);
    const unsigned answers = read16(buf + 6);
    const unsigned char* p = buf + HFIXEDSZ;
    const unsigned char* end = buf + len;
    std::string name;
    for (unsigned i = 0; i < questions; ++i) {
        if (!expand_name(p, buf, len, name) || end - p < QFIXEDSZ) {
            return std::nullopt;
        }
        p += QFIXEDSZ;
    }
    for (unsigned i = 0; i < answers; ++i) {
        if (!expand_name(p, buf, len, name) || end - p < RRFIXEDSZ) {
            return std::nullopt;
        }
        const int type = read16(p);
        const std::size_t rdlength = read16(p + 8);
        p += RRFIXEDSZ;
        if (static_cast<std::size_t>(end - p) < rdlength) {
            return std::nullopt;
        }
        const unsigned char* rdata = p;
        p += rdlength;
        if (type != want_type) {
            continue; // e.g. the CNAME records in front of an A answer
        }
        std::string text;
        const unsigned char* r = rdata;
        switch (type) {
        case 1:
        case 28: {
            char addr[INET6_ADDRSTRLEN] = {};
            if ((type == 1 && rdlength != 4) || (type == 28 && rdlength != 16) ||
                inet_ntop(type == 1 ? AF_INET : AF_INET6, rdata, addr, sizeof addr) == nullptr) {
                return std::nullopt;
            }
            text = addr;
            break;
        }
        case 2:
        case 5:
            if (!expand_name(r, buf, len, text)) {
                return std::nullopt;
            }
            break;
        case 15: {
            if (rdlength < 3) {
                return std::nullopt;
            }
            const unsigned preference = read16(rdata);
            r += 2;
            if (!expand_name(r, buf, len, name)) {
                return std::nullopt;
            }
            text = std::to_string(preference) + " " + name;
            break;
        }
        case 16:
            while (r < rdata + rdlength) {
                const std::size_t n = *r++;
                if (r + n > rdata + rdlength) {
                    return std::nullopt;
                }
                text.append(reinterpret_cast<const char*>(r), n);
                r += n;
            }
            break;
        case 6: {
            std::string rname;
            if (!expand_name(r, buf, len, name) || !expand_name(r, buf, len, rname) ||
                rdata + rdlength - r < 20) {
                return std::nullopt;
            }
            text = name;
            text += ' ';
            text += rname;
            for (int k = 0; k < 5; ++k, r += 4) {
                const std::uint32_t v = (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) |
                                        (std::uint32_t{r[2]} << 8) | r[3];
                text += " " + std::to_string(v);
            }
            break;
        }
        default: break;
        }
        out.answers.push_back(std::move(text));
    }
    return out;
}

std::string normalized_name(std::string_view name) {
    std::string out{name};
    while (!out.empty() && out.back() == '.') {
        out.pop_back();
    }
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// Whether `answer` (as decoded) is what `wanted` (as configured) names.
bool answer_matches(const std::string& type, const std::string& answer, const std::string& wanted) {
    if (type == "A" || type == "AAAA") {
        const int family = type == "A" ? AF_INET : AF_INET6;
        unsigned char a[16] = {};
        unsigned char b[16] = {};
        return inet_pton(family, answer.c_str(), a) == 1 &&
               inet_pton(family, wanted.c_str(), b) == 1 && std::memcmp(a, b, sizeof a) == 0;
    }
    if (type == "TXT") {
        return answer == wanted;
    }
    if (type == "MX") {
        const std::size_t space = answer.find(' ');
        const std::string exchange = answer.substr(space + 1);
        const std::size_t wanted_space = wanted.find(' ');
        if (wanted_space == std::string::npos) {
            return normalized_name(exchange) == normalized_name(wanted);
        }
        return answer.substr(0, space) == wanted.substr(0, wanted_space) &&
               normalized_name(exchange) == normalized_name(wanted.substr(wanted_space + 1));
    }
    if (type == "SOA") {
        const std::size_t space = wanted.find(' ');
        const std::size_t answer_space = answer.find(' ');
        return normalized_name(answer.substr(0, answer_space)) ==
                   normalized_name(wanted.substr(0, space)) &&
               (space == std::string::npos || normalized_name(answer.substr(answer_space)) ==
                                                  normalized_name(wanted.substr(space)));
    }
    return normalized_name(answer) == normalized_name(wanted);
}

std::string joined_answers(const std::vector<std::string>& answers) {
    std::string out;
    constexpr std::size_t max_shown = 5;
    for (std::size_t i = 0; i < answers.size() && i < max_shown; ++i) {
        out += i == 0 ? "" : ", ";
        out += answers[i].size() > 80 ? answers[i].substr(0, 80) + "..." : answers[i];
    }
    if (answers.size() > max_shown) {
        out += ", ... (" + std::to_string(answers.size()) + " in all)";
    }
    return out;
}

class dns_run final : public std::enable_shared_from_this<dns_run> {
public:
    dns_run(asio::io_context& io, const dns_check& spec, std::chrono::milliseconds timeout,
            probe_handler done)
        : io_(io)
        , spec_(spec)
        , ares_timer_(io)
        , deadline_(io)
        , timeout_(timeout)
        , done_(std::move(done)) {}

    ~dns_run() {
        try {
            destroy_channel();
        } catch (...) {
            // Tearing down: nothing may escape a destructor.
        }
    }
    dns_run(const dns_run&) = delete;
    dns_run& operator=(const dns_run&) = delete;

    void start() {
        started_ = steady_clock::now();
        ares_options opts{};
        opts.sock_state_cb = &dns_run::on_socket_state;
        opts.sock_state_cb_data = this;
        opts.flags = ARES_FLAG_NOCHECKRESP; // SERVFAIL and REFUSED are answers to report
        opts.tries = 2;
        // c-ares waits `timeout` for the first try and twice that for the second: together
        // they fit in the probe's timeout, which is enforced separately anyway.
        opts.timeout = static_cast<int>(std::max<std::int64_t>(timeout_.count() / 3, 50));
        const int mask =
            ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS;
        int rc = ares_init_options(&channel_, &opts, mask);
        if (rc == ARES_SUCCESS && spec_.server) {
            rc = ares_set_servers_ports_csv(channel_, spec_.server->c_str());
        }
        if (rc != ARES_SUCCESS) {
            const std::string why = std::string{"cannot set up the resolver: "} + ares_strerror(rc);
            asio::post(io_, [self = shared_from_this(), why] { self->fail(why); });
            return;
        }
        deadline_.expires_after(timeout_);
        deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (!ec && !self->finished_) {
                self->fail("timeout after " + format_duration(self->timeout_));
            }
        });
        // Sends the query: sockets are opened (and reported through on_socket_state) now.
        ares_query(channel_, spec_.name.c_str(), ns_c_in, type_code(spec_.type),
                   &dns_run::on_answer, this);
        if (answered_) { // refused at once (a malformed name): still report from the loop
            asio::post(io_, [self = shared_from_this()] { self->deliver(); });
            return;
        }
        rearm_timer();
    }

    void abandon() {
        done_ = nullptr;
        finished_ = true;
        close();
    }

private:
    struct watch {
        explicit watch(asio::io_context& io) : descriptor(io) {}
        asio::posix::stream_descriptor descriptor;
        bool want_read = false;
        bool want_write = false;
        bool read_armed = false;
        bool write_armed = false;
    };

    // c-ares: start, change or stop watching `s` (both false: it is about to be closed).
    static void on_socket_state(void* data, ares_socket_t s, int readable, int writable) {
        auto* me = static_cast<dns_run*>(data);
        auto it = me->watches_.find(s);
        if (readable == 0 && writable == 0) {
            if (it != me->watches_.end()) {
                error_code ignored;
                it->second->descriptor.cancel(ignored);
                it->second->descriptor.release(); // c-ares closes the socket itself
                me->watches_.erase(it);
            }
            return;
        }
        if (it == me->watches_.end()) {
            auto w = std::make_shared<watch>(me->io_);
            error_code ec;
            w->descriptor.assign(s, ec);
            if (ec) {
                return; // c-ares times out on it; the reason will say so
            }
            it = me->watches_.emplace(s, std::move(w)).first;
        }
        it->second->want_read = readable != 0;
        it->second->want_write = writable != 0;
        // Arming from inside a c-ares callback only registers a wait; c-ares is re-entered
        // from the completion, on the loop.
        me->arm(s, it->second);
    }

    void arm(ares_socket_t s, const std::shared_ptr<watch>& w) {
        if (w->want_read && !w->read_armed) {
            w->read_armed = true;
            wait(s, w, true);
        }
        if (w->want_write && !w->write_armed) {
            w->write_armed = true;
            wait(s, w, false);
        }
    }

    void wait(ares_socket_t s, const std::shared_ptr<watch>& w, bool read) {
        std::weak_ptr<watch> weak = w;
        w->descriptor.async_wait(read ? asio::posix::descriptor_base::wait_read
                                      : asio::posix::descriptor_base::wait_write,
                                 [self = shared_from_this(), weak, s, read](const error_code& ec) {
                                     auto live = weak.lock();
                                     if (!live) {
                                         return; // c-ares is done with this socket
                                     }
                                     (read ? live->read_armed : live->write_armed) = false;
                                     if (ec == asio::error::operation_aborted || self->finished_) {
                                         return;
                                     }
                                     ares_process_fd(self->channel_, read ? s : ARES_SOCKET_BAD,
                                                     read ? ARES_SOCKET_BAD : s);
                                     self->after_processing();
                                     auto again = self->watches_.find(s);
                                     if (again != self->watches_.end() && again->second == live) {
                                         self->arm(s, live);
                                     }
                                 });
    }

    void after_processing() {
        if (answered_) {
            deliver();
            return;
        }
        rearm_timer();
    }

    // c-ares's own next deadline (retransmission, next server).
    void rearm_timer() {
        if (finished_ || channel_ == nullptr) {
            return;
        }
        timeval tv{};
        if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
            ares_timer_.cancel();
            return;
        }
        ares_timer_.expires_after(std::chrono::seconds{tv.tv_sec} +
                                  std::chrono::microseconds{tv.tv_usec});
        ares_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (ec || self->finished_) {
                return;
            }
            ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            self->after_processing();
        });
    }

    // Runs inside ares_process_fd (or ares_destroy): only records; deliver() runs after.
    static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
        auto* me = static_cast<dns_run*>(arg);
        if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED || me->answered_) {
            return;
        }
        me->answered_ = true;
        me->lookup_ = steady_clock::now() - me->started_;
        me->status_ = status;
        if (abuf != nullptr && alen > 0) {
            me->response_ = decode(abuf, alen, type_code(me->spec_.type));
            me->malformed_ = !me->response_;
        }
    }

    void deliver() {
        if (finished_) {
            return;
        }
        const std::string& type = spec_.type;
        if (!response_) {
            if (status_ == ARES_ETIMEOUT) {
                fail("timeout after " + format_duration(timeout_) +
                     " (no answer from the DNS server)");
            } else if (status_ == ARES_ECONNREFUSED) {
                fail("connection refused by the DNS server");
            } else if (malformed_) {
                fail("malformed DNS response");
            } else {
                fail(std::string{"DNS query failed: "} + ares_strerror(status_));
            }
            return;
        }
        const dns_response& res = *response_;
        const std::string rcode = rcode_name(res.rcode);
        if (rcode != spec_.rcode) {
            fail("rcode " + rcode + ", want " + spec_.rcode);
            return;
        }
        if (rcode != "NOERROR") {
            succeed(rcode);
            return;
        }
        if (res.answers.empty()) {
            fail("NOERROR but no " + type + " record in the answer");
            return;
        }
        for (const std::string& wanted : spec_.answers_contain) {
            const bool found =
                std::any_of(res.answers.begin(), res.answers.end(),
                            [&](const std::string& a) { return answer_matches(type, a, wanted); });
            if (!found) {
                fail("no " + type + " answer " + probes::quote_excerpt(wanted, 80) + " (got " +
                     joined_answers(res.answers) + ")");
                return;
            }
        }
        succeed("NOERROR, " + type + " " + joined_answers(res.answers));
    }

    void succeed(std::string reason) { finish(probe_status::success, std::move(reason)); }
    void fail(std::string reason) { finish(probe_status::failure, std::move(reason)); }

    void finish(probe_status status, std::string reason) {
        if (finished_) {
            return;
        }
        finished_ = true;
        probe_result r;
        r.status = status;
        r.reason = std::move(reason);
        r.elapsed = steady_clock::now() - started_;
        r.dns_lookup = answered_ ? lookup_ : r.elapsed;
        close();
        if (probe_handler done = std::move(done_)) {
            done_ = nullptr;
            done(std::move(r));
        }
    }

    void close() {
        ares_timer_.cancel();
        deadline_.cancel();
        // Destroying the channel from a completion handler (never from a c-ares callback):
        // it reports every socket closed through on_socket_state, which releases our
        // descriptors before c-ares closes them.
        destroy_channel();
    }

    void destroy_channel() {
        if (channel_ != nullptr) {
            ares_channel channel = channel_;
            channel_ = nullptr;
            ares_destroy(channel);
        }
        for (auto& [fd, w] : watches_) {
            error_code ignored;
            w->descriptor.cancel(ignored);
            w->descriptor.release();
        }
        watches_.clear();
    }

    asio::io_context& io_;
    const dns_check& spec_; // owned by the probe; an abandoned run no longer reads it
    ares_channel channel_ = nullptr;
    std::unordered_map<ares_socket_t, std::shared_ptr<watch>> watches_;
    asio::steady_timer ares_timer_;
    asio::steady_timer deadline_;
    std::chrono::milliseconds timeout_;
    probe_handler done_;
    steady_clock::time_point started_;
    std::chrono::nanoseconds lookup_{0};
    bool answered_ = false;
    bool malformed_ = false;
    int status_ = ARES_SUCCESS;
    std::optional<dns_response> response_;
    bool finished_ = false;
};

class dns_probe final : public probe {
public:
    dns_probe(asio::io_context& io, dns_check spec) : io_(io), spec_(std::move(spec)) {}

    ~dns_probe() override {
        try {
            cancel();
        } catch (...) {
            // Tearing down: the run is abandoned either way; nothing may escape.
        }
    }
    dns_probe(const dns_probe&) = delete;
    dns_probe& operator=(const dns_probe&) = delete;

    const char* type() const override { return "dns"; }

    void async_run(std::chrono::milliseconds timeout, probe_handler done) override {
        run_ = std::make_shared<dns_run>(io_, spec_, timeout, std::move(done));
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
    dns_check spec_;
    std::shared_ptr<dns_run> run_;
};

} // namespace

std::unique_ptr<probe> make_dns_probe(boost::asio::io_context& io, const dns_check& spec) {
    return std::make_unique<dns_probe>(io, spec);
}

} // namespace pantau
