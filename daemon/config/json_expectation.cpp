// Parsing of HTTP `json:` expectations; kept apart from the YAML readers so that nlohmann's
// headers stay out of them.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <utility>

#include "config/json_expectation.hpp"

namespace pantau {

bool valid_json_pointer(std::string_view pointer, std::string& error) {
    if (pointer.empty() || pointer.front() != '/') {
        error = "a JSON pointer starts with /";
        return false;
    }
    if (pointer.find_first_of(" \t\r\n") != std::string_view::npos) {
        error = R"(no spaces; write ~0 for "~" and ~1 for "/" inside a key)";
        return false;
    }
    try {
        const nlohmann::json::json_pointer parsed{std::string{pointer}};
        static_cast<void>(parsed);
    } catch (const nlohmann::json::exception&) {
        error = R"(write ~0 for "~" and ~1 for "/" inside a key)";
        return false;
    }
    return true;
}

std::optional<json_expectation> parse_json_expectation(std::string_view text, std::string& error) {
    constexpr std::string_view space = " \t";
    const auto trim = [space](std::string_view t) {
        const std::size_t begin = t.find_first_not_of(space);
        if (begin == std::string_view::npos) {
            return std::string_view{};
        }
        return t.substr(begin, t.find_last_not_of(space) - begin + 1);
    };
    text = trim(text);
    json_expectation out;
    out.text = std::string{text};
    if (text.empty() || text.front() != '/') {
        error = "start with a JSON pointer, e.g. /status == \"ok\", /queue/waiting < 200 or "
                "/data exists";
        return std::nullopt;
    }
    const std::size_t pointer_end = std::min(text.find_first_of(space), text.size());
    out.pointer = std::string{text.substr(0, pointer_end)};
    if (std::string why; !valid_json_pointer(out.pointer, why)) {
        error = "invalid JSON pointer " + out.pointer + " (" + why + ")";
        return std::nullopt;
    }
    std::string_view rest = trim(text.substr(pointer_end));
    constexpr std::array<std::pair<std::string_view, json_op>, 8> ops{{
        {"exists", json_op::exists},
        {"contains", json_op::contains},
        {"==", json_op::eq},
        {"!=", json_op::ne},
        {"<=", json_op::le},
        {">=", json_op::ge},
        {"<", json_op::lt},
        {">", json_op::gt},
    }};
    constexpr std::string_view op_list = "==, !=, <, <=, >, >=, exists, contains";
    if (rest.empty()) {
        error = "an operator must follow the pointer: " + std::string{op_list} + ", e.g. " +
                out.pointer + " exists";
        return std::nullopt;
    }
    const auto found = std::find_if(ops.begin(), ops.end(), [rest, space](const auto& op) {
        if (rest.substr(0, op.first.size()) != op.first) {
            return false;
        }
        // Words must stand alone ("existsx" is not "exists"); symbols may touch the value.
        const bool word = op.first.front() >= 'a' && op.first.front() <= 'z';
        return !word || rest.size() == op.first.size() ||
               space.find(rest[op.first.size()]) != std::string_view::npos;
    });
    if (found == ops.end()) {
        const std::string_view token = rest.substr(0, rest.find_first_of(space));
        error = "unknown operator " + std::string{token};
        if (token == "=") {
            error += " (did you mean ==?)";
        }
        error += "; write one of " + std::string{op_list};
        return std::nullopt;
    }
    out.op = found->second;
    const std::string_view operand = trim(rest.substr(found->first.size()));
    if (out.op == json_op::exists) {
        if (!operand.empty()) {
            error = "nothing may follow exists, e.g. " + out.pointer + " exists";
            return std::nullopt;
        }
        return out;
    }
    const std::string op_text{to_string(out.op)};
    if (operand.empty()) {
        error = op_text + " needs a value after it, e.g. " + out.pointer + " " + op_text +
                (out.op == json_op::lt || out.op == json_op::le || out.op == json_op::gt ||
                         out.op == json_op::ge
                     ? " 200"
                     : " \"ok\"");
        return std::nullopt;
    }
    const nlohmann::json value = nlohmann::json::parse(operand, nullptr, false);
    if (value.is_discarded()) {
        error = "the value " + std::string{operand} +
                " is not JSON: put text in double quotes (\"ok\"); numbers, true, false and "
                "null are written bare";
        return std::nullopt;
    }
    const bool ordered = out.op == json_op::lt || out.op == json_op::le || out.op == json_op::gt ||
                         out.op == json_op::ge;
    if (ordered && !value.is_number()) {
        error = op_text + " compares numbers; write a number after it, e.g. " + out.pointer + " " +
                op_text + " 200";
        return std::nullopt;
    }
    out.operand = value.dump();
    return out;
}

} // namespace pantau
