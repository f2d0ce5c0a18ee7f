#include "core/escalation.hpp"

#include <algorithm>
#include <utility>

namespace pantau {

std::string_view to_string(step_kind k) {
    switch (k) {
    case step_kind::notify: return "notify";
    case step_kind::reminder: return "reminder";
    case step_kind::resolve: return "resolve";
    }
    return "invalid";
}

namespace {

bool has_repeat(const escalation_rule& rule) {
    return rule.repeat && *rule.repeat > duration::zero();
}

// Reminder period begun at `now` for a level that fired at `at`: 0 before the first
// reminder (or without reminders), k once at + k * repeat has come.
std::uint64_t period_at(const escalation_rule& rule, wall_time at, wall_time now) {
    if (!has_repeat(rule) || now < at) {
        return 0;
    }
    return static_cast<std::uint64_t>((now - at) / *rule.repeat);
}

wall_time period_start(const escalation_rule& rule, wall_time at, std::uint64_t period) {
    return at + *rule.repeat * static_cast<duration::rep>(period);
}

} // namespace

escalation::escalation(std::span<const escalation_rule> policy, wall_time started)
    : policy_(policy.begin(), policy.end())
    , started_(started) {
    // A channel named twice in one level gets one message, not two with the same key.
    for (auto& rule : policy_) {
        std::vector<std::string> unique;
        for (auto& channel : rule.notify) {
            if (std::find(unique.begin(), unique.end(), channel) == unique.end()) {
                unique.push_back(std::move(channel));
            }
        }
        rule.notify = std::move(unique);
    }
}

void escalation::acknowledge(wall_time at) {
    if (!acknowledged_) {
        acknowledged_ = at;
    }
}

void escalation::resolve(wall_time at) {
    if (!resolved_) {
        resolved_ = at;
    }
}

void escalation::mark_sent(const escalation_step& step) {
    switch (step.kind) {
    case step_kind::notify:
    case step_kind::reminder:
        for (auto& track : sent_) {
            if (track.level == step.level && track.channel == step.channel) {
                track.covered = std::max(track.covered, step.repeat);
                return;
            }
        }
        // A reminder implies its notify went out, even if that record was lost.
        sent_.push_back({step.level, step.channel, step.repeat});
        return;
    case step_kind::resolve:
        if (!has_resolution(step.channel)) {
            resolved_channels_.push_back(step.channel);
        }
        return;
    }
}

const escalation::sent_track* escalation::find(std::size_t level,
                                               const std::string& channel) const {
    for (const auto& track : sent_) {
        if (track.level == level && track.channel == channel) {
            return &track;
        }
    }
    return nullptr;
}

bool escalation::resolved_by(wall_time t) const {
    return resolved_ && *resolved_ <= t;
}

bool escalation::silenced_by(const escalation_rule& rule, wall_time t) const {
    if (resolved_by(t)) {
        return true;
    }
    return !rule.even_if_acknowledged && acknowledged_ && *acknowledged_ <= t;
}

bool escalation::has_resolution(const std::string& channel) const {
    return std::find(resolved_channels_.begin(), resolved_channels_.end(), channel) !=
           resolved_channels_.end();
}

std::vector<escalation_step> escalation::due(wall_time now) const {
    std::vector<escalation_step> steps;
    if (resolved_by(now)) {
        for (const auto& channel : channels_to_resolve()) {
            std::size_t level = 0;
            for (const auto& track : sent_) {
                if (track.channel == channel) {
                    level = std::max(level, track.level);
                }
            }
            steps.push_back({level, channel, step_kind::resolve, 0});
        }
        return steps;
    }
    for (std::size_t i = 0; i < policy_.size(); ++i) {
        const auto& rule = policy_[i];
        const wall_time at = started_ + rule.after;
        if (at > now || silenced_by(rule, now)) {
            continue;
        }
        const std::uint64_t period = period_at(rule, at, now);
        for (const auto& channel : rule.notify) {
            const sent_track* track = find(i + 1, channel);
            if (track == nullptr) {
                steps.push_back({i + 1, channel, step_kind::notify, period});
            } else if (period > track->covered) {
                steps.push_back({i + 1, channel, step_kind::reminder, period});
            }
        }
    }
    return steps;
}

std::optional<wall_time> escalation::next_due(wall_time now) const {
    if (!due(now).empty()) {
        return now;
    }
    if (resolved_by(now)) {
        return std::nullopt; // every resolution has been sent
    }
    std::optional<wall_time> next;
    const auto consider = [&next](wall_time t) {
        if (!next || t < *next) {
            next = t;
        }
    };
    // A resolution already on record for later (its time lies after `now`).
    if (resolved_ && !channels_to_resolve().empty()) {
        consider(*resolved_);
    }
    for (std::size_t i = 0; i < policy_.size(); ++i) {
        const auto& rule = policy_[i];
        const wall_time at = started_ + rule.after;
        // Silence only grows with time: a level silenced now stays silenced.
        if (silenced_by(rule, now)) {
            continue;
        }
        for (const auto& channel : rule.notify) {
            const sent_track* track = find(i + 1, channel);
            std::optional<wall_time> t;
            if (track == nullptr) {
                t = at; // later than now, or it would be due
            } else if (has_repeat(rule)) {
                const auto period = std::max(track->covered, period_at(rule, at, now)) + 1;
                t = period_start(rule, at, period);
            }
            if (t && !silenced_by(rule, *t)) {
                consider(*t);
            }
        }
    }
    return next;
}

std::size_t escalation::level_reached() const {
    std::size_t level = 0;
    for (const auto& track : sent_) {
        level = std::max(level, track.level);
    }
    return level;
}

std::vector<std::string> escalation::channels_to_resolve() const {
    std::vector<std::string> channels;
    for (const auto& track : sent_) {
        if (!has_resolution(track.channel) &&
            std::find(channels.begin(), channels.end(), track.channel) == channels.end()) {
            channels.push_back(track.channel);
        }
    }
    return channels;
}

} // namespace pantau
