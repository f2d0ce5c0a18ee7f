#include "support/scripted_probe.hpp"

#include <variant>

namespace pantau::test {

class probe_script::scripted_probe final : public probe {
public:
    scripted_probe(probe_script& script, boost::asio::io_context& io, std::string key)
        : script_(script)
        , io_(io)
        , key_(std::move(key)) {}
    ~scripted_probe() override { cancel(); }
    scripted_probe(const scripted_probe&) = delete;
    scripted_probe& operator=(const scripted_probe&) = delete;
    scripted_probe(scripted_probe&&) = delete;
    scripted_probe& operator=(scripted_probe&&) = delete;

    void async_run(std::chrono::milliseconds /*timeout*/, probe_handler done) override {
        probe_result r;
        r.status = probe_status::failure;
        r.reason = "not scripted";
        if (const auto it = script_.results_.find(key_); it != script_.results_.end()) {
            r = it->second.front();
            if (it->second.size() > 1) {
                it->second.pop_front();
            }
        }
        ++script_.runs_[key_];
        deferred_.post(io_, std::move(r), std::move(done));
    }

    void cancel() override { deferred_.cancel(); }

    const char* type() const override { return "scripted"; }

private:
    probe_script& script_;
    boost::asio::io_context& io_;
    std::string key_;
    deferred_result deferred_;
};

probe_maker probe_script::maker() {
    return [this](probe_context& ctx, const check_spec& spec,
                  const std::string& key) -> std::unique_ptr<probe> {
        const bool judged_by_clock = std::holds_alternative<heartbeat_check>(spec) ||
                                     std::holds_alternative<activity_check>(spec);
        if (judged_by_clock && results_.count(key) == 0) {
            return make_probe(ctx, spec, key);
        }
        return std::make_unique<scripted_probe>(*this, ctx.io, key);
    };
}

namespace {

probe_result result_of(probe_status status, std::string reason) {
    probe_result r;
    r.status = status;
    r.reason = std::move(reason);
    return r;
}

} // namespace

void probe_script::set(const std::string& key, probe_status status, std::string reason) {
    results_[key] = {result_of(status, std::move(reason))};
}

void probe_script::sequence(const std::string& key, const std::vector<probe_status>& statuses) {
    if (statuses.empty()) {
        results_.erase(key);
        return;
    }
    std::deque<probe_result>& q = results_[key];
    q.clear();
    for (const probe_status s : statuses) {
        q.push_back(result_of(s, s == probe_status::success ? "http 200" : "http 503"));
    }
}

std::size_t probe_script::runs(const std::string& key) const {
    const auto it = runs_.find(key);
    return it == runs_.end() ? 0 : it->second;
}

} // namespace pantau::test
