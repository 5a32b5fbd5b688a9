#include "common/config/calendar_coverage.h"

#include <prometheus/gauge.h>

namespace csops::metrics {

void ExportCalendarCoverage(
    prometheus::Registry& registry,
    const std::map<std::string, std::shared_ptr<const BusinessCalendar>>& calendars) {
  auto& family = prometheus::BuildGauge()
                     .Name("csops_calendar_coverage_end_timestamp_seconds")
                     .Help("First instant after the last date with known holidays, per calendar")
                     .Register(registry);
  for (const auto& [name, cal] : calendars) {
    Instant end = cal->StartOfDay(cal->covers_until() + 1);
    family.Add({{"calendar", name}}).Set(static_cast<double>(ToUnixMillis(end)) / 1000.0);
  }
}

}  // namespace csops::metrics
