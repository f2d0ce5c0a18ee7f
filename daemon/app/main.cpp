// The only file tests do not link: process-wide set-up, then the command line.
#include <ares.h>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <clocale>

#include "app/cli.hpp"

namespace {

// Every probe in flight holds a socket: lift the soft descriptor limit to the hard one
// (1024 is the usual soft default; systemd's unit sets both to 65536).
void raise_descriptor_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

} // namespace

int main(int argc, char** argv) {
    std::setlocale(LC_ALL, "C");
    raise_descriptor_limit();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        spdlog::critical("libcurl failed to initialise");
        return 1;
    }
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        spdlog::critical("c-ares failed to initialise");
        return 1;
    }
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
    int rc = 0;
    try {
        rc = pantau::cli_main(argc, argv);
    } catch (const std::exception& e) {
        spdlog::critical("fatal: {}", e.what());
        rc = 1;
    }
    ares_library_cleanup();
    curl_global_cleanup();
    return rc;
}
