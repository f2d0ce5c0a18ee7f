#include "runtime/notifier.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/time_format.hpp"

namespace pantau {

namespace {

using json = nlohmann::json;

// data.key of a notification event, data.id of a maintenance_removed one.
std::string key_of_event(const ledger_event& e) {
    const auto data = json::parse(e.data, nullptr, false);
    if (!data.is_object()) {
        return {};
    }
    const char* field = e.kind == ledger_event_kind::maintenance_removed ? "id" : "key";
    const auto it = data.find(field);
    return it != data.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

} // namespace

std::string window_to_json(const maintenance_window& w, const std::string& by) {
    json data{{"id", w.id}, {"reason", w.reason}, {"by", by}};
    if (w.start && w.end) {
        data["start"] = to_ledger_ms(*w.start);
        data["end"] = to_ledger_ms(*w.end);
    }
    return data.dump();
}

std::optional<maintenance_window> window_from_json(const std::string& text) {
    const auto data = json::parse(text, nullptr, false);
    if (!data.is_object()) {
        return std::nullopt;
    }
    try {
        maintenance_window w;
        w.id = data.at("id").get<std::string>();
        w.reason = data.value("reason", std::string{});
        w.start = from_ledger_ms(data.at("start").get<std::int64_t>());
        w.end = from_ledger_ms(data.at("end").get<std::int64_t>());
        return w;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

notifier::notifier(boost::asio::io_context& io, curl_multi& curl, recorder& rec, std::uint64_t seed,
                   notifier_options options, channel_factory factory)
    : io_(io)
    , curl_(curl)
    , recorder_(rec)
    , options_(options)
    , factory_(std::move(factory))
    , tick_(io)
    , rng_(static_cast<std::minstd_rand::result_type>(seed)) {}

notifier::~notifier() {
    try {
        stop();
    } catch (...) {
        // never throw from a destructor
    }
}

std::string notifier::apply(const config& cfg) {
    // Build everything first, so that a bad channel changes nothing.
    std::map<std::string, std::unique_ptr<channel>> fresh;
    for (const auto& [name, cc] : cfg.channels) {
        const auto existing = lanes_.find(name);
        if (existing != lanes_.end() && !existing->second.removed &&
            existing->second.cfg.type == cc.type && existing->second.cfg.settings == cc.settings) {
            continue;
        }
        std::string error;
        auto ch = factory_(curl_, cc, error);
        if (!ch) {
            return cc.where.file + ":" + std::to_string(cc.where.line) + ":" +
                   std::to_string(cc.where.column) + ": " + error;
        }
        fresh.emplace(name, std::move(ch));
    }
    for (auto& [name, ch] : fresh) {
        lane& l = lanes_[name];
        if (l.ch) {
            l.ch->cancel(); // a send in flight is repeated by the new channel
            l.in_flight = false;
        }
        l.ch = std::move(ch);
        l.cfg = cfg.channels.at(name);
        l.removed = false;
        l.figures.name = name;
        if (!l.timer) {
            l.timer = std::make_unique<boost::asio::steady_timer>(io_);
            l.refresh_timer = std::make_unique<boost::asio::steady_timer>(io_);
        }
        if (running_) {
            pump(name);
            arm_refresh(l);
        }
    }
    for (auto it = lanes_.begin(); it != lanes_.end();) {
        if (cfg.channels.count(it->first) != 0) {
            ++it;
            continue;
        }
        if (it->second.queue.empty() && !it->second.in_flight) {
            it = lanes_.erase(it);
        } else {
            it->second.removed = true; // delivers what it has, then goes
            ++it;
        }
    }
    escalator_.apply(cfg);
    options_.backoff.first = cfg.notify_retry_first;
    options_.backoff.max = cfg.notify_retry_max;
    if (running_) {
        schedule_tick();
    }
    return {};
}

void notifier::start() {
    running_ = true;
    for (auto& [name, l] : lanes_) {
        pump(name);
        arm_refresh(l);
    }
    schedule_tick();
}

void notifier::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    tick_.cancel();
    for (auto& [name, l] : lanes_) {
        if (l.ch) {
            l.ch->cancel();
        }
        l.in_flight = false;
        if (l.timer) {
            l.timer->cancel();
            l.refresh_timer->cancel();
        }
    }
}

std::vector<channel_figures> notifier::figures() const {
    std::vector<channel_figures> out;
    out.reserve(lanes_.size());
    for (const auto& [name, l] : lanes_) {
        channel_figures f = l.figures;
        f.name = name;
        f.pending = l.queue.size();
        out.push_back(std::move(f));
    }
    return out;
}

bool notifier::add_window(maintenance_window& w, const std::string& by, wall_time now) {
    w.id = "api-" + std::to_string(to_ledger_ms(now));
    while (std::any_of(escalator_.windows().begin(), escalator_.windows().end(),
                       [&](const maintenance_window& x) { return x.id == w.id; })) {
        w.id += "x";
    }
    const bool written = recorder_.record(ledger_event{0,
                                                       now,
                                                       ledger_event_kind::maintenance_added,
                                                       w.agency,
                                                       w.service,
                                                       {},
                                                       0,
                                                       window_to_json(w, by),
                                                       {}});
    escalator_.add_window(w);
    spdlog::info("maintenance window {} added by {} for {}/{}", w.id, by, w.agency,
                 w.service.empty() ? "*" : w.service);
    schedule_tick();
    return written;
}

bool notifier::remove_window(const std::string& id, const std::string& by, wall_time now) {
    if (!escalator_.remove_window(id)) {
        return false;
    }
    recorder_.record(ledger_event{0,
                                  now,
                                  ledger_event_kind::maintenance_removed,
                                  {},
                                  {},
                                  {},
                                  0,
                                  json{{"id", id}, {"by", by}}.dump(),
                                  {}});
    spdlog::info("maintenance window {} removed by {}", id, by);
    return true;
}

void notifier::on_check_change(const check_change& /*c*/) {}
void notifier::on_service_change(const service_change& /*c*/) {}

void notifier::on_flapping(const check_runtime& c, flap_change change, wall_time at) {
    for (outbound& o :
         escalator_.flapping(c.agency, c.service, c.cfg.id, change == flap_change::started,
                             c.flapping.percent(), at)) {
        queue(std::move(o), true);
    }
    schedule_tick();
}

outage_marks notifier::on_outage_opened(std::int64_t id, const service_runtime& s, wall_time at) {
    const outage_marks marks =
        escalator_.opened(id, s.agency, s.id, s.cause_check, s.cause_reason, at);
    if (marks.planned_until) {
        spdlog::info("outage {} of {}/{} is planned (maintenance until {}); not escalated", id,
                     s.agency, s.id, format_rfc3339(*marks.planned_until, std::chrono::minutes{0}));
    } else if (marks.caused_by != 0) {
        spdlog::info("outage {} of {}/{} is caused by outage {} of a service it depends on; not "
                     "escalated separately",
                     id, s.agency, s.id, marks.caused_by);
    }
    // Level 1 usually fires at once: after the outage_opened event is written.
    boost::asio::post(io_, [this] { schedule_tick(); });
    return marks;
}

void notifier::on_outage_closed(std::int64_t id, wall_time at) {
    escalator_.closed(id, at);
    for (auto& [name, l] : lanes_) {
        l.firing.erase(id);
    }
    boost::asio::post(io_, [this] { schedule_tick(); });
}

void notifier::on_outage_acknowledged(const outage_record& o, wall_time at) {
    escalator_.acknowledged(o.id, o.acknowledged_at.value_or(at));
    schedule_tick();
}

void notifier::on_restored(const std::vector<outage_record>& open,
                           const std::vector<ledger_event>& notifications) {
    const wall_time now = std::chrono::system_clock::now();
    std::vector<ledger_event> queued;
    std::set<std::string> done;
    std::map<std::string, maintenance_window> windows;
    for (const ledger_event& e : notifications) {
        if (e.kind == ledger_event_kind::notification_sent) {
            done.insert(key_of_event(e));
        } else if (e.kind == ledger_event_kind::notification_queued) {
            queued.push_back(e);
        } else if (e.kind == ledger_event_kind::maintenance_added) {
            if (auto w = window_from_json(e.data)) {
                w->agency = e.agency;
                w->service = e.service;
                windows[w->id] = std::move(*w);
            }
        } else if (e.kind == ledger_event_kind::maintenance_removed) {
            windows.erase(key_of_event(e));
        }
    }
    for (auto& [id, w] : windows) {
        if (w.end && *w.end > now) {
            escalator_.add_window(std::move(w));
        }
    }
    escalator_.restore(open, queued, now);
    std::set<std::int64_t> open_ids;
    for (const outage_record& o : open) {
        open_ids.insert(o.id);
    }
    std::size_t pending = 0;
    for (const ledger_event& e : queued) {
        auto o = outbound_from_json(e.data);
        if (!o) {
            spdlog::warn("ledger event {}: a queued notification that cannot be read; skipped",
                         e.seq);
            continue;
        }
        o->message.outage_id = e.outage_id;
        o->message.agency = e.agency;
        o->message.service = e.service;
        if (o->message.check.empty()) {
            o->message.check = e.check;
        }
        const auto l = lanes_.find(o->channel);
        if (l != lanes_.end() && open_ids.count(e.outage_id) != 0) {
            if (o->step.kind == step_kind::resolve) {
                l->second.firing.erase(e.outage_id);
            } else if (o->message.kind != notification_kind::flapping) {
                remember_firing(l->second, *o);
            }
        }
        if (done.count(o->message.idempotency_key) != 0) {
            continue;
        }
        if (l == lanes_.end()) {
            spdlog::warn("notification {} was queued for channel \"{}\", which is no longer "
                         "configured; not sent",
                         o->message.idempotency_key, o->channel);
            continue;
        }
        ++pending;
        queue(std::move(*o), false);
    }
    if (pending > 0) {
        spdlog::info("{} notifications from before the restart are pending; sending them", pending);
    }
    schedule_tick();
}

void notifier::schedule_tick() {
    if (!running_) {
        return;
    }
    const wall_time now = std::chrono::system_clock::now();
    const auto next = escalator_.next_due(now);
    if (!next) {
        tick_.cancel();
        return;
    }
    // Wall time may jump; look again at least once a minute.
    const auto wait = std::clamp<std::chrono::nanoseconds>(*next - now, std::chrono::nanoseconds{0},
                                                           std::chrono::minutes{1});
    tick_.expires_after(wait);
    tick_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            on_tick();
        }
    });
}

void notifier::on_tick() {
    const wall_time now = std::chrono::system_clock::now();
    for (outbound& o : escalator_.due(now)) {
        queue(std::move(o), true);
    }
    schedule_tick();
}

void notifier::queue(outbound o, bool write_ledger) {
    auto it = lanes_.find(o.channel);
    if (it == lanes_.end()) {
        spdlog::error("notification {} names channel \"{}\", which does not exist; not sent",
                      o.message.idempotency_key, o.channel);
        return;
    }
    lane& l = it->second;
    if (write_ledger) {
        if (o.new_level) {
            recorder_.record(ledger_event{0,
                                          std::chrono::system_clock::now(),
                                          ledger_event_kind::escalation_reached,
                                          o.message.agency,
                                          o.message.service,
                                          {},
                                          o.message.outage_id,
                                          json{{"level", o.step.level}}.dump(),
                                          {}});
        }
        recorder_.record(ledger_event{0,
                                      std::chrono::system_clock::now(),
                                      ledger_event_kind::notification_queued,
                                      o.message.agency,
                                      o.message.service,
                                      o.message.check,
                                      o.message.outage_id,
                                      outbound_to_json(o),
                                      {}});
        spdlog::info("notification {} queued for {}", o.message.idempotency_key, o.channel);
    }
    if (o.step.kind == step_kind::resolve) {
        l.firing.erase(o.message.outage_id);
    }
    if (l.queue.size() >= options_.max_queue) {
        spdlog::error("outbox of channel \"{}\" is full ({} messages); dropping the oldest, {}",
                      o.channel, l.queue.size(), l.queue.front().out.message.idempotency_key);
        ++l.figures.dropped;
        l.queue.pop_front();
    }
    l.queue.push_back(item{std::move(o), 0, {}});
    pump(it->first);
}

void notifier::pump(const std::string& name) {
    auto it = lanes_.find(name);
    if (!running_ || it == lanes_.end()) {
        return;
    }
    lane& l = it->second;
    if (l.in_flight || l.queue.empty() || !l.ch) {
        if (l.removed && l.queue.empty() && !l.in_flight) {
            lanes_.erase(it);
        }
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    item& head = l.queue.front();
    if (head.next_attempt > now) {
        l.timer->expires_at(head.next_attempt);
        l.timer->async_wait([this, name](const boost::system::error_code& ec) {
            if (!ec) {
                pump(name);
            }
        });
        return;
    }
    l.in_flight = true;
    l.ch->async_send(head.out.message,
                     [this, name](send_result r) { on_sent(name, std::move(r)); });
}

void notifier::on_sent(const std::string& name, send_result r) {
    auto it = lanes_.find(name);
    if (it == lanes_.end() || it->second.queue.empty()) {
        return;
    }
    lane& l = it->second;
    l.in_flight = false;
    item& head = l.queue.front();
    const outbound& o = head.out;
    if (r.ok || !r.retryable) {
        const char* result = r.ok ? "delivered" : "rejected";
        recorder_.record(ledger_event{0,
                                      std::chrono::system_clock::now(),
                                      ledger_event_kind::notification_sent,
                                      o.message.agency,
                                      o.message.service,
                                      o.message.check,
                                      o.message.outage_id,
                                      json{{"key", o.message.idempotency_key},
                                           {"channel", o.channel},
                                           {"level", o.message.level},
                                           {"kind", to_string(o.message.kind)},
                                           {"result", result},
                                           {"attempts", head.failures + 1},
                                           {"detail", r.detail}}
                                          .dump(),
                                      {}});
        if (r.ok) {
            ++l.figures.delivered;
            spdlog::info("notification {} delivered to {}", o.message.idempotency_key, name);
            if (o.message.kind == notification_kind::firing ||
                o.message.kind == notification_kind::reminder) {
                remember_firing(l, o);
            }
        } else {
            ++l.figures.rejected;
            spdlog::error("notification {} rejected by {}: {} (not retried; check the "
                          "channel's settings)",
                          o.message.idempotency_key, name, r.detail);
        }
        l.queue.pop_front();
    } else {
        ++l.figures.failed;
        ++head.failures;
        std::uniform_real_distribution<double> jitter(0.0, 1.0);
        const auto delay =
            retry_delay(options_.backoff, head.failures, jitter(rng_), r.retry_after);
        head.next_attempt = std::chrono::steady_clock::now() + delay;
        const auto now = std::chrono::steady_clock::now();
        if (head.failures == 1 || now - l.last_warning >= std::chrono::minutes(1)) {
            l.last_warning = now;
            spdlog::warn("channel {}: attempt {} of {} failed: {}; retrying in {} ms ({} "
                         "messages waiting)",
                         name, head.failures, o.message.idempotency_key, r.detail, delay.count(),
                         l.queue.size());
        }
    }
    pump(name);
}

void notifier::remember_firing(lane& l, const outbound& o) {
    if (!l.ch || !l.ch->refresh_every() || o.message.outage_id <= 0) {
        return;
    }
    l.firing[o.message.outage_id] = o.message;
    arm_refresh(l);
}

void notifier::arm_refresh(lane& l) {
    if (!running_ || !l.ch || !l.refresh_timer || l.firing.empty()) {
        return;
    }
    const auto every = l.ch->refresh_every();
    if (!every || l.refresh_timer->expiry() > std::chrono::steady_clock::now()) {
        return; // not lease-based, or already armed
    }
    l.refresh_timer->expires_after(*every);
    const std::string name = l.figures.name;
    l.refresh_timer->async_wait([this, name](const boost::system::error_code& ec) {
        if (ec) {
            return; // cancelled: the notifier may be gone
        }
        const auto it = lanes_.find(name);
        if (it == lanes_.end() || !it->second.ch) {
            return;
        }
        for (const auto& [id, n] : it->second.firing) {
            it->second.ch->async_send(n, [name, key = n.idempotency_key](const send_result& r) {
                if (!r.ok) {
                    spdlog::warn("channel {}: refreshing {} failed: {}", name, key, r.detail);
                }
            });
        }
        arm_refresh(it->second);
    });
}

} // namespace pantau
