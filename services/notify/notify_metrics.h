// Prometheus metrics of the notify service. Labels are kind, channel, provider, result and
// reason only: never a recipient.
//
//   csops_notify_accepted_total{kind}
//   csops_notify_attempts_total{channel,provider,result}     result: ok, transient, permanent
//   csops_notify_delivered_total{channel}                    provider receipt: arrived
//   csops_notify_failed_total{channel,reason}                permanent, gave_up, receipt
//   csops_notify_delivery_seconds{channel,stage}             acceptance -> provider took it
//                                                            (stage="sent") or its receipt
//                                                            (stage="delivered")
//   csops_notify_queue_depth{channel}                        pending + waiting, at scrape time
//   csops_notify_plan_steps_total{plan,step,outcome}         sent, task, skipped, cancelled
//   csops_notify_batch_stream_errors_total{reason}           SendBatch calls ended by an
//                                                            unreadable item (unreadable_item)
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/notify/notify_engine.h"

namespace csops::notify {

class NotifyMetrics final : public NotifyObserver {
 public:
  NotifyMetrics(prometheus::Registry& registry, const NotifyConfig& config);
  void Accepted(const std::string& kind) override;
  void Attempted(Channel c, const std::string& provider, OutcomeKind result,
                 Duration latency) override;
  void Sent(Channel c, Duration since_accepted) override;
  void Delivered(Channel c, Duration since_accepted) override;
  void Failed(Channel c, const std::string& reason) override;
  void PlanStep(const std::string& plan, const std::string& step,
                const std::string& outcome) override;
  // A SendBatch call ended by an item that could not be read (send_batch_reactor.h).
  void BatchStreamBroken();

 private:
  prometheus::Family<prometheus::Counter>& accepted_;
  prometheus::Family<prometheus::Counter>& attempts_;
  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  prometheus::Family<prometheus::Counter>& plan_steps_;
  prometheus::Counter& batch_stream_errors_;
};

class NotifyQueueCollector final : public prometheus::Collectable {
 public:
  explicit NotifyQueueCollector(NotifyStore& store) : store_(store) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  NotifyStore& store_;
};

}  // namespace csops::notify
