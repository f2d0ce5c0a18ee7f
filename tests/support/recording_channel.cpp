#include "support/recording_channel.hpp"

#include <boost/asio/post.hpp>

#include "config/config.hpp"

namespace pantau::test {

class recording_inbox::recording_channel final : public channel {
public:
    recording_channel(recording_inbox& inbox, std::string name)
        : inbox_(inbox)
        , name_(std::move(name)) {}
    ~recording_channel() override { cancel(); }
    recording_channel(const recording_channel&) = delete;
    recording_channel& operator=(const recording_channel&) = delete;
    recording_channel(recording_channel&&) = delete;
    recording_channel& operator=(recording_channel&&) = delete;

    void async_send(const notification& n, send_handler done) override {
        send_result r;
        r.ok = true;
        r.detail = "recorded";
        if (const auto a = inbox_.answers_.find(name_); a != inbox_.answers_.end()) {
            r = a->second;
        }
        inbox_.attempts_.push_back({name_, n, inbox_.clock_.wall_now(), r.ok});
        boost::asio::post(inbox_.io_, [weak = std::weak_ptr<bool>(live_), r = std::move(r),
                                       done = std::move(done)]() mutable {
            if (const auto live = weak.lock(); live && *live) {
                done(std::move(r));
            }
        });
    }

    // Answers already on their way are dropped, as the interface promises.
    void cancel() override { live_ = std::make_shared<bool>(true); }

    const std::string& name() const override { return name_; }

    std::optional<std::chrono::milliseconds> refresh_every() const override {
        if (const auto l = inbox_.leases_.find(name_); l != inbox_.leases_.end()) {
            return l->second;
        }
        return std::nullopt;
    }

private:
    recording_inbox& inbox_;
    std::string name_;
    std::shared_ptr<bool> live_ = std::make_shared<bool>(true);
};

recording_inbox::recording_inbox(boost::asio::io_context& io, const time_source& clock)
    : io_(io)
    , clock_(clock) {}

notifier::channel_factory recording_inbox::factory() {
    return [this](curl_multi&, const channel_config& cfg,
                  std::string& /*error*/) -> std::unique_ptr<channel> {
        return std::make_unique<recording_channel>(*this, cfg.name);
    };
}

void recording_inbox::answer(const std::string& channel, std::optional<send_result> r) {
    if (r) {
        answers_[channel] = std::move(*r);
    } else {
        answers_.erase(channel);
    }
}

void recording_inbox::lease(const std::string& channel, std::chrono::milliseconds every) {
    leases_[channel] = every;
}

std::vector<delivery> recording_inbox::delivered(const std::string& channel) const {
    std::vector<delivery> out;
    for (const delivery& d : attempts_) {
        if (d.ok && (channel.empty() || d.channel == channel)) {
            out.push_back(d);
        }
    }
    return out;
}

std::vector<std::string> recording_inbox::summary() const {
    std::vector<std::string> out;
    for (const delivery& d : delivered()) {
        out.push_back(d.channel + ":" + to_string(d.message.kind) + ":" +
                      std::to_string(d.message.level));
    }
    return out;
}

} // namespace pantau::test
