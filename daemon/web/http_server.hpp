// The daemon's own HTTP/1.1 server (Boost.Beast) for /metrics, the status page and the API.
// It runs on the daemon's single io_context and starts no threads.
//
// Thread-safety: none. Construct, call every member function and destroy the server on the
// io_context's thread (or before that thread starts running it). Handlers run there too and
// must not block: they are synchronous and hold up every other connection while they run.
//
// Lifetime: the io_context must outlive the server. Destroying the server stops it; work it
// left in the io_context (aborted operations) completes without touching the handlers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pantau {

namespace detail {
class http_server_state;
} // namespace detail

// A request as handlers see it.
struct http_request {
    std::string method; // "GET", "HEAD" or "POST"
    std::string path;   // request target up to '?', raw (not percent-decoded)
    std::string query;  // raw text after the first '?', may be empty
    std::string body;   // at most http_server_options::body_limit bytes
    std::vector<std::pair<std::string, std::string>> headers; // in arrival order

    // Value of the first header called `name` (compared case-insensitively), "" if absent.
    std::string header(std::string_view name) const;
};

// What a handler fills in. The server sets Server, Content-Length and Connection itself and
// ignores those (and Transfer-Encoding) in `headers`; a Content-Type there replaces
// `content_type`. For HEAD the body is measured, then discarded; for 204 and 304 it is dropped.
// A status outside 200..599, or a header name or value that would break the framing (CR, LF),
// is logged and answered with 500 instead.
struct http_response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Value of the first `name` parameter in a raw query string ("a=1&b=x%20y"), with
// application/x-www-form-urlencoded decoding ('+' is a space, %XX a byte; a malformed escape
// stays as written). Names are decoded the same way before comparing. "" if absent.
std::string query_param(std::string_view query, std::string_view name);

struct http_server_options {
    // Deadline for reading one whole request (headers and body), for an idle keep-alive
    // connection to send its next one, and for writing one response. A client that is slower
    // (slowloris) is disconnected.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds{30}};

    // Connection limits, so that nobody who can connect locks the door (issue 19).
    //
    // A connection is *idle* from the moment the server waits for a request on it (after
    // accept, and between keep-alive requests) until that request has fully arrived, and while
    // it lingers after an error response. Idle connections are the ones that can be closed to
    // make room; a connection whose request is being handled or answered never is.
    //
    // At most max_connections are served. A new connection beyond max_connections -
    // reserved_connections closes the oldest idle connection that does not hold a reserved
    // slot; when there is none it takes one of the reserved_connections slots, and when those
    // are taken too, the oldest idle connection of any kind; with no idle connection at all it
    // is parked.
    std::size_t max_connections = 1024;
    // Per client address (an IPv4 address; an IPv6 /64 prefix, what one subscriber gets): a
    // new connection from an address that has this many open is parked (see below). Behind a
    // reverse proxy every client shares the proxy's address: let the proxy limit its clients.
    std::size_t max_connections_per_address = 128;
    // Slots kept for reserved_paths: a connection that got one serves only those paths
    // (others get 503 with Retry-After and the connection is closed). Must be smaller than
    // max_connections.
    std::size_t reserved_connections = 64;
    // Exact paths, or prefixes when ending in '/' (as for route()). The defaults keep
    // Prometheus scrapes, liveness checks and job heartbeats answered when every other slot
    // is busy.
    std::vector<std::string> reserved_paths{"/metrics", "/-/healthy", "/api/v1/heartbeat/"};
    // Under pressure, that is while at least pressure_connections are open, a connection may
    // be idle for at most header_timeout (instead of idle_timeout): the server closes,
    // oldest first, every connection that has waited longer for its request, and new waits
    // get that deadline. Slow and silent clients then give their slots back within seconds.
    std::size_t pressure_connections = 512;
    std::chrono::milliseconds header_timeout{std::chrono::seconds{5}};
    // A connection the limits leave no room for is not closed at once but *parked*: held
    // unread, costing one descriptor and no work, for park_time/2 to park_time (spread, so
    // that a burst parked together is not let go together). Closing at once would let a
    // client that reopens every closed connection refill the kernel's accept queue (4096 at
    // most) as fast as the server drains it; the kernel then drops every other client's SYN,
    // which is retried only after a second. At most max_parked_connections are parked, and at
    // most a quarter of the open-file limit (read at listen()); beyond that a connection is
    // closed at once. 0 parks nothing.
    std::size_t max_parked_connections = 16384;
    std::chrono::milliseconds park_time{std::chrono::seconds{60}};

    // Larger request bodies get 413; larger request headers get 431. Both close the connection.
    std::size_t body_limit = std::size_t{1} << 20;
    std::size_t header_limit = std::size_t{16} << 10;
};

class http_server final {
public:
    // Called on the event loop for each request; `response` starts as 200 text/plain, empty.
    // An exception it throws becomes a 500 response and an error log line.
    using handler = std::function<void(const http_request& request, http_response& response)>;

    // Sends the answer to a request whose handler finished without one (route_async). Call it
    // at most once, on the event loop, from any later completion handler. It does nothing once
    // the server is stopped or the connection is gone. Dropping every copy without calling it
    // closes the connection unanswered.
    using responder = std::function<void(http_response response)>;
    // Called on the event loop like `handler`, but answers later through `respond`, so it can
    // start asynchronous work (a probe) without holding up other connections. It must bound
    // that work with a deadline. The connection reads no further request until it is answered.
    // An exception it throws before responding becomes a 500 response.
    using async_handler = std::function<void(const http_request& request, responder respond)>;

    explicit http_server(boost::asio::io_context& io, http_server_options options = {});
    ~http_server(); // stop()
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    // Registers a handler for an exact path ("/metrics"), or, when the path ends with '/', for
    // every path starting with it ("/api/v1/"). An exact match wins over a prefix, a longer
    // prefix over a shorter one. "/" alone is exact (a catch-all would hide every 404).
    // Registering a path again replaces its handler. Unmatched paths get 404.
    void route(std::string path, handler h);
    // Same paths and precedence as route(), for a handler that answers later.
    void route_async(std::string path, async_handler h);

    // Binds "host:port" and starts accepting. host is an IPv4 literal, a bracketed IPv6
    // literal ("[::1]:9470") or "localhost" (127.0.0.1, no resolver); port 0 picks a free
    // port (see local_endpoint). Errors: invalid_argument for a malformed address,
    // already_open when listening, operation_aborted after stop(), else the socket error.
    boost::system::error_code listen(const std::string& listen);

    // Bound address, or a default endpoint when not listening.
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    // Stops accepting and closes every connection; pending operations complete as aborted,
    // after which the server holds no work in the io_context. No handler runs after this
    // returns. Final (listen fails afterwards) and idempotent.
    void stop();

    // Open connections being served, including ones being closed gracefully; parked ones
    // are not counted.
    std::size_t connections() const;

private:
    // Shared with in-flight operations, which may outlive this object.
    std::shared_ptr<detail::http_server_state> state_;
};

} // namespace pantau
