#include "probes/probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <type_traits>

#include "probes/activity_probe.hpp"
#include "probes/heartbeat_probe.hpp"

#include "probes/dns_probe.hpp"
#include "probes/http_probe.hpp"
#include "probes/icmp_probe.hpp"
#include "probes/tcp_probe.hpp"
#include "probes/tls_probe.hpp"

namespace pantau {

std::unique_ptr<probe> make_probe(probe_context& ctx, const check_spec& spec,
                                  const std::string& key) {
    return std::visit(
        [&ctx, &key](const auto& s) -> std::unique_ptr<probe> {
            using type = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<type, http_check>) {
                return make_http_probe(ctx, s);
            } else if constexpr (std::is_same_v<type, tcp_check>) {
                return make_tcp_probe(ctx.io, s);
            } else if constexpr (std::is_same_v<type, tls_check>) {
                return make_tls_probe(ctx, s);
            } else if constexpr (std::is_same_v<type, dns_check>) {
                return make_dns_probe(ctx.io, s);
            } else if constexpr (std::is_same_v<type, icmp_check>) {
                return make_icmp_probe(ctx.io, s);
            } else if constexpr (std::is_same_v<type, heartbeat_check>) {
                return make_heartbeat_probe(ctx, s, key);
            } else {
                static_assert(std::is_same_v<type, activity_check>, "a probe type without a probe");
                return make_activity_probe(ctx, s);
            }
        },
        spec);
}

void deferred_result::post(boost::asio::io_context& io, probe_result r, probe_handler done) {
    pending_ = std::make_shared<probe_handler>(std::move(done));
    boost::asio::post(io,
                      [weak = std::weak_ptr<probe_handler>(pending_), r = std::move(r)]() mutable {
                          if (const auto pending = weak.lock(); pending && *pending) {
                              probe_handler handler = std::move(*pending);
                              *pending = nullptr;
                              handler(std::move(r));
                          }
                      });
}

} // namespace pantau
