// Loads a BusinessCalendar from a calendar data file (csops.config.v1.CalendarFile, protobuf
// text format; see deploy/calendars/). Every error names the file, line and field.
#pragma once

#include <string>

#include "common/base/business_calendar.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"

namespace csops {

Result<BusinessCalendar> LoadCalendarFile(const std::string& path);

}  // namespace csops
