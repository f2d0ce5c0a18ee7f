#include "notify/http_post.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <string_view>

#include "core/duration.hpp"
#include "io/curl_multi.hpp"

namespace pantau::notify_detail {

struct http_poster::transfer {
    curl_easy_ptr easy;
    curl_slist_ptr headers;
    post_request request; // the body must stay put while curl reads it
    post_reply reply;
    reply_handler done;
    char error[CURL_ERROR_SIZE] = {};
};

namespace {

bool iequals_prefix(std::string_view line, std::string_view prefix) {
    if (line.size() < prefix.size()) {
        return false;
    }
    return std::equal(prefix.begin(), prefix.end(), line.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
    value = trim(value);
    if (value.empty()) {
        return std::nullopt;
    }
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc{} && end == value.data() + value.size()) {
        if (seconds < 0) {
            return std::nullopt;
        }
        return std::chrono::seconds{seconds};
    }
    // An HTTP-date: curl_getdate knows every format RFC 9110 allows.
    const std::string text(value);
    const std::time_t at = curl_getdate(text.c_str(), nullptr);
    if (at == -1) {
        return std::nullopt;
    }
    const std::time_t now = std::time(nullptr);
    return std::chrono::seconds{at > now ? at - now : 0};
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<post_reply*>(user);
    const size_t n = size * count;
    const size_t room =
        http_poster::max_reply_body - std::min(t->body.size(), http_poster::max_reply_body);
    t->body.append(data, std::min(n, room)); // the rest is read and dropped
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* reply = static_cast<post_reply*>(user);
    const size_t n = size * count;
    const std::string_view line(data, n);
    if (iequals_prefix(line, "HTTP/")) {
        reply->retry_after.reset(); // a new response (after 1xx): forget the previous one's
    } else if (iequals_prefix(line, "retry-after:")) {
        reply->retry_after = parse_retry_after(line.substr(12));
    }
    return n;
}

} // namespace

http_poster::http_poster(curl_multi& curl) : curl_(curl) {}

http_poster::~http_poster() {
    cancel();
}

void http_poster::async_post(post_request req, reply_handler done) {
    auto t = std::make_shared<transfer>();
    t->request = std::move(req);
    t->done = std::move(done);
    t->easy = curl_.acquire_easy();
    CURL* h = t->easy.get();
    for (const std::string& line : t->request.headers) {
        t->headers.reset(curl_slist_append(t->headers.release(), line.c_str()));
    }
    // A small body needs no 100-continue round trip.
    t->headers.reset(curl_slist_append(t->headers.release(), "Expect:"));
    const long timeout_ms = static_cast<long>(t->request.timeout.count());
    curl_easy_setopt(h, CURLOPT_URL, t->request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "Pantau/" PANTAU_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers.get());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t->request.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, t->request.body.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t->reply);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t->reply);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    in_flight_.emplace(t.get(), t);
    // The weak reference makes a completion harmless after cancel() or destruction, even
    // when curl_multi already collected it in the same batch as another one.
    std::weak_ptr<transfer> weak = t;
    curl_.add(h, [this, weak = std::move(weak)](CURLcode rc) {
        if (auto alive = weak.lock()) {
            on_done(alive, rc);
        }
    });
}

void http_poster::cancel() {
    auto transfers = std::move(in_flight_);
    in_flight_.clear();
    for (auto& [key, t] : transfers) {
        curl_.release_easy(std::move(t->easy)); // removes it from the multi first
    }
}

void http_poster::on_done(const std::shared_ptr<transfer>& t, CURLcode rc) {
    post_reply reply = std::move(t->reply);
    reply.transport = rc;
    curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    if (rc != CURLE_OK) {
        reply.transport_error = t->error[0] != '\0' ? t->error : curl_easy_strerror(rc);
    }
    curl_.release_easy(std::move(t->easy));
    reply_handler done = std::move(t->done);
    in_flight_.erase(t.get()); // t stays alive through the caller's reference
    try {
        if (done) {
            done(std::move(reply));
        }
    } catch (const std::exception& e) {
        spdlog::error("notify: a send completion threw: {}", e.what());
    } catch (...) {
        spdlog::error("notify: a send completion threw");
    }
}

std::string snippet(std::string_view text, std::size_t max) {
    if (text.size() > max) {
        std::size_t cut = max;
        // Back off continuation bytes (10xxxxxx) so a multi-byte character stays whole.
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
            --cut;
        }
        text = text.substr(0, cut);
    }
    std::string out(text);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = ' ';
        }
    }
    return out;
}

send_result classify_reply(const post_reply& reply, std::chrono::milliseconds timeout) {
    send_result r;
    if (reply.transport != CURLE_OK) {
        switch (reply.transport) {
        case CURLE_OPERATION_TIMEDOUT:
            r.detail = "timeout after " + format_duration(timeout);
            break;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            r.detail = "bad URL: " + snippet(reply.transport_error, 200);
            return r; // configuration: retrying cannot help
        default: r.detail = snippet(reply.transport_error, 200); break;
        }
        r.retryable = true;
        return r;
    }
    const long s = reply.status;
    const std::string body = snippet(trim(reply.body), 200);
    r.detail = "http " + std::to_string(s) + (body.empty() ? "" : ": " + body);
    if (s >= 200 && s < 300) {
        r.ok = true;
        return r;
    }
    r.retryable = s == 408 || s == 429 || s >= 500;
    if (r.retryable && reply.retry_after) {
        r.retry_after = std::chrono::duration_cast<std::chrono::milliseconds>(*reply.retry_after);
    }
    return r;
}

} // namespace pantau::notify_detail
