#include "support/manual_clock.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace pantau::test {

// The clock's timer: at most one wait in the clock's list.
class manual_timer final : public timer {
public:
    explicit manual_timer(manual_clock& clock) : clock_(clock) {}
    ~manual_timer() override { cancel(); }
    manual_timer(const manual_timer&) = delete;
    manual_timer& operator=(const manual_timer&) = delete;
    manual_timer(manual_timer&&) = delete;
    manual_timer& operator=(manual_timer&&) = delete;

    void async_wait_until(mono_time at, handler h) override {
        cancel();
        key_ = clock_.arm(this, at, std::move(h));
    }

    void cancel() override {
        if (key_) {
            clock_.disarm(*key_);
            key_.reset();
        }
    }

    std::optional<mono_time> expiry() const override {
        return key_ ? std::optional<mono_time>{key_->first} : std::nullopt;
    }

    // The clock took the wait out of its list to run it.
    void fired() { key_.reset(); }

private:
    manual_clock& clock_;
    std::optional<manual_clock::wait_key> key_;
};

manual_clock::manual_clock(boost::asio::io_context& io, wall_time wall_start)
    : io_(io)
    , wall_start_(wall_start)
    , mono_start_(mono_time{} + std::chrono::hours(1000))
    , now_(mono_start_) {}

manual_clock::~manual_clock() = default;

std::unique_ptr<timer> manual_clock::make_timer() {
    return std::make_unique<manual_timer>(*this);
}

manual_clock::wait_key manual_clock::arm(manual_timer* owner, mono_time at, timer::handler h) {
    const wait_key key{at, next_seq_++};
    waits_.emplace(key, wait{owner, std::move(h)});
    return key;
}

void manual_clock::disarm(const wait_key& key) {
    waits_.erase(key);
}

void manual_clock::poll() {
    io_.restart();
    io_.poll();
}

void manual_clock::run_due(mono_time until) {
    poll();
    // Generous: a scenario arms a few timers per simulated event, not this many.
    constexpr int max_runs_at_one_instant = 100000;
    int runs_here = 0;
    while (!waits_.empty() && waits_.begin()->first.first <= until) {
        const auto it = waits_.begin();
        const mono_time at = std::max(now_, it->first.first);
        runs_here = at == now_ ? runs_here + 1 : 0;
        if (runs_here > max_runs_at_one_instant) {
            throw std::runtime_error("manual_clock: timers keep firing at the same instant");
        }
        now_ = at;
        timer::handler h = std::move(it->second.h);
        it->second.owner->fired();
        waits_.erase(it);
        // Like an Asio completion: run from the loop's thread, never inside async_wait_until.
        h();
        poll();
    }
}

void manual_clock::advance(std::chrono::nanoseconds d) {
    const mono_time target = now_ + d;
    run_due(target);
    now_ = target;
    poll();
}

void manual_clock::settle() {
    run_due(now_);
}

} // namespace pantau::test
