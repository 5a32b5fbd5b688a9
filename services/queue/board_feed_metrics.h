// The board feed's metrics (PostgreSQL only: on SQLite there is no feed), in docs/METRICS.md:
//   csops_queue_board_delay_seconds     histogram  change's instant -> handed to this
//                                                  replica's watchers (any replica's change)
//   csops_queue_board_events_lost_total counter    committed changes whose events no replica
//                                                  will show (their append failed)
// Thread safety: both calls may come from any thread (prometheus-cpp's own locking).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/queue/api/board_log_feed.h"

namespace csops::queue {

class BoardFeedMetrics final : public BoardFeedObserver {
 public:
  explicit BoardFeedMetrics(prometheus::Registry& registry);
  void Lost(int events) override;
  void Delivered(Duration delay) override;

 private:
  prometheus::Histogram& delay_;
  prometheus::Counter& lost_;
};

}  // namespace csops::queue
