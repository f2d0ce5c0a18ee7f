#include "core/duration.hpp"

#include <string>

#include <doctest/doctest.h>

using pantau::duration;
using pantau::format_duration;
using pantau::parse_duration;

TEST_CASE("duration: parses a number with a unit") {
    CHECK(parse_duration("500ms") == duration{500});
    CHECK(parse_duration("30s") == duration{30'000});
    CHECK(parse_duration("5m") == duration{5 * 60'000});
    CHECK(parse_duration("2h") == duration{2 * 3'600'000});
    CHECK(parse_duration("1d") == duration{86'400'000});
    CHECK(parse_duration("0s") == duration{0});
    CHECK(parse_duration("0ms") == duration{0});
}

TEST_CASE("duration: parses combined parts") {
    CHECK(parse_duration("1h30m") == duration{90 * 60'000});
    CHECK(parse_duration("1m30s") == duration{90'000});
    CHECK(parse_duration("1s500ms") == duration{1'500});
    CHECK(parse_duration("2h0m5s") == duration{2 * 3'600'000 + 5'000});
}

TEST_CASE("duration: rejects what is not a number with a unit") {
    for (const char* text : {"", "5", "5 m", " 5m", "5m ", "-5s", "+5s", "5x", "m", "ms", "5.5s",
                             "5M", "5S", "1h30", "5mss", "5sm5", "1e3ms"}) {
        CAPTURE(text);
        CHECK_FALSE(parse_duration(text).has_value());
    }
}

TEST_CASE("duration: rejects values that overflow") {
    CHECK_FALSE(parse_duration("9223372036854775807d").has_value());
    CHECK_FALSE(parse_duration("99999999999999999999ms").has_value());
    CHECK_FALSE(parse_duration("106751991168d").has_value());
    CHECK_FALSE(parse_duration("9223372036854775807ms1ms").has_value());
    CHECK(parse_duration("9223372036854775ms") == duration{9'223'372'036'854'775});
    CHECK(parse_duration("106751991167d") == duration{106'751'991'167LL * 86'400'000});
}

TEST_CASE("duration: formats in the largest exact units") {
    CHECK(format_duration(duration{0}) == "0s");
    CHECK(format_duration(duration{500}) == "500ms");
    CHECK(format_duration(duration{30'000}) == "30s");
    CHECK(format_duration(duration{90'000}) == "1m30s");
    CHECK(format_duration(duration{5'400'000}) == "1h30m");
    CHECK(format_duration(duration{86'400'000 + 1}) == "1d1ms");
    CHECK(format_duration(duration{-1'500}) == "-1s500ms");
}

TEST_CASE("duration: format and parse round trip") {
    for (const char* text : {"500ms", "30s", "5m", "2h", "1h30m", "1d2h3m4s5ms", "0s"}) {
        CAPTURE(text);
        const auto parsed = parse_duration(text);
        REQUIRE(parsed.has_value());
        CHECK(format_duration(*parsed) == text);
    }
    for (const long long ms : {1LL, 999LL, 1'000LL, 61'001LL, 3'600'000LL, 123'456'789LL}) {
        CAPTURE(ms);
        CHECK(parse_duration(format_duration(duration{ms})) == duration{ms});
    }
}
