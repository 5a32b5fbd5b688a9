#include "services/queue/queue_metrics.h"

namespace csops::queue {
namespace {

const prometheus::Histogram::BucketBoundaries& WaitBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {30,  60,   120,  300,  600,
                                                            900, 1200, 1800, 2700, 3600};
  return b;
}

const prometheus::Histogram::BucketBoundaries& ServiceBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {60, 120, 180, 300, 450, 600, 900, 1200, 1800};
  return b;
}

const prometheus::Histogram::BucketBoundaries& ErrorBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {-1800, -900, -600, -300, -120, -60, 0,
                                                            60,    120,  300,  600,  900,  1800};
  return b;
}

double Seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

QueueMetrics::QueueMetrics(prometheus::Registry& r,
                           const std::vector<std::shared_ptr<const BranchModel>>& branches)
    : issued_(prometheus::BuildCounter().Name("csops_queue_tickets_issued_total")
                  .Help("Queue tickets issued").Register(r)),
      wait_(prometheus::BuildHistogram().Name("csops_queue_wait_seconds")
                .Help("Wait from issue to first call").Register(r)),
      service_(prometheus::BuildHistogram().Name("csops_queue_service_seconds")
                   .Help("Service time from start to complete at the counter").Register(r)),
      waiting_(prometheus::BuildGauge().Name("csops_queue_waiting_tickets")
                   .Help("Tickets waiting now").Register(r)),
      no_shows_(prometheus::BuildCounter().Name("csops_queue_no_shows_total")
                    .Help("Called tickets whose customer did not come").Register(r)),
      transfers_(prometheus::BuildCounter().Name("csops_queue_transfers_total")
                     .Help("Tickets transferred into a service").Register(r)),
      open_counters_(prometheus::BuildGauge().Name("csops_queue_open_counters")
                         .Help("Counters open now").Register(r)),
      estimate_error_(prometheus::BuildHistogram().Name("csops_queue_wait_estimate_error_seconds")
                          .Help("Actual wait minus the wait estimated at issue").Register(r)),
      ratings_(prometheus::BuildCounter().Name("csops_queue_ratings_total")
                   .Help("Counter-pad satisfaction ratings by score").Register(r)),
      over_target_(prometheus::BuildCounter().Name("csops_queue_waits_over_target_total")
                       .Help("First calls that came after the service's target wait").Register(r)),
      completed_(prometheus::BuildCounter().Name("csops_queue_completed_total")
                     .Help("Tickets served to completion, by outcome").Register(r)),
      cancelled_(prometheus::BuildCounter().Name("csops_queue_cancelled_total")
                     .Help("Tickets cancelled").Register(r)),
      expired_(prometheus::BuildCounter().Name("csops_queue_expired_total")
                   .Help("Tickets unfinished when their business day ended").Register(r)) {
  for (const auto& b : branches) {
    open_counters_.Add({{"branch", b->id}}).Set(0);
    for (int score = 1; score <= 5; ++score)
      ratings_.Add({{"branch", b->id}, {"score", std::to_string(score)}});
    for (const auto& s : b->services) {
      Labels l = {{"branch", b->id}, {"service", s.code}};
      for (Channel c : {Channel::kKiosk, Channel::kApp, Channel::kCounter}) {
        Labels lc = l;
        lc["channel"] = std::string(ChannelName(c));
        issued_.Add(lc);
      }
      wait_.Add(l, WaitBuckets());
      service_.Add(l, ServiceBuckets());
      waiting_.Add(l).Set(0);
      no_shows_.Add(l);
      transfers_.Add(l);
      estimate_error_.Add(l, ErrorBuckets());
      over_target_.Add(l);
      cancelled_.Add(l);
      expired_.Add(l);
      for (Outcome o : {Outcome::kResolved, Outcome::kCaseOpened, Outcome::kNeedsFollowUp}) {
        Labels lo = l;
        lo["outcome"] = std::string(OutcomeName(o));
        completed_.Add(lo);
      }
    }
  }
}

void QueueMetrics::OnCommitted(const std::vector<QueueChange>& changes) {
  for (const QueueChange& c : changes) {
    Labels l = {{"branch", c.branch_id}, {"service", c.service_code}};
    switch (c.kind) {
      case ChangeKind::kIssued: {
        Labels lc = l;
        lc["channel"] = std::string(ChannelName(c.channel));
        issued_.Add(lc).Increment();
        break;
      }
      case ChangeKind::kCalled:
        if (c.wait) wait_.Add(l, WaitBuckets()).Observe(Seconds(*c.wait));
        if (c.estimate_error)
          estimate_error_.Add(l, ErrorBuckets()).Observe(Seconds(*c.estimate_error));
        if (c.over_target) over_target_.Add(l).Increment();
        break;
      case ChangeKind::kCompleted: {
        if (c.service_time) service_.Add(l, ServiceBuckets()).Observe(Seconds(*c.service_time));
        if (c.rating >= 1 && c.rating <= 5)
          ratings_.Add({{"branch", c.branch_id}, {"score", std::to_string(c.rating)}}).Increment();
        Labels lo = l;
        lo["outcome"] = std::string(OutcomeName(c.outcome));
        completed_.Add(lo).Increment();
        break;
      }
      case ChangeKind::kNoShow: no_shows_.Add(l).Increment(); break;
      case ChangeKind::kCancelled: cancelled_.Add(l).Increment(); break;
      case ChangeKind::kTransferred:
        transfers_.Add(l).Increment();
        if (c.service_time) {
          service_.Add({{"branch", c.branch_id}, {"service", c.from_service_code}}, ServiceBuckets())
              .Observe(Seconds(*c.service_time));
        }
        waiting_.Add({{"branch", c.branch_id}, {"service", c.from_service_code}})
            .Set(c.from_waiting);
        break;
      case ChangeKind::kExpired: expired_.Add(l).Increment(static_cast<double>(c.count)); break;
      case ChangeKind::kCounterChanged: {
        std::lock_guard<std::mutex> lock(mu_);
        auto& open = open_[c.branch_id];
        if (c.counter && c.counter->state == CounterState::kOpen) {
          open.insert(c.counter_id);
        } else {
          open.erase(c.counter_id);
        }
        open_counters_.Add({{"branch", c.branch_id}}).Set(static_cast<double>(open.size()));
        break;
      }
      default: break;
    }
    if (c.kind != ChangeKind::kCounterChanged && c.kind != ChangeKind::kExpired &&
        c.kind != ChangeKind::kDayReset)
      waiting_.Add(l).Set(c.waiting);
  }
}

void QueueMetrics::Refresh(const BranchView& view) {
  for (const ServiceView& s : view.services)
    waiting_.Add({{"branch", view.branch_id}, {"service", s.model->code}}).Set(s.waiting);
  std::lock_guard<std::mutex> lock(mu_);
  auto& open = open_[view.branch_id];
  open.clear();
  for (const CounterView& c : view.counters)
    if (c.state == CounterState::kOpen) open.insert(c.counter_id);
  open_counters_.Add({{"branch", view.branch_id}}).Set(static_cast<double>(open.size()));
}

}  // namespace csops::queue
