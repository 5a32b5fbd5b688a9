#include "services/queue/queue_metrics.h"

namespace csops::queue {
namespace {

const prometheus::Histogram::BucketBoundaries& WaitBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {30,  60,   120,  300,  600,
                                                            900, 1200, 1800, 2700, 3600};
  return b;
}

const prometheus::Histogram::BucketBoundaries& ServiceBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {60,  120, 180,  300, 450,
                                                            600, 900, 1200, 1800};
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
    : issued_(prometheus::BuildCounter()
                  .Name("csops_queue_tickets_issued_total")
                  .Help("Queue tickets issued")
                  .Register(r)),
      wait_(prometheus::BuildHistogram()
                .Name("csops_queue_wait_seconds")
                .Help("Wait from issue to first call")
                .Register(r)),
      service_(prometheus::BuildHistogram()
                   .Name("csops_queue_service_seconds")
                   .Help("Service time from start to complete at the counter")
                   .Register(r)),
      waiting_(prometheus::BuildGauge()
                   .Name("csops_queue_waiting_tickets")
                   .Help("Tickets waiting now")
                   .Register(r)),
      no_shows_(prometheus::BuildCounter()
                    .Name("csops_queue_no_shows_total")
                    .Help("Called tickets whose customer did not come")
                    .Register(r)),
      transfers_(prometheus::BuildCounter()
                     .Name("csops_queue_transfers_total")
                     .Help("Tickets transferred into a service")
                     .Register(r)),
      open_counters_(prometheus::BuildGauge()
                         .Name("csops_queue_open_counters")
                         .Help("Counters open now")
                         .Register(r)),
      estimate_error_(prometheus::BuildHistogram()
                          .Name("csops_queue_wait_estimate_error_seconds")
                          .Help("Actual wait minus the wait estimated at issue")
                          .Register(r)),
      ratings_(prometheus::BuildCounter()
                   .Name("csops_queue_ratings_total")
                   .Help("Counter-pad satisfaction ratings by score")
                   .Register(r)),
      over_target_(prometheus::BuildCounter()
                       .Name("csops_queue_waits_over_target_total")
                       .Help("First calls that came after the service's target wait")
                       .Register(r)),
      completed_(prometheus::BuildCounter()
                     .Name("csops_queue_completed_total")
                     .Help("Tickets served to completion, by outcome")
                     .Register(r)),
      cancelled_(prometheus::BuildCounter()
                     .Name("csops_queue_cancelled_total")
                     .Help("Tickets cancelled")
                     .Register(r)),
      expired_(prometheus::BuildCounter()
                   .Name("csops_queue_expired_total")
                   .Help("Tickets unfinished when their business day ended")
                   .Register(r)) {
  for (const auto& b : branches) {
    BranchSeries& bs = series_[b->id];
    bs.open_counters = &open_counters_.Add({{"branch", b->id}});
    for (int score = 1; score <= 5; ++score)
      bs.ratings[score - 1] = &ratings_.Add({{"branch", b->id}, {"score", std::to_string(score)}});
    for (const auto& s : b->services) {
      Labels l = {{"branch", b->id}, {"service", s.code}};
      ServiceSeries& ss = bs.services[s.code];
      for (Channel c : {Channel::kKiosk, Channel::kApp, Channel::kCounter}) {
        Labels lc = l;
        lc["channel"] = std::string(ChannelName(c));
        ss.issued[static_cast<int>(c) - 1] = &issued_.Add(lc);
      }
      ss.wait = &wait_.Add(l, WaitBuckets());
      ss.service = &service_.Add(l, ServiceBuckets());
      ss.waiting = &waiting_.Add(l);
      ss.no_shows = &no_shows_.Add(l);
      ss.transfers = &transfers_.Add(l);
      ss.estimate_error = &estimate_error_.Add(l, ErrorBuckets());
      ss.over_target = &over_target_.Add(l);
      ss.cancelled = &cancelled_.Add(l);
      ss.expired = &expired_.Add(l);
      for (Outcome o : {Outcome::kResolved, Outcome::kCaseOpened, Outcome::kNeedsFollowUp}) {
        Labels lo = l;
        lo["outcome"] = std::string(OutcomeName(o));
        ss.completed[static_cast<int>(o) - 1] = &completed_.Add(lo);
      }
    }
  }
}

QueueMetrics::ServiceSeries* QueueMetrics::Find(const std::string& branch,
                                                const std::string& service) {
  auto b = series_.find(branch);
  if (b == series_.end()) return nullptr;
  auto s = b->second.services.find(service);
  return s == b->second.services.end() ? nullptr : &s->second;
}

void QueueMetrics::OnCommitted(const std::vector<QueueChange>& changes) {
  for (const QueueChange& c : changes) {
    if (c.kind == ChangeKind::kCounterChanged) {
      auto b = series_.find(c.branch_id);
      if (b == series_.end()) continue;
      std::lock_guard<std::mutex> lock(mu_);
      auto& open = open_[c.branch_id];
      if (c.counter && c.counter->state == CounterState::kOpen) {
        open.insert(c.counter_id);
      } else {
        open.erase(c.counter_id);
      }
      b->second.open_counters->Set(static_cast<double>(open.size()));
      continue;
    }
    if (c.kind == ChangeKind::kDayReset) continue;
    ServiceSeries* s = Find(c.branch_id, c.service_code);
    if (!s) continue;
    switch (c.kind) {
      case ChangeKind::kIssued:
        s->issued[static_cast<int>(c.channel) - 1]->Increment();
        break;
      case ChangeKind::kCalled:
        if (c.wait) s->wait->Observe(Seconds(*c.wait));
        if (c.estimate_error) s->estimate_error->Observe(Seconds(*c.estimate_error));
        if (c.over_target) s->over_target->Increment();
        break;
      case ChangeKind::kCompleted:
        if (c.service_time) s->service->Observe(Seconds(*c.service_time));
        if (c.rating >= 1 && c.rating <= 5)
          series_.at(c.branch_id).ratings[c.rating - 1]->Increment();
        if (c.outcome != Outcome::kNone) s->completed[static_cast<int>(c.outcome) - 1]->Increment();
        break;
      case ChangeKind::kNoShow:
        s->no_shows->Increment();
        break;
      case ChangeKind::kCancelled:
        s->cancelled->Increment();
        break;
      case ChangeKind::kTransferred:
        s->transfers->Increment();
        if (ServiceSeries* from = Find(c.branch_id, c.from_service_code)) {
          if (c.service_time) from->service->Observe(Seconds(*c.service_time));
          from->waiting->Set(c.from_waiting);
        }
        break;
      case ChangeKind::kExpired:
        s->expired->Increment(static_cast<double>(c.count));
        break;
      default:
        break;
    }
    if (c.kind != ChangeKind::kExpired) s->waiting->Set(c.waiting);
  }
}

void QueueMetrics::Refresh(const BranchView& view) {
  for (const ServiceView& sv : view.services)
    if (ServiceSeries* s = Find(view.branch_id, sv.model->code)) s->waiting->Set(sv.waiting);
  auto b = series_.find(view.branch_id);
  if (b == series_.end()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto& open = open_[view.branch_id];
  open.clear();
  for (const CounterView& c : view.counters)
    if (c.state == CounterState::kOpen) open.insert(c.counter_id);
  b->second.open_counters->Set(static_cast<double>(open.size()));
}

}  // namespace csops::queue
