// Exports when each business calendar's known holidays run out, as a Unix timestamp (the first
// instant after covers_until in the calendar's zone):
//   csops_calendar_coverage_end_timestamp_seconds{calendar="tw-gov"}
// The alert `csops_calendar_coverage_end_timestamp_seconds - time() < 60 * 86400` tells the
// operator to ship next year's calendar before SLA deadlines are computed without holidays.
#pragma once

#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>

#include "common/base/business_calendar.h"

namespace csops::metrics {

void ExportCalendarCoverage(
    prometheus::Registry& registry,
    const std::map<std::string, std::shared_ptr<const BusinessCalendar>>& calendars);

}  // namespace csops::metrics
