#include "common/base/business_calendar.h"

#include <gtest/gtest.h>

#include "common/base/testutil.h"
#include "common/config/calendar_file.h"

namespace csops {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Instants built from a fixed UTC offset, independent of the zone database under test
// (Taipei() of testutil.h is At(8, ...)).
Instant At(int offset_hours, int y, int mo, int d, int h, int mi, int s = 0) {
  absl::Time utc = absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
  return FromUnixMillis(absl::ToUnixMillis(utc - absl::Hours(offset_hours)));
}

class TaiwanCalendarTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cal = LoadCalendarFile(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto");
    ASSERT_OK(cal.status());
    cal_ = new BusinessCalendar(std::move(*cal));
  }
  static void TearDownTestSuite() { delete cal_; }
  static BusinessCalendar* cal_;
};
BusinessCalendar* TaiwanCalendarTest::cal_ = nullptr;

TEST_F(TaiwanCalendarTest, LunarNewYear2026IsClosedFromSixteenthToTwentieth) {
  for (int d = 16; d <= 20; ++d) {
    EXPECT_FALSE(cal_->IsWorkingDay(absl::CivilDay(2026, 2, d))) << "Feb " << d;
    EXPECT_FALSE(cal_->IsWorkingTime(Taipei(2026, 2, d, 10, 0))) << "Feb " << d;
  }
  EXPECT_TRUE(cal_->IsWorkingDay(absl::CivilDay(2026, 2, 13)));
  EXPECT_TRUE(cal_->IsWorkingDay(absl::CivilDay(2026, 2, 23)));
  EXPECT_EQ(cal_->ExceptionName(absl::CivilDay(2026, 2, 16)), "農曆除夕");
}

TEST_F(TaiwanCalendarTest, AddingAcrossLunarNewYearSkipsTheHolidayAndWeekends) {
  // Fri 13 Feb 16:30 + 2h: one hour on Friday, one on Monday 23 Feb.
  auto r = cal_->AddBusinessTime(Taipei(2026, 2, 13, 16, 30), hours(2));
  ASSERT_OK(r.status());
  EXPECT_EQ(*r, Taipei(2026, 2, 23, 9, 30));
  EXPECT_EQ(cal_->BusinessTimeBetween(Taipei(2026, 2, 13, 16, 30), Taipei(2026, 2, 23, 9, 30)),
            hours(2));
}

TEST_F(TaiwanCalendarTest, EndOfNthWorkingDayAfterCountsOnlyWorkingDays) {
  // After Thu 12 Feb 2026: Fri 13 (1), Mon 23 (2), Tue 24 (3).
  auto r = cal_->EndOfNthWorkingDayAfter(absl::CivilDay(2026, 2, 12), 3);
  ASSERT_OK(r.status());
  EXPECT_EQ(*r, Taipei(2026, 2, 24, 17, 30));
  // After Wed 25 Feb: Thu 26 (1); Fri 27 is 補假; Mon 2 Mar (2).
  r = cal_->EndOfNthWorkingDayAfter(absl::CivilDay(2026, 2, 25), 2);
  ASSERT_OK(r.status());
  EXPECT_EQ(*r, Taipei(2026, 3, 2, 17, 30));
  EXPECT_EQ(cal_->EndOfNthWorkingDayAfter(absl::CivilDay(2026, 2, 25), 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TaiwanCalendarTest, LunchBreakIsNotWorkingTime) {
  EXPECT_TRUE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 12, 29, 59)));
  EXPECT_FALSE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 12, 30)));
  EXPECT_FALSE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 13, 29, 59)));
  EXPECT_TRUE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 13, 30)));
  // 12:00 + 1h: 30 min before lunch, 30 min after.
  auto r = cal_->AddBusinessTime(Taipei(2026, 3, 4, 12, 0), hours(1));
  ASSERT_OK(r.status());
  EXPECT_EQ(*r, Taipei(2026, 3, 4, 14, 0));
  EXPECT_EQ(cal_->BusinessTimeBetween(Taipei(2026, 3, 4, 12, 0), Taipei(2026, 3, 4, 14, 0)),
            hours(1));
}

TEST_F(TaiwanCalendarTest, OpeningAndClosingEdgesAreExactToTheSecond) {
  EXPECT_FALSE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 8, 29, 59)));
  EXPECT_TRUE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 8, 30, 0)));
  EXPECT_TRUE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 17, 29, 59)));
  EXPECT_FALSE(cal_->IsWorkingTime(Taipei(2026, 3, 4, 17, 30, 0)));
  EXPECT_EQ(*cal_->AddBusinessTime(Taipei(2026, 3, 4, 8, 30), seconds(1)),
            Taipei(2026, 3, 4, 8, 30, 1));
  // A full working day ends at the close, not at the next opening.
  EXPECT_EQ(*cal_->AddBusinessTime(Taipei(2026, 3, 4, 8, 30), hours(8)),
            Taipei(2026, 3, 4, 17, 30));
  EXPECT_EQ(*cal_->AddBusinessTime(Taipei(2026, 3, 4, 8, 30), hours(8) + seconds(1)),
            Taipei(2026, 3, 5, 8, 30, 1));
}

TEST_F(TaiwanCalendarTest, InstantsOutsideWorkingHoursStartCountingAtTheNextOpening) {
  // Saturday 7 Mar 2026 10:00 + 1h -> Monday 9 Mar 09:30.
  EXPECT_EQ(*cal_->AddBusinessTime(Taipei(2026, 3, 7, 10, 0), hours(1)), Taipei(2026, 3, 9, 9, 30));
  // Tuesday 20:00 + 30 min -> Wednesday 09:00.
  EXPECT_EQ(*cal_->AddBusinessTime(Taipei(2026, 3, 3, 20, 0), minutes(30)),
            Taipei(2026, 3, 4, 9, 0));
  EXPECT_EQ(cal_->NextWorkingInstant(Taipei(2026, 3, 7, 10, 0)), Taipei(2026, 3, 9, 8, 30));
  // Nothing to count over a weekend.
  EXPECT_EQ(cal_->BusinessTimeBetween(Taipei(2026, 3, 6, 17, 30), Taipei(2026, 3, 9, 8, 30)),
            Duration::zero());
}

TEST_F(TaiwanCalendarTest, MakeUpSaturdayIsAWorkingDay) {
  EXPECT_TRUE(cal_->IsWorkingDay(absl::CivilDay(2025, 2, 8)));  // 補行上班
  EXPECT_TRUE(cal_->IsWorkingTime(Taipei(2025, 2, 8, 9, 0)));
  EXPECT_FALSE(cal_->IsWorkingDay(absl::CivilDay(2025, 2, 15)));  // an ordinary Saturday
}

TEST_F(TaiwanCalendarTest, BetweenIsSignedAndNegativeAmountsAreRefused) {
  Instant a = Taipei(2026, 3, 4, 9, 0), b = Taipei(2026, 3, 4, 10, 0);
  EXPECT_EQ(cal_->BusinessTimeBetween(b, a), -hours(1));
  EXPECT_EQ(cal_->AddBusinessTime(a, -seconds(1)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*cal_->AddBusinessTime(a, Duration::zero()), a);
}

TEST_F(TaiwanCalendarTest, KnowsItsCoverage) {
  EXPECT_EQ(cal_->covers_until(), absl::CivilDay(2027, 12, 31));
  EXPECT_EQ(cal_->time_zone_name(), "Asia/Taipei");
}

// New York: EST is UTC-5, EDT is UTC-4. 2026 DST starts Sun 8 Mar 02:00, ends Sun 1 Nov 02:00.
BusinessCalendar NewYork(std::vector<MinuteRange> every_day) {
  CalendarSpec spec;
  spec.time_zone = "America/New_York";
  for (auto& d : spec.week) d = every_day;
  spec.covers_from = absl::CivilDay(2026, 1, 1);
  spec.covers_until = absl::CivilDay(2026, 12, 31);
  auto cal = BusinessCalendar::Create(spec);
  EXPECT_OK(cal.status());
  return std::move(*cal);
}

TEST(DstCalendarTest, SpringForwardDayHasTwentyThreeHours) {
  BusinessCalendar cal = NewYork({{0, 1440}});
  Instant midnight = At(-5, 2026, 3, 8, 0, 0);
  Instant next_midnight = At(-4, 2026, 3, 9, 0, 0);
  EXPECT_EQ(cal.BusinessTimeBetween(midnight, next_midnight), hours(23));
  // 00:00 EST + 3h of real time is 04:00 EDT.
  EXPECT_EQ(*cal.AddBusinessTime(midnight, hours(3)), At(-4, 2026, 3, 8, 4, 0));
}

TEST(DstCalendarTest, FallBackDayHasTwentyFiveHours) {
  BusinessCalendar cal = NewYork({{0, 1440}});
  EXPECT_EQ(cal.BusinessTimeBetween(At(-4, 2026, 11, 1, 0, 0), At(-5, 2026, 11, 2, 0, 0)),
            hours(25));
  EXPECT_EQ(cal.WorkingIntervals(absl::CivilDay(2026, 11, 1)).front().end -
                cal.WorkingIntervals(absl::CivilDay(2026, 11, 1)).front().begin,
            hours(25));
}

TEST(DstCalendarTest, RangeSpanningTheGapIsAnHourShorter) {
  BusinessCalendar cal = NewYork({{60, 180}});  // 01:00-03:00 local
  auto iv = cal.WorkingIntervals(absl::CivilDay(2026, 3, 8));
  ASSERT_EQ(iv.size(), 1u);
  EXPECT_EQ(iv[0].begin, At(-5, 2026, 3, 8, 1, 0));
  EXPECT_EQ(iv[0].end, At(-4, 2026, 3, 8, 3, 0));
  EXPECT_EQ(iv[0].end - iv[0].begin, hours(1));
}

TEST(DstCalendarTest, OfficeHoursAcrossTheSwitchUseEachDaysOffset) {
  BusinessCalendar cal = NewYork({{9 * 60, 17 * 60}});
  // Sat 7 Mar 16:00 EST + 2h -> Sun 8 Mar 10:00 EDT (every day is open here).
  EXPECT_EQ(*cal.AddBusinessTime(At(-5, 2026, 3, 7, 16, 0), hours(2)), At(-4, 2026, 3, 8, 10, 0));
  EXPECT_TRUE(cal.IsWorkingTime(At(-4, 2026, 3, 8, 9, 0)));
  // 08:30 in last week's offset (EST) is 09:30 EDT: open on the new offset.
  EXPECT_TRUE(cal.IsWorkingTime(At(-5, 2026, 3, 8, 8, 30)));
  EXPECT_FALSE(cal.IsWorkingTime(At(-4, 2026, 3, 8, 8, 59)));  // one minute before opening
  EXPECT_EQ(*cal.EndOfNthWorkingDayAfter(absl::CivilDay(2026, 10, 31), 1),
            At(-5, 2026, 11, 1, 17, 0));
}

TEST(CalendarSpecTest, RejectsBadSpecs) {
  CalendarSpec spec;
  spec.time_zone = "Mars/Olympus";
  spec.week[0] = {{510, 1050}};
  EXPECT_NE(BusinessCalendar::Create(spec).status().message().find("time_zone"), std::string::npos);
  spec.time_zone = "Asia/Taipei";
  spec.week[0] = {{600, 700}, {650, 800}};
  EXPECT_NE(BusinessCalendar::Create(spec).status().message().find("overlap"), std::string::npos);
  spec.week[0] = {};
  EXPECT_NE(BusinessCalendar::Create(spec).status().message().find("no weekday"),
            std::string::npos);
}

TEST(CalendarFileTest, ParsesTimesAndDatesStrictly) {
  EXPECT_EQ(*ParseHhMm("08:30"), 510);
  EXPECT_EQ(*ParseHhMm("24:00"), 1440);
  EXPECT_FALSE(ParseHhMm("24:01").ok());
  EXPECT_FALSE(ParseHhMm("8:30").ok());
  EXPECT_FALSE(ParseHhMm("08:60").ok());
  EXPECT_TRUE(ParseIsoDate("2024-02-29").ok());
  EXPECT_FALSE(ParseIsoDate("2026-02-29").ok());
  EXPECT_FALSE(ParseIsoDate("2026-2-1").ok());
}

}  // namespace
}  // namespace csops
