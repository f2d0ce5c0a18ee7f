// The outage ledger: an append-only, hash-chained record of what Pantau saw and did.
//
// Every event carries SHA-256(previous hash || canonical content), so changing, deleting or
// reordering a stored event breaks the chain and `pantau ledger verify` names the first
// event that no longer fits. Outages are also kept as a materialised table for queries;
// verify re-derives them from the events and compares.
//
// This header is the storage interface: SQLite today (sqlite_ledger.hpp), PostgreSQL later
// so that several instances can share one ledger. Implementations are not thread-safe;
// the daemon uses one from its event loop, the CLI from its main thread. The hash and the
// outage rule below are shared by every implementation, so a ledger can move between them.
//
// Hash chain (format version 1). For the event with sequence number n:
//
//   hash(n)    = lowercase hex of SHA-256( prev(n) || content(n) )
//   prev(n)    = hash(n - 1), 64 lowercase hex characters; 64 '0' characters for n = 1
//   content(n) = ns(seq) ns(at) ns(kind) ns(agency) ns(service) ns(check) ns(outage_id) ns(data)
//   ns(x)      = decimal byte length of x, ':', the bytes of x, ','   (a netstring)
//
// seq, at (Unix time in milliseconds, floored) and outage_id are written in decimal ASCII
// with a leading '-' only when negative, no '+' and no leading zeros. kind is its name
// ("outage_opened"); the strings are their UTF-8 bytes as stored, data the JSON text
// exactly as stored (not re-serialised). Each field announces its length, so no choice of
// field contents can make two different events serialise to the same bytes.
// Example, the first event {seq 1, at 1700000000000, daemon_started, data {}}:
//   SHA-256("000...000" "1:1,13:1700000000000,14:daemon_started,0:,0:,0:,1:0,2:{},")
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace pantau {

using wall_time = std::chrono::system_clock::time_point;

enum class ledger_event_kind : std::uint8_t {
    daemon_started,
    daemon_stopped,
    config_reloaded,
    monitoring_gap,      // the daemon was not running from `data.from` to `at`
    check_state_changed, // agency/service/check, data: {"from","to","reason"}
    outage_opened,       // agency/service, outage_id, data: {"cause"}
    outage_closed,       // agency/service, outage_id
    outage_acknowledged, // outage_id, data: {"by","note"}
    escalation_reached,  // outage_id, data: {"level"}
    notification_sent,   // outage_id, data: {"key","channel","level","kind","result",...}
    notification_queued, // outage_id, data: {"key","channel","step",...,"message"}: written
                         // before the first attempt; pending until a notification_sent
                         // with the same key
    flapping_started,    // agency/service/check, data: {"percent"}
    flapping_stopped,    // agency/service/check, data: {"percent"}
    maintenance_added,   // agency/service, data: the window (API-added windows)
    maintenance_removed, // data: {"id"}
    heartbeat_received,  // agency/service/check: a job reported in (a heartbeat check)
};

// The kind's name, "outage_opened"; empty for a value outside the enumeration.
std::string_view to_string(ledger_event_kind k);
std::optional<ledger_event_kind> parse_ledger_event_kind(std::string_view s);

struct ledger_event {
    std::int64_t seq = 0; // assigned on append: 1, 2, 3, ... without holes
    wall_time at{};       // stored with millisecond precision
    ledger_event_kind kind = ledger_event_kind::daemon_started;
    std::string agency;
    std::string service;
    std::string check;
    std::int64_t outage_id = 0; // 0 when not about an outage
    std::string data;           // compact JSON object text; append stores "" as "{}"
    std::string hash;           // lowercase hex SHA-256, assigned on append
};

// Milliseconds since the Unix epoch, floored: the precision of ledger times.
std::int64_t to_ledger_ms(wall_time t);
wall_time from_ledger_ms(std::int64_t ms);

// prev(1) of the chain: 64 '0' characters.
inline constexpr std::string_view ledger_genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// hash(n) of the chain (see the top of this file), from the previous event's hash and the
// event's seq, at, kind, agency, service, check, outage_id and data. Ignores e.hash.
std::string ledger_event_hash(std::string_view prev_hash, const ledger_event& e);

struct outage_record {
    std::int64_t id = 0;
    std::string agency;
    std::string service;
    wall_time started_at{};
    std::optional<wall_time> ended_at; // nullopt while open
    std::string cause;                 // "check portal: http 503"
    int level = 0;                     // highest escalation level reached, 0 = none
    std::optional<std::string> acknowledged_by;
    std::optional<wall_time> acknowledged_at;
    std::string ack_note;
    // Planned: the outage opened inside a maintenance window that ends at this time; it is
    // not escalated before then.
    std::optional<wall_time> planned_until;
    // The outage of the service this one depends on, which was open when this one opened
    // (0: none). Such outages are recorded but not escalated separately.
    std::int64_t caused_by = 0;

    bool operator==(const outage_record&) const = default;
};

// The outage table is a function of the events; this is that function, used on append and
// again by verify. Applies `e` to `row`, the outage e.outage_id (nullopt when no such
// outage yet), and returns whether it changed:
//   outage_opened        creates {id, agency, service, started_at = at, cause = data.cause,
//                        planned_until = data.planned_until (Unix ms, optional),
//                        caused_by = data.caused_by (outage id, optional)}
//   outage_closed        ended_at = at
//   outage_acknowledged  acknowledged_by = data.by, acknowledged_at = at, ack_note =
//                        data.note; the first acknowledgement is kept, later ones change
//                        nothing (they remain in the chain)
//   escalation_reached   level = max(level, data.level)
// An event that does not fit (opening an existing id, closing a closed outage, an unknown
// outage, outage_id <= 0, a missing field) changes nothing, but it is still recorded:
// the chain keeps everything the daemon saw, and one odd event must not block the ones
// after it. Events of other kinds change nothing. Times are taken at ledger precision.
bool apply_outage_event(std::optional<outage_record>& row, const ledger_event& e);

// A period the daemon was not watching (crash, stop, host down).
struct monitoring_gap {
    wall_time from{};
    wall_time to{};
};

// Per-check hourly rollup of probe results (raw results are not stored).
struct rollup {
    std::string check_key; // "agency/service/check"
    std::int64_t hour = 0; // Unix time / 3600
    std::uint32_t successes = 0;
    std::uint32_t failures = 0;
    double latency_sum_seconds = 0; // both stored to the microsecond (rounded)
    double latency_max_seconds = 0;
};

struct verify_result {
    bool ok = true;
    std::int64_t events = 0;
    std::string last_hash;    // of the last event when ok
    std::int64_t bad_seq = 0; // first event that does not fit, when !ok
    std::string problem;      // e.g. "event 17: content changed (hash mismatch)"
    // When the chain is intact but the outage table is not what its events say: the first
    // outage that differs ("outage 3: table differs from events (ended_at)"); bad_seq = 0.
    std::int64_t bad_outage = 0;
};

struct outage_query {
    std::optional<wall_time> from; // outages overlapping [from, to)
    std::optional<wall_time> to;
    std::optional<std::string> agency;
    std::optional<std::string> service;
};

// Why a write failed, as std::error_code values of ledger_category() (name "ledger").
// ledger::last_error() has the storage's own message for the latest failure.
enum class ledger_errc : std::uint8_t {
    storage_failed = 1, // any other failure of the storage (I/O error, ...)
    read_only,          // opened read-only, or the file is not writable
    busy,               // another writer held the lock for longer than the busy timeout
    full,               // the disk or a quota is full
    corrupt,            // the file is damaged or is not a ledger
    invalid_event,      // an event cannot be stored (data is not a JSON object, bad kind);
                        // retrying the same events fails again
};

const std::error_category& ledger_category() noexcept;
std::error_code make_error_code(ledger_errc e) noexcept;

class ledger {
public:
    virtual ~ledger() = default;

    // Appends events atomically and durably, in order; fills in seq and hash (and sets an
    // empty data to "{}"). Events about outages also update the outage table in the same
    // transaction (apply_outage_event). On error nothing is written and the events are
    // left unchanged for a later retry.
    virtual std::error_code append(std::span<ledger_event> events) = 0;

    // Liveness mark used to detect monitoring gaps after a crash. Not part of the chain.
    virtual std::error_code write_heartbeat(wall_time now) = 0;
    virtual std::optional<wall_time> last_heartbeat() = 0;

    // Adds to the hourly rollups (summing counts, keeping the max latency), atomically.
    // Latencies are kept to the microsecond; one that is negative or not a number counts
    // as 0 (rather than failing the batch, which a caller would only retry).
    virtual std::error_code add_rollups(std::span<const rollup> rows) = 0;
    // Rollups with from_hour <= hour < to_hour, by hour, then check_key.
    virtual std::vector<rollup> rollups(std::int64_t from_hour, std::int64_t to_hour) = 0;

    // Outages matching every field set in `q`, by start time, then id.
    virtual std::vector<outage_record> outages(const outage_query& q) = 0;
    virtual std::optional<outage_record> outage(std::int64_t id) = 0;
    // Monitoring gaps [data.from, at) overlapping [from, to), unclipped, by end time.
    virtual std::vector<monitoring_gap> gaps(wall_time from, wall_time to) = 0;
    // Largest outage id ever used (0 for a new ledger); new ids continue after it.
    virtual std::int64_t max_outage_id() = 0;

    // Events with from <= at < to, in chain order.
    virtual std::vector<ledger_event> events(wall_time from, wall_time to) = 0;

    // Events of the given kinds with at >= from, in chain order. The default filters
    // events(); implementations answer it from an index.
    virtual std::vector<ledger_event> events_of_kind(std::span<const ledger_event_kind> kinds,
                                                     wall_time from);

    // The latest event of `kind` for each agency/service/check, in chain order (the last
    // heartbeat of each check, however long ago). The default filters events_of_kind().
    virtual std::vector<ledger_event> latest_per_check(ledger_event_kind kind);

    // Walks the whole chain, then compares the outage table with the one the events
    // derive. Reports the first problem: a missing event (a hole in seq), an event whose
    // content or hash was changed, then an outage row that differs. Reads one consistent
    // snapshot, so it can run while a daemon appends. The chain alone cannot show events
    // cut off its end, or a tail rewritten with every hash recomputed: compare `events`
    // and `last_hash` with values recorded elsewhere earlier (a report's footer) for that.
    virtual verify_result verify() = 0;

    // The storage's message for the latest failed operation, e.g. "append: attempt to
    // write a readonly database"; empty if none failed yet. Read operations, which have no
    // error code, report their failures here too (and return nothing).
    virtual std::string last_error() const { return {}; }
};

} // namespace pantau

template <>
struct std::is_error_code_enum<pantau::ledger_errc> : std::true_type {};
