#include "web/metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/outage_book.hpp"
#include "runtime/monitor.hpp"
#include "runtime/notifier.hpp"
#include "runtime/recorder.hpp"

#ifndef PANTAU_VERSION
#define PANTAU_VERSION "unknown"
#endif

namespace pantau {

namespace {

// A family with one unlabelled sample.
prometheus::MetricFamily single(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
    prometheus::MetricFamily f{std::move(name), std::move(help), type, {}};
    prometheus::ClientMetric cm;
    if (type == prometheus::MetricType::Counter) {
        cm.counter.value = value;
    } else {
        cm.gauge.value = value;
    }
    f.metric.push_back(std::move(cm));
    return f;
}

// Daemon-wide figures taken from the monitor at scrape time.
class monitor_collector final : public prometheus::Collectable {
public:
    explicit monitor_collector(const monitor& m) : monitor_(m) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        std::vector<prometheus::MetricFamily> out;

        prometheus::MetricFamily probes{"pantau_probes_total",
                                        "Completed probes by probe type and result.",
                                        prometheus::MetricType::Counter,
                                        {}};
        for (const auto& [type, counts] : monitor_.probe_counts()) {
            constexpr std::array<const char*, 3> results{"success", "failure", "idle"};
            for (std::size_t i = 0; i < results.size(); ++i) {
                if (i == 2 && counts[i] == 0) {
                    continue; // only checks with service hours are ever idle
                }
                prometheus::ClientMetric cm;
                cm.label = {{"type", type}, {"result", results[i]}};
                cm.counter.value = static_cast<double>(counts[i]);
                probes.metric.push_back(std::move(cm));
            }
        }
        out.push_back(std::move(probes));

        prometheus::MetricFamily lag{"pantau_schedule_lag_seconds",
                                     "How late each probe started relative to its due time.",
                                     prometheus::MetricType::Histogram,
                                     {}};
        {
            const lag_histogram& h = monitor_.lag();
            prometheus::ClientMetric cm;
            cm.histogram.sample_count = h.count;
            cm.histogram.sample_sum = h.sum;
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < h.bounds.size(); ++i) {
                cumulative += h.counts[i];
                cm.histogram.bucket.push_back({cumulative, h.bounds[i]});
            }
            cm.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
            lag.metric.push_back(std::move(cm));
        }
        out.push_back(std::move(lag));

        out.push_back(single("pantau_schedule_skipped_total",
                             "Scheduled runs skipped because a check fell a whole interval behind.",
                             prometheus::MetricType::Counter,
                             static_cast<double>(monitor_.skipped())));
        out.push_back(single("pantau_probes_in_flight", "Probes currently running.",
                             prometheus::MetricType::Gauge,
                             static_cast<double>(monitor_.in_flight())));
        out.push_back(single("pantau_checks", "Configured checks.", prometheus::MetricType::Gauge,
                             static_cast<double>(monitor_.check_count())));
        return out;
    }

private:
    const monitor& monitor_;
};

class recorder_collector final : public prometheus::Collectable {
public:
    recorder_collector(const recorder& r, const outage_book& book, const monitor& m)
        : recorder_(r)
        , book_(book)
        , monitor_(m) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        const recorder_stats st = recorder_.stats();
        std::vector<prometheus::MetricFamily> out;
        prometheus::MetricFamily open{"pantau_outage_open",
                                      "1 while the service has an open outage.",
                                      prometheus::MetricType::Gauge,
                                      {}};
        for (const service_runtime& s : monitor_.services()) {
            prometheus::ClientMetric cm;
            cm.label = {{"agency", s.agency}, {"service", s.id}};
            cm.gauge.value = book_.open_outage(s.agency + "/" + s.id) ? 1 : 0;
            open.metric.push_back(std::move(cm));
        }
        out.push_back(std::move(open));
        out.push_back(single("pantau_outages_total", "Outages opened since the daemon started.",
                             prometheus::MetricType::Counter,
                             static_cast<double>(st.outages_opened)));
        out.push_back(
            single("pantau_ledger_write_errors_total", "Failed attempts to write to the ledger.",
                   prometheus::MetricType::Counter, static_cast<double>(st.write_errors)));
        out.push_back(single("pantau_ledger_pending_events",
                             "Events waiting to be written to the ledger.",
                             prometheus::MetricType::Gauge, static_cast<double>(st.pending)));
        out.push_back(single(
            "pantau_ledger_dropped_events_total", "Events lost because the pending queue was full.",
            prometheus::MetricType::Counter, static_cast<double>(st.dropped_events)));
        out.push_back(single("pantau_ledger_up", "1 while the ledger is open.",
                             prometheus::MetricType::Gauge, st.ledger_open ? 1 : 0));
        return out;
    }

private:
    const recorder& recorder_;
    const outage_book& book_;
    const monitor& monitor_;
};

class notifier_collector final : public prometheus::Collectable {
public:
    notifier_collector(const notifier& n, const outage_book& book, const monitor& m)
        : notifier_(n)
        , book_(book)
        , monitor_(m) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        std::vector<prometheus::MetricFamily> out;
        prometheus::MetricFamily sent{"pantau_notifications_total",
                                      "Notification delivery attempts by channel and result "
                                      "(delivered, failed: will be retried, rejected: refused "
                                      "for good, dropped: outbox full).",
                                      prometheus::MetricType::Counter,
                                      {}};
        prometheus::MetricFamily pending{"pantau_outbox_pending",
                                         "Notifications queued for a channel, not delivered yet.",
                                         prometheus::MetricType::Gauge,
                                         {}};
        for (const channel_figures& f : notifier_.figures()) {
            const std::pair<const char*, std::uint64_t> results[] = {{"delivered", f.delivered},
                                                                     {"failed", f.failed},
                                                                     {"rejected", f.rejected},
                                                                     {"dropped", f.dropped}};
            for (const auto& [result, count] : results) {
                prometheus::ClientMetric cm;
                cm.label = {{"channel", f.name}, {"result", result}};
                cm.counter.value = static_cast<double>(count);
                sent.metric.push_back(std::move(cm));
            }
            prometheus::ClientMetric cm;
            cm.label = {{"channel", f.name}};
            cm.gauge.value = static_cast<double>(f.pending);
            pending.metric.push_back(std::move(cm));
        }
        out.push_back(std::move(sent));
        out.push_back(std::move(pending));
        prometheus::MetricFamily level{"pantau_escalation_level",
                                       "Highest escalation level notified for the service's open "
                                       "outage; 0 when none.",
                                       prometheus::MetricType::Gauge,
                                       {}};
        for (const service_runtime& s : monitor_.services()) {
            prometheus::ClientMetric cm;
            cm.label = {{"agency", s.agency}, {"service", s.id}};
            cm.gauge.value = static_cast<double>(book_.level(s.agency + "/" + s.id));
            level.metric.push_back(std::move(cm));
        }
        out.push_back(std::move(level));
        return out;
    }

private:
    const notifier& notifier_;
    const outage_book& book_;
    const monitor& monitor_;
};

void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    if (ec == std::errc{}) {
        out.append(buf, end);
    } else {
        out += "NaN";
    }
}

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

// Writes `name{agency="..",service="..",check=".."` without the closing brace.
void open_check_series(std::string& out, std::string_view name, const check_runtime& c) {
    out += name;
    out += "{agency=\"";
    append_label_value(out, c.agency);
    out += "\",service=\"";
    append_label_value(out, c.service);
    out += "\",check=\"";
    append_label_value(out, c.cfg.id);
    out += '"';
}

void check_sample(std::string& out, std::string_view name, const check_runtime& c, double v) {
    open_check_series(out, name, c);
    out += "} ";
    append_number(out, v);
    out += '\n';
}

double seconds(std::chrono::nanoseconds d) {
    return std::chrono::duration<double>(d).count();
}

void render_checks(std::string& out, const monitor& m) {
    const auto& checks = m.checks();
    auto each = [&checks](auto&& fn) {
        for (const auto& c : checks) {
            if (c) {
                fn(*c);
            }
        }
    };

    header(out, "probe_success",
           "Whether the last probe succeeded (1) or failed (0); absent while the check is idle.",
           "gauge");
    each([&out](const check_runtime& c) {
        if (c.last && c.last->status != probe_status::idle) {
            check_sample(out, "probe_success", c,
                         c.last->status == probe_status::success ? 1.0 : 0.0);
        }
    });
    header(out, "probe_duration_seconds", "How long the last probe took.", "gauge");
    each([&out](const check_runtime& c) {
        if (c.last) {
            check_sample(out, "probe_duration_seconds", c, seconds(c.last->elapsed));
        }
    });
    header(out, "probe_http_status_code", "HTTP status code of the last probe's response.",
           "gauge");
    each([&out](const check_runtime& c) {
        if (c.last && c.last->http_status_code) {
            check_sample(out, "probe_http_status_code", c, *c.last->http_status_code);
        }
    });
    header(out, "probe_http_duration_seconds", "Duration of each phase of the last HTTP probe.",
           "gauge");
    each([&out](const check_runtime& c) {
        if (!c.last || !c.last->phases) {
            return;
        }
        const http_phases& p = *c.last->phases;
        const std::pair<const char*, std::chrono::nanoseconds> phases[] = {
            {"resolve", p.resolve},       {"connect", p.connect},   {"tls", p.tls},
            {"processing", p.processing}, {"transfer", p.transfer},
        };
        for (const auto& [phase, d] : phases) {
            open_check_series(out, "probe_http_duration_seconds", c);
            out += ",phase=\"";
            out += phase;
            out += "\"} ";
            append_number(out, seconds(d));
            out += '\n';
        }
    });
    header(out, "probe_ssl_earliest_cert_expiry",
           "Earliest expiry of the server's certificate chain, in Unix seconds.", "gauge");
    each([&out](const check_runtime& c) {
        if (c.last && c.last->cert_earliest_expiry) {
            check_sample(
                out, "probe_ssl_earliest_cert_expiry", c,
                std::chrono::duration<double>(c.last->cert_earliest_expiry->time_since_epoch())
                    .count());
        }
    });
    header(out, "probe_dns_lookup_time_seconds", "Time the last probe spent resolving names.",
           "gauge");
    each([&out](const check_runtime& c) {
        if (!c.last) {
            return;
        }
        if (c.last->dns_lookup) {
            check_sample(out, "probe_dns_lookup_time_seconds", c, seconds(*c.last->dns_lookup));
        } else if (c.last->phases) {
            check_sample(out, "probe_dns_lookup_time_seconds", c, seconds(c.last->phases->resolve));
        }
    });
    header(out, "probe_icmp_duration_seconds",
           "Average round-trip time of the last ICMP probe's echo replies.", "gauge");
    each([&out](const check_runtime& c) {
        if (c.last && c.last->icmp && c.last->icmp->received > 0) {
            open_check_series(out, "probe_icmp_duration_seconds", c);
            out += ",phase=\"rtt\"} ";
            append_number(out, seconds(c.last->icmp->rtt_avg));
            out += '\n';
        }
    });
    header(out, "pantau_icmp_packet_loss_ratio",
           "Share of the last ICMP probe's echo requests that got no reply (0 to 1).", "gauge");
    each([&out](const check_runtime& c) {
        if (c.last && c.last->icmp && c.last->icmp->sent > 0) {
            const icmp_stats& st = *c.last->icmp;
            check_sample(out, "pantau_icmp_packet_loss_ratio", c,
                         static_cast<double>(st.sent - st.received) / st.sent);
        }
    });
    header(out, "pantau_check_state", "Health state of each check (1 for the current state).",
           "gauge");
    constexpr check_state all_states[] = {check_state::unknown, check_state::up,
                                          check_state::pending, check_state::down,
                                          check_state::idle};
    each([&out, &all_states](const check_runtime& c) {
        for (check_state s : all_states) {
            open_check_series(out, "pantau_check_state", c);
            out += ",state=\"";
            out += to_string(s);
            out += "\"} ";
            out += c.health.state() == s ? '1' : '0';
            out += '\n';
        }
    });

    header(out, "pantau_service_up",
           "Whether the service is up (1) or down (0); absent until its checks have a result.",
           "gauge");
    for (const service_runtime& s : m.services()) {
        if (s.state == service_state::unknown || s.state == service_state::idle) {
            continue;
        }
        out += "pantau_service_up{agency=\"";
        append_label_value(out, s.agency);
        out += "\",service=\"";
        append_label_value(out, s.id);
        out += "\"} ";
        out += s.state == service_state::up ? '1' : '0';
        out += '\n';
    }
}

} // namespace

void append_label_value(std::string& out, std::string_view value) {
    for (char ch : value) {
        switch (ch) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += ch; break;
        }
    }
}

metrics_endpoint::metrics_endpoint(const monitor& m)
    : monitor_(m)
    , registry_(std::make_shared<prometheus::Registry>())
    , monitor_collector_(std::make_shared<monitor_collector>(m)) {
    prometheus::BuildGauge()
        .Name("pantau_build_info")
        .Help("Build information; the value is always 1.")
        .Register(*registry_)
        .Add({{"version", PANTAU_VERSION}})
        .Set(1);
    reload_success_ = &prometheus::BuildGauge()
                           .Name("pantau_config_last_reload_success")
                           .Help("Whether the last configuration (re)load succeeded.")
                           .Register(*registry_)
                           .Add({});
    reload_timestamp_ = &prometheus::BuildGauge()
                             .Name("pantau_config_last_reload_success_timestamp_seconds")
                             .Help("Time of the last successful configuration load.")
                             .Register(*registry_)
                             .Add({});
}

void metrics_endpoint::set_reload_result(bool ok, double unix_seconds) {
    reload_success_->Set(ok ? 1 : 0);
    if (ok) {
        reload_timestamp_->Set(unix_seconds);
    }
}

void metrics_endpoint::add_collectable(std::shared_ptr<prometheus::Collectable> c) {
    extra_.push_back(std::move(c));
}

std::shared_ptr<prometheus::Collectable>
make_recorder_collector(const recorder& r, const outage_book& book, const monitor& m) {
    return std::make_shared<recorder_collector>(r, book, m);
}

std::shared_ptr<prometheus::Collectable>
make_notifier_collector(const notifier& n, const outage_book& book, const monitor& m) {
    return std::make_shared<notifier_collector>(n, book, m);
}

std::string metrics_endpoint::render() const {
    std::string out;
    out.reserve(4096 + monitor_.checks().size() * 1200);
    render_checks(out, monitor_);
    prometheus::TextSerializer serializer;
    out += serializer.Serialize(monitor_collector_->Collect());
    out += serializer.Serialize(registry_->Collect());
    for (const auto& c : extra_) {
        out += serializer.Serialize(c->Collect());
    }
    return out;
}

} // namespace pantau
