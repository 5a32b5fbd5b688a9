#include "common/config/dgpa_import.h"

#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "common/base/testutil.h"
#include "common/config/calendar_file.h"

namespace csops {
namespace {

using ::testing::HasSubstr;

constexpr char kHeader[] = "西元日期,星期,是否放假,備註";

const char* WeekdayChar(absl::CivilDay d) {
  static const char* kChars[] = {"一", "二", "三", "四", "五", "六", "日"};
  return kChars[static_cast<int>(absl::GetWeekday(d))];  // absl: monday = 0
}

// A DGPA yearly file for `year`: weekends off, weekdays working, except the dates in `off`
// (weekdays off, with a name) and `work` (weekends working).
std::string YearFile(int year, const std::map<absl::CivilDay, std::string>& off = {},
                     const std::set<absl::CivilDay>& work = {}, const std::string& eol = "\n") {
  std::string out = std::string(kHeader) + eol;
  for (absl::CivilDay d(year, 1, 1); d.year() == year; ++d) {
    const auto w = absl::GetWeekday(d);
    bool day_off = w == absl::Weekday::saturday || w == absl::Weekday::sunday;
    std::string name;
    if (auto it = off.find(d); it != off.end()) {
      day_off = true;
      name = it->second;
    }
    if (work.count(d)) {
      day_off = false;
      name = "補行上班";
    }
    char date[16];
    std::snprintf(date, sizeof date, "%04d%02d%02d", static_cast<int>(d.year()), d.month(),
                  d.day());
    out +=
        std::string(date) + "," + WeekdayChar(d) + "," + (day_off ? "2" : "0") + "," + name + eol;
  }
  return out;
}

config::v1::CalendarFile Base(const std::string& from = "2025-01-01",
                              const std::string& until = "2025-12-31") {
  config::v1::CalendarFile f;
  const std::string text = "time_zone: 'Asia/Taipei' covers_from: '" + from + "' covers_until: '" +
                           until + "'" +
                           " week { day: MONDAY hours { start: '08:30' end: '12:30' } hours { "
                           "start: '13:30' end: '17:30' } }"
                           " week { day: TUESDAY hours { start: '08:30' end: '17:30' } }"
                           " week { day: WEDNESDAY hours { start: '08:30' end: '17:30' } }"
                           " week { day: THURSDAY hours { start: '08:30' end: '17:30' } }"
                           " week { day: FRIDAY hours { start: '08:30' end: '17:30' } }"
                           " exceptions { date: '2025-01-01' kind: HOLIDAY name: '開國紀念日' }";
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &f));
  return f;
}

Status ParseError(const std::string& bytes) { return ParseDgpaYear(bytes, "2027.csv").status(); }

TEST(DgpaImportTest, ParsesACorrectYear) {
  auto y = ParseDgpaYear(YearFile(2027, {{absl::CivilDay(2027, 2, 4), "小年夜"}}), "2027.csv");
  ASSERT_OK(y.status());
  EXPECT_EQ(y->year, 2027);
  ASSERT_EQ(y->days.size(), 365u);
  EXPECT_EQ(y->days[34].date, absl::CivilDay(2027, 2, 4));
  EXPECT_TRUE(y->days[34].day_off);
  EXPECT_EQ(y->days[34].name, "小年夜");
  EXPECT_FALSE(y->days[35].day_off);  // Fri 5 Feb in this file
}

TEST(DgpaImportTest, AcceptsABomAndCrlfLineEnds) {
  auto y = ParseDgpaYear("\xEF\xBB\xBF" + YearFile(2027, {}, {}, "\r\n"), "2027.csv");
  ASSERT_OK(y.status());
  EXPECT_EQ(y->days.size(), 365u);
  EXPECT_EQ(y->days[0].name, "");
}

TEST(DgpaImportTest, ALeapYearHas366Days) {
  auto y = ParseDgpaYear(YearFile(2028), "2028.csv");
  ASSERT_OK(y.status());
  EXPECT_EQ(y->days.size(), 366u);
  EXPECT_EQ(y->days[59].date, absl::CivilDay(2028, 2, 29));
  // A leap year without its 29 February is incomplete.
  std::string file = YearFile(2028);
  auto at = file.find("20280229");
  file.erase(at, file.find('\n', at) + 1 - at);
  EXPECT_THAT(ParseDgpaYear(file, "2028.csv").status().message(),
              HasSubstr("2028.csv: the year 2028 is not complete: 365 of 366 days, 2028-02-29 "
                        "is missing"));
}

TEST(DgpaImportTest, RefusesAWeekdayThatDoesNotMatchItsDate) {
  std::string file = YearFile(2027);
  // 2027-01-01 is a Friday (五); line 2 is its row.
  file.replace(file.find("20270101,五"), std::string("20270101,五").size(), "20270101,四");
  EXPECT_EQ(ParseError(file).message(),
            "2027.csv:2: 星期 '四' does not match 2027-01-01, which is a 五");
}

TEST(DgpaImportTest, RefusesAMissingDate) {
  std::string file = YearFile(2027);
  auto at = file.find("20270315");
  file.erase(at, file.find('\n', at) + 1 - at);
  EXPECT_EQ(ParseError(file).message(),
            "2027.csv: the year 2027 is not complete: 364 of 365 days, 2027-03-15 is missing");
}

TEST(DgpaImportTest, RefusesARepeatedDate) {
  std::string file = YearFile(2027);
  auto at = file.find("20270110");
  std::string row = file.substr(at, file.find('\n', at) + 1 - at);
  file += row;  // line 367
  EXPECT_EQ(ParseError(file).message(),
            "2027.csv:367: 2027-01-10 is listed twice (first on line 11)");
}

TEST(DgpaImportTest, RefusesAnIncompleteYear) {
  std::string file = YearFile(2027);
  file.erase(file.find("20270701"));
  EXPECT_EQ(ParseError(file).message(),
            "2027.csv: the year 2027 is not complete: 181 of 365 days, 2027-07-01 is missing");
}

TEST(DgpaImportTest, RefusesDatesOfAnotherYear) {
  std::string file = YearFile(2027) + "20280101,六,2,\n";
  EXPECT_EQ(ParseError(file).message(),
            "2027.csv:367: 2028-01-01 is not in 2027, the year of the first row; give one file "
            "per year");
}

TEST(DgpaImportTest, RefusesAHolidayFlagThatIsNotZeroOrTwo) {
  std::string file = YearFile(2027);
  file.replace(file.find("20270104,一,0"), std::string("20270104,一,0").size(), "20270104,一,1");
  EXPECT_EQ(ParseError(file).message(),
            "2027.csv:5: 是否放假 '1' must be 0 (a working day) or 2 (a day off)");
}

TEST(DgpaImportTest, RefusesABig5File) {
  // "西元日期,星期,是否放假,備註" in Big5.
  const std::string big5 =
      "\xA6\xE8\xA4\xB8\xA4\xE9\xB4\xC1,\xAC\x50\xB4\xC1,\xAC\x4F\xA7\x5F\xA9\xF1\xB0\xB2,"
      "\xB3\xC6\xB5\xF9\r\n20270101,\xA4\xAD,2,\r\n";
  EXPECT_EQ(ParseError(big5).message(),
            "2027.csv:1: not UTF-8 (a Big5 file? convert it with iconv -f BIG5 -t UTF-8 first)");
}

TEST(DgpaImportTest, RefusesAWrongHeaderAndMalformedRows) {
  EXPECT_THAT(ParseError("date,weekday,off,name\n").message(),
              HasSubstr("2027.csv:1: the header must be '西元日期,星期,是否放假,備註'"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "\n2027-01-01,五,2,\n").message(),
              HasSubstr("2027.csv:2: 西元日期 '2027-01-01' is not a date YYYYMMDD"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "\n20270230,二,0,\n").message(),
              HasSubstr("2027.csv:2: 西元日期 '20270230' is not a date YYYYMMDD"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "\n20270101,五\n").message(),
              HasSubstr("2027.csv:2: expected 4 fields"));
  EXPECT_THAT(ParseError("").message(), HasSubstr("2027.csv: empty file"));
  EXPECT_THAT(ParseError("\xFF\xFE\x3F\x89").message(), HasSubstr("UTF-16"));
}

TEST(DgpaImportTest, MergeTurnsWeekdaysOffIntoHolidaysAndWorkingWeekendsIntoWorkdays) {
  auto y = ParseDgpaYear(
      YearFile(2026, {{absl::CivilDay(2026, 2, 16), "農曆除夕"}}, {absl::CivilDay(2026, 2, 7)}),
      "2026.csv");
  ASSERT_OK(y.status());
  auto merged = MergeYears(Base(), {*y});
  ASSERT_OK(merged.status());
  EXPECT_EQ(merged->file.covers_from(), "2025-01-01");
  EXPECT_EQ(merged->file.covers_until(), "2026-12-31");
  ASSERT_EQ(merged->file.exceptions_size(), 3);
  EXPECT_EQ(merged->file.exceptions(0).date(), "2025-01-01");  // the base's, kept
  const auto& workday = merged->file.exceptions(1);
  EXPECT_EQ(workday.date(), "2026-02-07");
  EXPECT_EQ(workday.kind(), config::v1::WORKDAY);
  // The weekly pattern's hours: those of its first working weekday (Monday, two ranges).
  ASSERT_EQ(workday.hours_size(), 2);
  EXPECT_EQ(workday.hours(0).start(), "08:30");
  EXPECT_EQ(workday.hours(1).end(), "17:30");
  const auto& holiday = merged->file.exceptions(2);
  EXPECT_EQ(holiday.date(), "2026-02-16");
  EXPECT_EQ(holiday.kind(), config::v1::HOLIDAY);
  EXPECT_EQ(holiday.name(), "農曆除夕");
  ASSERT_EQ(merged->years.size(), 1u);
  EXPECT_EQ(merged->years[0].holidays, 1);
  EXPECT_EQ(merged->years[0].make_up_days, 1);
  // The weekly hours of the existing file are kept as they were.
  ASSERT_EQ(merged->file.week_size(), 5);
  EXPECT_EQ(merged->file.week(1).hours(0).end(), "17:30");
}

TEST(DgpaImportTest, MergingTwoYearsReplacesTheirExceptionsAndKeepsTheRest) {
  auto base = Base("2025-01-01", "2026-12-31");
  auto* stale = base.add_exceptions();  // 2026 as it was known before the revision
  stale->set_date("2026-03-02");
  stale->set_kind(config::v1::HOLIDAY);
  stale->set_name("wrong");
  auto y26 = ParseDgpaYear(YearFile(2026, {{absl::CivilDay(2026, 1, 1), "開國紀念日"}}), "a.csv");
  auto y27 = ParseDgpaYear(YearFile(2027, {{absl::CivilDay(2027, 2, 4), "小年夜"},
                                           {absl::CivilDay(2027, 2, 5), "農曆除夕"}}),
                           "b.csv");
  ASSERT_OK(y26.status());
  ASSERT_OK(y27.status());
  auto merged = MergeYears(base, {*y27, *y26});
  ASSERT_OK(merged.status());
  EXPECT_EQ(merged->file.covers_until(), "2027-12-31");
  std::vector<std::string> dates;
  for (const auto& ex : merged->file.exceptions()) dates.push_back(ex.date());
  EXPECT_EQ(dates,
            (std::vector<std::string>{"2025-01-01", "2026-01-01", "2027-02-04", "2027-02-05"}));
  ASSERT_EQ(merged->years.size(), 2u);
  EXPECT_EQ(merged->years[0].year, 2026);
  EXPECT_EQ(merged->years[1].holidays, 2);
}

TEST(DgpaImportTest, MergeRefusesTheSameYearTwiceAndAGapInCoverage) {
  auto y27 = ParseDgpaYear(YearFile(2027), "b.csv");
  ASSERT_OK(y27.status());
  EXPECT_EQ(MergeYears(Base(), {*y27, *y27}).status().message(),
            "the year 2027 is given twice (b.csv and b.csv)");
  EXPECT_THAT(MergeYears(Base(), {*y27}).status().message(),
              HasSubstr("the coverage would have a gap: 2026-01-01 to 2026-12-31"));
}

TEST(DgpaImportTest, TheRenderedFileLoadsAsTheSameCalendar) {
  auto y = ParseDgpaYear(YearFile(2026, {{absl::CivilDay(2026, 2, 16), "除夕 \"quoted\\\""}},
                                  {absl::CivilDay(2026, 2, 7)}),
                         "2026.csv");
  ASSERT_OK(y.status());
  auto merged = MergeYears(Base(), {*y});
  ASSERT_OK(merged.status());
  const std::string text = RenderCalendarFile(merged->file, {"A header", "", "second line"});
  EXPECT_EQ(text.rfind("# A header\n#\n# second line\n\n", 0), 0u) << text;
  TempDir dir;
  const std::string path = dir.path() + "/cal.textproto";
  std::ofstream(path) << text;
  auto cal = LoadCalendarFile(path);
  ASSERT_OK(cal.status());
  EXPECT_FALSE(cal->IsWorkingDay(absl::CivilDay(2026, 2, 16)));
  EXPECT_EQ(cal->ExceptionName(absl::CivilDay(2026, 2, 16)), "除夕 \"quoted\\\"");
  EXPECT_TRUE(cal->IsWorkingDay(absl::CivilDay(2026, 2, 7)));
  EXPECT_EQ(FormatIsoDate(cal->covers_until()), "2026-12-31");
}

}  // namespace
}  // namespace csops
