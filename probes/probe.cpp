#include "probes/probe.hpp"

#include <type_traits>

#include "probes/dns_probe.hpp"
#include "probes/http_probe.hpp"
#include "probes/icmp_probe.hpp"
#include "probes/tcp_probe.hpp"
#include "probes/tls_probe.hpp"

namespace pantau {

std::unique_ptr<probe> make_probe(probe_context& ctx, const check_spec& spec) {
    return std::visit(
        [&ctx](const auto& s) -> std::unique_ptr<probe> {
            using type = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<type, http_check>) {
                return make_http_probe(ctx.curl, s);
            } else if constexpr (std::is_same_v<type, tcp_check>) {
                return make_tcp_probe(ctx.io, s);
            } else if constexpr (std::is_same_v<type, tls_check>) {
                return make_tls_probe(ctx, s);
            } else if constexpr (std::is_same_v<type, dns_check>) {
                return make_dns_probe(ctx.io, s);
            } else {
                static_assert(std::is_same_v<type, icmp_check>, "a probe type without a probe");
                return make_icmp_probe(ctx.io, s);
            }
        },
        spec);
}

} // namespace pantau
