#include "core/escalator.hpp"

#include <algorithm>

namespace pantau {

namespace {

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

std::string service_key(const std::string& agency, const std::string& service) {
    return agency + "/" + service;
}

std::int64_t unix_ms(wall_time t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

} // namespace

escalator::escalator(escalation_setup setup) : setup_(std::move(setup)) {}

void escalator::apply(escalation_setup setup) {
    setup_ = std::move(setup);
}

std::vector<escalation_rule> escalator::policy_of(const std::string& agency,
                                                  const std::string& service) const {
    std::string name;
    if (const auto s = setup_.service_policy.find(service_key(agency, service));
        s != setup_.service_policy.end()) {
        name = s->second;
    } else if (const auto a = setup_.agency_policy.find(agency); a != setup_.agency_policy.end()) {
        name = a->second;
    } else {
        return {};
    }
    const auto p = setup_.policies.find(name);
    return p == setup_.policies.end() ? std::vector<escalation_rule>{} : p->second;
}

void escalator::start(const outage_facts& o, std::vector<escalation_rule> policy, wall_time anchor,
                      std::span<const escalation_step> sent, std::optional<wall_time> acked) {
    if (outages_.count(o.id) != 0) {
        return;
    }
    tracked t{o, escalation(policy, anchor), false};
    for (const escalation_step& s : sent) {
        t.engine.mark_sent(s);
    }
    if (acked) {
        t.engine.acknowledge(*acked);
    }
    outages_.emplace(o.id, std::move(t));
}

void escalator::acknowledged(std::int64_t id, wall_time at) {
    if (const auto it = outages_.find(id); it != outages_.end()) {
        it->second.engine.acknowledge(at);
    }
}

void escalator::closed(std::int64_t id, wall_time at) {
    if (const auto it = outages_.find(id); it != outages_.end()) {
        it->second.closed = true;
        it->second.engine.resolve(at);
    }
}

std::vector<outbound> escalator::flapping(const std::string& agency, const std::string& service,
                                          const std::string& check, double percent,
                                          wall_time at) const {
    std::vector<outbound> out;
    const std::vector<escalation_rule> policy = policy_of(agency, service);
    if (policy.empty()) {
        return out;
    }
    const auto first = std::min_element(
        policy.begin(), policy.end(),
        [](const escalation_rule& a, const escalation_rule& b) { return a.after < b.after; });
    const std::string key = service_key(agency, service);
    const std::string check_key = key + "/" + check;
    const auto ms = unix_ms(at);
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
        o.message.agency_name = named(setup_.agency_names, agency, agency);
        o.message.service = service;
        o.message.service_name = named(setup_.service_names, key, service);
        o.message.check = check;
        o.message.reason = "state changed on " + std::to_string(static_cast<int>(percent)) +
                           "% of the last results (flapping)";
        o.message.since = at;
        o.message.utc_offset = setup_.utc_offset;
        o.message.kind = notification_kind::flapping;
        o.message.link = setup_.public_url;
        out.push_back(std::move(o));
    }
    return out;
}

notification escalator::message_of(const tracked& t, const escalation_step& step) const {
    const outage_facts& f = t.facts;
    notification n;
    n.idempotency_key = notification_key(f.id, step);
    n.outage_id = f.id;
    n.agency = f.agency;
    n.agency_name = named(setup_.agency_names, f.agency, f.agency);
    n.service = f.service;
    n.service_name = named(setup_.service_names, service_key(f.agency, f.service), f.service);
    n.check = f.check;
    n.reason = f.reason;
    n.since = f.started;
    n.utc_offset = setup_.utc_offset;
    n.level =
        static_cast<int>(step.kind == step_kind::resolve ? t.engine.level_reached() : step.level);
    n.kind = kind_of(step.kind);
    if (!setup_.public_url.empty()) {
        n.link = setup_.public_url + "/api/v1/outages/" + std::to_string(f.id);
    }
    return n;
}

std::vector<outbound> escalator::due(wall_time now) {
    std::vector<outbound> out;
    for (auto it = outages_.begin(); it != outages_.end();) {
        tracked& t = it->second;
        for (const escalation_step& step : t.engine.due(now)) {
            const std::size_t before = t.engine.level_reached();
            outbound o;
            o.channel = step.channel;
            o.step = step;
            t.engine.mark_sent(step);
            o.new_level = step.kind == step_kind::notify && t.engine.level_reached() > before;
            o.message = message_of(t, step);
            out.push_back(std::move(o));
        }
        // A closed outage is done once every resolution went out.
        if (t.closed && !t.engine.next_due(now)) {
            it = outages_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::optional<wall_time> escalator::next_due(wall_time now) const {
    std::optional<wall_time> next;
    for (const auto& [id, t] : outages_) {
        if (const auto n = t.engine.next_due(now)) {
            next = next ? std::min(*next, *n) : *n;
        }
    }
    return next;
}

std::size_t escalator::level(std::int64_t id) const {
    const auto it = outages_.find(id);
    return it == outages_.end() ? 0 : it->second.engine.level_reached();
}

} // namespace pantau
