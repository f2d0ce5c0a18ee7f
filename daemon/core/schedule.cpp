#include "core/schedule.hpp"

#include <algorithm>
#include <functional>

namespace pantau {

std::chrono::nanoseconds stable_phase(std::string_view key, std::chrono::nanoseconds interval) {
    if (interval.count() <= 0) {
        return std::chrono::nanoseconds{0};
    }
    // FNV-1a: stable across runs and platforms, unlike std::hash.
    std::uint64_t h = 14695981039346656037ULL;
    for (char c : key) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    // Spread at millisecond granularity: finer offsets buy nothing.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval).count();
    if (ms <= 0) {
        return std::chrono::nanoseconds{0};
    }
    return std::chrono::milliseconds{static_cast<std::int64_t>(h % static_cast<std::uint64_t>(ms))};
}

schedule::schedule(mono_time anchor, std::size_t max_in_flight)
    : anchor_(anchor)
    , max_in_flight_(max_in_flight == 0 ? 1 : max_in_flight) {}

mono_time schedule::first_slot_at_or_after(const entry& e, mono_time t) const {
    const mono_time base = anchor_ + e.phase;
    if (t <= base) {
        return base;
    }
    const auto since = t - base;
    auto k = since / e.interval;
    if (base + k * e.interval < t) {
        ++k;
    }
    return base + k * e.interval;
}

void schedule::push(check_id id) {
    entry& e = entries_[id];
    e.state = run_state::waiting;
    heap_.push(heap_item{e.due, id, e.generation});
}

schedule::check_id schedule::add(std::chrono::nanoseconds interval, std::chrono::nanoseconds phase,
                                 mono_time now) {
    const auto id = static_cast<check_id>(entries_.size());
    entry e;
    e.interval = interval.count() > 0 ? interval : std::chrono::nanoseconds{1};
    e.phase = phase % e.interval;
    if (e.phase.count() < 0) {
        e.phase += e.interval;
    }
    e.slot = first_slot_at_or_after(e, now);
    e.due = e.slot;
    entries_.push_back(e);
    ++live_;
    push(id);
    return id;
}

void schedule::update(check_id id, std::chrono::nanoseconds interval,
                      std::chrono::nanoseconds phase, mono_time now) {
    entry& e = entries_.at(id);
    if (e.state == run_state::removed) {
        return;
    }
    e.interval = interval.count() > 0 ? interval : std::chrono::nanoseconds{1};
    e.phase = phase % e.interval;
    if (e.state == run_state::waiting && !e.retrying) {
        ++e.generation; // drop the stale heap item
        e.slot = first_slot_at_or_after(e, now);
        e.due = e.slot;
        push(id);
    }
    // A run in flight or queued picks up the new interval when it finishes.
}

void schedule::run_now(check_id id, mono_time now) {
    entry& e = entries_.at(id);
    if (e.state != run_state::waiting || e.due <= now) {
        return;
    }
    ++e.generation; // drop the later heap item
    e.retrying = true;
    e.due = now;
    push(id);
}

void schedule::remove(check_id id) {
    entry& e = entries_.at(id);
    if (e.state == run_state::removed) {
        return;
    }
    if (e.state == run_state::in_flight) {
        --in_flight_;
    }
    if (e.state == run_state::ready) {
        ready_.erase(std::find(ready_.begin(), ready_.end(), id));
    }
    e.state = run_state::removed;
    ++e.generation;
    --live_;
}

void schedule::begin(check_id id, mono_time now, std::vector<start>& out) {
    entry& e = entries_[id];
    e.state = run_state::in_flight;
    ++in_flight_;
    out.push_back(start{id, std::max(std::chrono::nanoseconds{0}, now - e.due)});
}

void schedule::take_due(mono_time now, std::vector<start>& out) {
    while (!ready_.empty() && in_flight_ < max_in_flight_) {
        const check_id id = ready_.front();
        ready_.pop_front();
        begin(id, now, out);
    }
    while (!heap_.empty() && heap_.top().due <= now) {
        const heap_item item = heap_.top();
        heap_.pop();
        entry& e = entries_[item.id];
        if (item.generation != e.generation || e.state != run_state::waiting) {
            continue;
        }
        if (in_flight_ < max_in_flight_) {
            begin(item.id, now, out);
        } else {
            e.state = run_state::ready;
            ready_.push_back(item.id);
        }
    }
}

void schedule::finish(check_id id, mono_time now,
                      std::optional<std::chrono::nanoseconds> retry_after,
                      std::chrono::nanoseconds jitter) {
    entry& e = entries_.at(id);
    if (e.state != run_state::in_flight) {
        return; // removed while in flight
    }
    --in_flight_;
    ++e.generation;
    jitter = std::max(std::chrono::nanoseconds{0}, jitter);
    if (retry_after) {
        e.retrying = true;
        e.due = now + *retry_after;
    } else {
        if (e.retrying) {
            // Back from re-checks: rejoin the phase-aligned grid after now.
            e.retrying = false;
            e.slot = first_slot_at_or_after(e, now + std::chrono::nanoseconds{1});
        } else {
            e.slot += e.interval;
            if (e.slot + e.interval <= now) {
                // A whole interval behind: run once now rather than replaying every slot.
                const auto behind = (now - e.slot) / e.interval;
                skipped_ += static_cast<std::uint64_t>(behind);
                e.slot += behind * e.interval;
            }
        }
        e.due = e.slot + jitter;
    }
    push(id);
}

std::optional<mono_time> schedule::next_wakeup() {
    while (!heap_.empty()) {
        const heap_item& top = heap_.top();
        const entry& e = entries_[top.id];
        if (top.generation == e.generation && e.state == run_state::waiting) {
            break;
        }
        heap_.pop();
    }
    std::optional<mono_time> next;
    if (!ready_.empty() && in_flight_ < max_in_flight_) {
        next = entries_[ready_.front()].due;
    }
    if (!heap_.empty() && in_flight_ < max_in_flight_) {
        next = next ? std::min(*next, heap_.top().due) : heap_.top().due;
    }
    return next;
}

} // namespace pantau
