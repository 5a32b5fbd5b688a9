#include "services/notify/notify_metrics.h"

namespace csops::notify {
namespace {

prometheus::Histogram::BucketBoundaries DeliveryBuckets() {
  return {0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600};
}

std::string Name(Channel c) { return std::string(ChannelName(c)); }

}  // namespace

NotifyMetrics::NotifyMetrics(prometheus::Registry& r, const NotifyConfig& config)
    : accepted_(prometheus::BuildCounter()
                    .Name("csops_notify_accepted_total")
                    .Help("Notifications accepted (duplicates of a key not counted)")
                    .Register(r)),
      attempts_(prometheus::BuildCounter()
                    .Name("csops_notify_attempts_total")
                    .Help("Delivery attempts by outcome")
                    .Register(r)),
      delivered_(prometheus::BuildCounter()
                     .Name("csops_notify_delivered_total")
                     .Help("Deliveries the provider's receipt confirmed")
                     .Register(r)),
      failed_(prometheus::BuildCounter()
                  .Name("csops_notify_failed_total")
                  .Help("Deliveries given up, by reason")
                  .Register(r)),
      seconds_(prometheus::BuildHistogram()
                   .Name("csops_notify_delivery_seconds")
                   .Help("From acceptance to the provider taking it (sent) or its receipt")
                   .Register(r)),
      plan_steps_(prometheus::BuildCounter()
                      .Name("csops_notify_plan_steps_total")
                      .Help("Escalation plan steps by outcome (sent, task, skipped, cancelled)")
                      .Register(r)),
      batch_stream_errors_(
          prometheus::BuildCounter()
              .Name("csops_notify_batch_stream_errors_total")
              .Help("SendBatch calls ended by an item that could not be read (answered "
                    "INVALID_ARGUMENT naming the item)")
              .Register(r)
              .Add({{"reason", "unreadable_item"}})) {
  for (const auto& [name, plan] : config.plans)
    for (const PlanStepModel& step : plan.steps)
      for (const char* outcome : {"sent", "task", "skipped", "cancelled"})
        plan_steps_.Add({{"plan", name}, {"step", step.name}, {"outcome", outcome}});
  for (const auto& [name, kind] : config.kinds) accepted_.Add({{"kind", name}});
  for (const ProviderModel& p : config.providers) {
    const std::string channel = Name(ChannelOf(p.kind));
    for (const char* result : {"ok", "transient", "permanent"})
      attempts_.Add({{"channel", channel}, {"provider", p.name}, {"result", result}});
    delivered_.Add({{"channel", channel}});
    for (const char* reason : {"permanent", "gave_up", "receipt"})
      failed_.Add({{"channel", channel}, {"reason", reason}});
    for (const char* stage : {"sent", "delivered"})
      seconds_.Add({{"channel", channel}, {"stage", stage}}, DeliveryBuckets());
  }
}

void NotifyMetrics::Accepted(const std::string& kind) {
  accepted_.Add({{"kind", kind}}).Increment();
}

void NotifyMetrics::Attempted(Channel c, const std::string& provider, OutcomeKind result,
                              Duration) {
  attempts_
      .Add({{"channel", Name(c)},
            {"provider", provider},
            {"result", std::string(OutcomeName(result))}})
      .Increment();
}

void NotifyMetrics::Sent(Channel c, Duration since) {
  seconds_.Add({{"channel", Name(c)}, {"stage", "sent"}}, DeliveryBuckets())
      .Observe(static_cast<double>(since.count()) / 1000.0);
}

void NotifyMetrics::Delivered(Channel c, Duration since) {
  delivered_.Add({{"channel", Name(c)}}).Increment();
  seconds_.Add({{"channel", Name(c)}, {"stage", "delivered"}}, DeliveryBuckets())
      .Observe(static_cast<double>(since.count()) / 1000.0);
}

void NotifyMetrics::Failed(Channel c, const std::string& reason) {
  failed_.Add({{"channel", Name(c)}, {"reason", reason}}).Increment();
}

void NotifyMetrics::PlanStep(const std::string& plan, const std::string& step,
                             const std::string& outcome) {
  plan_steps_.Add({{"plan", plan}, {"step", step}, {"outcome", outcome}}).Increment();
}

void NotifyMetrics::BatchStreamBroken() { batch_stream_errors_.Increment(); }

std::vector<prometheus::MetricFamily> NotifyQueueCollector::Collect() const {
  prometheus::MetricFamily fam;
  fam.name = "csops_notify_queue_depth";
  fam.help = "Deliveries not yet done (pending or waiting in a fallback chain), by channel";
  fam.type = prometheus::MetricType::Gauge;
  std::map<std::string, std::int64_t> depth;
  for (Channel c : kAllChannels) depth[Name(c)] = 0;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto d = tx.QueueDepth();
    if (!d.ok()) return d.status();
    for (const auto& [channel, n] : *d) depth[channel] = n;
    return Status();
  });
  if (!s.ok()) return {};
  for (const auto& [channel, n] : depth) {
    prometheus::ClientMetric m;
    m.label = {{"channel", channel}};
    m.gauge.value = static_cast<double>(n);
    fam.metric.push_back(std::move(m));
  }
  return {std::move(fam)};
}

}  // namespace csops::notify
