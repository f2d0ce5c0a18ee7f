// The field-reader context (see reader.hpp): typed values out of YAML fields, each failing
// at the first problem with a FILE:LINE:COL message that says what to write instead.
#include "config/reader.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "config/value_syntax.hpp"

namespace pantau::config_detail {

namespace {

constexpr std::string_view duration_hint = "write a number with a unit, e.g. 500ms, 30s, 5m, 2h";
constexpr std::string_view id_hint = "ids must match [a-z0-9][a-z0-9_-]* (lowercase letters, "
                                     "digits, \"-\" and \"_\", starting with a letter or digit)";

} // namespace

YAML::Mark value_mark(const field& f) {
    if (!f.value.IsDefined() || f.value.IsNull() || f.value.Mark().is_null()) {
        return f.key.Mark();
    }
    return f.value.Mark();
}

std::optional<std::string> read_whole_file(const std::string& path, std::string& text) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::fopen(path.c_str(), "rb"),
                                                               &std::fclose};
    if (!file) {
        const int err = errno;
        return std::string{std::strerror(err)};
    }
    std::array<char, 65536> buffer{};
    while (true) {
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
        text.append(buffer.data(), n);
        if (n < buffer.size()) {
            break;
        }
    }
    if (std::ferror(file.get()) != 0) {
        const int err = errno;
        return std::string{std::strerror(err != 0 ? err : EIO)};
    }
    return std::nullopt;
}

source_location field_reader::at(const YAML::Mark& mark) const {
    if (mark.is_null()) {
        return {file_, 1, 1};
    }
    return {file_, mark.line + 1, mark.column + 1};
}

void field_reader::fail(const YAML::Mark& mark, std::string message) const {
    throw load_failure{config_error{at(mark), std::move(message)}};
}

void field_reader::expect_map(const field& f) const {
    if (!f.value.IsMap()) {
        fail(value_mark(f), "expected a mapping for " + quoted(f.name) +
                                " (key: value lines), got " + std::string{describe(f.value)});
    }
}

void field_reader::expect_list(const field& f) const {
    if (!f.value.IsSequence()) {
        fail(value_mark(f), "expected a list for " + quoted(f.name) +
                                " (lines starting with \"- \"), got " +
                                std::string{describe(f.value)});
    }
}

std::string field_reader::expand_env(const std::string& raw, const YAML::Mark& mark) const {
    if (raw.find('$') == std::string::npos) {
        return raw;
    }
    std::string out;
    out.reserve(raw.size());
    std::size_t i = 0;
    while (i < raw.size()) {
        if (raw.compare(i, 3, "$${") == 0) {
            out += "${";
            i += 3;
            continue;
        }
        if (raw.compare(i, 2, "${") != 0) {
            out += raw[i];
            ++i;
            continue;
        }
        const std::size_t close = raw.find('}', i + 2);
        if (close == std::string::npos) {
            fail(mark, "unterminated \"${\" in " + quoted(raw) +
                           ": write ${NAME} for an environment variable, or $${ for a "
                           "literal \"${\"");
        }
        const std::string name = raw.substr(i + 2, close - i - 2);
        if (!is_env_name(name)) {
            fail(mark, "invalid environment variable name " + quoted(name) +
                           ": write ${NAME} with letters, digits and \"_\", e.g. "
                           "${PANTAU_ADMIN_TOKEN}, or $${ for a literal \"${\"");
        }
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) {
            fail(mark, "environment variable " + name +
                           " is not set; set it in pantau's environment (e.g. "
                           "EnvironmentFile= in the systemd unit), or write $${ for a "
                           "literal \"${\"");
        }
        out += value;
        i = close + 1;
    }
    return out;
}

std::string field_reader::text(const field& f) const {
    if (!f.value.IsScalar()) {
        if (f.value.IsNull() || !f.value.IsDefined()) {
            fail(value_mark(f), quoted(f.name) + " needs a value after the colon");
        }
        fail(value_mark(f), "expected a single value for " + quoted(f.name) + ", got " +
                                std::string{describe(f.value)});
    }
    return expand_env(f.value.Scalar(), f.value.Mark());
}

std::vector<std::string> field_reader::texts(const field& f) const {
    std::vector<std::string> out;
    for_each_text(f,
                  [&](std::string value, const YAML::Mark&) { out.push_back(std::move(value)); });
    return out;
}

std::string field_reader::read_id(const field& f, std::string_view what,
                                  std::string_view example) const {
    std::string id = text(f);
    if (!is_valid_id(id)) {
        fail(value_mark(f), "invalid " + std::string{what} + " " + quoted(id) + ": " +
                                std::string{id_hint} + ", e.g. " +
                                quoted(id_suggestion(id, example)));
    }
    return id;
}

std::string field_reader::read_key_name(const YAML::Node& key, std::string_view what,
                                        std::string_view example) const {
    if (!key.IsScalar()) {
        fail(key.Mark(), "expected a plain name for a " + std::string{what} + ", got " +
                             std::string{describe(key)});
    }
    const std::string& name = key.Scalar();
    if (!is_valid_id(name)) {
        fail(key.Mark(), "invalid " + std::string{what} + " name " + quoted(name) + ": " +
                             std::string{id_hint} + ", e.g. " +
                             quoted(id_suggestion(name, example)));
    }
    return name;
}

duration field_reader::read_duration(const field& f) const {
    const std::string value = text(f);
    const auto d = parse_duration(value);
    if (!d) {
        fail(value_mark(f),
             "invalid duration " + quoted(value) + ": " + std::string{duration_hint});
    }
    return *d;
}

duration field_reader::read_positive_duration(const field& f, std::string_view example) const {
    const duration d = read_duration(f);
    if (d.count() <= 0) {
        fail(value_mark(f),
             std::string{f.name} + " must be longer than 0, e.g. " + std::string{example});
    }
    return d;
}

long long field_reader::read_int(const field& f, long long min, long long max,
                                 std::string_view example) const {
    const std::string value = text(f);
    long long n = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, n);
    if (ec == std::errc::result_out_of_range) {
        fail(value_mark(f), std::string{f.name} + " " + quoted(value) +
                                " is too large; write at most " + std::to_string(max));
    }
    if (ec != std::errc{} || ptr != end) {
        fail(value_mark(f), "expected a whole number for " + quoted(f.name) + ", e.g. " +
                                std::string{example} + "; got " + quoted(value));
    }
    if (n < min) {
        fail(value_mark(f), std::string{f.name} + " must be at least " + std::to_string(min) +
                                ", e.g. " + std::string{example});
    }
    if (n > max) {
        fail(value_mark(f), std::string{f.name} + " must be at most " + std::to_string(max) +
                                ", e.g. " + std::string{example});
    }
    return n;
}

unsigned field_reader::read_threshold(const field& f) const {
    return static_cast<unsigned>(read_int(f, 1, 1'000'000, "3"));
}

bool field_reader::read_bool(const field& f) const {
    std::string value = text(f);
    std::transform(value.begin(), value.end(), value.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (value == "true" || value == "yes" || value == "on") {
        return true;
    }
    if (value == "false" || value == "no" || value == "off") {
        return false;
    }
    fail(value_mark(f),
         "expected true or false for " + quoted(f.name) + ", got " + quoted(text(f)));
}

double field_reader::read_number(const field& f, std::string_view example) const {
    const std::string value = text(f);
    double n = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, n);
    if (value.empty() || ec != std::errc{} || ptr != end || !std::isfinite(n)) {
        fail(value_mark(f), "expected a number for " + quoted(f.name) + ", e.g. " +
                                std::string{example} + "; got " + quoted(value));
    }
    return n;
}

double field_reader::read_percent(const field& f) const {
    const std::string value = text(f);
    std::string_view number{value};
    if (!number.empty() && number.back() == '%') {
        number.remove_suffix(1);
    }
    double percent = 0;
    const char* end = number.data() + number.size();
    const auto [ptr, ec] = std::from_chars(number.data(), end, percent);
    if (number.empty() || ec != std::errc{} || ptr != end || !std::isfinite(percent)) {
        fail(value_mark(f), "invalid " + std::string{f.name} + " " + quoted(value) +
                                ": write a percentage, e.g. 99.5% or 99.5");
    }
    if (!(percent > 0.0 && percent <= 100.0)) {
        fail(value_mark(f), std::string{f.name} + " " + quoted(value) +
                                " must be above 0% and at most 100%, e.g. 99.5%");
    }
    return percent;
}

std::size_t field_reader::read_size(const field& f) const {
    const std::string value = text(f);
    const std::string hint = "invalid size " + quoted(value) +
                             ": write bytes as a whole number, or a number with a unit "
                             "(B, KB, MB, GB, KiB, MiB, GiB), e.g. 65536, 512KiB, 1MiB, 10MB";
    std::uint64_t number = 0;
    const char* begin = value.data();
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(begin, end, number);
    if (ec == std::errc::invalid_argument || ptr == begin) {
        fail(value_mark(f), hint);
    }
    if (ec == std::errc::result_out_of_range) {
        fail(value_mark(f), "size " + quoted(value) + " is too large");
    }
    struct unit {
        std::string_view name;
        std::uint64_t bytes;
    };
    static constexpr std::array<unit, 9> units{{{"", 1},
                                                {"B", 1},
                                                {"KB", 1000},
                                                {"kB", 1000},
                                                {"MB", std::uint64_t{1000} * 1000},
                                                {"GB", std::uint64_t{1000} * 1000 * 1000},
                                                {"KiB", 1024},
                                                {"MiB", std::uint64_t{1024} * 1024},
                                                {"GiB", std::uint64_t{1024} * 1024 * 1024}}};
    const std::string_view suffix{ptr, static_cast<std::size_t>(end - ptr)};
    const auto u =
        std::find_if(units.begin(), units.end(), [&](const unit& x) { return x.name == suffix; });
    if (u == units.end()) {
        fail(value_mark(f), hint);
    }
    if (number > std::numeric_limits<std::size_t>::max() / u->bytes) {
        fail(value_mark(f), "size " + quoted(value) + " is too large");
    }
    return static_cast<std::size_t>(number * u->bytes);
}

void field_reader::require(const field& f, const YAML::Node& map, std::string_view what,
                           std::string_view example) const {
    if (!f.present) {
        fail(map.Mark(),
             std::string{what} + " needs " + quoted(f.name) + ", e.g. " + std::string{example});
    }
}

std::string field_reader::relative_to_config(std::string path) const {
    const std::size_t slash = file_.rfind('/');
    if (!path.empty() && path.front() != '/' && slash != std::string::npos) {
        path.insert(0, file_, 0, slash + 1);
    }
    return path;
}

} // namespace pantau::config_detail
