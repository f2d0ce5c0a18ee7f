#include "web/http_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <exception>
#include <iterator>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>

namespace pantau {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// After an error response (413, 431, 400) the client may still be sending the request we
// refused. Closing with unread data makes the kernel send RST, which can destroy our response
// before the client reads it, so we read and discard for at most this long first.
constexpr std::chrono::milliseconds max_linger{2000};
constexpr std::chrono::milliseconds accept_retry_delay{100};
constexpr std::size_t drain_chunk = std::size_t{16} * 1024;
constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";
// An attack closes thousands of connections a second: say so in the log at most this often.
constexpr std::chrono::seconds limit_warning_interval{60};

// What the per-address limit counts by: an IPv4 address (as IPv4-mapped IPv6), or the /64
// prefix of an IPv6 address, since one subscriber usually gets a whole /64.
asio::ip::address_v6 peer_key(const asio::ip::address& address) {
    if (address.is_v4()) {
        return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4());
    }
    asio::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
        return v6;
    }
    asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), std::uint8_t{0});
    return asio::ip::address_v6{bytes};
}

std::string peer_text(const asio::ip::address_v6& peer) {
    return peer.is_v4_mapped() ? asio::ip::make_address_v4(asio::ip::v4_mapped, peer).to_string()
                               : peer.to_string() + "/64";
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// application/x-www-form-urlencoded decoding; a malformed escape is kept as written.
std::string form_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

// RFC 9110 token characters, the only ones allowed in a field name.
bool is_token(std::string_view text) {
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               extra.find(c) != std::string_view::npos;
    });
}

// A CR or LF in a value would let a handler's data split the response.
bool is_field_value(std::string_view text) {
    return text.find_first_of(std::string_view{"\r\n\0", 3}) == std::string_view::npos;
}

std::optional<tcp::endpoint> parse_listen(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    std::uint16_t port = 0;
    const char* const end = port_text.data() + port_text.size();
    const auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
    if (port_text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    error_code address_error;
    asio::ip::address address;
    if (host == "localhost") {
        address = asio::ip::address_v4::loopback();
    } else if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        address =
            asio::ip::make_address_v6(std::string{host.substr(1, host.size() - 2)}, address_error);
    } else {
        address = asio::ip::make_address_v4(std::string{host}, address_error);
    }
    if (address_error) {
        return std::nullopt;
    }
    return tcp::endpoint{address, port};
}

http_response internal_error() {
    http_response response;
    response.status = 500;
    response.body = "internal server error\n";
    return response;
}

} // namespace

std::string http_request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (beast::iequals(key, name)) {
            return value;
        }
    }
    return {};
}

std::string query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const std::size_t eq = pair.find('=');
        if (form_decode(pair.substr(0, eq)) == name) {
            return eq == std::string_view::npos ? std::string{} : form_decode(pair.substr(eq + 1));
        }
    }
    return {};
}

namespace detail {

class http_session;

// The server's bookkeeping of one connection, kept in the session but read and written only by
// http_server_state.
struct connection_slot {
    std::uint64_t id = 0;
    asio::ip::address_v6 peer; // peer_key() of the client's address
    bool restricted = false;   // holds a reserved slot: serves reserved paths only
    bool counted = false;      // counted in open_, restricted_open_ and peers_
    bool idle = false;         // in idle_ (then idle_position is valid)
    std::list<http_session*>::iterator idle_position;
    std::chrono::steady_clock::time_point idle_since;
};

// Everything asynchronous operations touch. Shared with them, so an operation completing after
// the http_server object is gone still finds valid memory; `stopped_` keeps it from acting.
class http_server_state final : public std::enable_shared_from_this<http_server_state> {
public:
    using handler_ptr = std::shared_ptr<const http_server::async_handler>;

    http_server_state(asio::io_context& io, http_server_options options)
        : options_(std::move(options))
        , acceptor_(io)
        , retry_timer_(io)
        , sweep_timer_(io)
        , park_timer_(io) {
        // A reserve as large as the whole would leave no ordinary slot.
        options_.reserved_connections =
            std::min(options_.reserved_connections, options_.max_connections / 2);
    }

    const http_server_options& options() const { return options_; }
    bool stopped() const { return stopped_; }
    std::size_t connections() const { return sessions_.size(); }

    void route(std::string path, http_server::async_handler h);
    handler_ptr find(std::string_view path) const;
    // Whether a connection holding a reserved slot may ask for `path`.
    bool reserved(std::string_view path) const;
    error_code listen(const std::string& text);
    tcp::endpoint local_endpoint() const;
    void stop() noexcept;

    // A session's transitions (see http_server_options for what idle means). All noexcept and
    // idempotent.
    void waiting(http_session& session) noexcept;  // starts waiting for a request
    void received(http_session& session) noexcept; // its request has fully arrived
    void release(http_session& session) noexcept;  // closed: no longer counted
    void forget(http_session& session) noexcept;   // destroyed
    // Deadline for a request to arrive on a connection that starts waiting now.
    std::chrono::milliseconds request_deadline() const {
        return under_pressure() ? std::min(options_.header_timeout, options_.idle_timeout)
                                : options_.idle_timeout;
    }

private:
    void do_accept();
    void on_accept(const error_code& ec, tcp::socket socket);
    void retry_accept_later();
    // Makes room for a connection from `peer`: closes idle connections as the limits say.
    // Returns whether the new connection may stay and, if so, whether it is restricted.
    std::optional<bool> admit(const asio::ip::address_v6& peer);
    // The idle connection that has waited longest among those matching `pred`, or null.
    template <class Pred>
    http_session* oldest_idle(Pred pred) const;
    void evict(http_session& session, std::string_view why);
    // Counts a connection closed or parked to keep the limits and logs a warning at most once
    // a limit_warning_interval.
    void note_shed(const asio::ip::address_v6& peer, std::string_view why);
    bool under_pressure() const { return open_ >= options_.pressure_connections; }
    // While under pressure, keeps a timer for when the oldest idle connection overstays.
    void arm_sweep();
    void sweep();
    // Holds a connection the limits leave no room for (see max_parked_connections).
    void park(tcp::socket socket);
    void arm_park_timer();
    void release_parked(std::chrono::steady_clock::time_point now);

    struct parked_connection {
        tcp::socket socket;
        std::chrono::steady_clock::time_point until;
    };

    http_server_options options_;
    std::map<std::string, handler_ptr, std::less<>> exact_;
    std::vector<std::pair<std::string, handler_ptr>> prefixes_; // longest first
    tcp::acceptor acceptor_;
    asio::steady_timer retry_timer_;
    asio::steady_timer sweep_timer_;
    bool sweep_armed_ = false;
    std::unordered_map<std::uint64_t, std::weak_ptr<http_session>> sessions_;
    std::uint64_t next_session_id_ = 0;
    // Counted connections: every session from accept until it is closed.
    std::size_t open_ = 0;
    std::size_t restricted_open_ = 0;
    std::unordered_map<asio::ip::address_v6, std::size_t> peers_; // open connections per peer
    std::list<http_session*> idle_;                               // oldest first
    std::list<parked_connection> parked_;                         // oldest first
    std::size_t max_parked_ = 0; // options_.max_parked_connections fitted to the fd limit
    std::uint64_t parked_total_ = 0;
    asio::steady_timer park_timer_;
    bool park_armed_ = false;
    std::chrono::steady_clock::time_point last_limit_warning_{};
    std::size_t closed_since_warning_ = 0;
    bool stopped_ = false;
};

// One connection: read a request, answer it, repeat while keep-alive. Owned by its pending
// operation (shared_from_this); the server only holds a weak_ptr to close it on stop().
// At most one read or write is outstanding, always under a tcp_stream deadline.
class http_session final : public std::enable_shared_from_this<http_session> {
public:
    http_session(std::shared_ptr<http_server_state> server, connection_slot slot,
                 tcp::socket socket)
        : server_(std::move(server))
        , slot_(std::move(slot))
        , stream_(std::move(socket)) {}
    ~http_session() { server_->forget(*this); }
    http_session(const http_session&) = delete;
    http_session& operator=(const http_session&) = delete;

    void start() { do_read(); }

    // Aborts whatever is outstanding; the session is destroyed once its handlers have run.
    void close() noexcept {
        server_->release(*this);
        stream_.close();
    }

    connection_slot& slot() { return slot_; }

private:
    // No exception escapes a completion handler: one that would closes the connection.
    template <class F>
    void guarded(F&& f) noexcept {
        try {
            f();
        } catch (const std::exception& e) {
            spdlog::error("http: closing a connection after an internal error: {}", e.what());
            close();
        } catch (...) {
            spdlog::error("http: closing a connection after an unknown internal error");
            close();
        }
    }

    void do_read();
    void on_header(const error_code& ec);
    void do_read_body();
    void on_read(const error_code& ec);
    void on_read_error(const error_code& ec);
    void handle_request();
    void answer(http_response response, unsigned version, bool keep_alive, bool head);
    void prepare_response(http_response response, unsigned version, bool keep_alive, bool head);
    void send_error(int status, std::string_view text);
    void do_write();
    void on_write(const error_code& ec);
    void shutdown_send() noexcept;
    void do_drain();

    std::shared_ptr<http_server_state> server_;
    connection_slot slot_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_; // persists across requests: it may hold a pipelined one
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    bool close_after_write_ = false;
    bool linger_after_write_ = false;
};

void http_server_state::route(std::string path, http_server::async_handler h) {
    auto ptr = std::make_shared<const http_server::async_handler>(std::move(h));
    if (path.size() > 1 && path.back() == '/') {
        auto same = std::find_if(prefixes_.begin(), prefixes_.end(),
                                 [&](const auto& entry) { return entry.first == path; });
        if (same != prefixes_.end()) {
            same->second = std::move(ptr);
            return;
        }
        prefixes_.emplace_back(std::move(path), std::move(ptr));
        std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const auto& a, const auto& b) {
            return a.first.size() > b.first.size();
        });
        return;
    }
    exact_.insert_or_assign(std::move(path), std::move(ptr));
}

http_server_state::handler_ptr http_server_state::find(std::string_view path) const {
    if (const auto it = exact_.find(path); it != exact_.end()) {
        return it->second;
    }
    for (const auto& [prefix, h] : prefixes_) {
        if (path.starts_with(prefix)) {
            return h;
        }
    }
    return nullptr;
}

bool http_server_state::reserved(std::string_view path) const {
    return std::any_of(options_.reserved_paths.begin(), options_.reserved_paths.end(),
                       [path](const std::string& r) {
                           return path == r ||
                                  (r.size() > 1 && r.back() == '/' && path.starts_with(r));
                       });
}

error_code http_server_state::listen(const std::string& text) {
    if (stopped_) {
        return asio::error::operation_aborted;
    }
    if (acceptor_.is_open()) {
        return asio::error::already_open;
    }
    const std::optional<tcp::endpoint> endpoint = parse_listen(text);
    if (!endpoint) {
        return asio::error::invalid_argument;
    }
    error_code ec;
    acceptor_.open(endpoint->protocol(), ec);
    if (!ec) {
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor_.bind(*endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(tcp::socket::max_listen_connections, ec);
    }
    if (ec) {
        error_code ignored;
        acceptor_.close(ignored);
        return ec;
    }
    max_parked_ = options_.max_parked_connections;
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
        // Parked connections must never starve accept() or the probes of descriptors.
        max_parked_ = std::min<std::size_t>(max_parked_, files.rlim_cur / 4);
    }
    do_accept();
    return {};
}

tcp::endpoint http_server_state::local_endpoint() const {
    error_code ec;
    tcp::endpoint endpoint = acceptor_.local_endpoint(ec);
    return ec ? tcp::endpoint{} : endpoint;
}

void http_server_state::stop() noexcept {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    try {
        retry_timer_.cancel();
        sweep_timer_.cancel();
        park_timer_.cancel();
        for (parked_connection& p : parked_) {
            p.socket.close(ignored);
        }
        parked_.clear();
        // Collect first: a session's destructor erases itself from sessions_.
        std::vector<std::shared_ptr<http_session>> live;
        live.reserve(sessions_.size());
        for (const auto& [id, weak] : sessions_) {
            if (auto session = weak.lock()) {
                live.push_back(std::move(session));
            }
        }
        for (const auto& session : live) {
            session->close();
        }
    } catch (const std::exception& e) {
        spdlog::error("http: stopping the server: {}", e.what());
    }
    // Handlers may own resources (captures); no request reaches them any more. A handler that
    // is running right now (and called stop) is kept alive by the session's copy.
    exact_.clear();
    prefixes_.clear();
}

void http_server_state::do_accept() {
    acceptor_.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
    });
}

void http_server_state::on_accept(const error_code& ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) {
        return;
    }
    try {
        if (ec == asio::error::connection_aborted) {
            do_accept();
            return;
        }
        if (ec) {
            // Typically EMFILE: retrying at once would spin.
            spdlog::warn("http: accept failed: {}; retrying in {} ms", ec.message(),
                         accept_retry_delay.count());
            retry_accept_later();
            return;
        }
        error_code peer_error;
        const tcp::endpoint remote = socket.remote_endpoint(peer_error);
        const std::optional<bool> restricted =
            peer_error ? std::nullopt : admit(peer_key(remote.address()));
        if (!restricted) {
            park(std::move(socket));
            do_accept();
            return;
        }
        connection_slot slot;
        slot.id = next_session_id_++;
        slot.peer = peer_key(remote.address());
        slot.restricted = *restricted;
        slot.counted = true;
        auto session = std::make_shared<http_session>(shared_from_this(), slot, std::move(socket));
        // Counted before anything can throw, so the destructor's forget() balances it.
        ++open_;
        restricted_open_ += slot.restricted ? 1 : 0;
        ++peers_[slot.peer];
        sessions_.emplace(slot.id, session);
        session->start();
        arm_sweep();
        do_accept();
    } catch (const std::exception& e) {
        spdlog::error("http: accepting a connection: {}; retrying in {} ms", e.what(),
                      accept_retry_delay.count());
        retry_accept_later();
    }
}

std::optional<bool> http_server_state::admit(const asio::ip::address_v6& peer) {
    if (const auto it = peers_.find(peer);
        it != peers_.end() && it->second >= options_.max_connections_per_address) {
        note_shed(peer, "its address is at the per-address limit");
        return std::nullopt;
    }
    const std::size_t general_capacity = options_.max_connections - options_.reserved_connections;
    if (open_ - restricted_open_ < general_capacity) {
        return false;
    }
    if (http_session* victim = oldest_idle([](http_session& s) { return !s.slot().restricted; })) {
        evict(*victim, "the connection limit was reached");
        return false;
    }
    if (open_ < options_.max_connections) {
        return true; // a reserved slot
    }
    if (http_session* victim = oldest_idle([](http_session&) { return true; })) {
        evict(*victim, "the connection limit was reached");
        return true; // the victim held a reserved slot (no other is idle)
    }
    note_shed(peer, "every connection is busy");
    return std::nullopt;
}

void http_server_state::note_shed(const asio::ip::address_v6& peer, std::string_view why) {
    ++closed_since_warning_;
    const auto now = std::chrono::steady_clock::now();
    if (last_limit_warning_ != std::chrono::steady_clock::time_point{} &&
        now - last_limit_warning_ < limit_warning_interval) {
        return;
    }
    spdlog::warn("http: {} connections served ({} from {}), {} parked; {} connection(s) closed or "
                 "parked since the last such warning, this one because {}",
                 open_, peers_.count(peer) != 0 ? peers_.at(peer) : 0, peer_text(peer),
                 parked_.size(), closed_since_warning_, why);
    last_limit_warning_ = now;
    closed_since_warning_ = 0;
}

template <class Pred>
http_session* http_server_state::oldest_idle(Pred pred) const {
    for (http_session* s : idle_) {
        if (pred(*s)) {
            return s;
        }
    }
    return nullptr;
}

void http_server_state::evict(http_session& session, std::string_view why) {
    note_shed(session.slot().peer, why);
    session.close();
}

void http_server_state::waiting(http_session& session) noexcept {
    connection_slot& slot = session.slot();
    if (!slot.counted || slot.idle) {
        return;
    }
    try {
        slot.idle_position = idle_.insert(idle_.end(), &session);
    } catch (...) {
        return; // out of memory: the connection is simply not evictable
    }
    slot.idle = true;
    slot.idle_since = std::chrono::steady_clock::now();
    if (idle_.size() == 1) {
        try {
            arm_sweep();
        } catch (const std::exception& e) {
            // The next accept under pressure tries again.
            spdlog::error("http: timing idle connections: {}", e.what());
        }
    }
}

void http_server_state::received(http_session& session) noexcept {
    connection_slot& slot = session.slot();
    if (slot.idle) {
        idle_.erase(slot.idle_position);
        slot.idle = false;
    }
}

void http_server_state::release(http_session& session) noexcept {
    received(session);
    connection_slot& slot = session.slot();
    if (!slot.counted) {
        return;
    }
    slot.counted = false;
    --open_;
    restricted_open_ -= slot.restricted ? 1 : 0;
    if (const auto it = peers_.find(slot.peer); it != peers_.end() && --it->second == 0) {
        peers_.erase(it);
    }
}

void http_server_state::forget(http_session& session) noexcept {
    release(session);
    sessions_.erase(session.slot().id);
}

void http_server_state::arm_sweep() {
    if (sweep_armed_ || stopped_ || !under_pressure() || idle_.empty()) {
        return;
    }
    sweep_armed_ = true;
    sweep_timer_.expires_at(idle_.front()->slot().idle_since + options_.header_timeout);
    sweep_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        self->sweep_armed_ = false;
        if (ec || self->stopped_) {
            return;
        }
        try {
            self->sweep();
        } catch (const std::exception& e) {
            spdlog::error("http: closing overdue idle connections: {}", e.what());
        }
    });
}

void http_server_state::sweep() {
    const auto now = std::chrono::steady_clock::now();
    // idle_ is ordered by idle_since, so the overdue ones are at its front.
    while (under_pressure() && !idle_.empty() &&
           idle_.front()->slot().idle_since + options_.header_timeout <= now) {
        evict(*idle_.front(), "it sent no complete request within header_timeout under pressure");
    }
    arm_sweep();
}

void http_server_state::park(tcp::socket socket) {
    if (parked_.size() >= max_parked_) {
        // Not the oldest parked one: that would turn the park into a ring that an attacker
        // with more connections than it holds rotates as fast as it can reconnect.
        error_code ignored;
        socket.close(ignored);
        return;
    }
    // Spread over [park_time/2, park_time) by arrival, in 64 steps.
    const auto half = options_.park_time / 2;
    const auto spread = half * static_cast<std::int64_t>(parked_total_++ % 64) / 64;
    parked_.push_back({std::move(socket), std::chrono::steady_clock::now() + half + spread});
    arm_park_timer();
}

void http_server_state::arm_park_timer() {
    if (park_armed_ || stopped_ || parked_.empty()) {
        return;
    }
    park_armed_ = true;
    // Expiries are not in list order (spread), so a coarse tick walks the whole park.
    const auto tick = std::clamp<std::chrono::milliseconds>(
        options_.park_time / 8, std::chrono::milliseconds{10}, std::chrono::seconds{1});
    park_timer_.expires_after(tick);
    park_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        self->park_armed_ = false;
        if (ec || self->stopped_) {
            return;
        }
        try {
            self->release_parked(std::chrono::steady_clock::now());
            self->arm_park_timer();
        } catch (const std::exception& e) {
            spdlog::error("http: timing parked connections: {}", e.what());
        }
    });
}

void http_server_state::release_parked(std::chrono::steady_clock::time_point now) {
    for (auto it = parked_.begin(); it != parked_.end();) {
        if (it->until <= now) {
            error_code ignored;
            it->socket.close(ignored);
            it = parked_.erase(it);
        } else {
            ++it;
        }
    }
}

void http_server_state::retry_accept_later() {
    retry_timer_.expires_after(accept_retry_delay);
    retry_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (!ec && !self->stopped_) {
            self->do_accept();
        }
    });
}

void http_session::do_read() {
    const http_server_options& options = server_->options();
    parser_.emplace();
    parser_->body_limit(std::uint64_t{options.body_limit});
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
    // One deadline for the whole request, however slowly it trickles in.
    server_->waiting(*this);
    stream_.expires_after(server_->request_deadline());
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                                self->guarded([&] { self->on_header(ec); });
                            });
}

void http_session::on_header(const error_code& ec) {
    if (server_->stopped()) {
        return;
    }
    if (ec) {
        on_read_error(ec);
        return;
    }
    const auto& request = parser_->get();
    // A client that asks waits for our go-ahead before sending the body. An oversized
    // Content-Length has already failed with body_limit, so this never invites a 413.
    if (!parser_->is_done() && request.version() >= 11 &&
        beast::iequals(request[http::field::expect], "100-continue")) {
        asio::async_write(stream_, asio::buffer(continue_response),
                          [self = shared_from_this()](const error_code& write_ec, std::size_t) {
                              self->guarded([&] {
                                  if (!write_ec && !self->server_->stopped()) {
                                      self->do_read_body();
                                  }
                              });
                          });
        return;
    }
    do_read_body();
}

void http_session::do_read_body() {
    if (parser_->is_done()) {
        on_read({});
        return;
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                         self->guarded([&] { self->on_read(ec); });
                     });
}

void http_session::on_read(const error_code& ec) {
    if (server_->stopped()) {
        return;
    }
    if (ec) {
        on_read_error(ec);
        return;
    }
    handle_request();
}

void http_session::on_read_error(const error_code& ec) {
    if (ec == http::error::end_of_stream) {
        shutdown_send(); // the client closed between requests
        return;
    }
    if (ec == http::error::body_limit) {
        send_error(413, "request body too large\n");
        return;
    }
    if (ec == http::error::header_limit) {
        send_error(431, "request header fields too large\n");
        return;
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::partial_message) {
        send_error(400, "bad request\n");
        return;
    }
    // Timeout (the stream is already closed), reset, EOF inside a request, abort: just let go.
    spdlog::debug("http: connection closed while reading: {}", ec.message());
}

void http_session::handle_request() {
    server_->received(*this);
    auto& message = parser_->get();
    http_request request;
    request.method = std::string{message.method_string()};
    const std::string_view target = message.target();
    const std::size_t question = target.find('?');
    request.path = std::string{target.substr(0, question)};
    if (question != std::string_view::npos) {
        request.query = std::string{target.substr(question + 1)};
    }
    request.headers.reserve(
        static_cast<std::size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
        request.headers.emplace_back(std::string{field.name_string()}, std::string{field.value()});
    }
    request.body = std::move(message.body());
    const unsigned version = message.version();
    const bool keep_alive = message.keep_alive();
    const http::verb method = message.method();
    parser_.reset();

    const bool head = method == http::verb::head;
    if (method != http::verb::get && method != http::verb::head && method != http::verb::post &&
        method != http::verb::delete_) {
        http_response response;
        response.status = 405;
        response.headers.emplace_back("Allow", "GET, HEAD, POST, DELETE");
        response.body = "method not allowed\n";
        answer(std::move(response), version, keep_alive, head);
        return;
    }
    if (slot_.restricted && !server_->reserved(request.path)) {
        // A reserved slot: only what must keep working under attack is served on it.
        http_response response;
        response.status = 503;
        response.headers.emplace_back("Retry-After", "1");
        response.body = "server busy: too many connections\n";
        answer(std::move(response), version, false, head);
        return;
    }
    const auto h = server_->find(request.path);
    if (!h) {
        http_response response;
        response.status = 404;
        response.body = "not found\n";
        answer(std::move(response), version, keep_alive, head);
        return;
    }
    // The responder keeps the session alive until the handler answers (now or later).
    auto answered = std::make_shared<bool>(false);
    http_server::responder respond = [self = shared_from_this(), answered, version, keep_alive,
                                      head](http_response response) {
        if (*answered) {
            return;
        }
        *answered = true;
        self->guarded([&] { self->answer(std::move(response), version, keep_alive, head); });
    };
    try {
        (*h)(request, std::move(respond));
    } catch (const std::exception& e) {
        spdlog::error("http: handler for {} {} failed: {}", request.method, request.path, e.what());
        if (!*answered) {
            *answered = true;
            answer(internal_error(), version, keep_alive, head);
        }
    } catch (...) {
        spdlog::error("http: handler for {} {} failed with an unknown exception", request.method,
                      request.path);
        if (!*answered) {
            *answered = true;
            answer(internal_error(), version, keep_alive, head);
        }
    }
}

void http_session::answer(http_response response, unsigned version, bool keep_alive, bool head) {
    if (server_->stopped() || !stream_.socket().is_open()) {
        return; // a handler stopped the server, or it stopped while the answer was pending
    }
    prepare_response(std::move(response), version, keep_alive, head);
    do_write();
}

void http_session::prepare_response(http_response response, unsigned version, bool keep_alive,
                                    bool head) {
    const bool valid_headers =
        std::all_of(response.headers.begin(), response.headers.end(),
                    [](const auto& h) { return is_token(h.first) && is_field_value(h.second); });
    if (response.status < 200 || response.status > 599 || !valid_headers ||
        !is_field_value(response.content_type)) {
        spdlog::error("http: handler returned an invalid response (status {}); sending 500",
                      response.status);
        response = internal_error();
    }
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::server, "pantau");
    if (!response.content_type.empty()) {
        response_.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
        // Framing is ours: a handler's value could only contradict it.
        if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
            beast::iequals(name, "connection") || beast::iequals(name, "server")) {
            continue;
        }
        if (beast::iequals(name, "content-type")) {
            response_.set(http::field::content_type, value);
        } else {
            response_.insert(name, value);
        }
    }
    const bool bodiless_status = response.status == 204 || response.status == 304;
    if (!bodiless_status) {
        response_.content_length(response.body.size());
        if (!head) {
            response_.body() = std::move(response.body);
        }
    }
    response_.keep_alive(keep_alive);
    close_after_write_ = !keep_alive;
    linger_after_write_ = false;
}

void http_session::send_error(int status, std::string_view text) {
    http_response response;
    response.status = status;
    response.body = std::string{text};
    prepare_response(std::move(response), 11, false, false);
    linger_after_write_ = true;
    do_write();
}

void http_session::do_write() {
    stream_.expires_after(server_->options().idle_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                          self->guarded([&] { self->on_write(ec); });
                      });
}

void http_session::on_write(const error_code& ec) {
    if (server_->stopped()) {
        return;
    }
    if (ec) {
        spdlog::debug("http: connection closed while writing: {}", ec.message());
        return;
    }
    if (close_after_write_) {
        shutdown_send();
        if (linger_after_write_) {
            server_->waiting(*this); // only waiting for the client to go: may be closed for room
            stream_.expires_after(std::min(server_->options().idle_timeout, max_linger));
            buffer_.clear();
            do_drain();
        }
        return;
    }
    response_ = {}; // give the body's memory back while the connection idles
    do_read();
}

void http_session::shutdown_send() noexcept {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Reads and discards until the client closes or the deadline set by on_write passes.
void http_session::do_drain() {
    stream_.async_read_some(buffer_.prepare(drain_chunk),
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                                self->guarded([&] {
                                    if (!ec && !self->server_->stopped()) {
                                        self->do_drain();
                                    }
                                });
                            });
}

} // namespace detail

http_server::http_server(asio::io_context& io, http_server_options options)
    : state_(std::make_shared<detail::http_server_state>(io, std::move(options))) {}

http_server::~http_server() {
    state_->stop();
}

void http_server::route(std::string path, handler h) {
    state_->route(std::move(path),
                  [h = std::move(h)](const http_request& request, const responder& respond) {
                      http_response response;
                      h(request, response);
                      respond(std::move(response));
                  });
}

void http_server::route_async(std::string path, async_handler h) {
    state_->route(std::move(path), std::move(h));
}

error_code http_server::listen(const std::string& listen) {
    return state_->listen(listen);
}

tcp::endpoint http_server::local_endpoint() const {
    return state_->local_endpoint();
}

void http_server::stop() {
    state_->stop();
}

std::size_t http_server::connections() const {
    return state_->connections();
}

} // namespace pantau
