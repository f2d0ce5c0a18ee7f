#include "runtime/coordinator.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "config/config.hpp"
#include "core/time_format.hpp"
#include "runtime/ledger_data.hpp"
#include "runtime/notifier.hpp"
#include "runtime/recorder.hpp"

namespace pantau {

namespace {

using json = nlohmann::json;

std::int64_t unix_ms(wall_time t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// data.id of a maintenance_removed event.
std::string removed_window_id(const ledger_event& e) {
    const auto data = json::parse(e.data, nullptr, false);
    if (!data.is_object()) {
        return {};
    }
    const auto it = data.find("id");
    return it != data.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// What the ledger said before the start, as the outage book reads it.
outage_history history_of(const ledger_snapshot& snap) {
    outage_history h;
    h.started = snap.started;
    h.max_id = snap.max_outage_id;
    for (const outage_record& o : snap.open) {
        h.open.push_back(recorded_outage{o.id, o.agency, o.service, o.cause, o.started_at,
                                         o.acknowledged_at, o.planned_until, o.caused_by});
    }
    std::map<std::string, maintenance_window> windows;
    for (const ledger_event& e : snap.events) {
        if (e.kind == ledger_event_kind::notification_queued && e.outage_id > 0) {
            if (auto o = outbound_from_json(e.data)) {
                h.sent[e.outage_id].push_back(std::move(o->step));
            }
        } else if (e.kind == ledger_event_kind::maintenance_added) {
            if (auto w = window_from_json(e.data)) {
                w->agency = e.agency;
                w->service = e.service;
                windows[w->id] = std::move(*w);
            }
        } else if (e.kind == ledger_event_kind::maintenance_removed) {
            windows.erase(removed_window_id(e));
        }
    }
    for (auto& [id, w] : windows) {
        h.windows.push_back(std::move(w));
    }
    return h;
}

} // namespace

outage_rules outage_rules_of(const config& cfg) {
    outage_rules r;
    escalation_setup& e = r.escalation;
    for (const auto& [name, levels] : cfg.escalation) {
        e.policies.emplace(name, std::vector<escalation_rule>(levels.begin(), levels.end()));
    }
    for (const agency_config& a : cfg.agencies) {
        e.agency_names[a.id] = a.name;
        if (a.escalation) {
            e.agency_policy[a.id] = *a.escalation;
        }
    }
    for (const service_config& s : cfg.services) {
        const std::string key = s.agency + "/" + s.id;
        e.service_names[key] = s.name;
        if (s.escalation) {
            e.service_policy[key] = *s.escalation;
        }
        if (!s.depends_on.empty()) {
            r.depends[key] = s.depends_on;
        }
        for (const check_config& c : s.checks) {
            if (!c.depends_on.empty()) {
                r.check_depends[key + "/" + c.id] = c.depends_on;
            }
        }
    }
    e.utc_offset = cfg.utc_offset;
    e.public_url = cfg.public_url;
    r.windows = cfg.maintenance;
    return r;
}

coordinator::coordinator(time_source& clock, recorder& rec, notifier& n)
    : clock_(clock)
    , recorder_(rec)
    , notifier_(n)
    , tick_(clock.make_timer()) {}

coordinator::~coordinator() {
    try {
        tick_->cancel();
    } catch (...) {
        // never throw from a destructor
    }
}

std::string coordinator::apply(const config& cfg) {
    if (std::string err = notifier_.apply(cfg); !err.empty()) {
        return err;
    }
    book_.apply(outage_rules_of(cfg));
    escalate();
    return {};
}

void coordinator::start() {
    started_ = true;
    catch_up();
    if (!restored_) {
        // Outage ids must never repeat, even while the ledger cannot be read: until it can,
        // continue from a time-based id that is larger than any sequential one.
        book_.continue_ids_after(unix_ms(clock_.wall_now()));
    }
    notifier_.start();
    escalate();
}

void coordinator::stop() {
    started_ = false;
    tick_->cancel();
    notifier_.stop();
}

void coordinator::catch_up() {
    if (restored_) {
        return;
    }
    std::optional<ledger_snapshot> snap = recorder_.snapshot();
    if (!snap) {
        return;
    }
    restored_ = true;
    for (const closed_outage& c : book_.restore(history_of(*snap), clock_.wall_now())) {
        spdlog::info("outage {} of {}/{} is closed: a newer one was opened while the ledger "
                     "was unavailable",
                     c.id, c.agency, c.service);
        recorder_.outage_closed(c);
    }
    std::set<std::int64_t> open;
    for (const auto& [key, id] : book_.open_outages()) {
        open.insert(id);
        spdlog::info("outage {} of {} is still open", id, key);
    }
    notifier_.restore(snap->events, open);
}

void coordinator::escalate() {
    if (!started_) {
        return;
    }
    catch_up();
    const wall_time now = clock_.wall_now();
    for (outbound& o : book_.due(now)) {
        if (o.new_level) {
            recorder_.record(ledger_event{0,
                                          now,
                                          ledger_event_kind::escalation_reached,
                                          o.message.agency,
                                          o.message.service,
                                          {},
                                          o.message.outage_id,
                                          json{{"level", o.step.level}}.dump(),
                                          {}});
        }
        notifier_.enqueue(std::move(o));
    }
    const auto next = book_.next_due(now);
    if (!next) {
        tick_->cancel();
        return;
    }
    // Wall time may jump; look again at least once a minute.
    const auto wait = std::clamp<std::chrono::nanoseconds>(*next - now, std::chrono::nanoseconds{0},
                                                           std::chrono::minutes{1});
    tick_->async_wait_until(clock_.mono_now() + wait, [this] { escalate(); });
}

std::optional<outage_record> coordinator::acknowledge(std::int64_t id, const std::string& by,
                                                      const std::string& note, std::string& error) {
    const wall_time now = clock_.wall_now();
    auto o = recorder_.acknowledge(id, by, note, now, error);
    if (!o) {
        return std::nullopt;
    }
    book_.acknowledged(o->id, o->acknowledged_at.value_or(now));
    escalate();
    return o;
}

bool coordinator::add_window(maintenance_window& w, const std::string& by) {
    const wall_time now = clock_.wall_now();
    w = book_.add_window(w, now);
    const bool written = recorder_.record(ledger_event{0,
                                                       now,
                                                       ledger_event_kind::maintenance_added,
                                                       w.agency,
                                                       w.service,
                                                       {},
                                                       0,
                                                       window_to_json(w, by),
                                                       {}});
    spdlog::info("maintenance window {} added by {} for {}/{}", w.id, by, w.agency,
                 w.service.empty() ? "*" : w.service);
    escalate();
    return written;
}

bool coordinator::remove_window(const std::string& id, const std::string& by) {
    if (!book_.remove_window(id)) {
        return false;
    }
    recorder_.record(ledger_event{0,
                                  clock_.wall_now(),
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

void coordinator::on_check_change(const check_change& c) {
    recorder_.check_changed(c);
}

void coordinator::on_service_change(const service_change& c) {
    catch_up();
    const service_runtime& s = c.service;
    switch (c.to) {
    case service_state::down:
        if (auto o = book_.open(s.agency, s.id, s.cause_check, s.cause_reason, s.cause, c.at)) {
            recorder_.outage_opened(*o);
            spdlog::info("outage {} opened for {}/{}", o->id, s.agency, s.id);
            if (o->planned_until) {
                spdlog::info("outage {} of {}/{} is planned (maintenance until {}); not escalated",
                             o->id, s.agency, s.id,
                             format_rfc3339(*o->planned_until, std::chrono::minutes{0}));
            } else if (o->caused_by != 0) {
                spdlog::info("outage {} of {}/{} is caused by outage {} of a service it depends "
                             "on; not escalated separately",
                             o->id, s.agency, s.id, o->caused_by);
            }
        }
        break;
    case service_state::up:
    case service_state::idle: {
        // Idle: the service's hours ended while it was down; the outage ends with them.
        const bool idle = c.to == service_state::idle;
        if (auto closed = book_.close(s.agency, s.id, c.at, idle ? "service hours ended" : "")) {
            recorder_.outage_closed(*closed);
            spdlog::info("outage {} of {}/{} closed{}", closed->id, s.agency, s.id,
                         idle ? " (service hours ended)" : "");
            notifier_.forget(closed->id);
        }
        break;
    }
    case service_state::unknown: break;
    }
    recorder_.flush(); // state changes are written at once, not on the next tick
    escalate();
}

void coordinator::on_flapping(const check_runtime& c, flap_change change, wall_time at) {
    recorder_.flapping(c, change, at);
    for (outbound& o : book_.flapping(c.agency, c.service, c.cfg.id, change == flap_change::started,
                                      c.flapping.percent(), at)) {
        notifier_.enqueue(std::move(o));
    }
    escalate();
}

void coordinator::on_probe_result(const check_runtime& c, wall_time at) {
    recorder_.probe_completed(c, at);
}

} // namespace pantau
