#include "services/case/case_metrics.h"

namespace csops::cases {
namespace {

prometheus::Histogram::BucketBoundaries ResolutionBuckets() {
  // Working time: 1 h, 4 h, 1 day (8 h), 2, 3, 5, 7, 10, 15, 20, 30 days.
  prometheus::Histogram::BucketBoundaries b;
  for (double hours : {1.0, 4.0, 8.0, 16.0, 24.0, 40.0, 56.0, 80.0, 120.0, 160.0, 240.0})
    b.push_back(hours * 3600);
  return b;
}

}  // namespace

CaseMetrics::CaseMetrics(prometheus::Registry& r, const CaseConfig& config)
    : opened_(prometheus::BuildCounter()
                  .Name("csops_case_opened_total")
                  .Help("Cases registered")
                  .Register(r)),
      closed_(prometheus::BuildCounter()
                  .Name("csops_case_closed_total")
                  .Help("Cases closed, by outcome and whether every time limit was met")
                  .Register(r)),
      events_(prometheus::BuildCounter()
                  .Name("csops_case_sla_events_total")
                  .Help("SLA events fired (warnings, breaches, met, missed)")
                  .Register(r)),
      resolution_(prometheus::BuildHistogram()
                      .Name("csops_case_resolution_business_seconds")
                      .Help("Working time from acceptance to closing")
                      .Register(r)),
      lateness_(prometheus::BuildHistogram()
                    .Name("csops_case_sla_timer_lateness_seconds")
                    .Help("How long after its instant each SLA event fired")
                    .Register(r)
                    .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.01, 0.1, 0.5, 1, 5,
                                                                     60, 3600})),
      chases_(prometheus::BuildCounter()
                  .Name("csops_case_sla_chases_total")
                  .Help("Last SLA warnings reached with no delay declared (supervisor chase alert)")
                  .Register(r)) {
  for (const auto& [code, type] : config.types) {
    resolution_.Add({{"type", code}}, ResolutionBuckets());
    for (const auto& [id, branch] : config.branches) {
      for (std::string_view via : kReceivedVia)
        opened_.Add({{"type", code}, {"branch", id}, {"via", std::string(via)}});
      for (CaseStatus outcome :
           {CaseStatus::kCompleted, CaseStatus::kRejected, CaseStatus::kWithdrawn})
        for (const char* within : {"true", "false"})
          closed_.Add({{"type", code},
                       {"branch", id},
                       {"outcome", std::string(StatusName(outcome))},
                       {"within_sla", within}});
    }
    for (const TargetModel& t : type.targets) {
      for (const char* event : {sla_event::kBreach, sla_event::kMet, sla_event::kMissed})
        events_.Add({{"type", code}, {"target", t.name}, {"event", event}});
      chases_.Add({{"type", code}, {"target", t.name}});
    }
  }
}

void CaseMetrics::OnCommit(const CaseCommit& c) {
  if (!c.opened_via.empty())
    opened_.Add({{"type", c.type_code}, {"branch", c.branch_id}, {"via", c.opened_via}})
        .Increment();
  if (c.closed_as) {
    closed_
        .Add({{"type", c.type_code},
              {"branch", c.branch_id},
              {"outcome", std::string(StatusName(*c.closed_as))},
              {"within_sla", c.within_sla ? "true" : "false"}})
        .Increment();
    if (c.resolution_time)
      resolution_.Add({{"type", c.type_code}}, ResolutionBuckets())
          .Observe(static_cast<double>(c.resolution_time->count()) / 1000.0);
  }
  for (const SlaEvent& e : c.fired) {
    events_.Add({{"type", e.type_code}, {"target", e.target}, {"event", e.event}}).Increment();
    if (e.chased) chases_.Add({{"type", e.type_code}, {"target", e.target}}).Increment();
    // Met and missed fire when staff act, not on a timer.
    if (e.event != sla_event::kMet && e.event != sla_event::kMissed)
      lateness_.Observe(static_cast<double>((e.fired_at - e.due_at).count()) / 1000.0);
  }
}

std::vector<prometheus::MetricFamily> CaseOpenCollector::Collect() const {
  prometheus::MetricFamily fam;
  fam.name = "csops_case_open";
  fam.help = "Open cases by type and their most urgent SLA state";
  fam.type = prometheus::MetricType::Gauge;
  auto counts = engine_.OpenCounts();
  if (!counts.ok()) return {};  // the scrape shows the gap; the log has the store's error
  for (const auto& [key, n] : *counts) {
    prometheus::ClientMetric m;
    m.label = {{"sla_state", SlaStateName(key.second)}, {"type", key.first}};
    m.gauge.value = static_cast<double>(n);
    fam.metric.push_back(std::move(m));
  }
  std::vector<prometheus::MetricFamily> out = {std::move(fam)};
  auto provisional = engine_.ProvisionalCounts();
  if (!provisional.ok()) return out;
  prometheus::MetricFamily prov;
  prov.name = "csops_case_provisional_due";
  prov.help =
      "Open cases whose due instant lies past the office calendar's covers_until (counted on the "
      "weekly pattern only), by type and target";
  prov.type = prometheus::MetricType::Gauge;
  for (const auto& [key, n] : *provisional) {
    prometheus::ClientMetric m;
    m.label = {{"target", key.second}, {"type", key.first}};
    m.gauge.value = static_cast<double>(n);
    prov.metric.push_back(std::move(m));
  }
  out.push_back(std::move(prov));
  return out;
}

}  // namespace csops::cases
