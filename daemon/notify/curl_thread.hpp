// libcurl transfers on a thread of their own, with their own multi handle, for transfers
// during which libcurl blocks. Its SMTP code (7.88 here, and later releases) waits
// synchronously for the server's answer after the message's final "." and for the answer
// to QUIT; on the event loop a relay that stops answering would stall every probe for as
// long as the channel's timeout. On this thread it stalls only the sends of its owner.
//
// Thread-safety: construct, call add() and cancel_all(), and destroy on the io_context's
// thread; completions run there (posted). The worker thread starts at the first add() and
// lives until destruction; it touches only the transfers' easy handles and what their
// options point to, never the caller's other state.
#pragma once

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

namespace pantau {

namespace detail {
struct curl_thread_state;
} // namespace detail

class curl_thread final {
public:
    // The transfer's result and CURLINFO_RESPONSE_CODE (the server's last answer code).
    using completion = std::function<void(CURLcode result, long response_code)>;

    // curl_global_init must have been called (once, in main). `io` must outlive this.
    explicit curl_thread(boost::asio::io_context& io);
    // cancel_all(), then stops and joins the worker: bounded, since cancel_all() shuts the
    // transfers' sockets down and whatever libcurl waits for then fails at once.
    ~curl_thread();
    curl_thread(const curl_thread&) = delete;
    curl_thread& operator=(const curl_thread&) = delete;
    curl_thread(curl_thread&&) = delete;
    curl_thread& operator=(curl_thread&&) = delete;

    // Runs the configured easy handle on the worker. `owner` keeps the handle and everything
    // its options and callbacks point to alive: the worker holds it until it has removed the
    // handle from its multi (also after cancel_all()) and may release it on its thread, so
    // the owner's destructor must not care which thread it runs on. The callbacks run on the
    // worker; the caller reads what they wrote only from `done`. The worker sets
    // CURLOPT_OPENSOCKETFUNCTION, CURLOPT_CLOSESOCKETFUNCTION, their data, CURLOPT_PRIVATE
    // and CURLOPT_NOSIGNAL itself. done runs exactly once, on the io_context's thread, never
    // from inside add(), unless cancel_all() or destruction comes first. It must not throw.
    void add(std::shared_ptr<void> owner, CURL* easy, completion done);

    // Abandons every transfer in flight: their completions are not called, their sockets
    // are shut down at once (so libcurl's blocking waits end), and the worker removes them.
    void cancel_all() noexcept;

    // Transfers added whose completion has not run (nor been cancelled).
    std::size_t transfers() const;

private:
    boost::asio::io_context& io_;
    std::shared_ptr<detail::curl_thread_state> state_;
    std::thread worker_;
};

} // namespace pantau
