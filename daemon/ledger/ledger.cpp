#include "ledger/ledger.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

namespace pantau {

namespace {

constexpr std::array all_kinds{
    ledger_event_kind::daemon_started,      ledger_event_kind::daemon_stopped,
    ledger_event_kind::config_reloaded,     ledger_event_kind::monitoring_gap,
    ledger_event_kind::check_state_changed, ledger_event_kind::outage_opened,
    ledger_event_kind::outage_closed,       ledger_event_kind::outage_acknowledged,
    ledger_event_kind::escalation_reached,  ledger_event_kind::notification_sent,
    ledger_event_kind::notification_queued, ledger_event_kind::flapping_started,
    ledger_event_kind::flapping_stopped,    ledger_event_kind::maintenance_added,
    ledger_event_kind::maintenance_removed, ledger_event_kind::heartbeat_received,
};

struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

// Feeds netstrings into a digest: "<length>:<bytes>,".
class netstring_digest {
public:
    netstring_digest() : ctx_(EVP_MD_CTX_new()) {
        ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
    }

    void raw(std::string_view bytes) {
        ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1;
    }
    void field(std::string_view bytes) {
        raw(std::to_string(bytes.size()));
        raw(":");
        raw(bytes);
        raw(",");
    }
    void field(std::int64_t n) { field(std::to_string(n)); }

    // Lowercase hex, or empty if OpenSSL failed (which makes every comparison fail).
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
        unsigned int len = 0;
        if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), md.data(), &len) != 1) {
            return {};
        }
        static constexpr std::string_view digits = "0123456789abcdef";
        std::string out;
        out.reserve(std::size_t{len} * 2);
        for (unsigned int i = 0; i < len; ++i) {
            out.push_back(digits[md[i] >> 4U]);
            out.push_back(digits[md[i] & 0x0FU]);
        }
        return out;
    }

private:
    md_ctx_ptr ctx_;
    bool ok_ = false;
};

const nlohmann::json* member(const nlohmann::json& data, const char* name) {
    if (!data.is_object()) {
        return nullptr;
    }
    auto it = data.find(name);
    return it == data.end() ? nullptr : &*it;
}

std::string string_member(const nlohmann::json& data, const char* name) {
    const nlohmann::json* v = member(data, name);
    return v != nullptr && v->is_string() ? v->get<std::string>() : std::string{};
}

class ledger_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "ledger"; }
    std::string message(int ev) const override {
        switch (static_cast<ledger_errc>(ev)) {
        case ledger_errc::storage_failed: return "the ledger storage failed";
        case ledger_errc::read_only: return "the ledger is read-only";
        case ledger_errc::busy: return "the ledger is locked by another writer";
        case ledger_errc::full: return "the ledger's disk is full";
        case ledger_errc::corrupt: return "the ledger file is damaged or not a ledger";
        case ledger_errc::invalid_event: return "the event cannot be stored";
        }
        return "unknown ledger error " + std::to_string(ev);
    }
};

} // namespace

std::string_view to_string(ledger_event_kind k) {
    switch (k) {
    case ledger_event_kind::daemon_started: return "daemon_started";
    case ledger_event_kind::daemon_stopped: return "daemon_stopped";
    case ledger_event_kind::config_reloaded: return "config_reloaded";
    case ledger_event_kind::monitoring_gap: return "monitoring_gap";
    case ledger_event_kind::check_state_changed: return "check_state_changed";
    case ledger_event_kind::outage_opened: return "outage_opened";
    case ledger_event_kind::outage_closed: return "outage_closed";
    case ledger_event_kind::outage_acknowledged: return "outage_acknowledged";
    case ledger_event_kind::escalation_reached: return "escalation_reached";
    case ledger_event_kind::notification_sent: return "notification_sent";
    case ledger_event_kind::notification_queued: return "notification_queued";
    case ledger_event_kind::flapping_started: return "flapping_started";
    case ledger_event_kind::flapping_stopped: return "flapping_stopped";
    case ledger_event_kind::maintenance_added: return "maintenance_added";
    case ledger_event_kind::maintenance_removed: return "maintenance_removed";
    case ledger_event_kind::heartbeat_received: return "heartbeat_received";
    }
    return {};
}

std::optional<ledger_event_kind> parse_ledger_event_kind(std::string_view s) {
    for (ledger_event_kind k : all_kinds) {
        if (to_string(k) == s) {
            return k;
        }
    }
    return std::nullopt;
}

std::int64_t to_ledger_ms(wall_time t) {
    return std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

wall_time from_ledger_ms(std::int64_t ms) {
    return wall_time{
        std::chrono::duration_cast<wall_time::duration>(std::chrono::milliseconds{ms})};
}

std::string ledger_event_hash(std::string_view prev_hash, const ledger_event& e) {
    netstring_digest d;
    d.raw(prev_hash);
    d.field(e.seq);
    d.field(to_ledger_ms(e.at));
    d.field(to_string(e.kind));
    d.field(e.agency);
    d.field(e.service);
    d.field(e.check);
    d.field(e.outage_id);
    d.field(e.data);
    return d.hex();
}

bool apply_outage_event(std::optional<outage_record>& row, const ledger_event& e) {
    const auto at = from_ledger_ms(to_ledger_ms(e.at));
    switch (e.kind) {
    case ledger_event_kind::outage_opened: {
        if (row || e.outage_id <= 0) {
            return false;
        }
        const auto data = nlohmann::json::parse(e.data, nullptr, false);
        outage_record r;
        r.id = e.outage_id;
        r.agency = e.agency;
        r.service = e.service;
        r.started_at = at;
        r.cause = string_member(data, "cause");
        if (const nlohmann::json* until = member(data, "planned_until");
            until != nullptr && until->is_number_integer()) {
            r.planned_until = from_ledger_ms(until->get<std::int64_t>());
        }
        if (const nlohmann::json* parent = member(data, "caused_by");
            parent != nullptr && parent->is_number_integer()) {
            r.caused_by = parent->get<std::int64_t>();
        }
        row = std::move(r);
        return true;
    }
    case ledger_event_kind::outage_closed:
        if (!row || row->ended_at) {
            return false;
        }
        row->ended_at = at;
        return true;
    case ledger_event_kind::outage_acknowledged: {
        if (!row || row->acknowledged_by) {
            return false;
        }
        const auto data = nlohmann::json::parse(e.data, nullptr, false);
        row->acknowledged_by = string_member(data, "by");
        row->acknowledged_at = at;
        row->ack_note = string_member(data, "note");
        return true;
    }
    case ledger_event_kind::escalation_reached: {
        if (!row) {
            return false;
        }
        const auto data = nlohmann::json::parse(e.data, nullptr, false);
        const nlohmann::json* level = member(data, "level");
        if (level == nullptr || !level->is_number_integer()) {
            return false;
        }
        const auto value = level->get<std::int64_t>();
        if (value <= row->level || value > std::numeric_limits<int>::max()) {
            return false;
        }
        row->level = static_cast<int>(value);
        return true;
    }
    case ledger_event_kind::daemon_started:
    case ledger_event_kind::daemon_stopped:
    case ledger_event_kind::config_reloaded:
    case ledger_event_kind::monitoring_gap:
    case ledger_event_kind::check_state_changed:
    case ledger_event_kind::notification_sent:
    case ledger_event_kind::notification_queued:
    case ledger_event_kind::flapping_started:
    case ledger_event_kind::flapping_stopped:
    case ledger_event_kind::maintenance_added:
    case ledger_event_kind::maintenance_removed:
    case ledger_event_kind::heartbeat_received: return false;
    }
    return false;
}

std::vector<ledger_event> ledger::events_of_kind(std::span<const ledger_event_kind> kinds,
                                                 wall_time from) {
    std::vector<ledger_event> all = events(from, wall_time::max());
    std::erase_if(all, [&](const ledger_event& e) {
        return std::find(kinds.begin(), kinds.end(), e.kind) == kinds.end();
    });
    return all;
}

std::vector<ledger_event> ledger::latest_per_check(ledger_event_kind kind) {
    const std::array kinds{kind};
    std::vector<ledger_event> all = events_of_kind(kinds, wall_time{});
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> last;
    for (std::size_t i = 0; i < all.size(); ++i) {
        last[{all[i].agency, all[i].service, all[i].check}] = i;
    }
    std::vector<ledger_event> out;
    out.reserve(last.size());
    for (const auto& [key, i] : last) {
        out.push_back(std::move(all[i]));
    }
    std::sort(out.begin(), out.end(),
              [](const ledger_event& a, const ledger_event& b) { return a.seq < b.seq; });
    return out;
}

const std::error_category& ledger_category() noexcept {
    static const ledger_category_impl category;
    return category;
}

std::error_code make_error_code(ledger_errc e) noexcept {
    return {static_cast<int>(e), ledger_category()};
}

} // namespace pantau
