// Least privilege (issue 19, item 11): the daemon needs no privileges. Running it as root is
// said once in the log and exported as pantau_running_as_root 1; as an unprivileged user the
// gauge is 0 and nothing is said. (The packaged unit's hardening is checked by
// packaging/deb_test.sh with systemd-analyze.)
#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace pantau::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* root_warning = "running as root";
// util-linux: changes user and group, then executes the daemon.
constexpr const char* setpriv = "/usr/bin/setpriv";

std::string config_in(const temp_dir& dir) {
    return dir.write("pantau.yaml", "ledger: " + (dir.path / "l.db").string() +
                                        "\n"
                                        "listen: 127.0.0.1:0\n"
                                        "timezone: UTC\n"
                                        "agencies:\n"
                                        "  - {id: bappeda, name: Bappeda}\n"
                                        "services:\n"
                                        "  - id: sinkron\n"
                                        "    agency: bappeda\n"
                                        "    checks:\n"
                                        "      - id: harian\n"
                                        "        heartbeat: {expect_every: 1h, token: t}\n");
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("privileges: running as root is warned about once and exported as a gauge") {
    if (::geteuid() != 0) {
        MESSAGE("not running as root: nothing to check here");
        return;
    }
    temp_dir dir;
    const auto cfg = config_in(dir);
    child_process daemon({PANTAU_BINARY, "run", "--config", cfg});
    const std::string base = wait_for_base_url(daemon);
    REQUIRE_MESSAGE(!base.empty(), daemon.output());
    const auto metrics = http_get(base + "/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.body.find("\npantau_running_as_root 1\n") != std::string::npos);
    // Once: a reload does not say it again.
    daemon.signal(SIGHUP);
    REQUIRE(daemon.wait_for_output("configuration reloaded", 10s));
    CHECK(count_of(daemon.output(), root_warning) == 1);
}

TEST_CASE("privileges: as an unprivileged user the gauge is 0 and no warning is logged") {
    temp_dir dir;
    std::vector<std::string> argv{PANTAU_BINARY, "run", "--config"};
    if (::geteuid() == 0) {
        if (!std::filesystem::exists(setpriv)) {
            MESSAGE("setpriv not installed: cannot drop to an unprivileged user");
            return;
        }
        // nobody:nogroup must be able to write the ledger beside the configuration.
        std::filesystem::permissions(dir.path, std::filesystem::perms::all);
        argv = {setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                "--",    PANTAU_BINARY,   "run",           "--config"};
    }
    argv.push_back(config_in(dir));
    child_process daemon(argv);
    const std::string base = wait_for_base_url(daemon);
    REQUIRE_MESSAGE(!base.empty(), daemon.output());
    const auto metrics = http_get(base + "/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.body.find("\npantau_running_as_root 0\n") != std::string::npos);
    CHECK(daemon.output().find(root_warning) == std::string::npos);
}
