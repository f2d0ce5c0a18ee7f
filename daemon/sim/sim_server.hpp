// Simulated municipal web services on loopback: the world `pantau demo` watches and the
// integration tests probe. An HTTP/1.1 (optionally HTTPS) server with built-in routes that
// imitate healthy, broken and hostile endpoints, and per-path overrides scripted at run time.
//
// The server listens on 127.0.0.1 on a port picked by the kernel and runs its own
// Boost.Asio event loop on one background thread, from the constructor to the destructor.
// Every response carries "Connection: close", and the connection is closed after it.
//
// Built-in routes, selected by the request path (the query string is ignored):
//   /ok            200 "OK all good"
//   /status/NNN    status NNN (100..999), body "status NNN"
//   /maintenance   200 "<html>Situs sedang dalam pemeliharaan</html>"
//   /hang          reads the request, never answers; the socket stays open until the client
//                  closes it or the server is destroyed
//   /reset         headers with Content-Length: 100000, 1000 bytes of body, then an abortive
//                  close (RST)
//   /big           200 with Content-Length: 200 MiB of zeros, streamed in 64 KiB writes;
//                  stops when the client goes away
//   /gzip-bomb     200, Content-Encoding: gzip, ~1 MB body inflating to 1 GiB of zeros
//   /loop          302 Location: /loop
//   /redirect-ok   302 Location: /ok
//   /garbage       "GARBAGE NOT HTTP\r\n\r\n", then close
//   /slow/MS       waits MS milliseconds (a timer, the loop stays responsive), 200 "slow ok"
//   /echo          200 text/plain describing the request received:
//                      "<METHOD> <target> HTTP/<major>.<minor>\n"
//                      one "<Name>: <value>\n" line per header, names as sent, in order
//                      "\n"
//                      the request body, verbatim (chunked bodies are de-chunked)
//   /counter       200 application/json {"served": N}, N = 1 for the first /counter request
//                  this server answered, 2 for the next...
//   anything else  404 "not found"
// HEAD requests get the headers a GET would get and no body. Malformed requests get 400,
// headers over 64 KiB 431, bodies over 16 MiB 413.
//
// Routes are looked up in this order: a test's override for the exact path (set_handler,
// set_status, serve_as), then the built-in routes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pantau::sim {

// A certificate chain (leaf first) and its private key, both PEM.
struct certificate {
    std::string cert_pem{};
    std::string key_pem{}; // unencrypted PKCS#8
};

// One request as the server parsed it.
struct request {
    std::string method{}; // "GET", "POST", ... as sent
    std::string target{}; // request-target as sent, e.g. "/echo?x=1"
    std::string path{};   // target without the query string, e.g. "/echo"
    // Header fields in the order received, names as sent.
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{};

    // Value of the first header named name (case-insensitive), if any.
    std::optional<std::string> header(std::string_view name) const;
};

// What a custom handler answers. The server adds "Connection: close", a "Server" header
// and, unless headers already has one, "Content-Length: body.size()" (statuses 1xx, 204
// and 304 get neither Content-Length nor body). A handler may therefore lie about the
// length by setting Content-Length itself.
struct response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{};
    // Time to wait before sending, on the server's timer.
    std::chrono::milliseconds delay{0};
};

// Runs on the server thread. Must not block: the whole server waits for it. An exception
// it throws becomes a 500 response whose body is the exception's what().
using request_handler = std::function<response(const request&)>;

struct sim_server_options {
    // When set, the server speaks HTTPS only and presents this certificate (see
    // tests/fixtures/test_cert.hpp); url() then returns https:// URLs.
    std::optional<certificate> tls{};
};

// All member functions are thread-safe. Not copyable or movable: the background thread
// refers to the object.
class sim_server final {
public:
    // Binds 127.0.0.1:0 and starts serving before returning. Throws
    // boost::system::system_error if the socket cannot be bound or the TLS certificate or
    // key is unusable.
    explicit sim_server(sim_server_options options = {});
    // Closes the listener and every connection (including /hang and /slow ones), then joins
    // the thread. Bounded: if connections have not wound down after 2 s the loop is stopped
    // outright. Only a handler that blocks can delay it further.
    ~sim_server();

    sim_server(const sim_server&) = delete;
    sim_server& operator=(const sim_server&) = delete;
    sim_server(sim_server&&) = delete;
    sim_server& operator=(sim_server&&) = delete;

    std::uint16_t port() const;
    bool tls() const;
    // "http://127.0.0.1:PORT/path" ("https://..." in TLS mode). A missing leading '/' on
    // path is added. host replaces 127.0.0.1, e.g. "localhost" to match a certificate's
    // DNS name (the server listens on 127.0.0.1 only).
    std::string url(std::string_view path = "/", std::string_view host = "127.0.0.1") const;

    // Answers requests for exactly path (no query string) with h, replacing any earlier
    // override of path, built-in routes included. Takes effect for requests that finish
    // arriving after the call returns. An empty h is the same as clear_route(path).
    void set_handler(std::string path, request_handler h);
    // Answers path with status code and body "status <code>", e.g. set_status("/ok", 503)
    // to take a service down and set_status("/ok", 200) or clear_route("/ok") to recover.
    void set_status(std::string path, int code);
    // Serves path with the built-in route builtin_target, e.g. serve_as("/api", "/hang")
    // or serve_as("/api", "/slow/2000"), so one URL can change behaviour during a test.
    void serve_as(std::string path, std::string builtin_target);
    // Removes the override of path; the built-in route (or 404) answers again.
    void clear_route(std::string_view path);

    // Requests for path (no query string) whose headers and body were read, including ones
    // still being answered, hanging, or answered by an override.
    std::size_t hits(std::string_view path) const;
    // Requests read, all paths together.
    std::size_t total_hits() const;
    // Waits until hits(path) >= count or timeout passes; returns whether the count was
    // reached. For tests that must know a request arrived (e.g. before destroying a client
    // stuck on /hang) without sleeping.
    bool wait_for_hits(std::string_view path, std::size_t count,
                       std::chrono::milliseconds timeout) const;
    // Connections accepted and not yet closed by the server.
    std::size_t open_connections() const;

private:
    class impl;
    std::unique_ptr<impl> impl_;
};

} // namespace pantau::sim
