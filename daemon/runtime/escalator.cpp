#include "runtime/escalator.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace pantau {

namespace {

using json = nlohmann::json;

notification_kind kind_of(step_kind k) {
    switch (k) {
    case step_kind::notify: return notification_kind::firing;
    case step_kind::reminder: return notification_kind::reminder;
    case step_kind::resolve: return notification_kind::resolved;
    }
    return notification_kind::firing;
}

std::string named(const std::unordered_map<std::string, std::string>& names, const std::string& key,
                  const std::string& fallback) {
    const auto it = names.find(key);
    return it == names.end() ? fallback : it->second;
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

std::optional<notification_kind> parse_kind(const std::string& s) {
    for (const auto k : {notification_kind::firing, notification_kind::reminder,
                         notification_kind::resolved, notification_kind::flapping}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

std::optional<step_kind> parse_step_kind(const std::string& s) {
    for (const auto k : {step_kind::notify, step_kind::reminder, step_kind::resolve}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

} // namespace

std::string outbound_to_json(const outbound& o) {
    const notification& n = o.message;
    json data{
        {"key", n.idempotency_key},
        {"channel", o.channel},
        {"kind", to_string(n.kind)},
        {"level", n.level},
        {"step",
         {{"level", o.step.level},
          {"channel", o.step.channel},
          {"kind", to_string(o.step.kind)},
          {"repeat", o.step.repeat}}},
        {"message",
         {{"agency_name", n.agency_name},
          {"service_name", n.service_name},
          {"check", n.check},
          {"reason", n.reason},
          {"since", to_ledger_ms(n.since)},
          {"utc_offset_minutes", n.utc_offset.count()},
          {"link", n.link}}},
    };
    return data.dump();
}

std::optional<outbound> outbound_from_json(const std::string& text) {
    const auto data = json::parse(text, nullptr, false);
    if (!data.is_object() || !data.contains("message") || !data["message"].is_object() ||
        !data.contains("step") || !data["step"].is_object()) {
        return std::nullopt;
    }
    try {
        outbound o;
        o.channel = data.at("channel").get<std::string>();
        const auto kind = parse_kind(data.at("kind").get<std::string>());
        const auto& step = data.at("step");
        const auto skind = parse_step_kind(step.at("kind").get<std::string>());
        if (!kind || !skind || o.channel.empty()) {
            return std::nullopt;
        }
        o.step.level = step.at("level").get<std::size_t>();
        o.step.channel = step.at("channel").get<std::string>();
        o.step.kind = *skind;
        o.step.repeat = step.at("repeat").get<std::uint64_t>();
        notification& n = o.message;
        n.idempotency_key = data.at("key").get<std::string>();
        n.kind = *kind;
        n.level = data.at("level").get<int>();
        const auto& m = data.at("message");
        n.agency_name = m.at("agency_name").get<std::string>();
        n.service_name = m.at("service_name").get<std::string>();
        n.check = m.at("check").get<std::string>();
        n.reason = m.at("reason").get<std::string>();
        n.since = from_ledger_ms(m.at("since").get<std::int64_t>());
        n.utc_offset = std::chrono::minutes{m.at("utc_offset_minutes").get<std::int64_t>()};
        n.link = m.at("link").get<std::string>();
        return o;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

const char* to_string(hold_kind h) {
    switch (h) {
    case hold_kind::none: return "none";
    case hold_kind::maintenance: return "maintenance";
    case hold_kind::dependency: return "dependency";
    case hold_kind::flapping: return "flapping";
    }
    return "none";
}

escalator::escalator(const config& cfg) {
    apply(cfg);
}

void escalator::apply(const config& cfg) {
    policies_.clear();
    for (const auto& [name, levels] : cfg.escalation) {
        std::vector<escalation_rule> rules(levels.begin(), levels.end());
        policies_.emplace(name, std::move(rules));
    }
    agency_policy_.clear();
    agency_names_.clear();
    for (const agency_config& a : cfg.agencies) {
        agency_names_[a.id] = a.name;
        if (a.escalation) {
            agency_policy_[a.id] = *a.escalation;
        }
    }
    service_policy_.clear();
    service_names_.clear();
    depends_.clear();
    check_depends_.clear();
    for (const service_config& s : cfg.services) {
        const std::string key = service_key(s.agency, s.id);
        service_names_[key] = s.name;
        if (s.escalation) {
            service_policy_[key] = *s.escalation;
        }
        if (!s.depends_on.empty()) {
            depends_[key] = s.depends_on;
        }
        for (const check_config& c : s.checks) {
            if (!c.depends_on.empty()) {
                check_depends_[key + "/" + c.id] = c.depends_on;
            }
        }
    }
    windows_ = cfg.maintenance;
    windows_.insert(windows_.end(), api_windows_.begin(), api_windows_.end());
    utc_offset_ = cfg.utc_offset;
    public_url_ = cfg.public_url;
}

void escalator::add_window(maintenance_window w) {
    api_windows_.push_back(w);
    windows_.push_back(std::move(w));
}

bool escalator::remove_window(const std::string& id) {
    const auto match = [&](const maintenance_window& w) { return w.id == id; };
    if (std::erase_if(api_windows_, match) == 0) {
        return false;
    }
    std::erase_if(windows_, match);
    return true;
}

const std::vector<escalation_rule>* escalator::policy_of(const std::string& agency,
                                                         const std::string& service) const {
    std::string name;
    if (const auto s = service_policy_.find(service_key(agency, service));
        s != service_policy_.end()) {
        name = s->second;
    } else if (const auto a = agency_policy_.find(agency); a != agency_policy_.end()) {
        name = a->second;
    } else {
        return nullptr;
    }
    const auto p = policies_.find(name);
    return p == policies_.end() ? nullptr : &p->second;
}

outage_marks escalator::opened(std::int64_t id, const std::string& agency,
                               const std::string& service, const std::string& check,
                               const std::string& reason, wall_time at) {
    const std::string key = service_key(agency, service);
    tracked t;
    t.id = id;
    t.agency = agency;
    t.service = service;
    t.check = check;
    t.reason = reason;
    t.opened = at;
    if (const auto* p = policy_of(agency, service)) {
        t.policy = *p;
    }
    outage_marks marks;
    // A parent that is down: the service's own dependencies, then the failing check's.
    std::vector<std::string> parents;
    if (const auto d = depends_.find(key); d != depends_.end()) {
        parents = d->second;
    }
    if (const auto d = check_depends_.find(key + "/" + check); d != check_depends_.end()) {
        parents.insert(parents.end(), d->second.begin(), d->second.end());
    }
    for (const std::string& parent : parents) {
        if (const auto o = open_.find(parent); o != open_.end()) {
            marks.caused_by = o->second;
            break;
        }
    }
    marks.planned_until = planned_until(windows_, agency, service, at);
    const bool service_flaps = flapping_in(key);
    if (marks.planned_until) {
        t.held = hold_kind::maintenance;
        t.hold_until = marks.planned_until;
    } else if (marks.caused_by != 0) {
        t.held = hold_kind::dependency;
        t.parent = marks.caused_by;
    } else if (service_flaps) {
        t.held = hold_kind::flapping;
    } else {
        start_engine(t, at);
    }
    open_[key] = id;
    outages_[id] = std::move(t);
    return marks;
}

bool escalator::flapping_in(const std::string& service_key) const {
    // flapping_ is sorted: the service's checks ("agency/service/...") sit together.
    const std::string prefix = service_key + "/";
    const auto it = flapping_.lower_bound(prefix);
    return it != flapping_.end() && it->rfind(prefix, 0) == 0;
}

void escalator::start_engine(tracked& t, wall_time anchor) {
    t.held = hold_kind::none;
    t.engine.emplace(t.policy, anchor);
    for (const escalation_step& s : t.sent) {
        t.engine->mark_sent(s);
    }
    t.sent.clear();
    if (t.acked) {
        t.engine->acknowledge(*t.acked);
    }
    if (t.closed) {
        t.engine->resolve(*t.closed);
    }
}

void escalator::closed(std::int64_t id, wall_time at) {
    const auto it = outages_.find(id);
    if (it == outages_.end()) {
        return;
    }
    tracked& t = it->second;
    t.closed = at;
    if (t.engine) {
        t.engine->resolve(at);
    }
    if (const auto o = open_.find(service_key(t.agency, t.service));
        o != open_.end() && o->second == id) {
        open_.erase(o);
    }
    // Children held by this outage escalate from now on, if they are still open.
    for (auto& [child_id, child] : outages_) {
        if (child.held == hold_kind::dependency && child.parent == id && !child.closed) {
            start_engine(child, at);
        }
    }
    if (!t.engine) {
        outages_.erase(it); // held all along: nobody was told, nobody needs a resolution
    }
}

void escalator::acknowledged(std::int64_t id, wall_time at) {
    const auto it = outages_.find(id);
    if (it == outages_.end()) {
        return;
    }
    if (!it->second.acked) {
        it->second.acked = at;
    }
    if (it->second.engine) {
        it->second.engine->acknowledge(at);
    }
}

std::vector<outbound> escalator::flapping(const std::string& agency, const std::string& service,
                                          const std::string& check, bool started, double percent,
                                          wall_time at) {
    const std::string key = service_key(agency, service);
    const std::string check_key = key + "/" + check;
    std::vector<outbound> out;
    if (!started) {
        flapping_.erase(check_key);
        if (!flapping_in(key)) {
            for (auto& [id, t] : outages_) {
                if (t.held == hold_kind::flapping && t.agency == agency && t.service == service &&
                    !t.closed) {
                    start_engine(t, at);
                }
            }
        }
        return out;
    }
    flapping_.insert(check_key);
    const auto* policy = policy_of(agency, service);
    if (policy == nullptr || policy->empty()) {
        return out;
    }
    const auto first = std::min_element(
        policy->begin(), policy->end(),
        [](const escalation_rule& a, const escalation_rule& b) { return a.after < b.after; });
    const auto ms = to_ledger_ms(at);
    std::vector<std::string> sent_to;
    for (const std::string& channel : first->notify) {
        if (std::find(sent_to.begin(), sent_to.end(), channel) != sent_to.end()) {
            continue;
        }
        sent_to.push_back(channel);
        outbound o;
        o.channel = channel;
        std::string key_text = "flapping/";
        key_text += check_key;
        key_text += "/" + std::to_string(ms);
        key_text += "/" + channel;
        o.message.idempotency_key = std::move(key_text);
        o.message.agency = agency;
        o.message.agency_name = named(agency_names_, agency, agency);
        o.message.service = service;
        o.message.service_name = named(service_names_, key, service);
        o.message.check = check;
        o.message.reason = "state changed on " + std::to_string(static_cast<int>(percent)) +
                           "% of the last results (flapping)";
        o.message.since = at;
        o.message.utc_offset = utc_offset_;
        o.message.kind = notification_kind::flapping;
        o.message.link = public_url_;
        out.push_back(std::move(o));
    }
    return out;
}

void escalator::restore(const std::vector<outage_record>& open,
                        const std::vector<ledger_event>& queued, wall_time now) {
    std::map<std::int64_t, std::vector<escalation_step>> steps;
    for (const ledger_event& e : queued) {
        if (e.kind != ledger_event_kind::notification_queued || e.outage_id <= 0) {
            continue;
        }
        auto parsed = outbound_from_json(e.data);
        if (!parsed) {
            continue;
        }
        steps[e.outage_id].push_back(std::move(parsed->step));
    }
    std::set<std::int64_t> open_ids;
    for (const outage_record& o : open) {
        open_ids.insert(o.id);
    }
    for (const outage_record& o : open) {
        if (outages_.count(o.id) != 0) {
            continue;
        }
        tracked t;
        t.id = o.id;
        t.agency = o.agency;
        t.service = o.service;
        std::tie(t.check, t.reason) = split_cause(o.cause);
        t.opened = o.started_at;
        t.acked = o.acknowledged_at;
        if (const auto* p = policy_of(o.agency, o.service)) {
            t.policy = *p;
        }
        t.sent = steps[o.id];
        open_[service_key(o.agency, o.service)] = o.id;
        if (o.planned_until && *o.planned_until > now) {
            t.held = hold_kind::maintenance;
            t.hold_until = o.planned_until;
            outages_[o.id] = std::move(t);
        } else if (o.caused_by != 0 && open_ids.count(o.caused_by) != 0) {
            t.held = hold_kind::dependency;
            t.parent = o.caused_by;
            outages_[o.id] = std::move(t);
        } else {
            // Anchored where it was before the restart when that is known: the outage's
            // start, or the end of its maintenance window; after a parent closed while
            // the daemon was down, from now.
            const wall_time anchor = o.planned_until    ? *o.planned_until
                                     : o.caused_by != 0 ? now
                                                        : o.started_at;
            auto& stored = outages_[o.id] = std::move(t);
            start_engine(stored, anchor);
        }
    }
}

void escalator::release(wall_time now) {
    for (auto& [id, t] : outages_) {
        if (t.held == hold_kind::maintenance && t.hold_until && *t.hold_until <= now && !t.closed) {
            start_engine(t, *t.hold_until);
        }
    }
}

notification escalator::message_of(const tracked& t, const escalation_step& step) const {
    notification n;
    n.idempotency_key = key_of(t.id, step);
    n.outage_id = t.id;
    n.agency = t.agency;
    n.agency_name = named(agency_names_, t.agency, t.agency);
    n.service = t.service;
    n.service_name = named(service_names_, service_key(t.agency, t.service), t.service);
    n.check = t.check;
    n.reason = t.reason;
    n.since = t.opened;
    n.utc_offset = utc_offset_;
    n.level = static_cast<int>(
        step.kind == step_kind::resolve && t.engine ? t.engine->level_reached() : step.level);
    n.kind = kind_of(step.kind);
    if (!public_url_.empty()) {
        n.link = public_url_ + "/api/v1/outages/" + std::to_string(t.id);
    }
    return n;
}

std::vector<outbound> escalator::due(wall_time now) {
    release(now);
    std::vector<outbound> out;
    for (auto it = outages_.begin(); it != outages_.end();) {
        tracked& t = it->second;
        if (t.engine) {
            for (const escalation_step& step : t.engine->due(now)) {
                const std::size_t before = t.engine->level_reached();
                outbound o;
                o.channel = step.channel;
                o.step = step;
                t.engine->mark_sent(step);
                o.new_level = step.kind == step_kind::notify && t.engine->level_reached() > before;
                o.message = message_of(t, step);
                out.push_back(std::move(o));
            }
        }
        // A closed outage is done once every resolution went out.
        if (t.closed && (!t.engine || !t.engine->next_due(now))) {
            it = outages_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::optional<wall_time> escalator::next_due(wall_time now) const {
    std::optional<wall_time> next;
    const auto consider = [&](wall_time t) { next = next ? std::min(*next, t) : t; };
    for (const auto& [id, t] : outages_) {
        if (t.engine) {
            if (const auto n = t.engine->next_due(now)) {
                consider(*n);
            }
        } else if (t.held == hold_kind::maintenance && t.hold_until && !t.closed) {
            consider(std::max(*t.hold_until, now));
        }
    }
    return next;
}

std::size_t escalator::level(const std::string& key) const {
    const auto o = open_.find(key);
    if (o == open_.end()) {
        return 0;
    }
    const auto t = outages_.find(o->second);
    return t == outages_.end() || !t->second.engine ? 0 : t->second.engine->level_reached();
}

hold_kind escalator::hold(std::int64_t id) const {
    const auto t = outages_.find(id);
    return t == outages_.end() ? hold_kind::none : t->second.held;
}

std::string escalator::key_of(std::int64_t outage_id, const escalation_step& step) {
    const std::string outage = "outage-" + std::to_string(outage_id);
    if (step.kind == step_kind::resolve) {
        return outage + "/resolve/" + step.channel;
    }
    return outage + "/level-" + std::to_string(step.level) + "/" + step.channel + "/" +
           std::string{to_string(step.kind)} + "/" + std::to_string(step.repeat);
}

} // namespace pantau
