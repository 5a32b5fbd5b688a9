// Prometheus metrics of the queue, fed by committed changes. Labels are branch, service,
// channel, outcome and score only: never a ticket number, a counter's staff or a contact.
//
//   csops_queue_tickets_issued_total{branch,service,channel}
//   csops_queue_wait_seconds{branch,service}                 issue -> first call (histogram)
//   csops_queue_service_seconds{branch,service}              start -> complete (histogram)
//   csops_queue_waiting_tickets{branch,service}              gauge
//   csops_queue_no_shows_total{branch,service}
//   csops_queue_transfers_total{branch,service}              by target service
//   csops_queue_open_counters{branch}                        gauge
//   csops_queue_wait_estimate_error_seconds{branch,service}  actual - estimated wait (histogram)
//   csops_queue_ratings_total{branch,score}                  counter-pad ratings 1-5
//   csops_queue_waits_over_target_total{branch,service}      first calls after the target wait
//   csops_queue_completed_total{branch,service,outcome}
//   csops_queue_cancelled_total{branch,service}
//   csops_queue_expired_total{branch,service}                unfinished at the daily reset
//
// The share of visitors called within the target wait is
//   1 - waits_over_target_total / wait_seconds_count.
// Thread safety: OnCommitted and Refresh may run on any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <set>

#include "services/queue/queue_engine.h"

namespace csops::queue {

class QueueMetrics final : public QueueListener {
 public:
  // Creates every series for the configured branches and services at zero.
  QueueMetrics(prometheus::Registry& registry,
               const std::vector<std::shared_ptr<const BranchModel>>& branches);
  void OnCommitted(const std::vector<QueueChange>& changes) override;
  // Sets the gauges from a snapshot (at start-up and after the daily reset).
  void Refresh(const BranchView& view);

 private:
  using Labels = std::map<std::string, std::string>;
  prometheus::Family<prometheus::Counter>& issued_;
  prometheus::Family<prometheus::Histogram>& wait_;
  prometheus::Family<prometheus::Histogram>& service_;
  prometheus::Family<prometheus::Gauge>& waiting_;
  prometheus::Family<prometheus::Counter>& no_shows_;
  prometheus::Family<prometheus::Counter>& transfers_;
  prometheus::Family<prometheus::Gauge>& open_counters_;
  prometheus::Family<prometheus::Histogram>& estimate_error_;
  prometheus::Family<prometheus::Counter>& ratings_;
  prometheus::Family<prometheus::Counter>& over_target_;
  prometheus::Family<prometheus::Counter>& completed_;
  prometheus::Family<prometheus::Counter>& cancelled_;
  prometheus::Family<prometheus::Counter>& expired_;

  // Series of every configured branch and service, resolved once: a change costs map lookups
  // of two strings, not a label-set build per metric. Immutable after construction.
  struct ServiceSeries {
    prometheus::Counter* issued[3];  // by Channel - 1
    prometheus::Histogram* wait;
    prometheus::Histogram* service;
    prometheus::Gauge* waiting;
    prometheus::Counter* no_shows;
    prometheus::Counter* transfers;
    prometheus::Histogram* estimate_error;
    prometheus::Counter* over_target;
    prometheus::Counter* completed[3];  // by Outcome - 1
    prometheus::Counter* cancelled;
    prometheus::Counter* expired;
  };
  struct BranchSeries {
    prometheus::Gauge* open_counters;
    prometheus::Counter* ratings[5];
    std::map<std::string, ServiceSeries> services;
  };
  ServiceSeries* Find(const std::string& branch, const std::string& service);

  std::map<std::string, BranchSeries> series_;

  std::mutex mu_;
  std::map<std::string, std::set<std::string>> open_;  // guarded by mu_: open counters per branch
};

}  // namespace csops::queue
