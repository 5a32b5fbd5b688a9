// CaseEngine::ProvisionalCounts: how many open cases have a due instant past their office
// calendar's coverage. Read from the stored due instants (kept current by every commit and by
// the recompute after a calendar reload), so a scrape never recomputes schedules.
#include "services/case/case_engine.h"

namespace csops::cases {

Result<std::map<std::pair<std::string, std::string>, std::int64_t>>
CaseEngine::ProvisionalCounts() {
  const CaseConfig& config = cfg();
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  for (const auto& [code, type] : config.types)
    for (const TargetModel& t : type.targets)
      if (!t.always) out[{code, t.name}] = 0;
  Status s = store_.Read([&](CaseTx& tx) {
    for (const auto& [id, branch] : config.branches) {
      // The first instant after the calendar's last covered day, in the branch's zone.
      const Instant past_coverage =
          branch.calendar->StartOfDay(branch.calendar->covers_until() + 1);
      auto counts = tx.CountDueFrom(id, past_coverage);
      if (!counts.ok()) return counts.status();
      for (const CaseTx::DueAfterCount& n : *counts) {
        auto it = out.find({n.type_code, n.target});
        if (it != out.end()) it->second += n.cases;  // 24x7 targets and retired types: not counted
      }
    }
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace csops::cases
