// Report periods: local calendar days of the office's time zone turned into UTC instants.
//
// A report covers the days --from through --to inclusive, i.e. [from 00:00, to+1 00:00) local
// time; its monthly trend has one slice per calendar month, clipped to the period.
#pragma once

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/status.h"

namespace csops::report {

struct Period {
  Instant from, to;   // [from, to)
  std::string label;  // "2026-01-01 – 2026-06-30" for the whole, "2026-03" for a month
};

// "YYYY-MM-DD" with a real date, else kInvalidArgument naming `field`.
Result<absl::CivilDay> ParseDay(const std::string& field, const std::string& text);

// The whole period; kInvalidArgument when last is before first or it spans over 400 days.
Result<Period> WholePeriod(absl::CivilDay first, absl::CivilDay last, const absl::TimeZone& zone);

// One slice per calendar month touched by [first, last], in order.
std::vector<Period> MonthsOf(absl::CivilDay first, absl::CivilDay last, const absl::TimeZone& zone);

}  // namespace csops::report
