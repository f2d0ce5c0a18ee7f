#include "notify/telegram.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "core/html.hpp"
#include "core/text.hpp"
#include "notify/http_post.hpp"
#include "notify/wording.hpp"

namespace pantau {
namespace {

using notify_detail::classify_reply;
using notify_detail::http_poster;
using notify_detail::post_reply;
using notify_detail::post_request;
using notify_detail::snippet;
using text::numeric_date_time;

// Sends fit well under Telegram's 4096 characters even with long probe reasons.
constexpr std::size_t max_reason_bytes = 1000;

std::string named(const std::string& name, const std::string& id) {
    if (name.empty() || name == id) {
        return "<b>" + html_escape(id) + "</b>";
    }
    return "<b>" + html_escape(name) + "</b> (" + html_escape(id) + ")";
}

class telegram_channel final : public channel {
public:
    telegram_channel(curl_multi& curl, telegram_options options)
        : options_(std::move(options))
        , poster_(curl) {
        url_ = options_.base_url + "/bot" + options_.token + "/sendMessage";
    }

    ~telegram_channel() override = default;
    telegram_channel(const telegram_channel&) = delete;
    telegram_channel& operator=(const telegram_channel&) = delete;
    telegram_channel(telegram_channel&&) = delete;
    telegram_channel& operator=(telegram_channel&&) = delete;

    void async_send(const notification& n, send_handler done) override {
        nlohmann::json body = {
            {"text", telegram_text(n)},
            {"parse_mode", "HTML"},
            {"link_preview_options", {{"is_disabled", true}}},
        };
        std::int64_t numeric_chat = 0;
        const std::string& chat = options_.chat_id;
        const auto [end, ec] =
            std::from_chars(chat.data(), chat.data() + chat.size(), numeric_chat);
        if (ec == std::errc{} && end == chat.data() + chat.size()) {
            body["chat_id"] = numeric_chat;
        } else {
            body["chat_id"] = chat;
        }
        if (options_.message_thread_id) {
            body["message_thread_id"] = *options_.message_thread_id;
        }
        post_request req;
        req.url = url_;
        req.timeout = options_.timeout;
        req.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        req.headers.emplace_back("Content-Type: application/json");
        poster_.async_post(std::move(req),
                           [timeout = options_.timeout, done = std::move(done)](
                               const post_reply& r) { done(interpret(r, timeout)); });
    }

    void cancel() override { poster_.cancel(); }

    const std::string& name() const override { return options_.name; }

private:
    static send_result interpret(const post_reply& reply, std::chrono::milliseconds timeout) {
        send_result r = classify_reply(reply, timeout);
        if (reply.transport != CURLE_OK) {
            return r; // curl's messages name the host, never the path with the token
        }
        const auto json = nlohmann::json::parse(reply.body, nullptr, false);
        if (!json.is_object()) {
            return r;
        }
        const auto ok = json.find("ok");
        if (r.ok && ok != json.end() && ok->is_boolean() && !ok->get<bool>()) {
            r.ok = false; // a 2xx that says it failed
            r.retryable = false;
        }
        const auto description = json.find("description");
        if (description != json.end() && description->is_string()) {
            r.detail = "http " + std::to_string(reply.status) + ": " +
                       snippet(description->get<std::string>(), 200);
        }
        const auto parameters = json.find("parameters");
        if (parameters != json.end() && parameters->is_object()) {
            const auto retry_after = parameters->find("retry_after");
            if (retry_after != parameters->end() && retry_after->is_number_integer() &&
                retry_after->get<std::int64_t>() >= 0) {
                r.retry_after = std::chrono::seconds{retry_after->get<std::int64_t>()};
                r.retryable = true;
            }
        }
        return r;
    }

    telegram_options options_;
    std::string url_; // holds the token: never logged or reported
    http_poster poster_;
};

} // namespace

std::string telegram_text(const notification& n) {
    std::string head;
    switch (n.kind) {
    case notification_kind::firing: head = "🔴 <b>GANGGUAN LAYANAN</b>"; break;
    case notification_kind::reminder: head = "🔴 <b>PENGINGAT: layanan masih terganggu</b>"; break;
    case notification_kind::resolved: head = "✅ <b>LAYANAN PULIH</b>"; break;
    case notification_kind::flapping: head = "🟠 <b>LAYANAN TIDAK STABIL</b> (naik-turun)"; break;
    }
    std::string text = head + "\n";
    text += "Layanan: " + named(n.service_name, n.service) + "\n";
    text += "Instansi: " + named(n.agency_name, n.agency) + "\n";
    text += (n.kind == notification_kind::resolved ? "Terganggu sejak: " : "Sejak: ") +
            numeric_date_time(n.since, n.utc_offset) + "\n";
    text += "Pemeriksaan gagal: " + html_escape(n.check) + " — " +
            html_escape(snippet(n.reason, max_reason_bytes)) + "\n";
    text += "Tingkat eskalasi: " + std::to_string(n.level) + "\n";
    text += "Gangguan #" + std::to_string(n.outage_id);
    if (!n.link.empty()) {
        text += "\nRincian: " + html_escape(n.link);
    }
    return text;
}

std::unique_ptr<channel> make_telegram_channel(curl_multi& curl, telegram_options options) {
    return std::make_unique<telegram_channel>(curl, std::move(options));
}

} // namespace pantau
