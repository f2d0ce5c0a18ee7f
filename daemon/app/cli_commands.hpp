// Internal to pantau_app: the commands of the command line (one file each, cli_*.cpp) and
// what they share. Every command takes the arguments after its name, prints to stdout and
// stderr, and returns the process's exit code.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace pantau::cli_detail {

inline constexpr const char* default_config = "/etc/pantau/pantau.yaml";

// Whether the arguments ask for help (--help, -h).
bool wants_help(const std::vector<std::string_view>& args);

// Prints "pantau: MESSAGE" and the command's usage on stderr; returns 2 (bad arguments).
int usage_error(const char* usage, const std::string& message);

// Reads --config FILE from args (default /etc/pantau/pantau.yaml), leaving the rest.
// nullopt with `exit_code` set (the error printed) when the file cannot be used.
std::optional<config> load_for_cli(std::vector<std::string_view>& args, const char* usage,
                                   int& exit_code);

// The daemon's base URL from its configuration's listen address: "http://127.0.0.1:9470".
std::string daemon_base_url(const config& cfg);

struct daemon_reply {
    long status = 0;
    std::string text;
};

// POSTs `body` (JSON) to the running daemon with a bearer token. Prints why and returns
// nullopt when the daemon cannot be reached.
std::optional<daemon_reply> post_to_daemon(const std::string& url, const std::string& token,
                                           const std::string& body);

// The daemon's {"error": ...} message, or its whole answer.
std::string refusal(const daemon_reply& r);

int cmd_run(const std::vector<std::string_view>& args);          // cli_run.cpp
int cmd_demo(const std::vector<std::string_view>& args);         // cli_demo.cpp
int cmd_check_config(const std::vector<std::string_view>& args); // cli_check_config.cpp
int cmd_probe(std::vector<std::string_view> args);               // cli_probe.cpp
int cmd_ledger(std::vector<std::string_view> args);              // cli_ledger.cpp
int cmd_ack(std::vector<std::string_view> args);                 // cli_ack.cpp

} // namespace pantau::cli_detail
