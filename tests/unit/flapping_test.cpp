// Icinga-style flap detection. Expected percentages are worked out by hand from
//     percent = 100 * sum(w_i * c_i) / 20,  w_i = 0.8 + 0.02 * i  (i = 0 oldest .. 19 newest)
// The newest slots weigh 1.18, 1.16, 1.14, 1.12, 1.10, 1.08, ...
#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "core/flapping.hpp"

using namespace pantau;

namespace {

// Feeds results and returns every flapping change with the 1-based observation number.
struct feed_log {
    std::vector<int> started;
    std::vector<int> stopped;
};

feed_log feed(flap_detector& d, const std::vector<bool>& results, int first_number = 1) {
    feed_log log;
    int n = first_number;
    for (const bool ok : results) {
        if (const auto change = d.observe(ok)) {
            switch (*change) {
            case flap_change::started: log.started.push_back(n); break;
            case flap_change::stopped: log.stopped.push_back(n); break;
            }
        }
        ++n;
    }
    return log;
}

std::vector<bool> alternating(int count, bool first = true) {
    std::vector<bool> out;
    bool ok = first;
    for (int i = 0; i < count; ++i) {
        out.push_back(ok);
        ok = !ok;
    }
    return out;
}

} // namespace

TEST_CASE("flapping: defaults are Icinga's 25 % / 30 %") {
    const flap_detector d;
    CHECK(d.low() == doctest::Approx(25.0));
    CHECK(d.high() == doctest::Approx(30.0));
    CHECK_FALSE(d.flapping());
    CHECK(d.percent() == doctest::Approx(0.0));
}

TEST_CASE("flapping: steady states never flap") {
    for (const bool ok : {true, false}) {
        flap_detector d;
        const auto log = feed(d, std::vector<bool>(100, ok));
        CHECK(log.started.empty());
        CHECK_FALSE(d.flapping());
        CHECK(d.percent() == doctest::Approx(0.0));
    }
}

TEST_CASE("flapping: a single state change") {
    flap_detector d;
    CHECK_FALSE(d.observe(true)); // the first result has nothing to change from
    CHECK(d.percent() == doctest::Approx(0.0));
    CHECK_FALSE(d.observe(false));
    // One change in the newest slot: 100 * 1.18 / 20 = 5.9
    CHECK(d.percent() == doctest::Approx(5.9));
    d.observe(false);
    // It moved one slot older: 100 * 1.16 / 20 = 5.8
    CHECK(d.percent() == doctest::Approx(5.8));
    // After 19 more results it has left the window of 20 flags.
    feed(d, std::vector<bool>(18, false));
    CHECK(d.percent() == doctest::Approx(4.0)); // oldest slot: 100 * 0.8 / 20
    d.observe(false);
    CHECK(d.percent() == doctest::Approx(0.0));
}

TEST_CASE("flapping: alternating results start flapping after six changes") {
    flap_detector d;
    // n changes in the newest n slots:
    //   1: 1.18                       ->  5.9 %
    //   2: + 1.16 = 2.34              -> 11.7 %
    //   3: + 1.14 = 3.48              -> 17.4 %
    //   4: + 1.12 = 4.60              -> 23.0 %
    //   5: + 1.10 = 5.70              -> 28.5 %  (above low, below high: not yet)
    //   6: + 1.08 = 6.78              -> 33.9 %  (> 30: flapping starts)
    const std::vector<double> expected{0.0, 5.9, 11.7, 17.4, 23.0, 28.5, 33.9};
    bool ok = true;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto change = d.observe(ok);
        ok = !ok;
        CAPTURE(i);
        CHECK(d.percent() == doctest::Approx(expected[i]));
        if (i + 1 < expected.size()) {
            CHECK_FALSE(change);
            CHECK_FALSE(d.flapping());
        } else {
            REQUIRE(change);
            CHECK(*change == flap_change::started);
            CHECK(d.flapping());
        }
    }
}

TEST_CASE("flapping: started is reported once while it keeps flapping") {
    flap_detector d;
    const auto log = feed(d, alternating(60));
    CHECK(log.started == std::vector<int>{7});
    CHECK(log.stopped.empty());
    CHECK(d.flapping());
    // 20 changes in 20 slots: 20 * 0.8 + 0.02 * (0 + 1 + ... + 19) = 16 + 3.8 = 19.8 -> 99 %
    CHECK(d.percent() == doctest::Approx(99.0));
}

TEST_CASE("flapping: hysteresis between low and high") {
    flap_detector d;
    // Results 1..7 alternate: 6 changes (results 2..7), 33.9 %, flapping from result 7.
    auto log = feed(d, alternating(7));
    CHECK(log.started == std::vector<int>{7});

    // Then steady. With k steady results after result 7 the six changes sit k slots older:
    // each weight drops 0.02 * k, so percent = 33.9 - 0.6 * k while all six are inside.
    //   k = 1: 33.3 %, k = 8: 29.1 % (below high, still flapping), k = 14: 25.5 % (still
    //   above low). k = 15: result 2's change leaves the window; results 3..7 sit in slots
    //   0..4: 5 * 0.8 + 0.02 * (0+1+2+3+4) = 4.2 -> 21.0 % <= 25: flapping stops.
    log = feed(d, std::vector<bool>(8, true), 8);
    CHECK(log.stopped.empty());
    CHECK(d.flapping());
    CHECK(d.percent() == doctest::Approx(29.1));

    log = feed(d, std::vector<bool>(6, true), 16);
    CHECK(log.stopped.empty());
    CHECK(d.flapping());
    CHECK(d.percent() == doctest::Approx(25.5));

    const auto change = d.observe(true);
    REQUIRE(change);
    CHECK(*change == flap_change::stopped);
    CHECK_FALSE(d.flapping());
    CHECK(d.percent() == doctest::Approx(21.0));
}

TEST_CASE("flapping: between low and high it does not start") {
    flap_detector d;
    feed(d, alternating(6)); // 5 changes: 28.5 %
    CHECK(d.percent() == doctest::Approx(28.5));
    CHECK_FALSE(d.flapping());
    // Holding steady lowers the value; it never crosses high.
    const auto log = feed(d, std::vector<bool>(30, false));
    CHECK(log.started.empty());
    CHECK_FALSE(d.flapping());
}

TEST_CASE("flapping: custom thresholds") {
    flap_detector d(10.0, 15.0);
    // 3 changes: 17.4 % > 15 starts flapping at result 4.
    auto log = feed(d, alternating(4));
    CHECK(log.started == std::vector<int>{4});
    // Steady: 3 changes k slots older: 17.4 - 0.3 * k; <= 10 first at k = 25, but the
    // oldest change leaves the window at k = 17 (slots 0..2 hold 3*0.8+0.06 = 2.46 -> 12.3 %),
    // k = 18: two changes in slots 0..1: 1.62 -> 8.1 % <= 10: stops at result 4 + 18 = 22.
    log = feed(d, std::vector<bool>(30, false), 5);
    CHECK(log.stopped == std::vector<int>{22});
}

TEST_CASE("flapping: changes have names") {
    CHECK(to_string(flap_change::started) == "started");
    CHECK(to_string(flap_change::stopped) == "stopped");
}
