// The field-reader context of the configuration loader: typed access to YAML nodes with
// FILE:LINE:COL diagnostics. Every reader fails by throwing load_failure at the first
// problem; load_config_text turns it into a config_error, so nothing else ever sees it.
// A field_reader knows only the file being read (for positions and relative paths); what
// was read so far is the section readers' business (sections.hpp). Internal to
// daemon/config; not thread-safe with concurrent setenv() (${ENV} expansion).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "core/duration.hpp"

namespace pantau::config_detail {

// Carries the first problem from deep inside the walk to the loader boundary; it never
// leaves daemon/config (load_config_text catches it).
struct load_failure {
    config_error error;
};

// One key of a mapping with a fixed set of allowed keys.
struct field {
    std::string_view name;
    YAML::Node key;   // the key node, for positions
    YAML::Node value; // the value node; Null when `key:` has nothing after it
    bool present = false;
};

template <std::size_t N>
using field_names = std::array<std::string_view, N>;

template <std::size_t N>
using fields = std::array<field, N>;

// Where to point for a problem with a value: `key:` with nothing after it has no
// useful position of its own (yaml-cpp marks the next token), so use the key's.
YAML::Mark value_mark(const field& f);

// Reads a whole file into `text`; the reason (strerror) when it cannot.
std::optional<std::string> read_whole_file(const std::string& path, std::string& text);

// Reads typed values out of the fields of one file. Each read_* either returns a valid value
// or fails with a message saying what to write instead; `example` completes "e.g. ...".
class field_reader {
public:
    // `file` names the file in messages and anchors relative paths; it must outlive this.
    explicit field_reader(const std::string& file) : file_(file) {}

    const std::string& file() const { return file_; }

    source_location at(const YAML::Mark& mark) const;

    [[noreturn]] void fail(const YAML::Mark& mark, std::string message) const;

    // Reads a mapping whose keys must come from `names`; unknown and repeated keys are
    // errors. `context` completes "unknown key ... <context>", e.g. "in check".
    template <std::size_t N>
    fields<N> read_fields(const YAML::Node& map, std::string_view context,
                          const field_names<N>& names) const {
        fields<N> out;
        for (std::size_t i = 0; i < N; ++i) {
            out[i].name = names[i];
        }
        for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
            const YAML::Node key = it->first; // a copy: it-> yields a temporary
            if (!key.IsScalar()) {
                fail(key.Mark(), std::string{"expected a plain key "} + std::string{context} +
                                     ", got " + std::string{describe(key)});
            }
            const std::string& name = key.Scalar();
            const auto found = std::find(names.begin(), names.end(), name);
            if (found == names.end()) {
                std::string message =
                    "unknown key " + quoted(name) + " " + std::string{context} + "; ";
                if (const auto suggestion = closest(name, names)) {
                    message += "did you mean " + quoted(*suggestion) + "?";
                } else {
                    message += "allowed keys: " + joined(names);
                }
                fail(key.Mark(), std::move(message));
            }
            field& slot = out[static_cast<std::size_t>(found - names.begin())];
            if (slot.present) {
                fail(key.Mark(), "duplicate key " + quoted(name) + " " + std::string{context} +
                                     " (first at line " + std::to_string(at(slot.key.Mark()).line) +
                                     "); write each key once");
            }
            slot.key = key;
            slot.value = it->second;
            slot.present = true;
        }
        return out;
    }

    // Fails unless the field holds a mapping (or a list).
    void expect_map(const field& f) const;
    void expect_list(const field& f) const;

    // A single value (with ${ENV} expanded).
    std::string text(const field& f) const;

    // A single value or a list of them; calls `fn(text, mark)` for each.
    template <typename F>
    void for_each_text(const field& f, F&& fn) const {
        if (!f.value.IsSequence()) {
            fn(text(f), value_mark(f));
            return;
        }
        for (YAML::const_iterator it = f.value.begin(); it != f.value.end(); ++it) {
            const field item{f.name, f.key, *it, true};
            fn(text(item), value_mark(item));
        }
    }

    std::vector<std::string> texts(const field& f) const;

    // A value matching [a-z0-9][a-z0-9_-]*; `what` names it ("service id").
    std::string read_id(const field& f, std::string_view what, std::string_view example) const;

    // A name used as a mapping key (channels, escalation policies).
    std::string read_key_name(const YAML::Node& key, std::string_view what,
                              std::string_view example) const;

    // "500ms", "30s", "5m", "2h"; the positive one refuses 0.
    duration read_duration(const field& f) const;
    duration read_positive_duration(const field& f, std::string_view example) const;

    // A whole number from `min` to `max`.
    long long read_int(const field& f, long long min, long long max,
                       std::string_view example) const;

    // failure_threshold, success_threshold: 1 to 1,000,000.
    unsigned read_threshold(const field& f) const;

    // true/false, yes/no, on/off, in any case.
    bool read_bool(const field& f) const;

    // A finite decimal number, e.g. 1 or 2.5.
    double read_number(const field& f, std::string_view example) const;

    // "99.5%" or 99.5; above 0 and at most 100.
    double read_percent(const field& f) const;

    // Bytes as a whole number, or with a unit: 512KiB, 1MiB, 10MB.
    std::size_t read_size(const field& f) const;

    // Fails at `map` unless `f` was given; `what` names the mapping ("check").
    void require(const field& f, const YAML::Node& map, std::string_view what,
                 std::string_view example) const;

    // "agency "x" is not defined; did you mean "y"? defined agencies: a, b"
    template <typename Range>
    [[noreturn]] void fail_undefined(const YAML::Mark& mark, std::string_view what,
                                     std::string_view plural, const std::string& name,
                                     const Range& defined, std::string_view section) const {
        std::string message = std::string{what} + " " + quoted(name) + " is not defined; ";
        if (defined.empty()) {
            message += "no " + std::string{plural} + " are defined (add them under \"" +
                       std::string{section} + ":\")";
        } else {
            if (const auto suggestion = closest(name, defined)) {
                message += "did you mean " + quoted(*suggestion) + "? ";
            }
            message += "defined " + std::string{plural} + ": " + joined(defined);
        }
        fail(mark, std::move(message));
    }

    // `path` relative to the config file's directory unless absolute. (Not std::filesystem:
    // its header brings std::quoted, which argument-dependent lookup prefers to ours.)
    std::string relative_to_config(std::string path) const;

private:
    // Replaces ${NAME} with the environment variable NAME; $${ stands for a literal "${".
    std::string expand_env(const std::string& raw, const YAML::Mark& mark) const;

    const std::string& file_;
};

} // namespace pantau::config_detail
