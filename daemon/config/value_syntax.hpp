// The shapes of values the configuration accepts: ids, host:port, http(s) URLs, HTTP tokens,
// environment variable names. Pure predicates on text; internal to daemon/config.
#pragma once

#include <string_view>

namespace pantau::config_detail {

// [a-z0-9][a-z0-9_-]*
bool is_valid_id(std::string_view id);

// A name ${NAME} may expand: letters, digits and "_", not starting with a digit.
bool is_env_name(std::string_view name);

// RFC 9110 token characters, for methods and header names.
bool is_token(std::string_view text);

// One or more ASCII digits.
bool is_digits(std::string_view text);

// 0 to 65535, in at most five digits.
bool is_port(std::string_view text);

// Whether `text` starts with `prefix`, ignoring the case of `text` (`prefix` is lowercase).
bool iequals_prefix(std::string_view text, std::string_view prefix);

// host or [ipv6], optionally followed by :port (required when `port_required`).
bool is_host_port(std::string_view text, bool port_required);

// An http:// or https:// URL naming a host (with an optional port), without spaces or
// control characters.
bool is_http_url(std::string_view url);

} // namespace pantau::config_detail
