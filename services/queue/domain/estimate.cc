#include "services/queue/domain/estimate.h"

namespace csops::queue {

WaitEstimate EstimateWait(int people_ahead, std::optional<Duration> average_service,
                          Duration default_service, int open_counters) {
  WaitEstimate e;
  e.no_open_counter = open_counters <= 0;
  const int counters = e.no_open_counter ? 1 : open_counters;
  const Duration per = average_service.value_or(default_service);
  e.wait = Duration(per.count() * people_ahead / counters);
  return e;
}

}  // namespace csops::queue
