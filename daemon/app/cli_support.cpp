// What the commands share: help and usage errors, the configuration, talking to the daemon.
#include <nlohmann/json.hpp>
#include <curl/curl.h>

#include <cstdio>
#include <variant>

#include "app/cli_commands.hpp"
#include "io/curl_multi.hpp"

namespace pantau::cli_detail {

namespace {

size_t collect_body(char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

} // namespace

bool wants_help(const std::vector<std::string_view>& args) {
    for (std::string_view a : args) {
        if (a == "--help" || a == "-h") {
            return true;
        }
    }
    return false;
}

int usage_error(const char* usage, const std::string& message) {
    std::fprintf(stderr, "pantau: %s\n\n%s", message.c_str(), usage);
    return 2;
}

std::optional<config> load_for_cli(std::vector<std::string_view>& args, const char* usage,
                                   int& exit_code) {
    std::string path = default_config;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--config") {
            if (i + 1 >= args.size()) {
                exit_code = usage_error(usage, "--config needs a FILE");
                return std::nullopt;
            }
            path = std::string(args[i + 1]);
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                       args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
            break;
        }
    }
    auto loaded = load_config_file(path);
    if (auto* err = std::get_if<config_error>(&loaded)) {
        std::fprintf(stderr, "%s\n", err->to_string().c_str());
        exit_code = 1;
        return std::nullopt;
    }
    return std::move(std::get<config>(loaded));
}

std::string daemon_base_url(const config& cfg) {
    std::string host = cfg.listen.substr(0, cfg.listen.rfind(':'));
    if (host == "0.0.0.0" || host.empty()) {
        host = "127.0.0.1";
    } else if (host == "[::]") {
        host = "[::1]";
    }
    return "http://" + host + cfg.listen.substr(cfg.listen.rfind(':'));
}

std::optional<daemon_reply> post_to_daemon(const std::string& url, const std::string& token,
                                           const std::string& body) {
    curl_easy_ptr h(curl_easy_init());
    curl_slist_ptr headers;
    headers.reset(curl_slist_append(headers.release(), "Content-Type: application/json"));
    const std::string auth = "Authorization: Bearer " + token;
    headers.reset(curl_slist_append(headers.release(), auth.c_str()));
    daemon_reply reply;
    curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &collect_body);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &reply.text);
    const CURLcode res = curl_easy_perform(h.get());
    if (res != CURLE_OK) {
        std::fprintf(stderr, "pantau: cannot reach the daemon at %s: %s\n", url.c_str(),
                     curl_easy_strerror(res));
        return std::nullopt;
    }
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

std::string refusal(const daemon_reply& r) {
    const auto body = nlohmann::json::parse(r.text, nullptr, false);
    return body.is_object() && body.contains("error") && body["error"].is_string()
               ? body["error"].get<std::string>()
               : r.text;
}

} // namespace pantau::cli_detail
