// The schema of the configuration file: the keys each mapping allows, in the order the
// readers index them (each `*_keys` table goes with the enum after it: f[t_listen] is the
// field "listen"), and the fixed sets of values some keys take. Unknown keys are errors
// whose "did you mean" is drawn from these tables. Internal to daemon/config.
#pragma once

#include <cstddef>
#include <string_view>

#include "config/reader.hpp"

namespace pantau::config_detail {

inline constexpr field_names<16> top_keys{
    "listen",     "ledger",       "admin_token", "timezone",   "max_in_flight", "defaults",
    "calendars",  "channels",     "escalation",  "agencies",   "services",      "maintenance",
    "public_url", "notify_retry", "modules",     "status_page"};
enum top_key : std::size_t {
    t_listen,
    t_ledger,
    t_admin_token,
    t_timezone,
    t_max_in_flight,
    t_defaults,
    t_calendars,
    t_channels,
    t_escalation,
    t_agencies,
    t_services,
    t_maintenance,
    t_public_url,
    t_notify_retry,
    t_modules,
    t_status_page,
};

inline constexpr field_names<2> retry_keys{"first", "max"};
enum retry_key : std::size_t { r_first, r_max };

inline constexpr field_names<2> module_keys{"timeout", "http"};
enum module_key : std::size_t { m_timeout, m_http };

inline constexpr field_names<5> defaults_keys{"interval", "timeout", "retry_interval",
                                              "failure_threshold", "success_threshold"};
enum defaults_key : std::size_t {
    d_interval,
    d_timeout,
    d_retry_interval,
    d_failure_threshold,
    d_success_threshold,
};

inline constexpr field_names<3> agency_keys{"id", "name", "escalation"};
enum agency_key : std::size_t { a_id, a_name, a_escalation };

inline constexpr field_names<8> service_keys{"id",         "name",  "agency", "objective",
                                             "escalation", "hours", "checks", "depends_on"};
enum service_key : std::size_t {
    s_id,
    s_name,
    s_agency,
    s_objective,
    s_escalation,
    s_hours,
    s_checks,
    s_depends_on,
};

inline constexpr field_names<14> check_keys{"id",
                                            "interval",
                                            "timeout",
                                            "retry_interval",
                                            "failure_threshold",
                                            "success_threshold",
                                            "depends_on",
                                            "http",
                                            "tcp",
                                            "tls",
                                            "dns",
                                            "icmp",
                                            "heartbeat",
                                            "activity"};
enum check_key : std::size_t {
    c_id,
    c_interval,
    c_timeout,
    c_retry_interval,
    c_failure_threshold,
    c_success_threshold,
    c_depends_on,
    c_http, // the probe types come last
    c_tcp,
    c_tls,
    c_dns,
    c_icmp,
    c_heartbeat,
    c_activity,
};
// The probe types, in check_keys' order from c_http on.
inline constexpr std::size_t first_probe_key = c_http;

inline constexpr field_names<3> tcp_keys{"address", "send", "expect"};
enum tcp_key : std::size_t { tcp_address, tcp_send, tcp_expect };

inline constexpr field_names<5> tls_keys{"address", "server_name", "cert_min_days", "ca_file",
                                         "starttls"};
enum tls_key : std::size_t {
    tls_address,
    tls_server_name,
    tls_cert_min_days,
    tls_ca_file,
    tls_starttls
};

inline constexpr field_names<4> dns_keys{"name", "type", "server", "expect"};
enum dns_key : std::size_t { dns_name, dns_type, dns_server, dns_expect };

inline constexpr field_names<2> dns_expect_keys{"rcode", "answers_contain"};
enum dns_expect_key : std::size_t { de_rcode, de_answers_contain };

inline constexpr field_names<7> dns_types{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA"};
inline constexpr field_names<6> dns_rcodes{"NOERROR",  "FORMERR", "SERVFAIL",
                                           "NXDOMAIN", "NOTIMP",  "REFUSED"};

inline constexpr field_names<3> icmp_keys{"host", "count", "max_loss"};
enum icmp_key : std::size_t { icmp_host, icmp_count, icmp_max_loss };

inline constexpr field_names<3> heartbeat_keys{"expect_every", "grace", "token"};
enum heartbeat_key : std::size_t { hb_expect_every, hb_grace, hb_token };

inline constexpr field_names<10> activity_keys{
    "url",    "value", "metric",  "min_increase", "must_increase_within",
    "during", "what",  "headers", "tls_verify",   "ca_file"};
enum activity_key : std::size_t {
    a_url,
    a_value,
    a_metric,
    a_min_increase,
    a_must_increase_within,
    a_during,
    a_what,
    a_headers,
    a_tls_verify,
    a_ca_file,
};

inline constexpr field_names<11> http_keys{
    "url",           "method",     "headers", "body",     "follow_redirects",
    "max_redirects", "tls_verify", "ca_file", "max_body", "reuse_connection",
    "expect"};
enum http_key : std::size_t {
    h_url,
    h_method,
    h_headers,
    h_body,
    h_follow_redirects,
    h_max_redirects,
    h_tls_verify,
    h_ca_file,
    h_max_body,
    h_reuse_connection,
    h_expect,
};

inline constexpr field_names<7> expect_keys{"status",       "body_contains", "body_not_contains",
                                            "body_matches", "max_latency",   "cert_min_days",
                                            "json"};
enum expect_key : std::size_t {
    e_status,
    e_body_contains,
    e_body_not_contains,
    e_body_matches,
    e_max_latency,
    e_cert_min_days,
    e_json,
};

inline constexpr field_names<4> level_keys{"after", "notify", "repeat", "even_if_acknowledged"};
enum level_key : std::size_t { l_after, l_notify, l_repeat, l_even_if_acknowledged };

inline constexpr field_names<4> channel_types{"telegram", "email", "webhook", "alertmanager"};

inline constexpr field_names<7> maintenance_keys{"agency", "service",  "start", "end",
                                                 "weekly", "timezone", "reason"};
enum maintenance_key : std::size_t {
    m_agency,
    m_service,
    m_start,
    m_end,
    m_weekly,
    m_timezone,
    m_reason,
};

inline constexpr field_names<3> weekly_keys{"days", "from", "to"};
enum weekly_key : std::size_t { w_days, w_from, w_to };

inline constexpr field_names<4> calendar_keys{"hours", "holidays", "timezone", "exceptions"};
enum calendar_key : std::size_t { cal_hours, cal_holidays, cal_timezone, cal_exceptions };

inline constexpr field_names<4> exception_keys{"date", "hours", "closed", "name"};
enum exception_key : std::size_t { exc_date, exc_hours, exc_closed, exc_name };

// `hours: always` on a service: open around the clock, no calendar (so no calendar may
// take the name).
inline constexpr std::string_view always_open = "always";

inline constexpr field_names<3> status_page_keys{"title", "logo", "footer"};
enum status_page_key : std::size_t { sp_title, sp_logo, sp_footer };

inline constexpr field_names<2> holiday_keys{"date", "name"};
enum holiday_key : std::size_t { hol_date, hol_name };

// Day keys under a calendar's hours, Monday first (service_calendar::week's order).
inline constexpr field_names<7> day_names{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
inline constexpr field_names<8> day_keys{"mon", "tue", "wed", "thu", "fri", "sat", "sun", "daily"};

} // namespace pantau::config_detail
