#include "sim/sim_server.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <variant>

namespace pantau::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t max_header_bytes = std::size_t{64} * 1024;
constexpr std::uint64_t max_body_bytes = std::uint64_t{16} * 1024 * 1024;
constexpr std::uint64_t big_body_bytes = 200ULL * 1024 * 1024;
constexpr std::size_t chunk_bytes = std::size_t{64} * 1024;
constexpr std::uint64_t bomb_inflated_bytes = 1ULL << 30;
constexpr std::size_t reset_body_bytes = 1000;
constexpr auto max_slow_delay = std::chrono::hours(24);
// How long a finished response waits for the client's FIN (or TLS close_notify) before the
// socket is closed anyway. Closing while unread request bytes sit in the receive buffer
// would send RST and could destroy the response in flight.
constexpr auto linger_deadline = std::chrono::seconds(1);
// /reset pauses this long between its partial body and the RST so that the client reads
// the headers first and sees "reset mid-body", not "reset before anything".
constexpr auto reset_pause = std::chrono::milliseconds(50);
constexpr auto accept_retry_delay = std::chrono::milliseconds(20);
constexpr auto shutdown_grace = std::chrono::seconds(2);

const std::array<char, chunk_bytes> zero_chunk{};

// ---------------------------------------------------------------------------------------
// /gzip-bomb body

// gzip of 1 GiB of zeros. Deflating a whole GiB takes seconds, which would make the first
// request time out in tests with short deadlines. Zeros make the stream periodic instead:
// after a full flush deflate's output is byte-aligned, and every back-reference of the
// next segment points into zeros, so the second 1 MiB segment's bytes decode to 1 MiB of
// zeros wherever they are placed after the first. Level 9, ~1 MB, built in milliseconds.
std::string make_gzip_bomb() {
    constexpr std::size_t segment_bytes = 1 << 20;
    constexpr std::uint64_t segments = bomb_inflated_bytes / segment_bytes;

    z_stream zs{};
    // Raw deflate (negative window bits): the gzip header and trailer are written below.
    if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    const std::unique_ptr<z_stream, int (*)(z_stream*)> end_guard{&zs, deflateEnd};

    std::vector<unsigned char> zeros(segment_bytes);
    std::array<unsigned char, chunk_bytes> out{};
    const auto deflate_segment = [&](bool with_input, int flush) {
        std::string compressed;
        zs.next_in = zeros.data();
        zs.avail_in = with_input ? static_cast<uInt>(zeros.size()) : 0;
        int rc = Z_OK;
        do {
            zs.next_out = out.data();
            zs.avail_out = static_cast<uInt>(out.size());
            rc = deflate(&zs, flush);
            if (rc == Z_STREAM_ERROR) {
                throw std::runtime_error("deflate failed");
            }
            compressed.append(reinterpret_cast<const char*>(out.data()), out.size() - zs.avail_out);
        } while (zs.avail_out == 0);
        return compressed;
    };
    const std::string first = deflate_segment(true, Z_FULL_FLUSH);
    const std::string repeated = deflate_segment(true, Z_FULL_FLUSH);
    const std::string last = deflate_segment(false, Z_FINISH);

    uLong crc = crc32(crc32(0, nullptr, 0), zeros.data(), static_cast<uInt>(zeros.size()));
    for (std::uint64_t length = segment_bytes; length < bomb_inflated_bytes; length *= 2) {
        crc = crc32_combine(crc, crc, static_cast<z_off_t>(length));
    }
    const auto put_le32 = [](std::string& s, std::uint64_t v) {
        for (int i = 0; i < 4; ++i) {
            s += static_cast<char>((v >> (8 * i)) & 0xff);
        }
    };

    std::string body;
    body.reserve(10 + first.size() + repeated.size() * (segments - 1) + last.size() + 8);
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=2 (max compression) OS=3 (Unix).
    body.append("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);
    body += first;
    for (std::uint64_t i = 1; i < segments; ++i) {
        body += repeated;
    }
    body += last;
    put_le32(body, crc);
    put_le32(body, bomb_inflated_bytes & 0xffffffffU);
    return body;
}

// Built on first use, shared by every server of the process, never modified.
const std::string& gzip_bomb_body() {
    static const std::string body = make_gzip_bomb();
    return body;
}

// ---------------------------------------------------------------------------------------
// State shared between the public object and the event loop.

using route_override = std::variant<request_handler, std::string>;

struct server_state {
    explicit server_state(bool is_tls) : tls(is_tls) {}

    const bool tls;
    std::atomic<std::uint64_t> counter_served{0};
    std::atomic<std::size_t> open_connections{0};

    mutable std::mutex mutex;
    mutable std::condition_variable hits_changed;
    std::map<std::string, route_override, std::less<>> overrides; // guarded by mutex
    std::map<std::string, std::size_t, std::less<>> hits;         // guarded by mutex
    std::size_t total_hits = 0;                                   // guarded by mutex

    void record_hit(const std::string& path) {
        {
            const std::lock_guard lock(mutex);
            ++hits[path];
            ++total_hits;
        }
        hits_changed.notify_all();
    }

    std::optional<route_override> find_override(std::string_view path) const {
        const std::lock_guard lock(mutex);
        const auto it = overrides.find(path);
        if (it == overrides.end()) {
            return std::nullopt;
        }
        return it->second;
    }
};

// ---------------------------------------------------------------------------------------
// Response helpers

bool status_has_body(int status) {
    return status >= 200 && status != 204 && status != 304;
}

response text_response(int status, std::string body) {
    return response{status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

response redirect(std::string location) {
    response r = text_response(302, "redirecting to " + location);
    r.headers.emplace_back("Location", std::move(location));
    return r;
}

// Status line and headers, per the contract in sim_server.hpp.
std::string response_head(const response& r) {
    std::string reason;
    const auto known = http::int_to_status(static_cast<unsigned>(r.status));
    if (known != http::status::unknown) {
        reason = std::string(http::obsolete_reason(known));
    }
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason + "\r\n";
    head += "Server: pantau-fixture\r\n";
    bool has_length = false;
    bool has_connection = false;
    for (const auto& [name, value] : r.headers) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
        has_length = has_length || beast::iequals(name, "Content-Length");
        has_connection = has_connection || beast::iequals(name, "Connection");
    }
    if (!has_length && status_has_body(r.status)) {
        head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    }
    if (!has_connection) {
        head += "Connection: close\r\n";
    }
    head += "\r\n";
    return head;
}

// The number after prefix in route, e.g. 503 for ("/status/503", "/status/").
std::optional<std::uint64_t> number_after(std::string_view route, std::string_view prefix) {
    if (!route.starts_with(prefix)) {
        return std::nullopt;
    }
    const std::string_view digits = route.substr(prefix.size());
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
        return std::nullopt;
    }
    return value;
}

std::string describe(const request& req, unsigned version) {
    std::string out = req.method + " " + req.target + " HTTP/" + std::to_string(version / 10) +
                      "." + std::to_string(version % 10) + "\n";
    for (const auto& [name, value] : req.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\n";
    }
    out += "\n";
    out += req.body;
    return out;
}

// ---------------------------------------------------------------------------------------
// Connections

class session_base {
public:
    virtual ~session_base() = default;
    // Closes the connection and refuses to start new operations. Event loop thread only.
    virtual void stop() noexcept = 0;
};

// One accepted connection: reads one request, answers it, closes. Owned by the handlers of
// its pending operations; the server keeps only a weak_ptr to stop it at shutdown. All
// member functions run on the event loop thread.
template <class Stream>
class session final : public session_base, public std::enable_shared_from_this<session<Stream>> {
    static constexpr bool is_tls = !std::is_same_v<Stream, tcp::socket>;

public:
    template <class... Args>
    explicit session(std::shared_ptr<server_state> state, Args&&... stream_args)
        : stream_(std::forward<Args>(stream_args)...)
        , timer_(stream_.get_executor())
        , state_(std::move(state)) {
        ++state_->open_connections;
    }

    ~session() override { close(); }

    session(const session&) = delete;
    session& operator=(const session&) = delete;
    session(session&&) = delete;
    session& operator=(session&&) = delete;

    void start() {
        if constexpr (is_tls) {
            stream_.async_handshake(ssl::stream_base::server, handler_for(&session::on_handshake));
        } else {
            do_read_header();
        }
    }

    void stop() noexcept override {
        stopped_ = true;
        close();
    }

private:
    // Wraps a member function as a completion handler that keeps the session alive and
    // lets no exception escape: whatever goes wrong closes the connection.
    template <class... Args>
    auto handler_for(void (session::*member)(Args...)) {
        return [self = this->shared_from_this(), member](Args... args) noexcept {
            try {
                (self.get()->*member)(args...);
            } catch (...) {
                self->close();
            }
        };
    }

    void close() noexcept {
        try {
            timer_.cancel();
        } catch (...) {
            // Cancelling a timer fails only for a broken timer queue; nothing to release.
        }
        auto& socket = beast::get_lowest_layer(stream_);
        error_code ignored;
        socket.close(ignored);
        if (!closed_) {
            closed_ = true;
            --state_->open_connections;
        }
    }

    void on_handshake(error_code ec) {
        if (ec || stopped_) {
            return close();
        }
        do_read_header();
    }

    void do_read_header() {
        parser_.emplace();
        parser_->header_limit(max_header_bytes);
        parser_->body_limit(max_body_bytes);
        http::async_read_header(stream_, buffer_, *parser_, handler_for(&session::on_header));
    }

    void on_header(error_code ec, std::size_t /*bytes*/) {
        if (stopped_) {
            return close();
        }
        if (ec) {
            return on_read_error(ec);
        }
        // Clients that announce a body with "Expect: 100-continue" (curl does above 1 KiB)
        // would otherwise wait a second before sending it.
        const auto& message = parser_->get();
        const auto expect = message.find(http::field::expect);
        if (expect != message.end() && beast::iequals(expect->value(), "100-continue") &&
            !parser_->is_done()) {
            out_ = "HTTP/1.1 100 Continue\r\n\r\n";
            asio::async_write(stream_, asio::buffer(out_), handler_for(&session::on_continue));
            return;
        }
        do_read_body();
    }

    void on_continue(error_code ec, std::size_t /*bytes*/) {
        if (ec || stopped_) {
            return close();
        }
        do_read_body();
    }

    void do_read_body() {
        if (parser_->is_done()) {
            return on_request();
        }
        http::async_read(stream_, buffer_, *parser_, handler_for(&session::on_body));
    }

    void on_body(error_code ec, std::size_t /*bytes*/) {
        if (stopped_) {
            return close();
        }
        if (ec) {
            return on_read_error(ec);
        }
        on_request();
    }

    void on_read_error(error_code ec) {
        if (ec == http::error::header_limit) {
            return send(text_response(431, "request header fields too large"));
        }
        if (ec == http::error::body_limit) {
            return send(text_response(413, "payload too large"));
        }
        const bool parse_error =
            ec.category() == http::make_error_code(http::error::bad_target).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message;
        if (parse_error) {
            return send(text_response(400, "bad request: " + ec.message()));
        }
        close(); // the client went away
    }

    void on_request() {
        auto message = parser_->release();
        parser_.reset();
        request req;
        req.method = std::string(message.method_string());
        req.target = std::string(message.target());
        req.path = req.target.substr(0, req.target.find('?'));
        for (const auto& field : message) {
            req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        req.body = std::move(message.body());
        version_ = message.version();
        head_only_ = req.method == "HEAD";
        state_->record_hit(req.path);

        if (auto route = state_->find_override(req.path)) {
            if (auto* alias = std::get_if<std::string>(&*route)) {
                return run_builtin(req, *alias);
            }
            return send(call_handler(std::get<request_handler>(*route), req));
        }
        run_builtin(req, req.path);
    }

    static response call_handler(const request_handler& handler, const request& req) {
        try {
            return handler(req);
        } catch (const std::exception& e) {
            return text_response(500, std::string("handler threw: ") + e.what());
        } catch (...) {
            return text_response(500, "handler threw a non-exception");
        }
    }

    void run_builtin(const request& req, std::string_view route) {
        if (route == "/ok") {
            return send(text_response(200, "OK all good"));
        }
        if (route == "/maintenance") {
            return send(response{200,
                                 {{"Content-Type", "text/html; charset=utf-8"}},
                                 "<html>Situs sedang dalam pemeliharaan</html>"});
        }
        if (route == "/hang") {
            return do_drain();
        }
        if (route == "/reset") {
            return do_reset();
        }
        if (route == "/big") {
            return do_big();
        }
        if (route == "/gzip-bomb") {
            return do_gzip_bomb();
        }
        if (route == "/loop") {
            return send(redirect("/loop"));
        }
        if (route == "/redirect-ok") {
            return send(redirect("/ok"));
        }
        if (route == "/garbage") {
            out_ = "GARBAGE NOT HTTP\r\n\r\n";
            return write_out();
        }
        if (route == "/echo") {
            return send(text_response(200, describe(req, version_)));
        }
        if (route == "/counter") {
            const auto served = ++state_->counter_served;
            return send(response{200,
                                 {{"Content-Type", "application/json"}},
                                 "{\"served\": " + std::to_string(served) + "}"});
        }
        if (route.starts_with("/status/")) {
            const auto code = number_after(route, "/status/");
            if (!code || *code < 100 || *code > 999) {
                return send(text_response(400, "status must be 100..999"));
            }
            const int status = static_cast<int>(*code);
            return send(text_response(status, "status " + std::to_string(status)));
        }
        if (route.starts_with("/slow/")) {
            const auto ms = number_after(route, "/slow/");
            const auto limit = std::chrono::milliseconds(max_slow_delay).count();
            if (!ms || *ms > static_cast<std::uint64_t>(limit)) {
                return send(text_response(400, "delay must be 0..86400000 ms"));
            }
            response r = text_response(200, "slow ok");
            r.delay = std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
            return send(r);
        }
        send(text_response(404, "not found"));
    }

    void send(const response& r) {
        out_ = response_head(r);
        if (status_has_body(r.status) && !head_only_) {
            out_ += r.body;
        }
        if (r.delay > std::chrono::milliseconds::zero()) {
            timer_.expires_after(r.delay);
            timer_.async_wait(handler_for(&session::on_delay));
            return;
        }
        write_out();
    }

    void on_delay(error_code ec) {
        if (ec || stopped_) {
            return close();
        }
        write_out();
    }

    void write_out() {
        asio::async_write(stream_, asio::buffer(out_), handler_for(&session::on_written));
    }

    void on_written(error_code ec, std::size_t /*bytes*/) {
        if (ec || stopped_) {
            return close();
        }
        close_gracefully();
    }

    // Shut down our sending side, then wait (bounded) for the client to close its side.
    void close_gracefully() {
        timer_.expires_after(linger_deadline);
        timer_.async_wait(handler_for(&session::on_linger_deadline));
        if constexpr (is_tls) {
            stream_.async_shutdown(handler_for(&session::on_tls_shutdown));
        } else {
            error_code ignored;
            stream_.shutdown(tcp::socket::shutdown_send, ignored);
            do_drain();
        }
    }

    void on_linger_deadline(error_code ec) {
        if (!ec) {
            close();
        }
    }

    void on_tls_shutdown(error_code /*ec*/) { close(); }

    // Reads and discards until the client closes or the server stops. Also /hang: the
    // request is read, nothing is answered.
    void do_drain() {
        stream_.async_read_some(asio::buffer(scratch_), handler_for(&session::on_drain));
    }

    void on_drain(error_code ec, std::size_t /*bytes*/) {
        if (ec || stopped_) {
            return close();
        }
        do_drain();
    }

    void do_big() {
        out_ = response_head(response{200,
                                      {{"Content-Type", "application/octet-stream"},
                                       {"Content-Length", std::to_string(big_body_bytes)}},
                                      {}});
        remaining_ = head_only_ ? 0 : big_body_bytes;
        asio::async_write(stream_, asio::buffer(out_), handler_for(&session::on_big_written));
    }

    void on_big_written(error_code ec, std::size_t /*bytes*/) {
        if (ec || stopped_) {
            return close();
        }
        if (remaining_ == 0) {
            return close_gracefully();
        }
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, zero_chunk.size()));
        remaining_ -= n;
        asio::async_write(stream_, asio::buffer(zero_chunk.data(), n),
                          handler_for(&session::on_big_written));
    }

    void do_gzip_bomb() {
        const std::string& body = gzip_bomb_body();
        out_ = response_head(response{200,
                                      {{"Content-Type", "text/plain"},
                                       {"Content-Encoding", "gzip"},
                                       {"Content-Length", std::to_string(body.size())}},
                                      {}});
        if (head_only_) {
            return write_out();
        }
        const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_), asio::buffer(body)};
        asio::async_write(stream_, buffers, handler_for(&session::on_written));
    }

    void do_reset() {
        out_ = response_head(
            response{200, {{"Content-Type", "text/plain"}, {"Content-Length", "100000"}}, {}});
        out_.append(reset_body_bytes, 'x');
        asio::async_write(stream_, asio::buffer(out_), handler_for(&session::on_reset_written));
    }

    void on_reset_written(error_code ec, std::size_t /*bytes*/) {
        if (ec || stopped_) {
            return close();
        }
        timer_.expires_after(reset_pause);
        timer_.async_wait(handler_for(&session::on_reset_pause));
    }

    void on_reset_pause(error_code ec) {
        if (!ec && !stopped_) {
            // SO_LINGER with a zero timeout turns close() into an abortive close: RST, no FIN.
            error_code ignored;
            beast::get_lowest_layer(stream_).set_option(asio::socket_base::linger(true, 0),
                                                        ignored);
        }
        close();
    }

    Stream stream_;
    asio::steady_timer timer_;
    std::shared_ptr<server_state> state_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string out_; // bytes being written; must outlive the write
    std::array<char, 4096> scratch_{};
    std::uint64_t remaining_ = 0; // /big bytes still to send
    unsigned version_ = 11;
    bool head_only_ = false;
    bool stopped_ = false;
    bool closed_ = false;
};

} // namespace

// ---------------------------------------------------------------------------------------
// request

std::optional<std::string> request::header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
        if (beast::iequals(field, name)) {
            return value;
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// sim_server::impl

class sim_server::impl {
public:
    explicit impl(sim_server_options options)
        : state_(std::make_shared<server_state>(options.tls.has_value()))
        , acceptor_(ioc_)
        , accept_retry_(ioc_)
        , work_(ioc_.get_executor()) {
        if (options.tls) {
            ssl_.emplace(ssl::context::tls_server);
            ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                              ssl::context::no_tlsv1_1);
            ssl_->use_certificate_chain(asio::buffer(options.tls->cert_pem));
            ssl_->use_private_key(asio::buffer(options.tls->key_pem), ssl::context::pem);
        }
        const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(asio::socket_base::max_listen_connections);
        port_ = acceptor_.local_endpoint().port();
        do_accept();
        done_ = loop_finished_.get_future();
        thread_ = std::thread([this] { run(); });
    }

    ~impl() {
        try {
            asio::post(ioc_, [this] { shutdown(); });
        } catch (...) {
            ioc_.stop(); // could not even queue the graceful path
        }
        work_.reset();
        if (done_.wait_for(shutdown_grace) != std::future_status::ready) {
            ioc_.stop();
        }
        thread_.join();
    }

    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    impl(impl&&) = delete;
    impl& operator=(impl&&) = delete;

    const std::shared_ptr<server_state>& state() const { return state_; }
    std::uint16_t port() const { return port_; }

private:
    void run() noexcept {
        for (;;) {
            try {
                ioc_.run();
                break;
            } catch (const std::exception& e) {
                // Handlers catch their own exceptions; this is a last line of defence.
                std::fprintf(stderr, "sim_server: event loop: %s\n", e.what());
            } catch (...) {
                std::fprintf(stderr, "sim_server: event loop: unknown exception\n");
            }
        }
        loop_finished_.set_value();
    }

    void do_accept() {
        acceptor_.async_accept([this](error_code ec, tcp::socket socket) noexcept {
            on_accept(ec, std::move(socket));
        });
    }

    void on_accept(error_code ec, tcp::socket socket) noexcept {
        if (stopping_ || ec == asio::error::operation_aborted) {
            return;
        }
        try {
            if (ec) {
                // E.g. out of file descriptors: retry later instead of spinning.
                accept_retry_.expires_after(accept_retry_delay);
                accept_retry_.async_wait([this](error_code wait_ec) noexcept {
                    if (!wait_ec && !stopping_) {
                        try {
                            do_accept();
                        } catch (...) {
                            std::fprintf(stderr, "sim_server: cannot accept any more\n");
                        }
                    }
                });
                return;
            }
            start_session(std::move(socket));
        } catch (...) {
            // The connection is dropped; the server keeps accepting.
        }
        try {
            do_accept();
        } catch (...) {
            std::fprintf(stderr, "sim_server: cannot accept any more\n");
        }
    }

    void start_session(tcp::socket socket) {
        std::erase_if(sessions_, [](const auto& s) { return s.expired(); });
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (ssl_) {
            auto s = std::make_shared<session<ssl::stream<tcp::socket>>>(state_, std::move(socket),
                                                                         *ssl_);
            sessions_.push_back(s);
            s->start();
        } else {
            auto s = std::make_shared<session<tcp::socket>>(state_, std::move(socket));
            sessions_.push_back(s);
            s->start();
        }
    }

    void shutdown() noexcept {
        stopping_ = true;
        error_code ignored;
        acceptor_.close(ignored);
        try {
            accept_retry_.cancel();
        } catch (...) {
            // Nothing to release.
        }
        for (const auto& weak : sessions_) {
            if (const auto s = weak.lock()) {
                s->stop();
            }
        }
        sessions_.clear();
    }

    std::shared_ptr<server_state> state_;
    // Declared before ioc_: TLS streams destroyed with the loop's pending handlers use it.
    std::optional<ssl::context> ssl_;
    asio::io_context ioc_{1};
    tcp::acceptor acceptor_;
    asio::steady_timer accept_retry_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::vector<std::weak_ptr<session_base>> sessions_; // event loop thread only
    bool stopping_ = false;                             // event loop thread only
    std::uint16_t port_ = 0;
    std::promise<void> loop_finished_;
    std::future<void> done_;
    std::thread thread_;
};

// ---------------------------------------------------------------------------------------
// sim_server

sim_server::sim_server(sim_server_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

sim_server::~sim_server() = default;

std::uint16_t sim_server::port() const {
    return impl_->port();
}

bool sim_server::tls() const {
    return impl_->state()->tls;
}

std::string sim_server::url(std::string_view path, std::string_view host) const {
    std::string out = tls() ? "https://" : "http://";
    out += host;
    out += ':';
    out += std::to_string(port());
    if (!path.starts_with('/')) {
        out += '/';
    }
    out += path;
    return out;
}

void sim_server::set_handler(std::string path, request_handler h) {
    if (!h) {
        return clear_route(path);
    }
    auto& state = *impl_->state();
    const std::lock_guard lock(state.mutex);
    state.overrides.insert_or_assign(std::move(path), route_override{std::move(h)});
}

void sim_server::set_status(std::string path, int code) {
    set_handler(std::move(path), [code](const request&) {
        return text_response(code, "status " + std::to_string(code));
    });
}

void sim_server::serve_as(std::string path, std::string builtin_target) {
    auto& state = *impl_->state();
    const std::lock_guard lock(state.mutex);
    state.overrides.insert_or_assign(
        std::move(path),
        route_override{std::in_place_type<std::string>, std::move(builtin_target)});
}

void sim_server::clear_route(std::string_view path) {
    auto& state = *impl_->state();
    const std::lock_guard lock(state.mutex);
    if (const auto it = state.overrides.find(path); it != state.overrides.end()) {
        state.overrides.erase(it);
    }
}

std::size_t sim_server::hits(std::string_view path) const {
    const auto& state = *impl_->state();
    const std::lock_guard lock(state.mutex);
    const auto it = state.hits.find(path);
    return it == state.hits.end() ? 0 : it->second;
}

std::size_t sim_server::total_hits() const {
    const auto& state = *impl_->state();
    const std::lock_guard lock(state.mutex);
    return state.total_hits;
}

bool sim_server::wait_for_hits(std::string_view path, std::size_t count,
                               std::chrono::milliseconds timeout) const {
    const auto& state = *impl_->state();
    std::unique_lock lock(state.mutex);
    return state.hits_changed.wait_for(lock, timeout, [&] {
        const auto it = state.hits.find(path);
        return (it == state.hits.end() ? 0 : it->second) >= count;
    });
}

std::size_t sim_server::open_connections() const {
    return impl_->state()->open_connections.load();
}

} // namespace pantau::sim
