#include "probes/activity_probe.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

#include "core/activity.hpp"
#include "probes/http_probe.hpp"

namespace pantau {

namespace {

std::string excerpt(const nlohmann::json& v) {
    std::string text = v.dump();
    if (text.size() > 40) {
        text.resize(40);
        text += "...";
    }
    return text;
}

std::optional<double> number_in(std::string_view s) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

activity_rule rule_of(const activity_check& spec) {
    activity_rule rule;
    rule.min_increase = spec.min_increase;
    rule.must_increase_within = spec.must_increase_within;
    rule.what = spec.what;
    rule.source = spec.metric ? to_string(*spec.metric) : spec.pointer;
    rule.during = spec.calendar ? &*spec.calendar : nullptr;
    return rule;
}

class activity_probe final : public probe {
public:
    activity_probe(probe_context& ctx, activity_check spec)
        : io_(ctx.io)
        , ctx_(ctx)
        , spec_(std::move(spec))
        , tracker_(rule_of(spec_))
        , fetch_(make_http_probe(ctx, spec_.http, [this](probe_result& r, std::string_view body) {
            inspect(r, body);
        })) {}

    ~activity_probe() override { cancel(); }
    activity_probe(const activity_probe&) = delete;
    activity_probe& operator=(const activity_probe&) = delete;

    void async_run(std::chrono::milliseconds timeout, probe_handler done) override {
        started_ = ctx_.wall_now();
        if (!tracker_.applies(started_)) {
            tracker_.idle();
            probe_result r;
            r.status = probe_status::idle;
            r.reason = "outside service hours (" + spec_.during.value_or("") + ")";
            deferred_.post(io_, std::move(r), std::move(done));
            return;
        }
        fetch_->async_run(timeout, std::move(done));
    }

    void cancel() override {
        deferred_.cancel();
        fetch_->cancel();
    }

    const char* type() const override { return "activity"; }

private:
    void inspect(probe_result& r, std::string_view body) {
        std::string error;
        const std::optional<double> value = read_activity_value(spec_, body, error);
        if (!value) {
            r.status = probe_status::failure;
            r.reason = std::move(error);
            return;
        }
        activity_verdict v = tracker_.observe(*value, started_);
        r.status = v.status;
        r.reason = std::move(v.reason);
    }

    boost::asio::io_context& io_;
    const probe_context& ctx_; // outlives the probe
    activity_check spec_;
    activity_tracker tracker_;
    std::unique_ptr<probe> fetch_;
    std::chrono::system_clock::time_point started_{};
    deferred_result deferred_;
};

} // namespace

std::optional<double> read_activity_value(const activity_check& spec, std::string_view body,
                                          std::string& error) {
    if (spec.metric) {
        const metric_reading m = read_metric(body, *spec.metric);
        if (m.samples == 0) {
            error = "metric " + to_string(*spec.metric) + " is not in the answer";
            return std::nullopt;
        }
        if (!std::isfinite(m.sum)) {
            error = "metric " + to_string(*spec.metric) + " is not a finite number";
            return std::nullopt;
        }
        return m.sum;
    }
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded()) {
        error = "the answer is not JSON (reading " + spec.pointer + ")";
        return std::nullopt;
    }
    const nlohmann::json::json_pointer pointer{spec.pointer};
    if (!doc.contains(pointer)) {
        error = "no value at " + spec.pointer + " in the answer";
        return std::nullopt;
    }
    const nlohmann::json& v = doc.at(pointer);
    if (v.is_number()) {
        const double d = v.get<double>();
        if (std::isfinite(d)) {
            return d;
        }
    } else if (v.is_string()) {
        if (const auto d = number_in(v.get_ref<const std::string&>())) {
            return d;
        }
    }
    error = "value at " + spec.pointer + " is " + excerpt(v) + ", not a number";
    return std::nullopt;
}

std::unique_ptr<probe> make_activity_probe(probe_context& ctx, const activity_check& spec) {
    return std::make_unique<activity_probe>(ctx, spec);
}

} // namespace pantau
