#include "runtime/ledger_data.hpp"

#include <nlohmann/json.hpp>

#include "ledger/ledger.hpp"

namespace pantau {

namespace {

using json = nlohmann::json;

std::optional<notification_kind> parse_kind(const std::string& s) {
    for (const auto k : {notification_kind::firing, notification_kind::reminder,
                         notification_kind::resolved, notification_kind::flapping}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

std::optional<step_kind> parse_step_kind(const std::string& s) {
    for (const auto k : {step_kind::notify, step_kind::reminder, step_kind::resolve}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

} // namespace

std::string outbound_to_json(const outbound& o) {
    const notification& n = o.message;
    json data{
        {"key", n.idempotency_key},
        {"channel", o.channel},
        {"kind", to_string(n.kind)},
        {"level", n.level},
        {"step",
         {{"level", o.step.level},
          {"channel", o.step.channel},
          {"kind", to_string(o.step.kind)},
          {"repeat", o.step.repeat}}},
        {"message",
         {{"agency_name", n.agency_name},
          {"service_name", n.service_name},
          {"check", n.check},
          {"reason", n.reason},
          {"since", to_ledger_ms(n.since)},
          {"utc_offset_minutes", n.utc_offset.count()},
          {"link", n.link}}},
    };
    return data.dump();
}

std::optional<outbound> outbound_from_json(const std::string& text) {
    const auto data = json::parse(text, nullptr, false);
    if (!data.is_object() || !data.contains("message") || !data["message"].is_object() ||
        !data.contains("step") || !data["step"].is_object()) {
        return std::nullopt;
    }
    try {
        outbound o;
        o.channel = data.at("channel").get<std::string>();
        const auto kind = parse_kind(data.at("kind").get<std::string>());
        const auto& step = data.at("step");
        const auto skind = parse_step_kind(step.at("kind").get<std::string>());
        if (!kind || !skind || o.channel.empty()) {
            return std::nullopt;
        }
        o.step.level = step.at("level").get<std::size_t>();
        o.step.channel = step.at("channel").get<std::string>();
        o.step.kind = *skind;
        o.step.repeat = step.at("repeat").get<std::uint64_t>();
        notification& n = o.message;
        n.idempotency_key = data.at("key").get<std::string>();
        n.kind = *kind;
        n.level = data.at("level").get<int>();
        const auto& m = data.at("message");
        n.agency_name = m.at("agency_name").get<std::string>();
        n.service_name = m.at("service_name").get<std::string>();
        n.check = m.at("check").get<std::string>();
        n.reason = m.at("reason").get<std::string>();
        n.since = from_ledger_ms(m.at("since").get<std::int64_t>());
        n.utc_offset = std::chrono::minutes{m.at("utc_offset_minutes").get<std::int64_t>()};
        n.link = m.at("link").get<std::string>();
        return o;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

std::string window_to_json(const maintenance_window& w, const std::string& by) {
    json data{{"id", w.id}, {"reason", w.reason}, {"by", by}};
    if (w.start && w.end) {
        data["start"] = to_ledger_ms(*w.start);
        data["end"] = to_ledger_ms(*w.end);
    }
    return data.dump();
}

std::optional<maintenance_window> window_from_json(const std::string& text) {
    const auto data = json::parse(text, nullptr, false);
    if (!data.is_object()) {
        return std::nullopt;
    }
    try {
        maintenance_window w;
        w.id = data.at("id").get<std::string>();
        w.reason = data.value("reason", std::string{});
        w.start = from_ledger_ms(data.at("start").get<std::int64_t>());
        w.end = from_ledger_ms(data.at("end").get<std::int64_t>());
        return w;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

} // namespace pantau
