// The only file tests do not link: process-wide set-up, then the command line.
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <clocale>

#include "app/cli.hpp"

int main(int argc, char** argv) {
    std::setlocale(LC_ALL, "C");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        spdlog::critical("libcurl failed to initialise");
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
    curl_global_cleanup();
    return rc;
}
