#include "core/outage_book.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace pantau {

namespace {

std::string service_key(const std::string& agency, const std::string& service) {
    return agency + "/" + service;
}

// "check portal: http 503" -> {"portal", "http 503"}, as the monitor writes causes.
std::pair<std::string, std::string> split_cause(const std::string& cause) {
    constexpr std::string_view prefix = "check ";
    const std::size_t colon = cause.find(": ");
    if (cause.rfind(prefix, 0) == 0 && colon != std::string::npos) {
        return {cause.substr(prefix.size(), colon - prefix.size()), cause.substr(colon + 2)};
    }
    return {{}, cause};
}

} // namespace

const char* to_string(hold_kind h) {
    switch (h) {
    case hold_kind::none: return "none";
    case hold_kind::maintenance: return "maintenance";
    case hold_kind::dependency: return "dependency";
    case hold_kind::flapping: return "flapping";
    }
    return "none";
}

outage_book::outage_book(outage_rules rules) {
    apply(std::move(rules));
}

void outage_book::apply(outage_rules rules) {
    escalator_.apply(std::move(rules.escalation));
    depends_ = std::move(rules.depends);
    check_depends_ = std::move(rules.check_depends);
    windows_ = std::move(rules.windows);
    windows_.insert(windows_.end(), api_windows_.begin(), api_windows_.end());
}

void outage_book::continue_ids_after(std::int64_t last) {
    last_id_ = std::max(last_id_, last);
}

std::optional<opened_outage> outage_book::open(const std::string& agency,
                                               const std::string& service, const std::string& check,
                                               const std::string& reason, const std::string& cause,
                                               wall_time at) {
    const std::string key = service_key(agency, service);
    if (open_.count(key) != 0) {
        return std::nullopt; // still the same outage (e.g. restored after a restart)
    }
    opened_outage o;
    o.id = ++last_id_;
    o.agency = agency;
    o.service = service;
    o.cause = cause;
    o.at = at;
    tracked t;
    t.facts = outage_facts{o.id, agency, service, check, reason, at};
    t.policy = escalator_.policy_of(agency, service);
    // A parent that is down: the service's own dependencies, then the failing check's.
    std::vector<std::string> parents;
    if (const auto d = depends_.find(key); d != depends_.end()) {
        parents = d->second;
    }
    if (const auto d = check_depends_.find(key + "/" + check); d != check_depends_.end()) {
        parents.insert(parents.end(), d->second.begin(), d->second.end());
    }
    for (const std::string& parent : parents) {
        if (const auto p = open_.find(parent); p != open_.end()) {
            o.caused_by = p->second;
            break;
        }
    }
    o.planned_until = planned_until(windows_, agency, service, at);
    if (o.planned_until) {
        t.held = hold_kind::maintenance;
        t.hold_until = o.planned_until;
    } else if (o.caused_by != 0) {
        t.held = hold_kind::dependency;
        t.parent = o.caused_by;
    } else if (flapping_in(key)) {
        t.held = hold_kind::flapping;
    }
    o.hold = t.held;
    open_[key] = o.id;
    auto& stored = open_by_id_[o.id] = std::move(t);
    if (stored.held == hold_kind::none) {
        escalate(stored, at);
    }
    return o;
}

void outage_book::escalate(tracked& t, wall_time anchor) {
    t.held = hold_kind::none;
    t.hold_until.reset();
    escalator_.start(t.facts, t.policy, anchor, t.sent, t.acked);
    t.sent.clear();
}

std::optional<closed_outage> outage_book::close(const std::string& agency,
                                                const std::string& service, wall_time at,
                                                std::string note) {
    const auto o = open_.find(service_key(agency, service));
    if (o == open_.end()) {
        return std::nullopt;
    }
    const std::int64_t id = o->second;
    open_.erase(o);
    open_by_id_.erase(id);
    // Held all along: nobody was told, nobody needs a resolution.
    escalator_.closed(id, at);
    // Children held by this outage escalate from now on.
    for (auto& [child_id, child] : open_by_id_) {
        if (child.held == hold_kind::dependency && child.parent == id) {
            escalate(child, at);
        }
    }
    return closed_outage{id, agency, service, at, std::move(note)};
}

void outage_book::acknowledged(std::int64_t id, wall_time at) {
    if (const auto it = open_by_id_.find(id); it != open_by_id_.end() && !it->second.acked) {
        it->second.acked = at;
    }
    escalator_.acknowledged(id, at);
}

bool outage_book::flapping_in(const std::string& key) const {
    // flapping_ is sorted: the service's checks ("agency/service/...") sit together.
    const std::string prefix = key + "/";
    const auto it = flapping_.lower_bound(prefix);
    return it != flapping_.end() && it->rfind(prefix, 0) == 0;
}

std::vector<outbound> outage_book::flapping(const std::string& agency, const std::string& service,
                                            const std::string& check, bool started, double percent,
                                            wall_time at) {
    const std::string key = service_key(agency, service);
    if (!started) {
        flapping_.erase(key + "/" + check);
        if (!flapping_in(key)) {
            for (auto& [id, t] : open_by_id_) {
                if (t.held == hold_kind::flapping && t.facts.agency == agency &&
                    t.facts.service == service) {
                    escalate(t, at);
                }
            }
        }
        return {};
    }
    flapping_.insert(key + "/" + check);
    return escalator_.flapping(agency, service, check, percent, at);
}

std::vector<closed_outage> outage_book::restore(outage_history h, wall_time now) {
    continue_ids_after(h.max_id);
    for (maintenance_window& w : h.windows) {
        if (w.end && *w.end > now) {
            api_windows_.push_back(w);
            windows_.push_back(std::move(w));
        }
    }
    std::set<std::int64_t> open_ids;
    for (const recorded_outage& o : h.open) {
        open_ids.insert(o.id);
    }
    std::vector<closed_outage> superseded;
    for (const recorded_outage& o : h.open) {
        if (open_by_id_.count(o.id) != 0) {
            continue;
        }
        const std::string key = service_key(o.agency, o.service);
        if (open_.count(key) != 0) {
            // A newer outage was opened while the ledger was unavailable: the old one ends.
            superseded.push_back(
                {o.id, o.agency, o.service, h.started, "superseded after restart"});
            continue;
        }
        tracked t;
        auto [check, reason] = split_cause(o.cause);
        t.facts = outage_facts{
            o.id, o.agency, o.service, std::move(check), std::move(reason), o.started_at};
        t.acked = o.acknowledged_at;
        t.policy = escalator_.policy_of(o.agency, o.service);
        if (const auto s = h.sent.find(o.id); s != h.sent.end()) {
            t.sent = s->second;
        }
        open_[key] = o.id;
        auto& stored = open_by_id_[o.id] = std::move(t);
        if (o.planned_until && *o.planned_until > now) {
            stored.held = hold_kind::maintenance;
            stored.hold_until = o.planned_until;
        } else if (o.caused_by != 0 && open_ids.count(o.caused_by) != 0) {
            stored.held = hold_kind::dependency;
            stored.parent = o.caused_by;
        } else {
            // Anchored where it was before the restart when that is known: the outage's
            // start, or the end of its maintenance window; after a parent closed while
            // the daemon was down, from now.
            const wall_time anchor = o.planned_until    ? *o.planned_until
                                     : o.caused_by != 0 ? now
                                                        : o.started_at;
            escalate(stored, anchor);
        }
    }
    return superseded;
}

const maintenance_window& outage_book::add_window(maintenance_window w, wall_time now) {
    w.id =
        "api-" +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    while (std::any_of(windows_.begin(), windows_.end(),
                       [&](const maintenance_window& x) { return x.id == w.id; })) {
        w.id += "x";
    }
    api_windows_.push_back(w);
    windows_.push_back(std::move(w));
    return windows_.back();
}

bool outage_book::remove_window(const std::string& id) {
    const auto match = [&](const maintenance_window& w) { return w.id == id; };
    if (std::erase_if(api_windows_, match) == 0) {
        return false;
    }
    std::erase_if(windows_, match);
    return true;
}

void outage_book::release_windows(wall_time now) {
    for (auto& [id, t] : open_by_id_) {
        if (t.held == hold_kind::maintenance && t.hold_until && *t.hold_until <= now) {
            escalate(t, *t.hold_until);
        }
    }
}

std::vector<outbound> outage_book::due(wall_time now) {
    release_windows(now);
    return escalator_.due(now);
}

std::optional<wall_time> outage_book::next_due(wall_time now) const {
    std::optional<wall_time> next = escalator_.next_due(now);
    for (const auto& [id, t] : open_by_id_) {
        if (t.held == hold_kind::maintenance && t.hold_until) {
            const wall_time at = std::max(*t.hold_until, now);
            next = next ? std::min(*next, at) : at;
        }
    }
    return next;
}

std::optional<std::int64_t> outage_book::open_outage(const std::string& key) const {
    const auto it = open_.find(key);
    if (it == open_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::size_t outage_book::level(const std::string& key) const {
    const auto o = open_.find(key);
    return o == open_.end() ? 0 : escalator_.level(o->second);
}

hold_kind outage_book::hold(std::int64_t id) const {
    const auto t = open_by_id_.find(id);
    return t == open_by_id_.end() ? hold_kind::none : t->second.held;
}

std::size_t outage_book::active() const {
    std::size_t n = escalator_.size();
    for (const auto& [id, t] : open_by_id_) {
        n += t.held != hold_kind::none ? 1 : 0;
    }
    return n;
}

} // namespace pantau
