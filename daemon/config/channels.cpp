// Reads channels: and escalation: (see sections.hpp). Channels come first in the file's
// reading order, so each escalation level can check the channels it notifies.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/schema.hpp"
#include "config/sections.hpp"
#include "core/duration.hpp"

namespace pantau::config_detail {

namespace {

// Flattens a channel's settings into strings (see channel_config::settings).
void read_settings(const field_reader& ctx, const field& f, const std::string& prefix,
                   std::map<std::string, std::string>& out) {
    for (YAML::const_iterator it = f.value.begin(); it != f.value.end(); ++it) {
        const YAML::Node key = it->first;
        if (!key.IsScalar()) {
            ctx.fail(key.Mark(), "expected a plain key in " + quoted(f.name) + ", got " +
                                     std::string{describe(key)});
        }
        const std::string name = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
        const field item{key.Scalar(), key, it->second, true};
        if (out.count(name) != 0) {
            ctx.fail(key.Mark(), "duplicate key " + quoted(key.Scalar()) + " in " + quoted(f.name) +
                                     "; write each key once");
        }
        if (item.value.IsMap()) {
            read_settings(ctx, item, name, out);
            continue;
        }
        std::string value;
        ctx.for_each_text(item, [&](const std::string& part, const YAML::Mark&) {
            if (!value.empty()) {
                value += ',';
            }
            value += part;
        });
        out.emplace(name, std::move(value));
    }
}

escalation_level read_level(const field_reader& ctx, const field& item, const config& cfg,
                            const std::vector<escalation_level>& earlier) {
    ctx.expect_map(item);
    const auto f = ctx.read_fields(item.value, "in escalation level", level_keys);
    ctx.require(f[l_after], item.value, "escalation level", "after: 30m");
    ctx.require(f[l_notify], item.value, "escalation level", "notify: [ops-telegram]");
    escalation_level level;
    level.where = ctx.at(item.value.Mark());
    level.after = ctx.read_duration(f[l_after]);
    if (!earlier.empty() && level.after < earlier.back().after) {
        ctx.fail(value_mark(f[l_after]), "level after " + format_duration(level.after) +
                                             " comes after a level at " +
                                             format_duration(earlier.back().after) +
                                             "; list levels in increasing order of \"after\"");
    }
    ctx.for_each_text(f[l_notify], [&](std::string channel, const YAML::Mark& mark) {
        if (cfg.channels.count(channel) == 0) {
            std::vector<std::string_view> names;
            names.reserve(cfg.channels.size());
            for (const auto& entry : cfg.channels) {
                names.emplace_back(entry.first);
            }
            ctx.fail_undefined(mark, "channel", "channels", channel, names, "channels");
        }
        level.notify.push_back(std::move(channel));
    });
    if (level.notify.empty()) {
        ctx.fail(value_mark(f[l_notify]),
                 "notify needs at least one channel, e.g. notify: [ops-telegram]");
    }
    if (f[l_repeat].present) {
        level.repeat = ctx.read_positive_duration(f[l_repeat], "1h");
    }
    if (f[l_even_if_acknowledged].present) {
        level.even_if_acknowledged = ctx.read_bool(f[l_even_if_acknowledged]);
    }
    return level;
}

} // namespace

void read_channels(const field_reader& ctx, const field& section, config& cfg) {
    ctx.expect_map(section);
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const YAML::Node key = it->first;
        std::string name = ctx.read_key_name(key, "channel", "ops-telegram");
        const field body{"channel", key, it->second, true};
        if (!body.value.IsMap()) {
            ctx.fail(value_mark(body),
                     "expected a mapping for channel " + quoted(name) +
                         " with one of telegram, email, webhook or alertmanager, e.g. {webhook: "
                         "{url: \"https://ops.example.go.id/pantau\"}}; got " +
                         std::string{describe(body.value)});
        }
        channel_config channel;
        channel.name = name;
        channel.where = ctx.at(key.Mark());
        const std::string context = "in channel " + quoted(name);
        const auto types = ctx.read_fields(body.value, context, channel_types);
        const field* chosen = nullptr;
        for (const field& type : types) {
            if (!type.present) {
                continue;
            }
            if (chosen != nullptr) {
                const bool type_is_later = type.key.Mark().pos > chosen->key.Mark().pos;
                const field& earlier = type_is_later ? *chosen : type;
                const field& later = type_is_later ? type : *chosen;
                ctx.fail(later.key.Mark(), "channel " + quoted(name) + " has two types (" +
                                               quoted_list(earlier.name, later.name) +
                                               "); write one channel per type");
            }
            chosen = &type;
        }
        if (chosen == nullptr) {
            ctx.fail(body.value.Mark(), "channel " + quoted(name) +
                                            " needs one type: telegram, email, webhook or "
                                            "alertmanager, e.g. {telegram: {token: ..., "
                                            "chat_id: ...}}");
        }
        channel.type = std::string{chosen->name};
        ctx.expect_map(*chosen);
        read_settings(ctx, *chosen, "", channel.settings);
        const auto [existing, inserted] = cfg.channels.emplace(name, std::move(channel));
        if (!inserted) {
            ctx.fail(key.Mark(), "duplicate channel " + quoted(name) + " (first defined at line " +
                                     std::to_string(existing->second.where.line) + ")");
        }
    }
}

void read_escalation(const field_reader& ctx, const field& section, config& cfg) {
    ctx.expect_map(section);
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const YAML::Node key = it->first;
        std::string name = ctx.read_key_name(key, "escalation policy", "standar");
        if (cfg.escalation.count(name) != 0) {
            ctx.fail(key.Mark(),
                     "duplicate escalation policy " + quoted(name) + "; write each policy once");
        }
        const field levels_field{"escalation policy", key, it->second, true};
        if (!levels_field.value.IsSequence()) {
            ctx.fail(value_mark(levels_field),
                     "expected a list of levels for escalation policy " + quoted(name) +
                         ", e.g. - {after: 0m, notify: [ops-telegram]}; got " +
                         std::string{describe(levels_field.value)});
        }
        if (levels_field.value.size() == 0) {
            ctx.fail(value_mark(levels_field),
                     "escalation policy " + quoted(name) +
                         " needs at least one level, e.g. - {after: 0m, notify: [ops-telegram]}");
        }
        std::vector<escalation_level> levels;
        levels.reserve(levels_field.value.size());
        for (YAML::const_iterator level = levels_field.value.begin();
             level != levels_field.value.end(); ++level) {
            levels.push_back(read_level(ctx, field{"level", key, *level, true}, cfg, levels));
        }
        cfg.escalation.emplace(std::move(name), std::move(levels));
    }
}

void check_policy(const field_reader& ctx, const field& f, const std::string& policy,
                  const config& cfg) {
    if (cfg.escalation.count(policy) != 0) {
        return;
    }
    std::vector<std::string_view> names;
    names.reserve(cfg.escalation.size());
    for (const auto& entry : cfg.escalation) {
        names.emplace_back(entry.first);
    }
    ctx.fail_undefined(value_mark(f), "escalation policy", "policies", policy, names, "escalation");
}

} // namespace pantau::config_detail
