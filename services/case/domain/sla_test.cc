#include "services/case/domain/sla.h"

#include <gtest/gtest.h>

#include "common/base/testutil.h"
#include "common/config/calendar_file.h"

namespace csops::cases {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class SlaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cal = LoadCalendarFile(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto");
    ASSERT_OK(cal.status());
    calendar_ = new BusinessCalendar(std::move(*cal));
  }
  static void TearDownTestSuite() { delete calendar_; }
  SlaSchedule Schedule(Instant accepted, SlaLength len, std::vector<Pause> pauses = {},
                       std::vector<int> warns = {50, 80}, bool always = false) {
    auto s =
        ComputeSchedule(SlaCalendar(always ? nullptr : calendar_), accepted, len, warns, pauses);
    EXPECT_OK(s.status());
    return s.ok() ? *s : SlaSchedule{};
  }
  static BusinessCalendar* calendar_;
};
BusinessCalendar* SlaTest::calendar_ = nullptr;

const Instant kAccepted = Taipei(2026, 2, 12, 16, 0);  // Thu, before Lunar New Year
const SlaLength kThreeDays{SlaLength::Unit::kWorkingDays, 3};
const SlaLength kSixteenHours{SlaLength::Unit::kBusinessMinutes, 16 * 60};
const Pause kLongPause{Taipei(2026, 2, 13, 10, 0), Taipei(2026, 2, 23, 9, 30)};

TEST_F(SlaTest, ThreeWorkingDaysSkipLunarNewYear) {
  EXPECT_EQ(*Schedule(kAccepted, kThreeDays).due, Taipei(2026, 2, 24, 17, 30));
}

TEST_F(SlaTest, SixteenBusinessHoursWithWarnings) {
  SlaSchedule s = Schedule(kAccepted, kSixteenHours);
  EXPECT_EQ(*s.due, Taipei(2026, 2, 23, 16, 0));
  ASSERT_EQ(s.warnings.size(), 2u);
  EXPECT_EQ(*s.warnings[0], Taipei(2026, 2, 13, 16, 0));   // 50%
  EXPECT_EQ(*s.warnings[1], Taipei(2026, 2, 23, 11, 48));  // 80%
  EXPECT_EQ(s.length, hours(16));
}

TEST_F(SlaTest, PauseExtendsTheBusinessHourTarget) {
  SlaSchedule s = Schedule(kAccepted, kSixteenHours, {kLongPause});
  EXPECT_EQ(s.paused, minutes(450));  // 7.5 business hours
  EXPECT_EQ(*s.due, Taipei(2026, 2, 24, 15, 30));
}

TEST_F(SlaTest, PauseExtendsTheWorkingDayTarget) {
  EXPECT_EQ(*Schedule(kAccepted, kThreeDays, {kLongPause}).due, Taipei(2026, 2, 25, 17, 0));
}

TEST_F(SlaTest, AnOpenPauseLeavesLaterInstantsUnknown) {
  SlaSchedule s = Schedule(kAccepted, kSixteenHours, {{Taipei(2026, 2, 13, 10, 0), std::nullopt}});
  EXPECT_FALSE(s.due.has_value());
  EXPECT_FALSE(s.warnings[0].has_value());  // 50% falls after the pause started
  EXPECT_EQ(StateAt(s, Taipei(2026, 2, 23, 9, 0), true, std::nullopt), SlaState::kPaused);
}

TEST_F(SlaTest, WeekendsDoNotCount) {
  // Fri 2026-03-06 17:00 + 1 business hour: 30 min on Friday, 30 min on Monday.
  EXPECT_EQ(*Schedule(Taipei(2026, 3, 6, 17, 0), {SlaLength::Unit::kBusinessMinutes, 60}).due,
            Taipei(2026, 3, 9, 9, 0));
}

TEST_F(SlaTest, MakeUpSaturdayCountsAsAWorkingDay) {
  // Fri 2025-02-07: the 1st working day after it is the make-up Saturday 2025-02-08.
  EXPECT_EQ(*Schedule(Taipei(2025, 2, 7, 10, 0), {SlaLength::Unit::kWorkingDays, 1}).due,
            Taipei(2025, 2, 8, 17, 30));
}

TEST_F(SlaTest, APauseSpanningAHolidayCostsOnlyItsWorkingTime) {
  // Paused Thu 2026-02-26 17:00 to Mon 2026-03-02 09:00: 30 min Thursday, (Fri 27 is a
  // holiday), 30 min Monday = 1 h of working time.
  SlaSchedule s = Schedule(Taipei(2026, 2, 26, 9, 0), {SlaLength::Unit::kBusinessMinutes, 8 * 60},
                           {{Taipei(2026, 2, 26, 17, 0), Taipei(2026, 3, 2, 9, 0)}});
  EXPECT_EQ(s.paused, hours(1));
  // Unpaused: 7.5 h on Thursday, 30 min on Monday -> Mon 09:00; the pause adds 1 h -> 10:00.
  EXPECT_EQ(*Schedule(Taipei(2026, 2, 26, 9, 0), {SlaLength::Unit::kBusinessMinutes, 8 * 60}).due,
            Taipei(2026, 3, 2, 9, 0));
  EXPECT_EQ(*s.due, Taipei(2026, 3, 2, 10, 0));
}

TEST_F(SlaTest, ComplaintFirstReplyIn72HoursOnTheAlwaysCalendar) {
  const Instant filed = Taipei(2026, 2, 14, 22, 0);  // Saturday night, during the holidays
  SlaSchedule s = Schedule(filed, {SlaLength::Unit::kBusinessMinutes, 72 * 60}, {}, {50, 80},
                           /*always=*/true);
  EXPECT_EQ(*s.due, Taipei(2026, 2, 17, 22, 0));
  EXPECT_EQ(*s.warnings[1], filed + minutes(72 * 60 * 80 / 100));
  EXPECT_EQ(ComputeSchedule(SlaCalendar(nullptr), filed, kThreeDays, {}, {}).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(SlaDstTest, WorkingHoursAcrossTheSpringForwardNightStayExact) {
  // New York office, Mon-Fri 09:00-17:00. 2026-03-08 (Sunday) clocks go 02:00 -> 03:00.
  CalendarSpec spec;
  spec.time_zone = "America/New_York";
  for (int d = 0; d < 5; ++d) spec.week[d] = {{9 * 60, 17 * 60}};
  spec.covers_from = absl::CivilDay(2026, 1, 1);
  spec.covers_until = absl::CivilDay(2026, 12, 31);
  auto cal = BusinessCalendar::Create(spec);
  ASSERT_OK(cal.status());
  auto at = [](int offset, int d, int h) {
    absl::Time utc = absl::FromCivil(absl::CivilSecond(2026, 3, d, h, 0, 0), absl::UTCTimeZone());
    return FromUnixMillis(absl::ToUnixMillis(utc - absl::Hours(offset)));
  };
  // Accepted Fri 6 Mar 15:00 EST; 4 business hours: 2 on Friday, 2 on Monday 9 Mar (EDT).
  auto s = ComputeSchedule(SlaCalendar(&*cal), at(-5, 6, 15),
                           {SlaLength::Unit::kBusinessMinutes, 240}, {50}, {});
  ASSERT_OK(s.status());
  EXPECT_EQ(*s->due, at(-4, 9, 11));
  EXPECT_EQ(*s->warnings[0], at(-5, 6, 17));  // 50% = the Friday close (2 h)
  // One working day after Friday: Monday's close, 17:00 EDT.
  auto d = ComputeSchedule(SlaCalendar(&*cal), at(-5, 6, 15), {SlaLength::Unit::kWorkingDays, 1},
                           {}, {});
  EXPECT_EQ(*d->due, at(-4, 9, 17));
}

TEST_F(SlaTest, StatesFollowTheSchedule) {
  SlaSchedule s = Schedule(kAccepted, kSixteenHours);
  EXPECT_EQ(StateAt(s, Taipei(2026, 2, 13, 9, 0), false, std::nullopt), SlaState::kOnTrack);
  EXPECT_EQ(StateAt(s, Taipei(2026, 2, 13, 16, 0), false, std::nullopt), SlaState::kWarning);
  EXPECT_EQ(StateAt(s, Taipei(2026, 2, 23, 16, 0), false, std::nullopt), SlaState::kBreached);
  EXPECT_EQ(StateAt(s, Taipei(2026, 2, 23, 15, 59), false, Taipei(2026, 2, 23, 15, 59)),
            SlaState::kMet);
  EXPECT_EQ(StateAt(s, Taipei(2026, 2, 24, 9, 0), false, Taipei(2026, 2, 23, 16, 1)),
            SlaState::kMissed);
}

TEST_F(SlaTest, ActiveTimeExcludesPauses) {
  SlaCalendar cal(calendar_);
  EXPECT_EQ(ActiveTimeBetween(cal, kAccepted, Taipei(2026, 2, 23, 16, 0), {kLongPause}),
            hours(16) - minutes(450));
}

TEST_F(SlaTest, BadInputIsRefused) {
  SlaCalendar cal(calendar_);
  EXPECT_EQ(
      ComputeSchedule(cal, kAccepted, {SlaLength::Unit::kWorkingDays, 0}, {}, {}).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeSchedule(cal, kAccepted, kThreeDays, {100}, {}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace csops::cases
