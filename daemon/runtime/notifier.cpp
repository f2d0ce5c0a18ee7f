#include "runtime/notifier.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "runtime/ledger_data.hpp"

namespace pantau {

namespace {

using json = nlohmann::json;

// data.key of a notification_sent event.
std::string key_of_event(const ledger_event& e) {
    const auto data = json::parse(e.data, nullptr, false);
    if (!data.is_object()) {
        return {};
    }
    const auto it = data.find("key");
    return it != data.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

} // namespace

notifier::notifier(time_source& clock, curl_multi& curl, recorder& rec, std::uint64_t seed,
                   notifier_options options, channel_factory factory)
    : clock_(clock)
    , curl_(curl)
    , recorder_(rec)
    , options_(options)
    , factory_(std::move(factory))
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
        if (!l.retry_timer) {
            l.retry_timer = clock_.make_timer();
            l.refresh_timer = clock_.make_timer();
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
    options_.backoff.first = cfg.notify_retry_first;
    options_.backoff.max = cfg.notify_retry_max;
    return {};
}

void notifier::start() {
    running_ = true;
    for (auto& [name, l] : lanes_) {
        pump(name);
        arm_refresh(l);
    }
}

void notifier::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    for (auto& [name, l] : lanes_) {
        if (l.ch) {
            l.ch->cancel();
        }
        l.in_flight = false;
        if (l.retry_timer) {
            l.retry_timer->cancel();
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

void notifier::enqueue(outbound o) {
    if (lanes_.count(o.channel) == 0) {
        spdlog::error("notification {} names channel \"{}\", which does not exist; not sent",
                      o.message.idempotency_key, o.channel);
        return;
    }
    recorder_.record(ledger_event{0,
                                  clock_.wall_now(),
                                  ledger_event_kind::notification_queued,
                                  o.message.agency,
                                  o.message.service,
                                  o.message.check,
                                  o.message.outage_id,
                                  outbound_to_json(o),
                                  {}});
    spdlog::info("notification {} queued for {}", o.message.idempotency_key, o.channel);
    queue(std::move(o));
}

void notifier::forget(std::int64_t outage_id) {
    for (auto& [name, l] : lanes_) {
        l.firing.erase(outage_id);
    }
}

void notifier::restore(const std::vector<ledger_event>& events,
                       const std::set<std::int64_t>& open) {
    std::set<std::string> done;
    for (const ledger_event& e : events) {
        if (e.kind == ledger_event_kind::notification_sent) {
            done.insert(key_of_event(e));
        }
    }
    std::size_t pending = 0;
    for (const ledger_event& e : events) {
        if (e.kind != ledger_event_kind::notification_queued) {
            continue;
        }
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
        if (l != lanes_.end() && open.count(e.outage_id) != 0) {
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
        queue(std::move(*o));
    }
    if (pending > 0) {
        spdlog::info("{} notifications from before the restart are pending; sending them", pending);
    }
}

void notifier::queue(outbound o) {
    auto it = lanes_.find(o.channel);
    if (it == lanes_.end()) {
        return;
    }
    lane& l = it->second;
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
    const mono_time now = clock_.mono_now();
    item& head = l.queue.front();
    if (head.next_attempt > now) {
        l.retry_timer->async_wait_until(head.next_attempt, [this, name] { pump(name); });
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
                                      clock_.wall_now(),
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
        const mono_time now = clock_.mono_now();
        head.next_attempt = now + delay;
        if (head.failures == 1 || !l.last_warning ||
            now - *l.last_warning >= std::chrono::minutes(1)) {
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
    if (!every || l.refresh_timer->expiry()) {
        return; // not lease-based, or already armed
    }
    const std::string name = l.figures.name;
    l.refresh_timer->async_wait_until(clock_.mono_now() + *every, [this, name] {
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
