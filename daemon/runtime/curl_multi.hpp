// libcurl's multi interface driven by a Boost.Asio event loop: curl tells us which sockets
// to watch and when to wake (socket and timer callbacks); Asio waits; we tell curl what
// happened. No polling thread. Sockets are opened and closed through our callbacks, so
// Asio always deregisters a descriptor before it is closed.
//
// Thread-safety: none. Every member function must be called on the io_context's thread,
// and completions run there.
#pragma once

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace pantau {

struct curl_easy_deleter {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using curl_easy_ptr = std::unique_ptr<CURL, curl_easy_deleter>;

struct curl_slist_deleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using curl_slist_ptr = std::unique_ptr<curl_slist, curl_slist_deleter>;

class curl_multi final {
public:
    using completion = std::function<void(CURLcode)>;

    // curl_global_init must have been called (once, in main).
    explicit curl_multi(boost::asio::io_context& io);
    // Abandons transfers in flight without calling their completions.
    ~curl_multi();
    curl_multi(const curl_multi&) = delete;
    curl_multi& operator=(const curl_multi&) = delete;

    // Starts a transfer on a configured easy handle. The handle stays owned by the caller
    // and must outlive the transfer. `done` runs exactly once, from the event loop (never
    // from inside this call), unless cancel() is called first.
    void add(CURL* easy, completion done);

    // Abandons a transfer in flight; its completion is not called. No-op if unknown.
    void cancel(CURL* easy);

    // Easy handles are pooled: a probe borrows one per run and gives it back, so idle
    // checks hold no curl state. Released handles are reset (no connection is kept).
    curl_easy_ptr acquire_easy();
    void release_easy(curl_easy_ptr easy);

    std::size_t transfers() const { return transfers_.size(); }
    std::size_t sockets() const { return sockets_.size(); }

private:
    struct socket_state;
    struct multi_deleter {
        void operator()(CURLM* m) const { curl_multi_cleanup(m); }
    };

    static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* socketp);
    static int on_timer(CURLM* multi, long timeout_ms, void* self);
    static curl_socket_t on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
    static int on_close_socket(void* self, curl_socket_t s);

    void shutdown();
    void watch(curl_socket_t s, int what);
    void arm(const std::shared_ptr<socket_state>& st, bool read);
    void forget(curl_socket_t s, bool close_fd);
    void act(curl_socket_t s, int ev_bitmask);
    void finish_done_transfers();

    boost::asio::io_context& io_;
    boost::asio::steady_timer timer_;
    std::uint64_t timer_generation_ = 0;
    std::unique_ptr<CURLM, multi_deleter> multi_;
    std::unordered_map<curl_socket_t, std::shared_ptr<socket_state>> sockets_;
    std::unordered_map<CURL*, completion> transfers_;
    std::vector<curl_easy_ptr> idle_easy_;
};

} // namespace pantau
