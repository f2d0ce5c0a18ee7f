// Alertmanager channel: pushes outages to Prometheus Alertmanager's API v2 as alerts, the
// way Prometheus itself does, so existing routes, silences, inhibitions and receivers apply.
//
// Request: POST <url>/api/v2/alerts, Content-Type: application/json, to every URL of the
// channel at once (the members of one Alertmanager cluster, which share alerts by gossip):
//   [{"labels": {"alertname": "PantauServiceDown", "agency": "dukcapil",
//                "service": "akta-online", "check": "portal", "severity": "critical",
//                "pantau_outage_id": "42", <extra labels>},
//     "annotations": {"summary": "...", "description": "...", "reason": "http 503",
//                     "level": "L2", "agency_name": "...", "service_name": "..."},
//     "startsAt": <outage start, RFC 3339 UTC>,
//     "endsAt": <see below>,
//     "generatorURL": <the notification's link, when it has one>}]
// The labels are the alert's identity in Alertmanager, so they stay the same for the whole
// outage: the escalation level is an annotation, not a label (a label that changed with the
// level would leave the earlier level's alert firing beside the new one). `severity` is
// "critical" unless the channel's `labels` say otherwise; other extra labels are added as
// given and may not replace the ones above.
//
// endsAt follows Prometheus' lease: a firing or reminder notification sets it to
// now + 4 × resend_interval, and the owner re-sends the latest firing notification every
// resend_interval (refresh_every()), so Alertmanager resolves the alert by itself if Pantau
// stops talking to it. A resolved notification sets endsAt to now.
//
// Answers: the send is ok when at least one Alertmanager accepted it (2xx); the detail then
// lists the URLs that failed, if any. Otherwise it is retryable when any failure was
// (timeouts, connection failures, 408, 429, 5xx) and final when every one was rejected
// (e.g. 400 for an invalid alert).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/channel.hpp"

namespace pantau {

struct alertmanager_options {
    std::string name;              // channel name
    std::vector<std::string> urls; // http(s)://host:port[/prefix], no trailing '/'; at least 1
    // Prometheus re-sends firing alerts every minute (its --rules.alert.resend-delay) and
    // Alertmanager's defaults assume that order of magnitude; longer intervals work but
    // make a lost Pantau noticed later (after 4 × resend_interval).
    std::chrono::milliseconds resend_interval{60'000};
    std::map<std::string, std::string> labels; // extra labels; may set severity
    std::chrono::milliseconds timeout{10'000}; // per POST
};

std::unique_ptr<channel> make_alertmanager_channel(curl_multi& curl, alertmanager_options options);

// Why label name=value cannot be an extra label (a name outside [a-zA-Z_][a-zA-Z0-9_]*,
// a name starting with "__", one of the labels Pantau sets, an empty value), or nullopt.
std::optional<std::string> alertmanager_label_problem(std::string_view name,
                                                      std::string_view value);

// The JSON array described above, with endsAt computed from now.
std::string alertmanager_payload(const notification& n, const alertmanager_options& options,
                                 wall_time now);

} // namespace pantau
