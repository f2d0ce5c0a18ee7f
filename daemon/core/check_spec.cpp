#include "core/check_spec.hpp"

namespace pantau {

std::string_view to_string(json_op op) {
    switch (op) {
    case json_op::eq: return "==";
    case json_op::ne: return "!=";
    case json_op::lt: return "<";
    case json_op::le: return "<=";
    case json_op::gt: return ">";
    case json_op::ge: return ">=";
    case json_op::exists: return "exists";
    case json_op::contains: return "contains";
    }
    return "?";
}

} // namespace pantau
