#include "runtime/asio_time_source.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstdint>

namespace pantau {

namespace {

class asio_timer final : public timer {
public:
    explicit asio_timer(boost::asio::io_context& io) : timer_(io) {}

    ~asio_timer() override {
        try {
            cancel();
        } catch (...) {
            // never throw from a destructor
        }
    }
    asio_timer(const asio_timer&) = delete;
    asio_timer& operator=(const asio_timer&) = delete;
    asio_timer(asio_timer&&) = delete;
    asio_timer& operator=(asio_timer&&) = delete;

    void async_wait_until(mono_time at, handler h) override {
        // A completion already queued when the timer is re-armed or cancelled cannot be
        // taken back from Asio: the generation tells it apart, so it does nothing.
        const std::uint64_t generation = ++state_->generation;
        state_->h = std::move(h);
        state_->expiry = at;
        timer_.expires_at(at);
        timer_.async_wait(
            [weak = std::weak_ptr<state>(state_), generation](const boost::system::error_code& ec) {
                const auto s = weak.lock();
                if (ec || !s || s->generation != generation || !s->h) {
                    return;
                }
                handler run = std::move(s->h);
                s->h = nullptr;
                s->expiry.reset();
                run();
            });
    }

    void cancel() override {
        ++state_->generation;
        state_->h = nullptr;
        state_->expiry.reset();
        timer_.cancel();
    }

    std::optional<mono_time> expiry() const override { return state_->expiry; }

private:
    struct state {
        std::uint64_t generation = 0;
        handler h;
        std::optional<mono_time> expiry;
    };

    boost::asio::steady_timer timer_;
    // Shared with pending completions, which may run after the timer is gone.
    std::shared_ptr<state> state_ = std::make_shared<state>();
};

} // namespace

std::unique_ptr<timer> asio_time_source::make_timer() {
    return std::make_unique<asio_timer>(io_);
}

} // namespace pantau
