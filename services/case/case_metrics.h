// Prometheus metrics of the case service, from committed changes and fired SLA events. Labels
// are type, branch, via, outcome, target and event only: never an acceptance number.
//
//   csops_case_opened_total{type,branch,via}
//   csops_case_closed_total{type,branch,outcome,within_sla}
//   csops_case_sla_events_total{type,target,event}        warning_<p>, breach, met, missed
//   csops_case_resolution_business_seconds{type}          acceptance -> closing, working time
//   csops_case_sla_timer_lateness_seconds                 how late each event fired
//   csops_case_sla_chases_total{type,target}              last warnings with no delay declared
//
// The share of cases closed within their time limit per type is
//   closed_total{within_sla="true"} / closed_total.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/case/case_engine.h"

namespace csops::cases {

class CaseMetrics {
 public:
  // Creates the series of every configured type and branch at zero.
  CaseMetrics(prometheus::Registry& registry, const CaseConfig& config);
  void OnCommit(const CaseCommit& commit);

 private:
  prometheus::Family<prometheus::Counter>& opened_;
  prometheus::Family<prometheus::Counter>& closed_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Histogram>& resolution_;
  prometheus::Histogram& lateness_;
  prometheus::Family<prometheus::Counter>& chases_;
};

// csops_case_open{type,sla_state}: open cases now, by their most urgent target (breached >
// warning > paused > on_track), and csops_case_provisional_due{type,target}: open cases whose
// target is due past the office calendar's covers_until. Computed from the store at scrape time.
class CaseOpenCollector final : public prometheus::Collectable {
 public:
  explicit CaseOpenCollector(CaseEngine& engine) : engine_(engine) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  CaseEngine& engine_;
};

}  // namespace csops::cases
