// When a delivery may be tried: quiet hours in the recipient's zone and retry back-off. Pure.
#pragma once

#include <absl/time/time.h>

#include "common/base/clock.h"
#include "services/notify/domain/notify_model.h"

namespace csops::notify {

// `t` itself when it is outside quiet hours, else the instant they end (local wall time in
// `zone`; a quiet period may span midnight, e.g. 21:00-08:00).
Instant NextAllowed(Instant t, const absl::TimeZone& zone, const QuietHours& quiet);

// Wait before retry number `attempt` (1 = after the first failure): base * 2^(attempt-1),
// capped at `max`, then scaled by a factor in [0.5, 1.0] from `jitter` in [0, 1) ("equal
// jitter", so retries from one outage spread out but never come sooner than half the wait).
Duration Backoff(int attempt, Duration base, Duration max, double jitter);

}  // namespace csops::notify
