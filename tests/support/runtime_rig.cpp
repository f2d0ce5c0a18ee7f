#include "support/runtime_rig.hpp"

#include <doctest/doctest.h>

#include <variant>

#include "ledger/sqlite_ledger.hpp"

namespace pantau::test {

runtime_rig::runtime_rig(const std::string& yaml, wall_time start, recorder_options recording)
    : clock(io, start)
    , curl(io)
    , inbox(io, clock)
    , ledger_path((dir.path / "ledger.db").string())
    , recording_(recording) {
    auto loaded = load_config_text(yaml, "test.yaml");
    if (const auto* e = std::get_if<config_error>(&loaded)) {
        FAIL(e->to_string());
    }
    cfg = std::get<config>(std::move(loaded));
    cfg.ledger = ledger_path;
}

runtime_rig::~runtime_rig() {
    runtime_.reset();
}

void runtime_rig::start() {
    REQUIRE_FALSE(runtime_);
    watch_options options;
    options.seed = 7;
    options.recording = recording_;
    options.channels = inbox.factory();
    options.probes = probes.maker();
    runtime_ = std::make_unique<watch_runtime>(
        io, curl, clock,
        [path = ledger_path](std::string& error) { return open_sqlite_ledger(path, error); },
        std::move(options));
    const std::string error = runtime_->start(cfg);
    REQUIRE_MESSAGE(error.empty(), error);
    clock.settle();
}

void runtime_rig::stop() {
    REQUIRE(runtime_);
    runtime_->stop();
    runtime_.reset();
    clock.settle();
}

void runtime_rig::crash() {
    REQUIRE(runtime_);
    runtime_.reset();
    clock.settle();
}

const check_runtime& runtime_rig::check(const std::string& key) const {
    for (const auto& c : runtime_->monitor().checks()) {
        if (c && c->key == key) {
            return *c;
        }
    }
    FAIL("no check " << key);
    throw std::logic_error("unreachable");
}

const service_runtime& runtime_rig::service(const std::string& key) const {
    for (const service_runtime& s : runtime_->monitor().services()) {
        if (s.agency + "/" + s.id == key) {
            return s;
        }
    }
    FAIL("no service " << key);
    throw std::logic_error("unreachable");
}

void runtime_rig::beat(const std::string& check_key) {
    const check_runtime& c = check(check_key);
    ledger_event e;
    e.at = clock.wall_now();
    e.kind = ledger_event_kind::heartbeat_received;
    e.agency = c.agency;
    e.service = c.service;
    e.check = c.cfg.id;
    runtime_->recorder().record(std::move(e));
    runtime_->monitor().push(check_key, clock.wall_now());
    clock.settle();
}

std::optional<outage_record> runtime_rig::outage(std::int64_t id) {
    auto found = runtime_->recorder().outage(id);
    REQUIRE(found);
    return *found;
}

std::unique_ptr<ledger> runtime_rig::read_ledger() const {
    std::string error;
    auto l = open_sqlite_ledger_readonly(ledger_path, error);
    REQUIRE_MESSAGE(l, error);
    return l;
}

} // namespace pantau::test
