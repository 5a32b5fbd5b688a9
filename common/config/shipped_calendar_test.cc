// The shipped Taiwan office calendar against the facts it stands on: every date of 2025-2027 in
// deploy/calendars/tw-gov.textproto must agree with testdata/tw-gov-calendar-2025-2027.csv (a copy
// of the DGPA's calendars, revised 2025 edition), working or not, with the same names.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "common/base/business_calendar.h"
#include "common/base/testutil.h"
#include "common/config/calendar_file.h"

namespace csops {
namespace {

using std::chrono::hours;

struct Fact {
  bool working;
  std::string name;
};

// date -> fact, for the dates that differ from the Monday-Friday week.
std::map<absl::CivilDay, Fact> ReadFacts() {
  std::ifstream in(CSOPS_SOURCE_DIR "/common/config/testdata/tw-gov-calendar-2025-2027.csv");
  EXPECT_TRUE(in) << "cannot read the facts file";
  std::map<absl::CivilDay, Fact> facts;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      EXPECT_EQ(line, "date,kind,name");
      header = false;
      continue;
    }
    std::istringstream row(line);
    std::string date, kind, name;
    std::getline(row, date, ',');
    std::getline(row, kind, ',');
    std::getline(row, name);
    auto day = ParseIsoDate(date);
    EXPECT_TRUE(day.ok()) << line;
    EXPECT_TRUE(kind == "holiday" || kind == "workday") << line;
    if (day.ok()) facts[*day] = Fact{kind == "workday", name};
  }
  return facts;
}

class ShippedCalendarTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cal = LoadCalendarFile(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto");
    ASSERT_OK(cal.status());
    cal_ = new BusinessCalendar(std::move(*cal));
  }
  static void TearDownTestSuite() { delete cal_; }
  static BusinessCalendar* cal_;
};
BusinessCalendar* ShippedCalendarTest::cal_ = nullptr;

TEST_F(ShippedCalendarTest, CoversTheThreeYearsOfTheFacts) {
  EXPECT_EQ(FormatIsoDate(cal_->covers_from()), "2025-01-01");
  EXPECT_EQ(FormatIsoDate(cal_->covers_until()), "2027-12-31");
}

TEST_F(ShippedCalendarTest, AgreesWithTheFactsOnEveryDateOf2025To2027) {
  const auto facts = ReadFacts();
  ASSERT_GE(facts.size(), 49u);  // 48 holidays and 1 make-up day
  int checked = 0;
  for (absl::CivilDay d(2025, 1, 1); d <= absl::CivilDay(2027, 12, 31); ++d, ++checked) {
    const auto w = absl::GetWeekday(d);
    bool working = w != absl::Weekday::saturday && w != absl::Weekday::sunday;
    std::string name;
    if (auto it = facts.find(d); it != facts.end()) {
      working = it->second.working;
      name = it->second.name;
    }
    EXPECT_EQ(cal_->IsWorkingDay(d), working) << FormatIsoDate(d);
    EXPECT_EQ(cal_->ExceptionName(d), name) << FormatIsoDate(d);
    if (working) {
      // A working day has the office's ordinary hours, 08:30-12:30 and 13:30-17:30.
      auto iv = cal_->WorkingIntervals(d);
      ASSERT_EQ(iv.size(), 2u) << FormatIsoDate(d);
      EXPECT_EQ(iv[0].begin, Taipei(d.year(), d.month(), d.day(), 8, 30)) << FormatIsoDate(d);
      EXPECT_EQ(iv[1].end, Taipei(d.year(), d.month(), d.day(), 17, 30)) << FormatIsoDate(d);
    }
  }
  EXPECT_EQ(checked, 365 + 365 + 365);
}

TEST_F(ShippedCalendarTest, The2025RevisionClosesTheThreeNewHolidays) {
  for (auto d :
       {absl::CivilDay(2025, 9, 29), absl::CivilDay(2025, 10, 24), absl::CivilDay(2025, 12, 25)})
    EXPECT_FALSE(cal_->IsWorkingDay(d)) << FormatIsoDate(d);
}

TEST_F(ShippedCalendarTest, ThreeWorkingDaysFromTheEveOfLunarNewYear2027) {
  // After Wed 3 Feb 2027: 4, 5, 8, 9 and 10 Feb are holidays and 6-7 the weekend, so Thu 11 (1),
  // Fri 12 (2), Mon 15 (3).
  auto r = cal_->EndOfNthWorkingDayAfter(absl::CivilDay(2027, 2, 3), 3);
  ASSERT_OK(r.status());
  EXPECT_EQ(*r, Taipei(2027, 2, 15, 17, 30));
}

TEST_F(ShippedCalendarTest, EightBusinessHoursAcrossTheTeachersDayMakeUpHoliday2025) {
  // Fri 26 Sep 09:00: 3.5 h + 4 h that day; Mon 29 Sep is closed; 0.5 h on Tue 30 Sep.
  auto r = cal_->AddBusinessTime(Taipei(2025, 9, 26, 9, 0), hours(8));
  ASSERT_OK(r.status());
  EXPECT_EQ(*r, Taipei(2025, 9, 30, 9, 0));
}

}  // namespace
}  // namespace csops
