// libcurl's multi interface driven by a Boost.Asio event loop: curl tells us which sockets
// to watch and when to wake (socket and timer callbacks); Asio waits; we tell curl what
// happened. No polling thread. Sockets are opened and closed through our callbacks, so
// Asio always deregisters a descriptor before it is closed.
//
// Transfers are spread over several CURLM handles ("shards") on the same loop: libcurl
// 7.88's per-multi bookkeeping (curl_multi_remove_handle, its list of transfers) costs time
// linear in the transfers in flight, so one multi with ~9,000 transfers (100,000 checks,
// 5 % never answering) saturated the loop. A shard holds at most max_transfers_per_shard;
// shards are created when all are full and kept until destruction, so a small deployment
// (or the notifier) uses one.
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

    // The event loop this multi runs on (for work that completes there, e.g. the e-mail
    // channel's own thread posting its results).
    boost::asio::io_context& context() const { return io_; }

    // Transfers in flight and sockets watched, over all shards.
    std::size_t transfers() const { return owner_.size(); }
    std::size_t sockets() const;
    std::size_t shards() const { return shards_.size(); }

    // Small enough that libcurl's linear walks stay short, large enough that a typical
    // deployment needs one shard.
    static constexpr std::size_t max_transfers_per_shard = 512;

private:
    class shard;

    shard& least_loaded();
    // Forgets (without closing) descriptor `s` in every shard but `except`.
    void drop_stale(curl_socket_t s, const shard* except);

    boost::asio::io_context& io_;
    std::vector<std::unique_ptr<shard>> shards_;
    // Which shard runs each transfer in flight (cancel() gets only the easy handle).
    std::unordered_map<CURL*, shard*> owner_;
    std::vector<curl_easy_ptr> idle_easy_;
};

} // namespace pantau
