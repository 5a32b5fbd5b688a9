// Read-only queries of the queue engine: one ticket, the branch snapshot, the outbox.
#include "services/queue/queue_engine_ctx.h"

namespace csops::queue {

Result<TicketView> QueueEngine::GetTicket(const std::string& branch_id,
                                          const std::string& ticket_number) {
  auto branch = Branch(branch_id);
  if (!branch.ok()) return branch.status();
  if (ticket_number.empty()) return Status::InvalidArgument("ticket_number: must not be empty");
  std::optional<TicketView> out;
  std::vector<QueueChange> none;
  Status s = store_.Read([&](QueueReader& r) {
    const Instant now = clock_.Now();
    Ctx ctx{r,   nullptr, open_counters_, **branch, now, FormatDay((*branch)->BusinessDay(now)),
            none};
    auto t = ctx.LoadTicket(ticket_number);
    if (!t.ok()) return t.status();
    auto v = ctx.View(*t);
    if (!v.ok()) return v.status();
    out = std::move(*v);
    return Status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

Result<BranchView> QueueEngine::Snapshot(const std::string& branch_id) {
  auto branch = Branch(branch_id);
  if (!branch.ok()) return branch.status();
  const BranchModel& b = **branch;
  BranchView view;
  std::vector<QueueChange> none;
  Status s = store_.Read([&](QueueReader& r) {
    const Instant now = clock_.Now();
    Ctx ctx{r, nullptr, open_counters_, b, now, FormatDay(b.BusinessDay(now)), none};
    view = BranchView{b.id, ctx.day, {}, {}, now, {}};
    auto counters = r.Counters(b.id);
    if (!counters.ok()) return counters.status();
    for (const ServiceModel& sm : b.services) {
      ServiceView sv;
      sv.model = &sm;
      auto sd = r.GetServiceDay(b.id, ctx.day, sm.code);
      if (!sd.ok()) return sd.status();
      sv.waiting = sd->waiting;
      sv.last_called = sd->last_called;
      auto oldest = r.OldestWaiting(b.id, ctx.day, sm.code);
      if (!oldest.ok()) return oldest.status();
      if (*oldest) sv.oldest_wait = now - **oldest;
      auto open = ctx.OpenCountersFor(sm.code);
      if (!open.ok()) return open.status();
      sv.open_counters = *open;
      std::optional<Duration> avg;
      if (sd->service_samples > 0) avg = Duration(static_cast<std::int64_t>(sd->avg_service_ms));
      sv.estimated_wait = EstimateWait(sd->waiting, avg, sm.default_service_time, *open).wait;
      view.services.push_back(sv);
    }
    for (const CounterModel& cm : b.counters) {
      auto rec = ctx.LoadCounter(cm);
      if (!rec.ok()) return rec.status();
      auto held = r.HeldByCounter(b.id, ctx.day, cm.id);
      if (!held.ok()) return held.status();
      view.counters.push_back(ToView(*rec, cm, *held));
    }
    auto recent = r.RecentCalls(b.id, ctx.day, kRecentCalls);
    if (!recent.ok()) return recent.status();
    view.recent_calls = std::move(*recent);
    return Status();
  });
  if (!s.ok()) return s;
  return view;
}

Result<std::vector<NearTurnNotice>> QueueEngine::ListNotices(const std::string& branch_id,
                                                             int limit) {
  auto branch = Branch(branch_id);
  if (!branch.ok()) return branch.status();
  if (limit < 0 || limit > 1000) return Status::InvalidArgument("limit: must be 1-1000");
  if (limit == 0) limit = 100;
  std::vector<NearTurnNotice> out;
  Status s = store_.Read([&](QueueReader& r) {
    auto n = r.ListNotices(branch_id, limit);
    if (!n.ok()) return n.status();
    out = std::move(*n);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<VisitReport> QueueEngine::Report(Instant from, Instant to, const std::string& branch_id) {
  if (!(from < to)) return Status::InvalidArgument("to: must be after from");
  if (to - from > std::chrono::hours(24 * 400))
    return Status::InvalidArgument("to: a report covers at most 400 days");
  std::vector<std::pair<std::string, std::string>> listed;
  if (!branch_id.empty()) {
    auto branch = Branch(branch_id);
    if (!branch.ok()) return branch.status();
    for (const ServiceModel& s : (*branch)->services) listed.emplace_back(branch_id, s.code);
  } else {
    for (const auto& b : branches())
      for (const ServiceModel& s : b->services) listed.emplace_back(b->id, s.code);
  }
  // A ticket lives within its business day, so calls and finishes in the period belong to
  // tickets issued at most a day before it.
  std::vector<VisitRow> rows;
  Status s = store_.Read([&](QueueReader& r) {
    auto got = r.VisitRows(branch_id, from - std::chrono::hours(48), to);
    if (!got.ok()) return got.status();
    rows = std::move(*got);
    return Status();
  });
  if (!s.ok()) return s;
  return BuildVisitReport(
      rows, from, to,
      [this](const std::string& branch, const std::string& code) -> const ServiceModel* {
        const BranchModel* b = FindBranch(branch);
        return b ? b->FindService(code) : nullptr;
      },
      listed);
}

}  // namespace csops::queue
