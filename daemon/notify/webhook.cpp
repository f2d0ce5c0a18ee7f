#include "notify/webhook.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include <array>

#include "core/time_format.hpp"
#include "notify/http_post.hpp"

namespace pantau {
namespace {

using notify_detail::classify_reply;
using notify_detail::http_poster;
using notify_detail::post_reply;
using notify_detail::post_request;

// Header values must not smuggle in line breaks or other header fields.
std::string header_safe(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u > 0x20 && u < 0x7f) {
            out += c;
        }
    }
    return out;
}

class webhook_channel final : public channel {
public:
    webhook_channel(curl_multi& curl, webhook_options options)
        : options_(std::move(options))
        , poster_(curl) {}

    ~webhook_channel() override = default;
    webhook_channel(const webhook_channel&) = delete;
    webhook_channel& operator=(const webhook_channel&) = delete;
    webhook_channel(webhook_channel&&) = delete;
    webhook_channel& operator=(webhook_channel&&) = delete;

    void async_send(const notification& n, send_handler done) override {
        post_request req;
        req.url = options_.url;
        req.timeout = options_.timeout;
        req.body = webhook_payload(n);
        req.headers.emplace_back("Content-Type: application/json");
        req.headers.push_back("Idempotency-Key: " + header_safe(n.idempotency_key));
        if (options_.secret) {
            req.headers.push_back("X-Pantau-Signature: sha256=" +
                                  hmac_sha256_hex(*options_.secret, req.body));
        }
        poster_.async_post(std::move(req),
                           [timeout = options_.timeout, done = std::move(done)](
                               const post_reply& r) { done(classify_reply(r, timeout)); });
    }

    void cancel() override { poster_.cancel(); }

    const std::string& name() const override { return options_.name; }

private:
    webhook_options options_;
    http_poster poster_;
};

} // namespace

std::string webhook_payload(const notification& n) {
    const nlohmann::json body = {
        {"version", 1},
        {"event", to_string(n.kind)},
        {"idempotency_key", n.idempotency_key},
        {"outage_id", n.outage_id},
        {"agency", {{"id", n.agency}, {"name", n.agency_name}}},
        {"service", {{"id", n.service}, {"name", n.service_name}}},
        {"check", n.check},
        {"reason", n.reason},
        {"since", format_rfc3339(n.since, n.utc_offset)},
        {"level", n.level},
        {"link", n.link},
    };
    // Replace rather than throw on invalid UTF-8 (reasons can quote what a server sent).
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex += digits[mac[i] >> 4U];
        hex += digits[mac[i] & 0x0fU];
    }
    return hex;
}

std::unique_ptr<channel> make_webhook_channel(curl_multi& curl, webhook_options options) {
    return std::make_unique<webhook_channel>(curl, std::move(options));
}

} // namespace pantau
