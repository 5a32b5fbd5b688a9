#include "common/base/clock.h"

#include <gtest/gtest.h>

namespace csops {
namespace {

TEST(FakeClockTest, StartsWhereToldAndMovesOnlyWhenTold) {
  FakeClock clock(FromUnixMillis(1'000));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 1'000);
  EXPECT_EQ(ToUnixMillis(clock.Now()), 1'000);
  clock.Advance(std::chrono::seconds(90));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 91'000);
  clock.Set(FromUnixMillis(5));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 5);
}

TEST(RealClockTest, IsCloseToTheSystemClock) {
  auto sys = std::chrono::system_clock::now();
  Instant now = RealClock::Get().Now();
  auto diff = std::chrono::abs(now - std::chrono::time_point_cast<Duration>(sys));
  EXPECT_LT(diff, std::chrono::seconds(5));
}

TEST(ClockTest, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Utc(FromUnixMillis(1771205400123)), "2026-02-16T01:30:00.123Z");
}

}  // namespace
}  // namespace csops
