// Parsing of an HTTP check's `json:` expectations (the model, json_expectation, is in
// core/check_spec.hpp). Implemented with nlohmann-json, kept out of the YAML readers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/check_spec.hpp"

namespace pantau {

// Parses `/pointer OP value` or `/pointer exists`. On failure returns nullopt and sets
// `error` to a message saying what to write instead.
std::optional<json_expectation> parse_json_expectation(std::string_view text, std::string& error);

// Whether `pointer` is an RFC 6901 JSON pointer to a member ("/a/b", not ""); sets `error`
// when not.
bool valid_json_pointer(std::string_view pointer, std::string& error);

} // namespace pantau
