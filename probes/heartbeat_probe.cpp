#include "probes/heartbeat_probe.hpp"

#include "core/heartbeat.hpp"

namespace pantau {

void heartbeat_board::record(const std::string& key, time_point at) {
    auto [it, inserted] = last_.emplace(key, at);
    if (!inserted && at > it->second) {
        it->second = at;
    }
}

std::optional<heartbeat_board::time_point> heartbeat_board::last(const std::string& key) const {
    const auto it = last_.find(key);
    if (it == last_.end()) {
        return std::nullopt;
    }
    return it->second;
}

heartbeat_board& heartbeats_of(probe_context& ctx) {
    if (!ctx.heartbeats) {
        ctx.heartbeats = std::make_shared<heartbeat_board>();
    }
    return *ctx.heartbeats;
}

namespace {

class heartbeat_probe final : public probe {
public:
    heartbeat_probe(probe_context& ctx, const heartbeat_check& spec, std::string key)
        : io_(ctx.io)
        , ctx_(ctx)
        , board_(ctx.heartbeats)
        , rule_{spec.expect_every, spec.grace}
        , key_(std::move(key))
        , watching_since_(ctx.wall_now()) {}

    ~heartbeat_probe() override { cancel(); }
    heartbeat_probe(const heartbeat_probe&) = delete;
    heartbeat_probe& operator=(const heartbeat_probe&) = delete;

    void async_run(std::chrono::milliseconds /*timeout*/, probe_handler done) override {
        const heartbeat_verdict v =
            judge_heartbeat(rule_, board_->last(key_), watching_since_, ctx_.wall_now());
        probe_result r;
        r.status = v.status;
        r.reason = v.reason;
        deferred_.post(io_, std::move(r), std::move(done));
    }

    void cancel() override { deferred_.cancel(); }

    const char* type() const override { return "heartbeat"; }

private:
    boost::asio::io_context& io_;
    const probe_context& ctx_; // outlives the probe
    std::shared_ptr<heartbeat_board> board_;
    heartbeat_rule rule_;
    std::string key_;
    std::chrono::system_clock::time_point watching_since_;
    deferred_result deferred_;
};

} // namespace

std::unique_ptr<probe> make_heartbeat_probe(probe_context& ctx, const heartbeat_check& spec,
                                            const std::string& key) {
    heartbeats_of(ctx);
    return std::make_unique<heartbeat_probe>(ctx, spec, key);
}

} // namespace pantau
