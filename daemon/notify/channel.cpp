#include "notify/channel.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <string_view>

#include "config/config.hpp"
#include "core/duration.hpp"
#include "notify/telegram.hpp"
#include "notify/webhook.hpp"

namespace pantau {
namespace {

// Reads a channel's flat settings, remembering the first problem.
class settings_reader {
public:
    settings_reader(const channel_config& config, std::string& error)
        : config_(config)
        , error_(error) {}

    bool ok() const { return error_.empty(); }

    void fail(const std::string& message) {
        if (error_.empty()) {
            error_ = "channel \"" + config_.name + "\": " + message;
        }
    }

    void only(std::initializer_list<std::string_view> known) {
        for (const auto& [key, value] : config_.settings) {
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                std::string list;
                for (const std::string_view k : known) {
                    list += list.empty() ? "" : ", ";
                    list += k;
                }
                std::string message = "unknown " + config_.type;
                message += " setting \"" + key;
                message += "\" (known: " + list;
                message += ")";
                fail(message);
            }
        }
    }

    std::optional<std::string> optional(const std::string& key) const {
        const auto it = config_.settings.find(key);
        if (it == config_.settings.end()) {
            return std::nullopt;
        }
        return it->second;
    }

    std::string required(const std::string& key) {
        auto value = optional(key);
        if (!value || value->empty()) {
            fail(config_.type + " needs " + key);
            return {};
        }
        return *value;
    }

    std::string url(const std::string& key, std::optional<std::string> fallback) {
        std::string value = fallback ? optional(key).value_or(*fallback) : required(key);
        if (!ok()) {
            return value;
        }
        if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
            fail(key + " must start with http:// or https://");
        }
        return value;
    }

    std::chrono::milliseconds timeout() {
        const auto text = optional("timeout");
        if (!text) {
            return std::chrono::seconds{10};
        }
        const auto d = parse_duration(*text);
        if (!d || d->count() <= 0) {
            fail("timeout must be a positive duration such as 10s, got \"" + *text + "\"");
            return std::chrono::seconds{10};
        }
        return *d;
    }

private:
    const channel_config& config_;
    std::string& error_;
};

} // namespace

const char* to_string(notification_kind k) {
    switch (k) {
    case notification_kind::firing: return "firing";
    case notification_kind::reminder: return "reminder";
    case notification_kind::resolved: return "resolved";
    case notification_kind::flapping: return "flapping";
    }
    return "firing";
}

std::unique_ptr<channel> make_channel(curl_multi& curl, const channel_config& config,
                                      std::string& error) {
    error.clear();
    settings_reader s(config, error);
    if (config.type == "webhook") {
        s.only({"url", "secret", "timeout"});
        webhook_options o;
        o.name = config.name;
        o.url = s.url("url", std::nullopt);
        o.secret = s.optional("secret");
        if (o.secret && o.secret->empty()) {
            s.fail("secret is empty (an unset environment variable?); remove it or set it");
        }
        o.timeout = s.timeout();
        return s.ok() ? make_webhook_channel(curl, std::move(o)) : nullptr;
    }
    if (config.type == "telegram") {
        s.only({"token", "chat_id", "message_thread_id", "base_url", "timeout"});
        telegram_options o;
        o.name = config.name;
        o.token = s.required("token");
        o.chat_id = s.required("chat_id");
        o.base_url = s.url("base_url", o.base_url);
        while (!o.base_url.empty() && o.base_url.back() == '/') {
            o.base_url.pop_back();
        }
        if (const auto thread = s.optional("message_thread_id")) {
            std::int64_t id = 0;
            const auto [end, ec] =
                std::from_chars(thread->data(), thread->data() + thread->size(), id);
            if (ec != std::errc{} || end != thread->data() + thread->size() || id <= 0) {
                s.fail("message_thread_id must be a positive integer, got \"" + *thread + "\"");
            }
            o.message_thread_id = id;
        }
        o.timeout = s.timeout();
        return s.ok() ? make_telegram_channel(curl, std::move(o)) : nullptr;
    }
    if (config.type == "email" || config.type == "alertmanager") {
        s.fail(config.type + " channels are not supported yet");
        return nullptr;
    }
    s.fail("unknown channel type \"" + config.type + "\"");
    return nullptr;
}

} // namespace pantau
