#include "common/base/clock.h"

#include <absl/time/time.h>

namespace csops {

Instant RealClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

RealClock& RealClock::Get() {
  static RealClock clock;
  return clock;
}

std::string FormatRfc3339Utc(Instant t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ToUnixMillis(t)),
                          absl::UTCTimeZone());
}

}  // namespace csops
