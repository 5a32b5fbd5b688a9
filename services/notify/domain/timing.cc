#include "services/notify/domain/timing.h"

#include <algorithm>

namespace csops::notify {

Instant NextAllowed(Instant t, const absl::TimeZone& zone, const QuietHours& quiet) {
  if (quiet.start_minute == quiet.end_minute) return t;
  const absl::Time at = absl::FromUnixMillis(ToUnixMillis(t));
  const absl::CivilSecond local = absl::ToCivilSecond(at, zone);
  const int minute = static_cast<int>(local.hour() * 60 + local.minute());
  const bool spans_midnight = quiet.start_minute > quiet.end_minute;
  const bool quiet_now = spans_midnight
                             ? (minute >= quiet.start_minute || minute < quiet.end_minute)
                             : (minute >= quiet.start_minute && minute < quiet.end_minute);
  if (!quiet_now) return t;
  absl::CivilDay day = absl::CivilDay(local);
  if (spans_midnight && minute >= quiet.start_minute) day += 1;
  const absl::CivilMinute end(day.year(), day.month(), day.day(), quiet.end_minute / 60,
                              quiet.end_minute % 60);
  return FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(end, zone)));
}

Duration Backoff(int attempt, Duration base, Duration max, double jitter) {
  Duration wait = base;
  for (int i = 1; i < attempt && wait < max; ++i) wait *= 2;
  wait = std::min(wait, max);
  const double factor = 0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0);
  return Duration(static_cast<Duration::rep>(static_cast<double>(wait.count()) * factor));
}

}  // namespace csops::notify
