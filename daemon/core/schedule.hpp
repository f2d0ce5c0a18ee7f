// When each check runs. Pure logic: the caller passes monotonic time and jitter in.
//
// Every check has a stable phase offset inside its interval, so checks with the same
// interval spread out instead of firing in the same millisecond. Regular runs happen at
// anchor + phase + k * interval (+ jitter); after a failure the caller asks for an earlier
// re-check (retry_interval) until the health state is decided, then runs return to the
// phase-aligned slots. At most one run per check is in flight, and at most
// `max_in_flight` runs overall; a check that is due while the cap is reached waits in a
// FIFO queue and its lateness counts from its due time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

namespace pantau {

using mono_clock = std::chrono::steady_clock;
using mono_time = mono_clock::time_point;

// Stable offset in [0, interval) derived from a check's key (e.g. "agency/service/check").
std::chrono::nanoseconds stable_phase(std::string_view key, std::chrono::nanoseconds interval);

class schedule {
public:
    using check_id = std::uint32_t;

    struct start {
        check_id check;
        // How late the run starts relative to when it was due (>= 0).
        std::chrono::nanoseconds lag;
    };

    schedule(mono_time anchor, std::size_t max_in_flight);

    // Adds a check; its first run is its first phase-aligned slot at or after `now`.
    // `interval` must be positive; `phase` is reduced modulo interval.
    check_id add(std::chrono::nanoseconds interval, std::chrono::nanoseconds phase, mono_time now);

    // Changes interval/phase of an existing check; takes effect from its next slot.
    void update(check_id id, std::chrono::nanoseconds interval, std::chrono::nanoseconds phase,
                mono_time now);

    // Brings a waiting check's next run forward to `now` (a heartbeat arrived for a check
    // that is down); it rejoins its phase-aligned slots afterwards. No-op unless waiting.
    void run_now(check_id id, mono_time now);

    // Stops scheduling a check. A run in flight may still finish(); that is ignored.
    void remove(check_id id);

    // Marks every check due at or before `now` as in flight (up to the cap) and appends
    // them to `out` in due order.
    void take_due(mono_time now, std::vector<start>& out);

    // The run of `id` completed at `now`. With `retry_after` the next run is at
    // now + retry_after; otherwise at the next phase-aligned slot (never skipping a slot
    // unless the check fell a whole interval behind). `jitter` is added to the next due
    // time and should be small and non-negative.
    void finish(check_id id, mono_time now, std::optional<std::chrono::nanoseconds> retry_after,
                std::chrono::nanoseconds jitter);

    // The earliest time at which take_due() has work, or nullopt when nothing is waiting.
    std::optional<mono_time> next_wakeup();

    std::size_t in_flight() const { return in_flight_; }
    std::size_t max_in_flight() const { return max_in_flight_; }
    void set_max_in_flight(std::size_t n) { max_in_flight_ = n == 0 ? 1 : n; }
    // Slots that were skipped because a check fell a whole interval behind.
    std::uint64_t skipped() const { return skipped_; }
    std::size_t size() const { return live_; }

private:
    enum class run_state : std::uint8_t { waiting, ready, in_flight, removed };

    struct entry {
        std::chrono::nanoseconds interval{0};
        std::chrono::nanoseconds phase{0};
        mono_time slot{}; // nominal phase-aligned slot of the current/next regular run
        mono_time due{};  // when the next run is due (slot + jitter, or a retry time)
        std::uint32_t generation = 0;
        bool retrying = false;
        run_state state = run_state::waiting;
    };

    struct heap_item {
        mono_time due;
        check_id id;
        std::uint32_t generation;
        bool operator>(const heap_item& o) const { return due > o.due; }
    };

    mono_time first_slot_at_or_after(const entry& e, mono_time t) const;
    void push(check_id id);
    void begin(check_id id, mono_time now, std::vector<start>& out);

    mono_time anchor_;
    std::size_t max_in_flight_;
    std::size_t in_flight_ = 0;
    std::size_t live_ = 0;
    std::uint64_t skipped_ = 0;
    std::vector<entry> entries_;
    std::priority_queue<heap_item, std::vector<heap_item>, std::greater<>> heap_;
    std::deque<check_id> ready_;
};

} // namespace pantau
