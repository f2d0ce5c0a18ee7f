// Internal to pantau_notify: HTTP POSTs on the shared curl multi, and the mapping of their
// outcome to send_result that every HTTP-based channel shares.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "notify/channel.hpp"

// Names live in notify_detail: pantau_web has its own pantau::http_request, and two classes
// of one name in one program break the one-definition rule.
namespace pantau::notify_detail {

struct post_request {
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    std::string body;
    std::chrono::milliseconds timeout{10'000}; // whole transfer, connect included
};

struct post_reply {
    CURLcode transport = CURLE_OK;
    std::string transport_error; // readable cause when transport != CURLE_OK
    long status = 0;             // 0 when no response arrived
    std::string body;            // the first max_reply_body bytes
    // Retry-After of the final response: delay-seconds or an HTTP-date (made relative).
    std::optional<std::chrono::seconds> retry_after;
};

// Owns POSTs in flight. Thread-safety and lifetime as channel (see channel.hpp).
class http_poster final {
public:
    using reply_handler = std::function<void(post_reply)>;
    static constexpr std::size_t max_reply_body = std::size_t{64} * 1024;

    explicit http_poster(curl_multi& curl);
    // Abandons posts in flight without calling their handlers.
    ~http_poster();
    http_poster(const http_poster&) = delete;
    http_poster& operator=(const http_poster&) = delete;
    http_poster(http_poster&&) = delete;
    http_poster& operator=(http_poster&&) = delete;

    // Sends req; done runs once from the event loop (never inside this call) unless
    // cancel() or destruction comes first. Redirects are not followed.
    void async_post(post_request req, reply_handler done);
    void cancel();

private:
    struct transfer;
    void on_done(const std::shared_ptr<transfer>& t, CURLcode rc);

    curl_multi& curl_;
    std::unordered_map<const transfer*, std::shared_ptr<transfer>> in_flight_;
};

// The common reading of an HTTP outcome: 2xx ok; 408, 429 and 5xx retryable (honouring
// Retry-After); other statuses rejected for good; transport failures retryable except a
// malformed URL or unsupported scheme. timeout is only used to word the detail.
send_result classify_reply(const post_reply& reply, std::chrono::milliseconds timeout);

// At most max bytes of text for a detail string, cut at a UTF-8 boundary, control
// characters replaced by spaces.
std::string snippet(std::string_view text, std::size_t max);

} // namespace pantau::notify_detail
