#include "services/queue/board_feed_metrics.h"

namespace csops::queue {

BoardFeedMetrics::BoardFeedMetrics(prometheus::Registry& registry)
    : delay_(prometheus::BuildHistogram()
                 .Name("csops_queue_board_delay_seconds")
                 .Help("From a queue change to its board event reaching this replica's watchers")
                 .Register(registry)
                 .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                  1, 2.5, 5})),
      lost_(prometheus::BuildCounter()
                .Name("csops_queue_board_events_lost_total")
                .Help("Board events of committed changes that could not be written to the log")
                .Register(registry)
                .Add({})) {}

void BoardFeedMetrics::Lost(int events) { lost_.Increment(events); }

void BoardFeedMetrics::Delivered(Duration delay) {
  delay_.Observe(static_cast<double>(delay.count()) / 1000.0);
}

}  // namespace csops::queue
