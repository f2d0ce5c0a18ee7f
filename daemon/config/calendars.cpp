// Reads calendars: (service hours, holidays, exceptions) and maintenance: (one-off and weekly
// windows); see sections.hpp. Both speak in day names and "HH:MM" clock times.
#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/schema.hpp"
#include "config/sections.hpp"
#include "config/value_syntax.hpp"
#include "core/availability.hpp"
#include "core/maintenance.hpp"
#include "core/time_format.hpp"

namespace pantau::config_detail {

namespace {

constexpr std::string_view hours_hint =
    R"(write "HH:MM-HH:MM", e.g. "07:30-16:00", a list of them for split shifts, or "24h")";
constexpr std::string_view holiday_hint =
    "e.g. - {date: 2026-08-17, name: Proklamasi Kemerdekaan RI}, or - 2026-08-17";
constexpr std::string_view exception_hint =
    R"(e.g. - {date: 2026-11-07, hours: "08:00-12:00"} or - {date: 2026-12-31, closed: true})";

// "HH:MM" (or "H:MM") from 00:00 to 24:00, as minutes after midnight.
std::optional<std::chrono::minutes> parse_clock(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == 0 || colon > 2 || text.size() != colon + 3 || !is_digits(text.substr(0, colon)) ||
        !is_digits(text.substr(colon + 1))) {
        return std::nullopt;
    }
    int hours = 0;
    for (const char c : text.substr(0, colon)) {
        hours = hours * 10 + (c - '0');
    }
    const int minutes = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
    if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
        return std::nullopt;
    }
    return std::chrono::minutes{hours * 60 + minutes};
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    return text;
}

// "07:30-16:00" or "24h"; the order of open and close is checked by the caller.
std::optional<opening_hours> parse_opening_hours(std::string_view text) {
    if (text == "24h") {
        return opening_hours{std::chrono::minutes{0}, std::chrono::hours{24}};
    }
    const std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    const auto open = parse_clock(trimmed(text.substr(0, dash)));
    const auto close = parse_clock(trimmed(text.substr(dash + 1)));
    if (!open || !close) {
        return std::nullopt;
    }
    return opening_hours{*open, *close};
}

std::string format_clock(std::chrono::minutes m) {
    const auto hh = m.count() / 60;
    const auto mm = m.count() % 60;
    std::string out;
    out += static_cast<char>('0' + hh / 10);
    out += static_cast<char>('0' + hh % 10);
    out += ':';
    out += static_cast<char>('0' + mm / 10);
    out += static_cast<char>('0' + mm % 10);
    return out;
}

std::string format_hours(const opening_hours& h) {
    return format_clock(h.open) + "-" + format_clock(h.close);
}

// The first and last weekday (0 = Monday) of a day key: "mon", "mon-fri" or "daily".
struct day_range {
    std::size_t first = 0;
    std::size_t last = 0;
};

// Holidays files already read during one load, by path.
using holiday_cache = std::map<std::string, std::vector<std::chrono::year_month_day>>;

std::chrono::year_month_day read_date(const field_reader& ctx, const field& f) {
    const std::string value = ctx.text(f);
    if (const auto date = parse_date(value)) {
        return *date;
    }
    const bool shaped = value.size() == 10 && value[4] == '-' && value[7] == '-' &&
                        is_digits(std::string_view{value}.substr(0, 4)) &&
                        is_digits(std::string_view{value}.substr(5, 2)) &&
                        is_digits(std::string_view{value}.substr(8, 2));
    if (!shaped) {
        ctx.fail(value_mark(f),
                 "invalid date " + quoted(value) + ": write YYYY-MM-DD, e.g. " + "2026-08-17");
    }
    const std::chrono::year year{std::stoi(value.substr(0, 4))};
    const std::chrono::month month{static_cast<unsigned>(std::stoi(value.substr(5, 2)))};
    if (!month.ok()) {
        ctx.fail(value_mark(f), "invalid date " + quoted(value) + ": months are 01 to 12");
    }
    const std::chrono::year_month_day_last last{year, std::chrono::month_day_last{month}};
    ctx.fail(value_mark(f), "invalid date " + quoted(value) + ": that month has " +
                                std::to_string(static_cast<unsigned>(last.day())) + " days");
}

// The weekday index of a day name, or a failure suggesting the closest one.
std::size_t read_day_name(const field_reader& ctx, std::string_view name, const YAML::Node& key) {
    const auto found = std::find(day_names.begin(), day_names.end(), name);
    if (found != day_names.end()) {
        return static_cast<std::size_t>(found - day_names.begin());
    }
    std::string message = "unknown day " + quoted(name) + " in hours; ";
    if (const auto suggestion = closest(name, day_keys)) {
        message += "did you mean " + quoted(*suggestion) + "? ";
    }
    message += "write one of " + joined(day_names) + ", a range such as mon-fri, or daily";
    ctx.fail(key.Mark(), std::move(message));
}

day_range read_day_key(const field_reader& ctx, const YAML::Node& key) {
    if (!key.IsScalar()) {
        ctx.fail(key.Mark(), "expected a day such as mon, a range such as mon-fri, or daily; "
                             "got " +
                                 std::string{describe(key)});
    }
    const std::string_view name = key.Scalar();
    if (name == "daily") {
        return {0, day_names.size() - 1};
    }
    const std::size_t dash = name.find('-');
    if (dash == std::string_view::npos) {
        const std::size_t day = read_day_name(ctx, name, key);
        return {day, day};
    }
    const day_range range{read_day_name(ctx, name.substr(0, dash), key),
                          read_day_name(ctx, name.substr(dash + 1), key)};
    if (range.first > range.last) {
        const std::string first{day_names[range.first]};
        const std::string last{day_names[range.last]};
        const std::string to_sunday = first == "sun" ? first : first + "-sun";
        const std::string from_monday = last == "mon" ? last : "mon-" + last;
        ctx.fail(key.Mark(), "day range " + quoted(name) +
                                 " runs backwards; weeks run mon to sun, so write " +
                                 quoted_list(to_sunday, from_monday) + " as two keys");
    }
    return range;
}

// One day's opening hours: "HH:MM-HH:MM", a list of them, or "24h"; sorted, disjoint.
std::vector<opening_hours> read_day_hours(const field_reader& ctx, const field& f) {
    if (f.value.IsSequence() && f.value.size() == 0) {
        ctx.fail(value_mark(f), "hours for " + quoted(f.name) +
                                    " need at least one range; leave a closed day out");
    }
    struct given_hours {
        opening_hours hours;
        YAML::Mark mark;
    };
    std::vector<given_hours> given;
    ctx.for_each_text(f, [&](const std::string& value, const YAML::Mark& mark) {
        const auto hours = parse_opening_hours(value);
        if (!hours) {
            ctx.fail(mark, "invalid hours " + quoted(value) + " for " + quoted(f.name) + ": " +
                               std::string{hours_hint});
        }
        if (hours->close == hours->open) {
            ctx.fail(mark, "hours " + quoted(value) + " open and close at the same time; " +
                               std::string{hours_hint});
        }
        if (hours->close < hours->open) {
            ctx.fail(mark, "hours " + quoted(value) +
                               " close before they open; for hours past midnight write two "
                               R"(ranges, e.g. "22:00-24:00" on this day and "00:00-06:00" on )"
                               "the next");
        }
        given.push_back({*hours, mark});
    });
    std::stable_sort(given.begin(), given.end(), [](const given_hours& a, const given_hours& b) {
        return a.hours.open < b.hours.open;
    });
    std::vector<opening_hours> out;
    out.reserve(given.size());
    for (std::size_t i = 0; i < given.size(); ++i) {
        if (i > 0 && given[i].hours.open < given[i - 1].hours.close) {
            const bool later = given[i].mark.pos > given[i - 1].mark.pos;
            const given_hours& second = later ? given[i] : given[i - 1];
            const given_hours& first = later ? given[i - 1] : given[i];
            ctx.fail(second.mark, "hours " + quoted(format_hours(second.hours)) + " overlap " +
                                      quoted(format_hours(first.hours)) + " for " + quoted(f.name) +
                                      "; write ranges that do not overlap");
        }
        out.push_back(given[i].hours);
    }
    return out;
}

// `hours: {mon-thu: "07:30-16:00", fri: ["07:30-11:30", "13:00-16:30"]}`.
void read_week(const field_reader& ctx, const field& section, service_calendar& cal) {
    ctx.expect_map(section);
    std::array<std::optional<YAML::Node>, 7> given; // the key that set each day
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const YAML::Node key = it->first;
        const day_range days = read_day_key(ctx, key);
        for (std::size_t day = days.first; day <= days.last; ++day) {
            if (given[day]) {
                ctx.fail(key.Mark(), "day " + quoted(day_names[day]) + " is already given by " +
                                         quoted(given[day]->Scalar()) + " (line " +
                                         std::to_string(ctx.at(given[day]->Mark()).line) +
                                         "); name each day in one key only");
            }
            given[day] = key;
        }
        const std::vector<opening_hours> hours =
            read_day_hours(ctx, field{key.Scalar(), key, it->second, true});
        for (std::size_t day = days.first; day <= days.last; ++day) {
            cal.week[day] = hours;
        }
    }
    if (section.value.size() == 0) {
        ctx.fail(value_mark(section), R"(hours needs at least one day, e.g. {mon-fri: )"
                                      R"("07:30-16:00"})");
    }
}

// exceptions: [{date: 2026-11-07, hours: "08:00-12:00"}, {date: 2026-12-31, closed: true}]:
// sorted by date, one per date.
std::vector<calendar_exception> read_exceptions(const field_reader& ctx, const field& section) {
    if (!section.value.IsSequence()) {
        ctx.fail(value_mark(section), "expected a list for \"exceptions\", " +
                                          std::string{exception_hint} + "; got " +
                                          std::string{describe(section.value)});
    }
    std::vector<calendar_exception> out;
    std::map<std::chrono::year_month_day, int> lines;
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const YAML::Node item = *it;
        if (!item.IsMap()) {
            ctx.fail(item.Mark(), "expected {date, hours} or {date, closed: true} for an "
                                  "exception, " +
                                      std::string{exception_hint} + "; got " +
                                      std::string{describe(item)});
        }
        const auto f = ctx.read_fields(item, "in exception", exception_keys);
        ctx.require(f[exc_date], item, "exception", "date: 2026-11-07");
        calendar_exception e;
        e.date = read_date(ctx, f[exc_date]);
        const std::string date = ctx.text(f[exc_date]);
        const auto [first, inserted] = lines.emplace(e.date, ctx.at(item.Mark()).line);
        if (!inserted) {
            ctx.fail(value_mark(f[exc_date]),
                     "duplicate exception for " + quoted(date) + " (first at line " +
                         std::to_string(first->second) + "); give each date once");
        }
        if (f[exc_name].present) {
            static_cast<void>(ctx.text(f[exc_name])); // a single value, for the reader
        }
        if (f[exc_hours].present && f[exc_closed].present) {
            ctx.fail(f[exc_closed].key.Mark(), "exception " + quoted(date) +
                                                   " has both hours and closed; write hours "
                                                   "for the hours it is open, or closed: true");
        }
        if (f[exc_closed].present) {
            if (!ctx.read_bool(f[exc_closed])) {
                ctx.fail(value_mark(f[exc_closed]),
                         "exception " + quoted(date) +
                             " has closed: false; to open that date, write its hours, e.g. "
                             "hours: \"08:00-12:00\"");
            }
        } else {
            ctx.require(f[exc_hours], item, "exception " + quoted(date),
                        R"(hours: "08:00-12:00" (or closed: true))");
            e.hours = read_day_hours(ctx, field{date, f[exc_hours].key, f[exc_hours].value, true});
        }
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const calendar_exception& a, const calendar_exception& b) {
        return a.date < b.date;
    });
    return out;
}

// One holiday: a date or {date, name}.
std::chrono::year_month_day read_holiday(const field_reader& ctx, const YAML::Node& item) {
    if (item.IsScalar()) {
        return read_date(ctx, field{"date", item, item, true});
    }
    if (!item.IsMap()) {
        ctx.fail(item.Mark(), "expected a date or {date, name} for a holiday, " +
                                  std::string{holiday_hint} + "; got " +
                                  std::string{describe(item)});
    }
    const auto f = ctx.read_fields(item, "in holiday", holiday_keys);
    ctx.require(f[hol_date], item, "holiday", "date: 2026-08-17");
    if (f[hol_name].present) {
        static_cast<void>(ctx.text(f[hol_name])); // a single value, for the reader
    }
    return read_date(ctx, f[hol_date]);
}

std::vector<std::chrono::year_month_day> read_holiday_list(const field_reader& ctx,
                                                           const YAML::Node& list) {
    if (!list.IsSequence()) {
        ctx.fail(list.Mark(), "expected a list of holidays (lines starting with \"- \"), " +
                                  std::string{holiday_hint} + "; got " +
                                  std::string{describe(list)});
    }
    std::vector<std::chrono::year_month_day> dates;
    dates.reserve(list.size());
    for (YAML::const_iterator it = list.begin(); it != list.end(); ++it) {
        dates.push_back(read_holiday(ctx, *it));
    }
    return dates;
}

bool is_holidays_file_name(std::string_view value) {
    const auto ends_with = [&](std::string_view suffix) {
        return value.size() > suffix.size() && value.substr(value.size() - suffix.size()) == suffix;
    };
    return ends_with(".yaml") || ends_with(".yml");
}

// The dates of a holidays file; errors name that file. Read once per load (`cache`).
const std::vector<std::chrono::year_month_day>& holidays_file(const field_reader& ctx,
                                                              const field& f,
                                                              const std::string& path,
                                                              holiday_cache& cache) {
    if (const auto cached = cache.find(path); cached != cache.end()) {
        return cached->second;
    }
    std::string contents;
    if (const auto reason = read_whole_file(path, contents)) {
        ctx.fail(value_mark(f), "cannot read holidays file " + quoted(path) + ": " + *reason);
    }
    std::vector<std::chrono::year_month_day> dates;
    try {
        const YAML::Node root = YAML::Load(contents);
        if (root.IsNull()) {
            throw load_failure{{{path, 1, 1},
                                "the holidays file is empty; write a list of holidays, " +
                                    std::string{holiday_hint}}};
        }
        dates = read_holiday_list(field_reader{path}, root);
    } catch (const YAML::Exception& e) {
        throw load_failure{yaml_error(e, path, contents)};
    }
    return cache.emplace(path, std::move(dates)).first->second;
}

// A file name (relative to the config file's directory) or an inline list of dates,
// {date, name} maps and file names (one file per year); sorted, without duplicates (two
// holidays may fall on one date).
std::vector<std::chrono::year_month_day> read_holidays(const field_reader& ctx, const field& f,
                                                       holiday_cache& cache) {
    std::vector<std::chrono::year_month_day> dates;
    if (f.value.IsScalar()) {
        const std::string path = ctx.text(f);
        if (path.empty()) {
            ctx.fail(value_mark(f), "holidays needs a file name or a list of dates");
        }
        dates = holidays_file(ctx, f, ctx.relative_to_config(path), cache);
    } else if (f.value.IsSequence()) {
        for (YAML::const_iterator it = f.value.begin(); it != f.value.end(); ++it) {
            const YAML::Node item = *it;
            if (item.IsScalar() && is_holidays_file_name(item.Scalar())) {
                const auto& more = holidays_file(ctx, field{"holidays", item, item, true},
                                                 ctx.relative_to_config(item.Scalar()), cache);
                dates.insert(dates.end(), more.begin(), more.end());
            } else {
                dates.push_back(read_holiday(ctx, item));
            }
        }
    } else {
        ctx.fail(value_mark(f), "expected a file name or a list of dates for \"holidays\", e.g. "
                                "holidays: calendars/libur-nasional-2026.yaml or holidays: "
                                "[2026-08-17, 2026-12-25]; got " +
                                    std::string{describe(f.value)});
    }
    std::sort(dates.begin(), dates.end());
    dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
    return dates;
}

std::chrono::system_clock::time_point read_time(const field_reader& ctx, const field& f,
                                                std::chrono::minutes offset) {
    const std::string value = ctx.text(f);
    const auto t = parse_rfc3339_or_date(value, offset);
    if (!t) {
        ctx.fail(value_mark(f), "invalid time " + quoted(value) +
                                    ": write RFC 3339, e.g. 2026-12-05T22:00:00+07:00, or a "
                                    "local \"2026-12-05 22:00\"");
    }
    return *t;
}

weekly_window read_weekly(const field_reader& ctx, const field& section,
                          std::chrono::minutes offset) {
    ctx.expect_map(section);
    const auto f = ctx.read_fields(section.value, "in weekly", weekly_keys);
    ctx.require(f[w_days], section.value, "weekly", "days: [sat, sun]");
    ctx.require(f[w_from], section.value, "weekly", "from: \"22:00\"");
    ctx.require(f[w_to], section.value, "weekly", "to: \"02:00\"");
    weekly_window k;
    k.utc_offset = offset;
    ctx.for_each_text(f[w_days], [&](const std::string& day, const YAML::Mark& mark) {
        if (day == "daily") {
            k.days.fill(true);
            return;
        }
        const auto found = std::find(day_names.begin(), day_names.end(), day);
        if (found == day_names.end()) {
            std::string message = "unknown day " + quoted(day) + " in weekly days; ";
            if (const auto suggestion = closest(day, day_keys)) {
                message += "did you mean " + quoted(*suggestion) + "? ";
            }
            ctx.fail(mark, message + "write days such as [sat, sun], or daily");
        }
        k.days[static_cast<std::size_t>(found - day_names.begin())] = true;
    });
    const auto clock = [&](const field& c) {
        const std::string value = ctx.text(c);
        const auto m = parse_clock(value);
        if (!m) {
            ctx.fail(value_mark(c), "invalid time of day " + quoted(value) +
                                        R"( in weekly; write "HH:MM", e.g. "22:00")");
        }
        return *m;
    };
    k.from = clock(f[w_from]);
    k.to = clock(f[w_to]);
    if (k.from == k.to) {
        ctx.fail(value_mark(f[w_to]), "weekly window opens and closes at the same time; for a "
                                      "whole day write from: \"00:00\", to: \"24:00\"");
    }
    return k;
}

} // namespace

void read_calendars(const field_reader& ctx, const field& section, config& cfg) {
    holiday_cache holiday_files;
    ctx.expect_map(section);
    std::unordered_map<std::string, int> lines;
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const YAML::Node key = it->first;
        std::string name = ctx.read_key_name(key, "calendar", "jam-layanan");
        const auto [existing, inserted] = lines.emplace(name, ctx.at(key.Mark()).line);
        if (!inserted) {
            ctx.fail(key.Mark(), "duplicate calendar " + quoted(name) + " (first defined at line " +
                                     std::to_string(existing->second) + ")");
        }
        const field body{"calendar", key, it->second, true};
        if (!body.value.IsMap()) {
            ctx.fail(value_mark(body), "expected a mapping for calendar " + quoted(name) +
                                           R"( with hours and holidays, e.g. {hours: {mon-fri: )"
                                           R"("07:30-16:00"}, holidays: [2026-08-17]}; got )" +
                                           std::string{describe(body.value)});
        }
        if (name == always_open) {
            ctx.fail(key.Mark(), "a calendar cannot be named " + quoted(name) +
                                     ": services write hours: always for round-the-clock "
                                     "service without a calendar; choose another name, e.g. "
                                     "\"jam-layanan\"");
        }
        const std::string context = "in calendar " + quoted(name);
        const auto f = ctx.read_fields(body.value, context, calendar_keys);
        ctx.require(f[cal_hours], body.value, "calendar " + quoted(name),
                    R"(hours: {mon-thu: "07:30-16:00", fri: "07:30-16:30"})");
        service_calendar cal;
        cal.id = name;
        cal.utc_offset = cfg.utc_offset;
        if (f[cal_timezone].present) {
            const std::string zone = ctx.text(f[cal_timezone]);
            const auto offset = utc_offset_of(zone);
            if (!offset) {
                ctx.fail(value_mark(f[cal_timezone]), unknown_timezone_message(zone));
            }
            cal.utc_offset = *offset;
        }
        read_week(ctx, f[cal_hours], cal);
        if (f[cal_holidays].present) {
            cal.holidays = read_holidays(ctx, f[cal_holidays], holiday_files);
        }
        if (f[cal_exceptions].present) {
            cal.exceptions = read_exceptions(ctx, f[cal_exceptions]);
        }
        cfg.calendars.emplace(std::move(name), std::move(cal));
    }
}

void check_calendar(const field_reader& ctx, const field& f, const std::string& name,
                    const config& cfg) {
    if (cfg.calendars.count(name) != 0) {
        return;
    }
    std::vector<std::string_view> names;
    names.reserve(cfg.calendars.size());
    for (const auto& entry : cfg.calendars) {
        names.emplace_back(entry.first);
    }
    ctx.fail_undefined(value_mark(f), "calendar", "calendars", name, names, "calendars");
}

// maintenance: [{service: akta-online, start: ..., end: ..., reason: ...},
//               {agency: dukcapil, weekly: {days: [sat], from: "22:00", to: "02:00"}}]
void read_maintenance(const field_reader& ctx, const field& section, const agency_index& agencies,
                      config& cfg) {
    ctx.expect_list(section);
    std::unordered_map<std::string, const service_config*> services;
    std::vector<std::string_view> ids;
    for (const service_config& svc : cfg.services) {
        services.emplace(svc.id, &svc);
        ids.emplace_back(svc.id);
    }
    for (YAML::const_iterator it = section.value.begin(); it != section.value.end(); ++it) {
        const field item{"maintenance window", section.key, *it, true};
        ctx.expect_map(item);
        const auto f = ctx.read_fields(item.value, "in maintenance window", maintenance_keys);
        maintenance_window w;
        w.id = "config-" + std::to_string(cfg.maintenance.size() + 1);
        if (f[m_service].present == f[m_agency].present) {
            ctx.fail(item.value.Mark(), "a maintenance window needs either service (e.g. "
                                        "service: akta-online) or agency (e.g. agency: "
                                        "dukcapil), not both");
        }
        if (f[m_service].present) {
            std::string name = ctx.text(f[m_service]);
            const std::size_t slash = name.find('/');
            const std::string id = slash == std::string::npos ? name : name.substr(slash + 1);
            const auto found = services.find(id);
            if (found == services.end() ||
                (slash != std::string::npos && name.substr(0, slash) != found->second->agency)) {
                ctx.fail_undefined(value_mark(f[m_service]), "service", "services", name, ids,
                                   "services");
            }
            w.agency = found->second->agency;
            w.service = found->second->id;
        } else {
            w.agency = ctx.text(f[m_agency]);
            if (agencies.lines.count(w.agency) == 0) {
                ctx.fail_undefined(value_mark(f[m_agency]), "agency", "agencies", w.agency,
                                   agencies.ids, "agencies");
            }
        }
        std::chrono::minutes offset = cfg.utc_offset;
        if (f[m_timezone].present) {
            const std::string zone = ctx.text(f[m_timezone]);
            const auto o = utc_offset_of(zone);
            if (!o) {
                ctx.fail(value_mark(f[m_timezone]), unknown_timezone_message(zone));
            }
            offset = *o;
        }
        if (f[m_weekly].present) {
            if (f[m_start].present || f[m_end].present) {
                ctx.fail(f[m_weekly].key.Mark(), "a maintenance window is either weekly or "
                                                 "one-off (start and end), not both");
            }
            w.weekly = read_weekly(ctx, f[m_weekly], offset);
        } else {
            ctx.require(f[m_start], item.value, "maintenance window",
                        "start: 2026-12-05T22:00:00+07:00 (or weekly: {days: [sat], from: "
                        "\"22:00\", to: \"02:00\"})");
            ctx.require(f[m_end], item.value, "maintenance window",
                        "end: 2026-12-06T02:00:00+07:00");
            w.start = read_time(ctx, f[m_start], offset);
            w.end = read_time(ctx, f[m_end], offset);
            if (*w.end <= *w.start) {
                ctx.fail(value_mark(f[m_end]), "maintenance ends at or before it starts; write "
                                               "an end after the start");
            }
        }
        if (f[m_reason].present) {
            w.reason = ctx.text(f[m_reason]);
        }
        cfg.maintenance.push_back(std::move(w));
    }
}

} // namespace pantau::config_detail
