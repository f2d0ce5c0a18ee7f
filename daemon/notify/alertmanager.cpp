#include "notify/alertmanager.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/text.hpp"
#include "core/time_format.hpp"
#include "notify/http_post.hpp"
#include "notify/wording.hpp"

namespace pantau {
namespace {

using notify_detail::classify_reply;
using notify_detail::http_poster;
using notify_detail::post_reply;
using notify_detail::post_request;
using notify_detail::snippet;
using text::display_name;
using text::numeric_date_time;

constexpr std::array<std::string_view, 5> identity_labels{"alertname", "agency", "service", "check",
                                                          "pantau_outage_id"};

// Alertmanager takes RFC 3339; UTC keeps its UI and API answers unambiguous.
std::string utc(wall_time t) {
    return format_rfc3339(t, std::chrono::minutes{0});
}

std::string description(const notification& n) {
    const std::string service = display_name(n.service_name, n.service);
    const std::string agency = display_name(n.agency_name, n.agency);
    const std::string since = numeric_date_time(n.since, n.utc_offset);
    std::string text;
    if (n.kind == notification_kind::resolved) {
        text = "Layanan " + service + " milik " + agency + " pulih; terganggu sejak " + since + ".";
    } else {
        text = "Layanan " + service + " milik " + agency + " terganggu sejak " + since +
               ": pemeriksaan " + n.check + " gagal (" + n.reason + ").";
    }
    text += " Tingkat eskalasi " + std::to_string(n.level) + ", gangguan #" +
            std::to_string(n.outage_id) + ".";
    return snippet(text, 2000);
}

// One notification posted to every URL; finishes when the last answer is in.
struct fan_out {
    std::size_t pending = 0;
    std::size_t accepted = 0;
    bool any_retryable = false;
    std::vector<std::string> failures; // "<url>: <detail>"
    std::optional<std::chrono::milliseconds> retry_after;
    channel::send_handler done;
};

class alertmanager_channel final : public channel {
public:
    alertmanager_channel(curl_multi& curl, alertmanager_options options)
        : options_(std::move(options))
        , poster_(curl) {}

    ~alertmanager_channel() override = default;
    alertmanager_channel(const alertmanager_channel&) = delete;
    alertmanager_channel& operator=(const alertmanager_channel&) = delete;
    alertmanager_channel(alertmanager_channel&&) = delete;
    alertmanager_channel& operator=(alertmanager_channel&&) = delete;

    void async_send(const notification& n, send_handler done) override {
        const std::string body =
            alertmanager_payload(n, options_, std::chrono::system_clock::now());
        auto state = std::make_shared<fan_out>();
        state->pending = options_.urls.size();
        state->done = std::move(done);
        for (const std::string& url : options_.urls) {
            post_request req;
            req.url = url + "/api/v2/alerts";
            req.timeout = options_.timeout;
            req.body = body;
            req.headers.emplace_back("Content-Type: application/json");
            // poster_ drops these handlers on cancel(), and with them the shared state.
            poster_.async_post(std::move(req),
                               [state, url, timeout = options_.timeout](const post_reply& reply) {
                                   on_reply(*state, url, classify_reply(reply, timeout));
                               });
        }
    }

    void cancel() override { poster_.cancel(); }

    const std::string& name() const override { return options_.name; }

    std::optional<std::chrono::milliseconds> refresh_every() const override {
        return options_.resend_interval;
    }

private:
    static void on_reply(fan_out& state, const std::string& url, const send_result& r) {
        if (r.ok) {
            ++state.accepted;
        } else {
            state.failures.push_back(url + ": " + r.detail);
            state.any_retryable = state.any_retryable || r.retryable;
            if (r.retryable && r.retry_after) {
                state.retry_after =
                    std::max(state.retry_after.value_or(*r.retry_after), *r.retry_after);
            }
        }
        if (--state.pending != 0) {
            return;
        }
        send_result result;
        result.ok = state.accepted > 0;
        result.retryable = !result.ok && state.any_retryable;
        if (result.retryable) {
            result.retry_after = state.retry_after;
        }
        const std::size_t total = state.accepted + state.failures.size();
        result.detail = "accepted by " + std::to_string(state.accepted) + " of " +
                        std::to_string(total) + " alertmanager" + (total == 1 ? "" : "s");
        for (const std::string& failure : state.failures) {
            result.detail += "; " + failure;
        }
        const send_handler done = std::move(state.done);
        if (done) {
            done(std::move(result)); // http_poster catches what a handler throws
        }
    }

    alertmanager_options options_;
    http_poster poster_;
};

} // namespace

std::optional<std::string> alertmanager_label_problem(std::string_view name,
                                                      std::string_view value) {
    const bool valid_name =
        !name.empty() &&
        (std::isalpha(static_cast<unsigned char>(name.front())) != 0 || name.front() == '_') &&
        std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
        });
    if (!valid_name) {
        return "a label name must match [a-zA-Z_][a-zA-Z0-9_]*";
    }
    if (name.rfind("__", 0) == 0) {
        return "label names starting with __ are reserved";
    }
    if (std::find(identity_labels.begin(), identity_labels.end(), name) != identity_labels.end()) {
        return "Pantau sets this label itself";
    }
    if (value.empty()) {
        return "empty value (an unset environment variable?)";
    }
    return std::nullopt;
}

std::string alertmanager_payload(const notification& n, const alertmanager_options& options,
                                 wall_time now) {
    nlohmann::json labels = {{"severity", "critical"}};
    for (const auto& [name, value] : options.labels) {
        labels[name] = value;
    }
    // A flapping check is its own alert: it is said once and expires by its lease.
    labels["alertname"] =
        n.kind == notification_kind::flapping ? "PantauCheckFlapping" : "PantauServiceDown";
    labels["agency"] = n.agency;
    labels["service"] = n.service;
    labels["check"] = n.check;
    labels["pantau_outage_id"] = std::to_string(n.outage_id);

    const std::string service = n.service_name.empty() ? n.service : n.service_name;
    const std::string agency = n.agency_name.empty() ? n.agency : n.agency_name;
    const bool resolved = n.kind == notification_kind::resolved;
    const nlohmann::json annotations = {
        {"summary",
         snippet(service + " (" + agency + ") " + (resolved ? "pulih" : "terganggu"), 500)},
        {"description", description(n)},
        {"reason", snippet(n.reason, 1000)},
        {"level", "L" + std::to_string(n.level)},
        {"agency_name", snippet(agency, 200)},
        {"service_name", snippet(service, 200)},
    };
    const wall_time ends = resolved ? now : now + 4 * options.resend_interval;
    nlohmann::json alert = {
        {"labels", labels},
        {"annotations", annotations},
        {"startsAt", utc(n.since)},
        // Alertmanager rejects an alert that ends before it starts (a skewed clock).
        {"endsAt", utc(std::max(ends, n.since + std::chrono::seconds{1}))},
    };
    if (n.link.rfind("http://", 0) == 0 || n.link.rfind("https://", 0) == 0) {
        alert["generatorURL"] = n.link;
    }
    const nlohmann::json body = nlohmann::json::array({alert});
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<channel> make_alertmanager_channel(curl_multi& curl, alertmanager_options options) {
    return std::make_unique<alertmanager_channel>(curl, std::move(options));
}

} // namespace pantau
