// Loads a BusinessCalendar from a calendar data file (csops.config.v1.CalendarFile, protobuf
// text format; see deploy/calendars/). Every error names the file, line and field.
#pragma once

#include <string>

#include "common/calendar/business_calendar.h"
#include "common/status.h"

namespace csops {

Result<BusinessCalendar> LoadCalendarFile(const std::string& path);

// "08:30" -> 510; "24:00" -> 1440. kInvalidArgument when malformed.
Result<int> ParseHhMm(const std::string& text);
// CivilDay -> "2026-02-16".
std::string FormatIsoDate(absl::CivilDay day);
// "2026-02-16" -> CivilDay; kInvalidArgument when malformed or not a real date.
Result<absl::CivilDay> ParseIsoDate(const std::string& text);

}  // namespace csops
