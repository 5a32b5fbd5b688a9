// The yearly update of an office calendar from the government's own open data.
//
// The Directorate-General of Personnel Administration (行政院人事行政總處) publishes each year's
// office calendar (政府資料開放平臺「中華民國政府行政機關辦公日曆表」) as a CSV file with the
// header `西元日期,星期,是否放假,備註` and one row per day: the date as YYYYMMDD, the weekday as
// one character (日一二三四五六), 是否放假 2 for a day off and 0 for a working day, and the day's
// name.
//
// ParseDgpaYear reads one such file (UTF-8, with or without a BOM, LF or CRLF line ends) and
// refuses anything else with "<source>:<line>: <reason>": a Big5 or UTF-16 file, a wrong
// header, a row whose weekday does not match its date, a missing or repeated date, dates of
// another year, an incomplete year, a 是否放假 that is not 0 or 2.
//
// MergeYears puts the parsed years into an existing calendar file: the exceptions of those years
// are replaced, every other year's are kept, and the coverage grows to include them (it must
// stay one unbroken range). A day off on a day the weekly pattern works becomes a HOLIDAY with
// the day's name; a working day on a day the weekly pattern is closed becomes a WORKDAY with
// the weekly pattern's hours (those of its first working weekday). Pure functions: no I/O.
#pragma once

#include <absl/time/civil_time.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "csops/config/v1/calendar.pb.h"

namespace csops {

struct DgpaDay {
  absl::CivilDay date;
  bool day_off = false;
  std::string name;  // 備註, trimmed; may be empty
};

struct DgpaYear {
  int year = 0;
  std::string source;         // the file it came from, for messages
  std::vector<DgpaDay> days;  // every day of the year, in date order
};

// `source` names the file in error messages.
Result<DgpaYear> ParseDgpaYear(std::string_view bytes, const std::string& source);

struct ImportedYearSummary {
  int year = 0;
  int holidays = 0;      // HOLIDAY exceptions written for the year
  int make_up_days = 0;  // WORKDAY exceptions written for the year
};

struct MergedCalendar {
  config::v1::CalendarFile file;
  std::vector<ImportedYearSummary> years;  // in year order
};

// REQUIRES: `base` passed LoadCalendarFile's validation (a time zone, a weekly pattern with at
// least one working day). Fails with kInvalidArgument when two inputs hold the same year or
// when the result would leave a gap in the coverage.
Result<MergedCalendar> MergeYears(const config::v1::CalendarFile& base,
                                  const std::vector<DgpaYear>& years);

// The calendar file as protobuf text in the style of deploy/calendars/: `header` (each line
// prefixed with "# "), then the zone, the coverage, one line per weekday and one line per
// HOLIDAY. Names stay readable UTF-8; quotes, backslashes and control characters are escaped.
std::string RenderCalendarFile(const config::v1::CalendarFile& file,
                               const std::vector<std::string>& header);

}  // namespace csops
