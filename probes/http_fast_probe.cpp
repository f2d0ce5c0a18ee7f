#include "probes/http_fast_probe.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/duration.hpp"
#include "probes/http_expect.hpp"

namespace pantau {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

// Resolved host names for the fast path; see the policy in http_fast_probe.hpp.
class host_cache final : public std::enable_shared_from_this<host_cache> {
public:
    using handler = std::function<void(const error_code&, const std::vector<asio::ip::address>&)>;

    explicit host_cache(asio::io_context& io) : io_(io), resolver_(io) {}

    // Calls `done` from the event loop (never inside this call) with the addresses of
    // `host`, or an error.
    void async_resolve(const std::string& host, handler done) {
        entry& e = entries_[host];
        if (!e.addresses.empty() && steady::now() < e.expires) {
            asio::post(io_, [done = std::move(done), addresses = e.addresses] {
                done(error_code{}, addresses);
            });
            return;
        }
        e.waiters.push_back(std::move(done));
        if (e.waiters.size() > 1) {
            return; // a query for this name is in flight already
        }
        resolver_.async_resolve(host, "",
                                [self = shared_from_this(),
                                 host](const error_code& ec, const tcp::resolver::results_type& r) {
                                    self->on_resolved(host, ec, r);
                                });
    }

private:
    static constexpr std::chrono::seconds ttl{60};

    struct entry {
        std::vector<asio::ip::address> addresses;
        steady::time_point expires;
        std::vector<handler> waiters;
    };

    void on_resolved(const std::string& host, const error_code& ec,
                     const tcp::resolver::results_type& results) {
        auto it = entries_.find(host);
        if (it == entries_.end()) {
            return;
        }
        std::vector<handler> waiters = std::move(it->second.waiters);
        std::vector<asio::ip::address> addresses;
        for (const auto& r : results) {
            addresses.push_back(r.endpoint().address());
        }
        if (ec || addresses.empty()) {
            entries_.erase(it); // failures are not cached
        } else {
            it->second.addresses = addresses;
            it->second.expires = steady::now() + ttl;
        }
        const error_code result = ec ? ec : asio::error::host_not_found;
        for (handler& w : waiters) {
            try {
                w(addresses.empty() ? result : error_code{}, addresses);
            } catch (...) {
                // A completion must not throw; the other waiters still get their answer.
            }
        }
    }

    asio::io_context& io_;
    tcp::resolver resolver_;
    std::unordered_map<std::string, entry> entries_;
};

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Where a plain-http URL points, parsed once per check.
struct plain_target {
    std::string host;        // without brackets
    std::uint16_t port = 80; // as in the URL, 80 by default
    std::string request;     // the whole request, sent as is
    std::optional<asio::ip::address> literal;
};

bool host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

// The target of `url` when the fast path handles it exactly like libcurl, else nullopt.
std::optional<plain_target> parse_plain_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.size() < scheme.size() || !iequals(url.substr(0, scheme.size()), scheme)) {
        return std::nullopt;
    }
    url.remove_prefix(scheme.size());
    url = url.substr(0, url.find('#')); // libcurl does not send the fragment either
    const std::size_t authority_end = url.find_first_of("/?");
    const std::string_view authority = url.substr(0, authority_end);
    std::string_view target =
        authority_end == std::string_view::npos ? std::string_view{} : url.substr(authority_end);
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
        return std::nullopt; // user information means basic authentication: libcurl's job
    }
    plain_target t;
    std::string_view port_text;
    if (authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        t.host = std::string{authority.substr(1, close - 1)};
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return std::nullopt;
        }
        port_text = rest.empty() ? rest : rest.substr(1);
        if (t.host.empty() ||
            t.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
            return std::nullopt; // e.g. a zone id: leave it to libcurl
        }
    } else {
        const std::size_t colon = authority.find(':');
        t.host = std::string{authority.substr(0, colon)};
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
        }
        if (t.host.empty() || !std::all_of(t.host.begin(), t.host.end(), host_char)) {
            return std::nullopt;
        }
    }
    if (authority.back() == ':' || port_text.size() > 5) {
        return std::nullopt;
    }
    if (!port_text.empty()) {
        unsigned port = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
            port > 65535) {
            return std::nullopt;
        }
        t.port = static_cast<std::uint16_t>(port);
    }
    for (const char c : target) {
        if (c <= ' ' || c > '~') {
            return std::nullopt; // libcurl would percent-encode or reject it
        }
    }
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.find("/./") != std::string_view::npos || path.find("/../") != std::string_view::npos ||
        path.ends_with("/.") || path.ends_with("/..")) {
        return std::nullopt; // libcurl removes dot segments
    }
    error_code ec;
    const asio::ip::address literal = asio::ip::make_address(t.host, ec);
    if (!ec) {
        t.literal = literal;
    }
    // The request line and Host header are built once; each run sends the same bytes.
    t.request = std::string{target.empty() || target.front() == '?' ? "/" : ""};
    t.request += target;
    return t;
}

bool header_allowed(const std::string& name, const std::string& value) {
    for (const std::string_view banned : {"connection", "transfer-encoding", "content-length",
                                          "expect", "te", "upgrade", "accept-encoding"}) {
        if (iequals(name, banned)) {
            return false;
        }
    }
    // An empty value asks libcurl to remove one of its own headers.
    return !value.empty() && name.find_first_of(":\r\n") == std::string::npos &&
           value.find_first_of("\r\n") == std::string::npos;
}

// The request bytes: libcurl's defaults (Host, User-Agent, Accept) unless the check sets
// them, the check's headers, Connection: close. No Accept-Encoding: answers come as is.
std::string build_request(const http_check& spec, const plain_target& t,
                          const std::string& target) {
    std::string host_header = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
    if (t.port != 80) {
        host_header += ":" + std::to_string(t.port);
    }
    auto custom = [&spec](std::string_view name) {
        return std::any_of(spec.headers.begin(), spec.headers.end(),
                           [name](const auto& h) { return iequals(h.first, name); });
    };
    std::string req = spec.method + " " + target + " HTTP/1.1\r\n";
    if (!custom("Host")) {
        req += "Host: " + host_header + "\r\n";
    }
    if (!custom("User-Agent")) {
        req += "User-Agent: Pantau/" PANTAU_VERSION "\r\n";
    }
    if (!custom("Accept")) {
        req += "Accept: */*\r\n";
    }
    for (const auto& [name, value] : spec.headers) {
        req += name;
        req += ": ";
        req += value;
        req += "\r\n";
    }
    req += "Connection: close\r\n\r\n";
    return req;
}

// A Beast body that keeps the bytes only when the expectations read them; the parser's
// body_limit bounds what arrives either way.
struct probe_body {
    struct value_type {
        std::string text;
        bool keep = false;
    };

    class reader {
    public:
        template <bool is_request, class Fields>
        reader(http::header<is_request, Fields>& /*header*/, value_type& body) : body_(body) {}

        void init(const boost::optional<std::uint64_t>& /*length*/, error_code& ec) { ec = {}; }

        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
            ec = {};
            std::size_t n = 0;
            for (const auto b : beast::buffers_range_ref(buffers)) {
                if (body_.keep) {
                    body_.text.append(static_cast<const char*>(b.data()), b.size());
                }
                n += b.size();
            }
            return n;
        }

        void finish(error_code& ec) { ec = {}; }

    private:
        value_type& body_;
    };
};

class fast_http_probe;

// One run: owns the socket, timer and parser until every handler has run, so a probe
// destroyed mid-run leaves nothing dangling. `owner` is cleared by cancel().
struct exchange : std::enable_shared_from_this<exchange> {
    explicit exchange(asio::io_context& io) : socket(io), timer(io) {}

    fast_http_probe* owner = nullptr;
    tcp::socket socket;
    asio::steady_timer timer;
    beast::flat_buffer buffer;
    std::optional<http::response_parser<probe_body>> parser;
    probe_handler done;
    bool finished = false;
    std::chrono::milliseconds timeout{0};
    steady::time_point start, resolved, connected, written, header;
};

// Beast's and the socket's errors as the libcurl probe words them.
std::string read_failure(const error_code& ec, const exchange& x, bool header_done,
                         std::size_t max_body) {
    if (ec == http::error::body_limit) {
        return "body larger than max_body " + probes::format_bytes(max_body);
    }
    if (ec == http::error::end_of_stream) {
        return "server closed the connection without answering";
    }
    if (ec == http::error::partial_message) {
        if (!header_done) {
            return "invalid HTTP response: connection closed inside the header";
        }
        const auto left = x.parser->content_length_remaining();
        return "connection closed before the whole body arrived (" +
               (left ? "transfer closed with " + std::to_string(*left) + " bytes remaining to read"
                     : std::string{"transfer closed with outstanding read data remaining"}) +
               ")";
    }
    if (ec == asio::error::connection_reset) {
        return "connection reset while reading the response";
    }
    if (ec.category() == make_error_code(http::error::bad_version).category()) {
        return "invalid HTTP response: " + ec.message();
    }
    return "receive failed: " + ec.message();
}

class fast_http_probe final : public probe {
public:
    fast_http_probe(probe_context& ctx, http_check spec, plain_target target,
                    body_inspector inspect)
        : io_(ctx.io)
        , curl_(ctx.curl)
        , spec_(std::move(spec))
        , target_(std::move(target))
        , request_(
              std::make_shared<const std::string>(build_request(spec_, target_, target_.request)))
        , expect_(spec_, std::move(inspect)) {
        target_.request.clear();
        target_.request.shrink_to_fit();
        if (!target_.literal) {
            if (!ctx.hosts) {
                ctx.hosts = std::make_shared<host_cache>(ctx.io);
            }
            hosts_ = ctx.hosts;
        }
    }

    ~fast_http_probe() override {
        try {
            cancel();
        } catch (...) {
            // Closing a socket or cancelling a timer does not throw in practice; never let
            // a destructor throw.
        }
    }
    fast_http_probe(const fast_http_probe&) = delete;
    fast_http_probe& operator=(const fast_http_probe&) = delete;

    const char* type() const override { return "http"; }

    void async_run(std::chrono::milliseconds timeout, probe_handler done) override {
        if (curl_probe_ && use_curl_) {
            curl_probe_->async_run(timeout, std::move(done));
            return;
        }
        auto x = std::make_shared<exchange>(io_);
        x->owner = this;
        x->done = std::move(done);
        x->timeout = timeout;
        x->start = steady::now();
        x->timer.expires_after(timeout);
        x->timer.async_wait([x](const error_code& ec) {
            if (!ec && !x->finished && x->owner != nullptr) {
                x->owner->fail(*x, "timeout after " + format_duration(x->timeout));
            }
        });
        run_ = x;
        if (target_.literal) {
            x->resolved = x->start;
            connect(x, {tcp::endpoint{*target_.literal, target_.port}});
            return;
        }
        hosts_->async_resolve(
            target_.host, [x](const error_code& ec, const std::vector<asio::ip::address>& addrs) {
                if (x->finished || x->owner == nullptr) {
                    return;
                }
                x->resolved = steady::now();
                if (ec) {
                    x->owner->fail(*x, "cannot resolve host: Could not resolve host: " +
                                           x->owner->target_.host);
                    return;
                }
                std::vector<tcp::endpoint> endpoints;
                endpoints.reserve(addrs.size());
                for (const auto& a : addrs) {
                    endpoints.emplace_back(a, x->owner->target_.port);
                }
                x->owner->connect(x, std::move(endpoints));
            });
    }

    void cancel() override {
        if (run_) {
            abandon(*run_);
            run_.reset();
        }
        if (curl_probe_) {
            curl_probe_->cancel();
        }
    }

private:
    static void abandon(exchange& x) {
        x.finished = true;
        x.owner = nullptr;
        x.done = nullptr;
        error_code ignored;
        x.timer.cancel();
        x.socket.close(ignored);
    }

    void connect(const std::shared_ptr<exchange>& x, std::vector<tcp::endpoint> endpoints) {
        auto on_connected = [x](const error_code& ec) {
            if (x->finished || x->owner == nullptr) {
                return;
            }
            x->connected = steady::now();
            if (ec == asio::error::connection_refused) {
                x->owner->fail(*x, "connection refused");
            } else if (ec) {
                x->owner->fail(*x, "connect failed: " + std::string(std::strerror(ec.value())));
            } else {
                x->owner->send(x);
            }
        };
        if (endpoints.size() == 1) {
            x->socket.async_connect(endpoints.front(), std::move(on_connected));
            return;
        }
        asio::async_connect(x->socket, endpoints,
                            [on_connected = std::move(on_connected)](
                                const error_code& ec, const tcp::endpoint&) { on_connected(ec); });
    }

    void send(const std::shared_ptr<exchange>& x) {
        asio::async_write(x->socket, asio::buffer(*request_),
                          [x, request = request_](const error_code& ec, std::size_t /*n*/) {
                              if (x->finished || x->owner == nullptr) {
                                  return;
                              }
                              x->written = steady::now();
                              if (ec) {
                                  x->owner->fail(*x, "send failed: " + ec.message());
                                  return;
                              }
                              x->owner->read_header(x);
                          });
    }

    void read_header(const std::shared_ptr<exchange>& x) {
        x->parser.emplace();
        x->parser->body_limit(spec_.max_body);
        x->parser->header_limit(header_limit);
        x->parser->get().body().keep = expect_.needs_body();
        if (spec_.method == "HEAD") {
            x->parser->skip(true);
        }
        http::async_read_header(x->socket, x->buffer, *x->parser,
                                [x](const error_code& ec, std::size_t /*n*/) {
                                    if (x->finished || x->owner == nullptr) {
                                        return;
                                    }
                                    x->header = steady::now();
                                    x->owner->on_header(x, ec);
                                });
    }

    void on_header(const std::shared_ptr<exchange>& x, const error_code& ec) {
        if (ec) {
            fail(*x, read_failure(ec, *x, false, spec_.max_body));
            return;
        }
        const auto& head = x->parser->get();
        const unsigned code = head.result_int();
        const bool redirect =
            code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
        const auto encoding = head.find(http::field::content_encoding);
        if ((spec_.follow_redirects && redirect &&
             head.find(http::field::location) != head.end()) ||
            (encoding != head.end() &&
             !iequals(std::string_view{encoding->value().data(), encoding->value().size()},
                      "identity")) ||
            (code >= 100 && code < 200)) {
            hand_to_curl(*x);
            return;
        }
        if (x->parser->is_done()) {
            complete(*x);
            return;
        }
        http::async_read(
            x->socket, x->buffer, *x->parser, [x](const error_code& read_ec, std::size_t /*n*/) {
                if (x->finished || x->owner == nullptr) {
                    return;
                }
                if (read_ec) {
                    x->owner->fail(*x, read_failure(read_ec, *x, true, x->owner->spec_.max_body));
                } else {
                    x->owner->complete(*x);
                }
            });
    }

    // libcurl takes over this run (with what is left of its timeout) and the later ones.
    void hand_to_curl(exchange& x) {
        probe_handler done = std::move(x.done);
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            x.timeout - (steady::now() - x.start));
        abandon(x);
        run_.reset();
        if (!curl_probe_) {
            curl_probe_ = make_http_probe(curl_, spec_, expect_.inspector());
        }
        use_curl_ = true;
        curl_probe_->async_run(std::max(left, std::chrono::milliseconds{1}), std::move(done));
    }

    probe_result timed(const exchange& x) const {
        probe_result r;
        const auto end = steady::now();
        r.elapsed = end - x.start;
        http_phases phases;
        auto since = [](steady::time_point from, steady::time_point to) {
            return from.time_since_epoch().count() != 0 && to > from
                       ? std::chrono::duration_cast<std::chrono::nanoseconds>(to - from)
                       : std::chrono::nanoseconds{0};
        };
        phases.resolve = since(x.start, x.resolved);
        phases.connect = since(x.resolved, x.connected);
        phases.processing = since(x.written, x.header);
        phases.transfer = since(x.header, end);
        r.phases = phases;
        if (x.parser && x.parser->is_header_done()) {
            r.http_status_code = static_cast<int>(x.parser->get().result_int());
        }
        return r;
    }

    void fail(exchange& x, std::string reason) {
        probe_result r = timed(x);
        r.status = probe_status::failure;
        r.reason = std::move(reason);
        deliver(x, std::move(r));
    }

    void complete(exchange& x) {
        probe_result r = timed(x);
        const int code = static_cast<int>(x.parser->get().result_int());
        expect_.evaluate(r, code, x.parser->get().body().text);
        deliver(x, std::move(r));
    }

    void deliver(exchange& x, probe_result r) {
        probe_handler done = std::move(x.done);
        abandon(x);
        run_.reset();
        if (done) {
            done(std::move(r));
        }
    }

    // libcurl's limit for one header line block (CURL_MAX_HTTP_HEADER).
    static constexpr std::uint32_t header_limit = 100 * 1024;

    asio::io_context& io_;
    curl_multi& curl_;
    http_check spec_;
    plain_target target_;
    std::shared_ptr<const std::string> request_;
    probes::http_expectations expect_;
    std::shared_ptr<host_cache> hosts_;
    std::shared_ptr<exchange> run_;
    std::unique_ptr<probe> curl_probe_;
    bool use_curl_ = false;
};

} // namespace

std::unique_ptr<probe> make_fast_http_probe(probe_context& ctx, const http_check& spec,
                                            body_inspector inspect) {
    if ((spec.method != "GET" && spec.method != "HEAD") || !spec.body.empty() ||
        spec.reuse_connection) {
        return nullptr;
    }
    if (!std::all_of(spec.headers.begin(), spec.headers.end(),
                     [](const auto& h) { return header_allowed(h.first, h.second); })) {
        return nullptr;
    }
    std::optional<plain_target> target = parse_plain_url(spec.url);
    if (!target) {
        return nullptr;
    }
    return std::make_unique<fast_http_probe>(ctx, spec, std::move(*target), std::move(inspect));
}

} // namespace pantau
