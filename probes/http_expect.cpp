#include "probes/http_expect.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "core/duration.hpp"

namespace pantau::probes {
namespace {

using std::chrono::nanoseconds;

} // namespace

std::string format_bytes(std::size_t n) {
    constexpr std::size_t mib = std::size_t{1024} * 1024;
    if (n % mib == 0) {
        return std::to_string(n / mib) + "MiB";
    }
    if (n % 1024 == 0) {
        return std::to_string(n / 1024) + "KiB";
    }
    return std::to_string(n) + " bytes";
}

namespace {

std::string format_seconds(nanoseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3gs", std::chrono::duration<double>(d).count());
    return buf;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// A JSON value for a reason: compact, at most 80 characters.
std::string json_excerpt(const nlohmann::json& value) {
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 80) {
        text.resize(77);
        text += "...";
    }
    return text;
}

// Whether `value` satisfies one expectation whose operand is `operand`.
bool json_holds(const nlohmann::json& value, json_op op, const nlohmann::json& operand) {
    switch (op) {
    case json_op::exists: return true;
    case json_op::eq: return value == operand;
    case json_op::ne: return value != operand;
    case json_op::lt:
    case json_op::le:
    case json_op::gt:
    case json_op::ge: {
        if (!value.is_number() || !operand.is_number()) {
            return false;
        }
        const auto a = value.get<double>();
        const auto b = operand.get<double>();
        return op == json_op::lt   ? a < b
               : op == json_op::le ? a <= b
               : op == json_op::gt ? a > b
                                   : a >= b;
    }
    case json_op::contains:
        if (value.is_array()) {
            return std::find(value.begin(), value.end(), operand) != value.end();
        }
        if (value.is_string() && operand.is_string()) {
            return contains(value.get_ref<const std::string&>(),
                            operand.get_ref<const std::string&>());
        }
        if (value.is_object() && operand.is_string()) {
            return value.contains(operand.get_ref<const std::string&>());
        }
        return false;
    }
    return false;
}

// The first unmet expectation as a reason ("json /queue/waiting = 250, want < 200"), or
// nullopt when all hold.
std::optional<std::string> check_json(const std::string& body,
                                      const std::vector<json_expectation>& expectations) {
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded()) {
        return "body is not JSON (json expectations need a JSON body; got " +
               std::string{body.size() > 40 ? body.substr(0, 40) + "..." : body} + ")";
    }
    for (const json_expectation& e : expectations) {
        std::string want = "want " + std::string{to_string(e.op)};
        if (e.op != json_op::exists) {
            want += " " + e.operand;
        }
        const nlohmann::json* value = nullptr;
        try {
            const nlohmann::json::json_pointer pointer{e.pointer};
            if (doc.contains(pointer)) {
                value = &doc.at(pointer);
            }
        } catch (const nlohmann::json::exception&) {
            value = nullptr; // e.g. "/list/x" on an array: nothing there
        }
        if (value == nullptr) {
            return "json " + e.pointer + " missing, " + want;
        }
        const nlohmann::json operand = e.op == json_op::exists
                                           ? nlohmann::json{}
                                           : nlohmann::json::parse(e.operand, nullptr, false);
        if (!json_holds(*value, e.op, operand)) {
            return "json " + e.pointer + " = " + json_excerpt(*value) + ", " + want;
        }
    }
    return std::nullopt;
}

} // namespace

http_expectations::http_expectations(const http_check& spec, body_inspector inspect)
    : expect_(spec.expect)
    , inspect_(std::move(inspect)) {
    if (expect_.body_matches) {
        try {
            regex_.emplace(*expect_.body_matches, boost::regex::ECMAScript);
        } catch (const std::exception&) {
            regex_error_ = true; // config validation normally rejects this earlier
        }
    }
    needs_body_ = !expect_.body_contains.empty() || !expect_.body_not_contains.empty() ||
                  expect_.body_matches || !expect_.json.empty() || inspect_ != nullptr;
}

void http_expectations::evaluate(probe_result& r, int code, const std::string& body) const {
    r.status = probe_status::failure;
    const auto& expect = expect_;
    const bool status_ok =
        expect.status.empty()
            ? (code >= 200 && code < 300)
            : std::find(expect.status.begin(), expect.status.end(), code) != expect.status.end();
    if (!status_ok) {
        r.reason = "http " + std::to_string(code);
        return;
    }
    for (const std::string& needle : expect.body_contains) {
        if (!contains(body, needle)) {
            r.reason = "body does not contain \"" + needle + "\"";
            return;
        }
    }
    for (const std::string& needle : expect.body_not_contains) {
        if (contains(body, needle)) {
            r.reason = "body contains \"" + needle + "\"";
            return;
        }
    }
    if (expect.body_matches) {
        bool matched = false;
        try {
            matched = !regex_error_ && boost::regex_search(body, *regex_);
        } catch (const std::exception&) {
            r.reason = "body_matches: regular expression too complex for this body";
            return;
        }
        if (!matched) {
            r.reason = "body does not match /" + *expect.body_matches + "/";
            return;
        }
    }
    if (!expect.json.empty()) {
        if (auto failed = check_json(body, expect.json)) {
            r.reason = std::move(*failed);
            return;
        }
    }
    if (expect.max_latency && r.elapsed > *expect.max_latency) {
        r.reason = "slow: " + format_seconds(r.elapsed) + " > max_latency " +
                   format_duration(*expect.max_latency);
        return;
    }
    if (expect.cert_min_days && r.cert_earliest_expiry) {
        const auto left = *r.cert_earliest_expiry - std::chrono::system_clock::now();
        const auto days = std::chrono::duration_cast<std::chrono::hours>(left).count() / 24;
        if (left < std::chrono::hours{24} * *expect.cert_min_days) {
            r.reason = "TLS certificate expires in " + std::to_string(days) +
                       " days (cert_min_days " + std::to_string(*expect.cert_min_days) + ")";
            return;
        }
    }
    r.status = probe_status::success;
    r.reason = "http " + std::to_string(code);
    if (inspect_) {
        inspect_(r, body);
    }
}

} // namespace pantau::probes
