// The estimated wait: people ahead x average service time / open counters serving the service.
// The average is of today's most recent completed services, or the configured default before
// there is any. With no open counter the estimate assumes one and says so.
#pragma once

#include <optional>

#include "common/base/clock.h"

namespace csops::queue {

struct WaitEstimate {
  Duration wait{0};
  bool no_open_counter = false;
};

WaitEstimate EstimateWait(int people_ahead, std::optional<Duration> average_service,
                          Duration default_service, int open_counters);

}  // namespace csops::queue
