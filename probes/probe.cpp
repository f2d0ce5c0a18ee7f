#include "probes/probe.hpp"

#include <type_traits>

#include "probes/http_probe.hpp"

namespace pantau {

std::unique_ptr<probe> make_probe(probe_context& ctx, const check_spec& spec) {
    return std::visit(
        [&ctx](const auto& s) -> std::unique_ptr<probe> {
            if constexpr (std::is_same_v<std::decay_t<decltype(s)>, http_check>) {
                return make_http_probe(ctx.curl, s);
            }
        },
        spec);
}

} // namespace pantau
