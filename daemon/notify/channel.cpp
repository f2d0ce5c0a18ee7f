#include "notify/channel.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <string_view>
#include <vector>

#include "config/channel_config.hpp"
#include "core/duration.hpp"
#include "notify/alertmanager.hpp"
#include "notify/email.hpp"
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
            // "labels.*" admits every key under labels (a flattened mapping).
            const auto matches = [&key = key](std::string_view k) {
                if (k.size() > 2 && k.substr(k.size() - 2) == ".*") {
                    const std::string_view prefix = k.substr(0, k.size() - 1);
                    return key.size() > prefix.size() && key.rfind(prefix, 0) == 0;
                }
                return key == k;
            };
            if (std::none_of(known.begin(), known.end(), matches)) {
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

    std::chrono::milliseconds timeout(std::chrono::milliseconds fallback = std::chrono::seconds{
                                          10}) {
        return positive_duration("timeout", fallback);
    }

    std::chrono::milliseconds positive_duration(const std::string& key,
                                                std::chrono::milliseconds fallback) {
        const auto text = optional(key);
        if (!text) {
            return fallback;
        }
        const auto d = parse_duration(*text);
        if (!d || d->count() <= 0) {
            fail(key + " must be a positive duration such as " + format_duration(fallback) +
                 ", got \"" + *text + "\"");
            return fallback;
        }
        return *d;
    }

    bool boolean(const std::string& key, bool fallback) {
        const auto text = optional(key);
        if (!text) {
            return fallback;
        }
        if (*text == "true") {
            return true;
        }
        if (*text == "false") {
            return false;
        }
        fail(key + " must be true or false, got \"" + *text + "\"");
        return fallback;
    }

    // A list setting (joined with ","): its items, trimmed, none empty.
    std::vector<std::string> list(const std::string& key) {
        std::vector<std::string> items;
        const std::string joined = required(key);
        if (!ok()) {
            return items;
        }
        std::string_view rest = joined;
        while (true) {
            const auto comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            while (!item.empty() && item.front() == ' ') {
                item.remove_prefix(1);
            }
            while (!item.empty() && item.back() == ' ') {
                item.remove_suffix(1);
            }
            if (item.empty()) {
                fail(key + " has an empty item");
                return items;
            }
            items.emplace_back(item);
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
        return items;
    }

    // A secret that must not be empty when present (an unset ${VAR} expands to nothing).
    std::optional<std::string> secret(const std::string& key) {
        auto value = optional(key);
        if (value && value->empty()) {
            fail(key + " is empty (an unset environment variable?); remove it or set it");
        }
        return value;
    }

    // Settings under prefix ("labels." -> {"team": "noc"} for "labels.team").
    std::map<std::string, std::string> under(const std::string& prefix) const {
        std::map<std::string, std::string> out;
        for (const auto& [key, value] : config_.settings) {
            if (key.size() > prefix.size() && key.rfind(prefix, 0) == 0) {
                out.emplace(key.substr(prefix.size()), value);
            }
        }
        return out;
    }

private:
    const channel_config& config_;
    std::string& error_;
};

std::unique_ptr<channel> make_email(curl_multi& curl, const channel_config& config,
                                    settings_reader& s) {
    s.only({"smtp.url", "smtp.username", "smtp.password", "smtp.starttls", "smtp.ca_file", "from",
            "to", "timeout"});
    email_options o;
    o.name = config.name;
    o.url = s.required("smtp.url");
    if (s.ok() && o.url.rfind("smtp://", 0) != 0 && o.url.rfind("smtps://", 0) != 0) {
        s.fail("smtp.url must start with smtp:// or smtps://");
    }
    o.starttls = s.boolean("smtp.starttls", true);
    o.username = s.optional("smtp.username");
    o.password = s.secret("smtp.password");
    if (o.username && o.username->empty()) {
        s.fail("smtp.username is empty (an unset environment variable?); remove it or set it");
    }
    if (o.username.has_value() != o.password.has_value()) {
        s.fail("smtp.username and smtp.password go together");
    }
    o.ca_file = s.optional("smtp.ca_file");
    if (o.ca_file) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(*o.ca_file, ec)) {
            s.fail("smtp.ca_file \"" + *o.ca_file + "\" is not a readable file");
        }
    }
    o.from = s.required("from");
    if (s.ok() && !is_plain_address(o.from)) {
        s.fail("from must be a plain address such as pantau@kota.go.id, got \"" + o.from + "\"");
    }
    o.to = s.list("to");
    for (const std::string& to : o.to) {
        if (s.ok() && !is_plain_address(to)) {
            s.fail("to: \"" + to + "\" is not a plain address such as kadis@kota.go.id");
        }
    }
    o.timeout = s.timeout(std::chrono::seconds{30});
    return s.ok() ? make_email_channel(curl, std::move(o)) : nullptr;
}

std::unique_ptr<channel> make_alertmanager(curl_multi& curl, const channel_config& config,
                                           settings_reader& s) {
    s.only({"urls", "resend_interval", "timeout", "labels.*"});
    alertmanager_options o;
    o.name = config.name;
    o.urls = s.list("urls");
    for (std::string& url : o.urls) {
        if (s.ok() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
            s.fail("urls: \"" + url + "\" must start with http:// or https://");
        }
        while (!url.empty() && url.back() == '/') {
            url.pop_back();
        }
    }
    o.resend_interval = s.positive_duration("resend_interval", o.resend_interval);
    o.timeout = s.timeout();
    o.labels = s.under("labels.");
    for (const auto& [label, value] : o.labels) {
        if (s.ok()) {
            if (const auto problem = alertmanager_label_problem(label, value)) {
                s.fail("labels." + label + ": " + *problem);
            }
        }
    }
    return s.ok() ? make_alertmanager_channel(curl, std::move(o)) : nullptr;
}

} // namespace

std::unique_ptr<channel> make_channel(curl_multi& curl, const channel_config& config,
                                      std::string& error) {
    error.clear();
    settings_reader s(config, error);
    if (config.type == "webhook") {
        s.only({"url", "secret", "timeout"});
        webhook_options o;
        o.name = config.name;
        o.url = s.url("url", std::nullopt);
        o.secret = s.secret("secret");
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
    if (config.type == "email") {
        return make_email(curl, config, s);
    }
    if (config.type == "alertmanager") {
        return make_alertmanager(curl, config, s);
    }
    s.fail("unknown channel type \"" + config.type + "\"");
    return nullptr;
}

} // namespace pantau
