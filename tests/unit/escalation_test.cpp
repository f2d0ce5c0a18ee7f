// Escalation timing of one outage: levels, acknowledgement, reminders, restarts, resolution.
// Times are constructed, never read.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/escalation.hpp"

using namespace pantau;
using namespace std::chrono_literals;

namespace {

// 2026-03-02 08:00 WIB.
const wall_time t0 = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2} + 1h;

escalation_rule level(duration after, std::vector<std::string> notify,
                      std::optional<duration> repeat = std::nullopt, bool even = false) {
    return escalation_rule{after, std::move(notify), repeat, even};
}

// The issue's test policy: levels after 0 s / 3 s / 6 s, the last one for leadership.
std::vector<escalation_rule> three_levels() {
    return {level(0s, {"ops-telegram"}), level(3s, {"kadis-email"}),
            level(6s, {"walikota-email", "inspektorat-email"}, std::nullopt, true)};
}

std::string text(const escalation_step& s) {
    return "L" + std::to_string(s.level) + " " + s.channel + " " + std::string(to_string(s.kind)) +
           " #" + std::to_string(s.repeat);
}

std::vector<std::string> text(const std::vector<escalation_step>& steps) {
    std::vector<std::string> out;
    for (const auto& s : steps) {
        out.push_back(text(s));
    }
    return out;
}

// What the runtime does on a tick: take what is due, hand it to the outbox, mark it sent.
std::vector<std::string> send_due(escalation& e, wall_time now) {
    auto steps = e.due(now);
    for (const auto& s : steps) {
        e.mark_sent(s);
    }
    return text(steps);
}

// Ticks every 250 ms over [from, to] and records "+<ms> <step>" for everything sent.
std::vector<std::string> run(escalation& e, wall_time from, wall_time to) {
    std::vector<std::string> log;
    for (wall_time now = from; now <= to; now += 250ms) {
        for (const auto& s : send_due(e, now)) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - t0);
            log.push_back("+" + std::to_string(ms.count()) + " " + s);
        }
    }
    return log;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("escalation: levels at 0s/3s/6s fire in order exactly once each") {
    const auto policy = three_levels();
    escalation e(policy, t0);
    CHECK(e.due(t0 - 1ms).empty());
    CHECK(e.level_reached() == 0);

    CHECK(run(e, t0 - 1s, t0 + 20s) == strings{
                                           "+0 L1 ops-telegram notify #0",
                                           "+3000 L2 kadis-email notify #0",
                                           "+6000 L3 walikota-email notify #0",
                                           "+6000 L3 inspektorat-email notify #0",
                                       });
    CHECK(e.level_reached() == 3);
    CHECK(e.due(t0 + 24h).empty());
    CHECK_FALSE(e.next_due(t0 + 20s));
}

TEST_CASE("escalation: acknowledgement after level 1 stops level 2 but not even_if_acknowledged") {
    const auto policy = three_levels();
    escalation e(policy, t0);
    CHECK(send_due(e, t0) == strings{"L1 ops-telegram notify #0"});
    e.acknowledge(t0 + 1s);

    CHECK(run(e, t0 + 1s, t0 + 20s) == strings{
                                           "+6000 L3 walikota-email notify #0",
                                           "+6000 L3 inspektorat-email notify #0",
                                       });
    CHECK(e.level_reached() == 3);
    REQUIRE(e.acknowledged_at());
    CHECK(*e.acknowledged_at() == t0 + 1s);
}

TEST_CASE("escalation: acknowledgement silences a level that is due but not yet sent") {
    // Level 2 fell due at 3 s, the tick came late, the acknowledgement came in between.
    const auto policy = three_levels();
    escalation e(policy, t0);
    send_due(e, t0);
    e.acknowledge(t0 + 3500ms);
    CHECK(e.due(t0 + 3s) == std::vector<escalation_step>{{2, "kadis-email", step_kind::notify, 0}});
    CHECK(e.due(t0 + 4s).empty());
    CHECK(e.next_due(t0 + 4s) == t0 + 6s);
}

TEST_CASE("escalation: the first acknowledgement is the one on record") {
    const auto policy = three_levels();
    escalation e(policy, t0);
    e.acknowledge(t0 + 2s);
    e.acknowledge(t0 + 1s);
    CHECK(e.acknowledged_at() == t0 + 2s);
}

TEST_CASE("escalation: repeat sends reminders at the right times") {
    const std::vector<escalation_rule> policy{level(0s, {"ops-telegram"}, 10s)};
    escalation e(policy, t0);

    CHECK(run(e, t0, t0 + 35s) == strings{
                                      "+0 L1 ops-telegram notify #0",
                                      "+10000 L1 ops-telegram reminder #1",
                                      "+20000 L1 ops-telegram reminder #2",
                                      "+30000 L1 ops-telegram reminder #3",
                                  });
    CHECK(e.next_due(t0 + 35s) == t0 + 40s);
    CHECK(e.due(t0 + 40s - 1ms).empty());
    CHECK(e.level_reached() == 1);
}

TEST_CASE("escalation: reminders are anchored to the level's time, not the outage start") {
    const std::vector<escalation_rule> policy{level(0s, {"ops"}), level(5s, {"kadis"}, 10s)};
    escalation e(policy, t0);
    CHECK(run(e, t0, t0 + 26s) == strings{
                                      "+0 L1 ops notify #0",
                                      "+5000 L2 kadis notify #0",
                                      "+15000 L2 kadis reminder #1",
                                      "+25000 L2 kadis reminder #2",
                                  });
}

TEST_CASE("escalation: acknowledgement stops reminders except of even_if_acknowledged levels") {
    const std::vector<escalation_rule> policy{
        level(0s, {"ops"}, 10s),
        level(0s, {"walikota"}, 10s, true),
    };
    escalation e(policy, t0);
    send_due(e, t0);
    e.acknowledge(t0 + 5s);

    CHECK(run(e, t0 + 5s, t0 + 25s) == strings{
                                           "+10000 L2 walikota reminder #1",
                                           "+20000 L2 walikota reminder #2",
                                       });
    CHECK(e.next_due(t0 + 25s) == t0 + 30s);
}

TEST_CASE("escalation: only one reminder after a long gap, across a restart") {
    const std::vector<escalation_rule> policy{level(0s, {"ops"}, 10s)};
    std::vector<escalation_step> sent;
    {
        escalation before(policy, t0);
        for (const auto& s : before.due(t0)) {
            before.mark_sent(s);
            sent.push_back(s);
        }
        for (const auto& s : before.due(t0 + 10s)) {
            before.mark_sent(s);
            sent.push_back(s);
        }
        CHECK(text(sent) == strings{"L1 ops notify #0", "L1 ops reminder #1"});
    }

    // The daemon was down from 12 s to 95 s; periods 2..9 began meanwhile.
    escalation after(policy, t0);
    for (const auto& s : sent) {
        after.mark_sent(s);
    }
    CHECK(send_due(after, t0 + 95s) == strings{"L1 ops reminder #9"});
    CHECK(after.due(t0 + 99s).empty());
    CHECK(after.next_due(t0 + 95s) == t0 + 100s);
    CHECK(send_due(after, t0 + 100s) == strings{"L1 ops reminder #10"});
}

TEST_CASE("escalation: a notify sent late stands in for the reminders it missed") {
    // Nothing was sent before the restart at 35 s: one notify, no reminder on its heels.
    const std::vector<escalation_rule> policy{level(0s, {"ops"}, 10s)};
    escalation e(policy, t0);
    CHECK(send_due(e, t0 + 35s) == strings{"L1 ops notify #3"});
    CHECK(e.due(t0 + 39s).empty());
    CHECK(e.next_due(t0 + 35s) == t0 + 40s);
    CHECK(send_due(e, t0 + 40s) == strings{"L1 ops reminder #4"});
}

TEST_CASE("escalation: a level whose time passed before the engine existed fires once") {
    const auto policy = three_levels();
    escalation e(policy, t0);
    CHECK(send_due(e, t0 + 1h) == strings{
                                      "L1 ops-telegram notify #0",
                                      "L2 kadis-email notify #0",
                                      "L3 walikota-email notify #0",
                                      "L3 inspektorat-email notify #0",
                                  });
    CHECK(e.due(t0 + 1h).empty());
    CHECK(e.due(t0 + 2h).empty());
    CHECK_FALSE(e.next_due(t0 + 1h));
}

TEST_CASE("escalation: rebuilding from the sent steps gives the same answers") {
    const auto policy = three_levels();
    escalation e(policy, t0);
    send_due(e, t0);
    send_due(e, t0 + 3s);

    escalation again(policy, t0);
    again.mark_sent({1, "ops-telegram", step_kind::notify, 0});
    again.mark_sent({2, "kadis-email", step_kind::notify, 0});
    again.mark_sent({2, "kadis-email", step_kind::notify, 0}); // recorded twice: no matter
    for (const auto now : {t0 + 4s, t0 + 6s, t0 + 1h}) {
        CHECK(e.due(now) == again.due(now));
        CHECK(e.next_due(now) == again.next_due(now));
    }
    CHECK(again.level_reached() == 2);
}

TEST_CASE("escalation: resolve produces one resolution per notified channel, then nothing") {
    const std::vector<escalation_rule> policy{
        level(0s, {"ops", "hook"}, 10s),
        level(3s, {"kadis", "ops"}),
        level(6s, {"walikota"}, std::nullopt, true),
    };
    escalation e(policy, t0);
    send_due(e, t0);
    send_due(e, t0 + 3s);
    e.resolve(t0 + 5s);
    CHECK(e.channels_to_resolve() == strings{"ops", "hook", "kadis"});

    // Before the resolution time the outage is still open.
    CHECK(e.due(t0 + 4s).empty());
    CHECK(e.next_due(t0 + 4s) == t0 + 5s);

    // "ops" was notified by levels 1 and 2: resolved once, with the higher level.
    CHECK(send_due(e, t0 + 5s) == strings{
                                      "L2 ops resolve #0",
                                      "L1 hook resolve #0",
                                      "L2 kadis resolve #0",
                                  });
    CHECK(e.channels_to_resolve().empty());
    // Level 3 and the reminders never come: nothing after the resolution.
    CHECK(run(e, t0 + 5s, t0 + 60s).empty());
    CHECK_FALSE(e.next_due(t0 + 5s));
    CHECK(e.due(t0 + 24h).empty());
    CHECK(e.level_reached() == 2);
}

TEST_CASE("escalation: resolution drops steps that were due but not sent") {
    const auto policy = three_levels();
    escalation e(policy, t0);
    send_due(e, t0);
    e.resolve(t0 + 3500ms); // level 2 fell due at 3 s; the tick comes at 4 s
    CHECK(send_due(e, t0 + 4s) == strings{"L1 ops-telegram resolve #0"});
    CHECK(e.due(t0 + 10s).empty());
}

TEST_CASE("escalation: a resolution before any notification sends nothing") {
    const std::vector<escalation_rule> policy{level(1min, {"ops"})};
    escalation e(policy, t0);
    e.resolve(t0 + 30s);
    CHECK(e.next_due(t0) == std::nullopt);
    CHECK(e.due(t0 + 1h).empty());
    CHECK_FALSE(e.next_due(t0 + 1h));
}

TEST_CASE("escalation: resolution of a channel no longer in the policy after a reload") {
    const std::vector<escalation_rule> policy{level(0s, {"ops"})};
    escalation e(policy, t0);
    e.mark_sent({1, "ops", step_kind::notify, 0});
    e.mark_sent({2, "old-channel", step_kind::notify, 0});
    e.resolve(t0 + 1s);
    CHECK(send_due(e, t0 + 1s) == strings{"L1 ops resolve #0", "L2 old-channel resolve #0"});
}

TEST_CASE("escalation: next_due") {
    const std::vector<escalation_rule> policy{
        level(0s, {"ops"}, 10s),
        level(3s, {"kadis"}),
        level(6s, {"walikota"}, std::nullopt, true),
    };
    escalation e(policy, t0);
    CHECK(e.next_due(t0 - 5s) == t0);
    CHECK(e.next_due(t0) == t0); // due now: send first
    send_due(e, t0);
    CHECK(e.next_due(t0) == t0 + 3s);
    send_due(e, t0 + 3s);
    CHECK(e.next_due(t0 + 3s) == t0 + 6s);
    send_due(e, t0 + 6s);
    CHECK(e.next_due(t0 + 6s) == t0 + 10s); // level 1's first reminder
    e.acknowledge(t0 + 7s);
    // Level 1's reminders are silenced; level 3 has nothing more to send.
    CHECK_FALSE(e.next_due(t0 + 7s));
    // As seen from before the acknowledgement, the reminder at 10 s is silenced too.
    CHECK_FALSE(e.next_due(t0 + 6s));
}

TEST_CASE("escalation: an acknowledgement before a level silences it in next_due") {
    const auto policy = three_levels();
    escalation e(policy, t0);
    send_due(e, t0);
    e.acknowledge(t0 + 1s);
    CHECK(e.next_due(t0 + 500ms) == t0 + 6s); // level 2 at 3 s comes after the ack
}

TEST_CASE("escalation: empty policy") {
    escalation e({}, t0);
    CHECK(e.due(t0).empty());
    CHECK(e.due(t0 + 24h).empty());
    CHECK_FALSE(e.next_due(t0));
    CHECK(e.level_reached() == 0);
    CHECK(e.channels_to_resolve().empty());
    e.acknowledge(t0 + 1s);
    e.resolve(t0 + 2s);
    CHECK(e.due(t0 + 3s).empty());
    CHECK_FALSE(e.next_due(t0 + 3s));
}

TEST_CASE("escalation: a channel named twice in one level gets one message") {
    const std::vector<escalation_rule> policy{level(0s, {"ops", "ops"})};
    escalation e(policy, t0);
    CHECK(send_due(e, t0) == strings{"L1 ops notify #0"});
}

TEST_CASE("escalation: a zero repeat means no reminders") {
    const std::vector<escalation_rule> policy{level(0s, {"ops"}, 0s)};
    escalation e(policy, t0);
    CHECK(send_due(e, t0 + 5s) == strings{"L1 ops notify #0"});
    CHECK(e.due(t0 + 1h).empty());
    CHECK_FALSE(e.next_due(t0 + 5s));
}

TEST_CASE("escalation: step kinds have names") {
    CHECK(to_string(step_kind::notify) == "notify");
    CHECK(to_string(step_kind::reminder) == "reminder");
    CHECK(to_string(step_kind::resolve) == "resolve");
}
