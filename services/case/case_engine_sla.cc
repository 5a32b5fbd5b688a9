// CaseEngine's SLA side: firing what is due inside a command's transaction (each event once,
// ever), the timers' FireDue, the recompute after start-up or a reload, and the event log that
// WatchSlaEvents resumes from (case_engine.h).
#include <algorithm>
#include <future>
#include <set>

#include "common/base/log.h"
#include "services/case/case_engine.h"
#include "services/case/case_engine_internal.h"
#include "services/case/domain/acceptance_number.h"

namespace csops::cases {
namespace {

// The most urgent state of the case's running targets (met and missed count as on track).
SlaState WorstState(const CaseView& v) {
  auto has = [&](SlaState st) {
    return std::any_of(v.targets.begin(), v.targets.end(),
                       [&](const TargetView& t) { return t.state == st; });
  };
  return has(SlaState::kBreached)  ? SlaState::kBreached
         : has(SlaState::kWarning) ? SlaState::kWarning
         : has(SlaState::kPaused)  ? SlaState::kPaused
                                   : SlaState::kOnTrack;
}

}  // namespace

Status CaseEngine::FireInTx(CaseTx& tx, const CaseView& v, Instant now, AfterCommit& after) const {
  const CaseRecord& c = v.record;
  after.type_code = c.type_code;
  after.branch_id = c.branch_id;
  auto fired_list = tx.FiredSlaEvents(c.id);
  if (!fired_list.ok()) return fired_list.status();
  std::set<std::string> fired(fired_list->begin(), fired_list->end());
  auto fire = [&](const TargetView& t, const std::string& event, Instant due) -> Status {
    const std::string key = SlaEventKey(t.model->name, event);
    if (fired.count(key)) return Status();
    const bool late = now - due > std::chrono::seconds(1);
    auto inserted = tx.RecordSlaEvent(c.id, t.model->name, event, due, now, late);
    if (!inserted.ok()) return inserted.status();
    fired.insert(key);
    if (!*inserted) return Status();
    auto cursor = tx.SlaEventCursor(c.id, t.model->name, event);
    if (!cursor.ok()) return cursor.status();
    after.fired.push_back({c.acceptance_number, c.type_code, c.branch_id, t.model->name, event, due,
                           now, late, false, *cursor});
    if (event == sla_event::kMet || event == sla_event::kMissed) return Status();
    CSOPS_RETURN_IF_ERROR(tx.AppendHistory(c.id, {now, "system", history_kind::kSla, std::nullopt,
                                                  std::nullopt, t.model->name + " " + event}));
    auto n = ParseAcceptanceNumber(c.acceptance_number);
    const std::string payload = engine_internal::NoticePayload(
        {{"acceptance_number", n->Display()}, {"target", t.model->name}, {"event", event}});
    const std::string supervisors = "supervisors:" + c.branch_id;
    if (event == sla_event::kBreach)
      return tx.InsertOutbox(
          {c.id, outbox_kind::kSlaBreach, NoticeChannel::kNone, supervisors, payload, now});
    // 稽催: the last warning came and nobody has told the applicant about a delay.
    if (event == WarningEvent(t.model->warn_percents.back()) && c.delay_reason.empty()) {
      after.fired.back().chased = true;
      return tx.InsertOutbox(
          {c.id, outbox_kind::kSlaChase, NoticeChannel::kNone, supervisors, payload, now});
    }
    return Status();
  };
  std::optional<Instant> next;
  for (const TargetView& t : v.targets) {
    if (t.stopped_at) {
      // A stopped target's result is final: met or missed is recorded once.
      if (fired.count(SlaEventKey(t.model->name, sla_event::kMet)) ||
          fired.count(SlaEventKey(t.model->name, sla_event::kMissed)))
        continue;
      const bool met = t.schedule.due && *t.stopped_at <= *t.schedule.due;
      CSOPS_RETURN_IF_ERROR(fire(t, met ? sla_event::kMet : sla_event::kMissed,
                                 t.schedule.due.value_or(*t.stopped_at)));
      continue;
    }
    std::vector<std::pair<std::string, std::optional<Instant>>> pending;
    for (std::size_t i = 0; i < t.schedule.warnings.size(); ++i)
      pending.emplace_back(WarningEvent(t.model->warn_percents[i]), t.schedule.warnings[i]);
    pending.emplace_back(sla_event::kBreach, t.schedule.due);
    for (const auto& [event, at] : pending) {
      if (!at) continue;  // behind an open pause
      if (*at <= now) {
        CSOPS_RETURN_IF_ERROR(fire(t, event, *at));
      } else if (!fired.count(SlaEventKey(t.model->name, event)) && (!next || *at < *next)) {
        next = *at;
      }
    }
  }
  after.next = next;
  return tx.SaveSlaSummary(c.id, next, WorstState(v));
}

void CaseEngine::Notify(const AfterCommit& after) const {
  if (after.number.empty()) return;
  if (schedule_hook_) schedule_hook_(after.number, after.next);
  if (event_hook_ && !after.fired.empty()) event_hook_(after.fired);
  if (commit_hook_) commit_hook_(after);
}

void CaseEngine::FireDue(std::string number, Done<int> done) {
  auto out = std::make_shared<AfterCommit>();
  store_.TransactFiring(
      [this, out, number](CaseTx& tx) -> Status {
        const Instant now = clock_.Now();
        auto found = tx.FindByNumber(number);
        if (!found.ok()) return found.status();
        if (!*found)
          return Status::NotFound("case " + DisplayAcceptanceNumber(number) + " does not exist");
        auto view = ViewOf(tx, **found, now);
        if (!view.ok()) return view.status();
        *out = {};
        out->number = number;
        return FireInTx(tx, *view, now, *out);
      },
      [this, out, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        Notify(*out);
        done(static_cast<int>(out->fired.size()));
      });
}

Result<std::vector<std::pair<std::string, Instant>>> CaseEngine::PendingEvents() {
  std::vector<std::pair<std::string, Instant>> out;
  Status s = store_.Read([&](CaseTx& tx) {
    auto scheduled = tx.ScheduledEvents();
    if (!scheduled.ok()) return scheduled.status();
    out = std::move(*scheduled);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<std::pair<std::string, Instant>>> CaseEngine::DueEvents(
    Instant until, const std::pair<std::string, Instant>& after, int limit) {
  std::vector<std::pair<std::string, Instant>> out;
  Status s = store_.Read([&](CaseTx& tx) {
    auto due = tx.ScheduledEventsDue(until, after, limit);
    if (!due.ok()) return due.status();
    out = std::move(*due);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<CaseEngine::SlaEventPage> CaseEngine::SlaEventsAfter(std::int64_t after,
                                                            const std::string& branch,
                                                            const std::string& type, int limit) {
  SlaEventPage page;
  Status s = store_.Read([&](CaseTx& tx) {
    // One read transaction: `newest` is at least every cursor in the page.
    auto newest = tx.NewestSlaEventCursor();
    if (!newest.ok()) return newest.status();
    page.newest = *newest;
    auto rows = tx.SlaEventsAfter(after, branch, type, limit);
    if (!rows.ok()) return rows.status();
    for (SlaEventRow& r : *rows)
      page.events.push_back({std::move(r.acceptance_number), std::move(r.type_code),
                             std::move(r.branch_id), std::move(r.target), std::move(r.event),
                             r.due_at, r.fired_at, r.late, false, r.cursor});
    return Status();
  });
  if (!s.ok()) return s;
  return page;
}

Result<int> CaseEngine::Recompute(bool all) {
  constexpr int kBatch = 500;
  struct Batch {
    std::vector<AfterCommit> commits;
    std::int64_t last_id = 0;
    int skipped = 0;
  };
  std::int64_t cursor = 0;
  int done_cases = 0;
  int skipped = 0;
  for (;;) {
    auto batch = std::make_shared<Batch>();
    std::promise<Status> committed;
    store_.Transact(
        [this, batch, cursor, all](CaseTx& tx) -> Status {
          *batch = {};
          batch->last_id = cursor;
          const Instant now = clock_.Now();
          auto rows = tx.OpenCasesAfter(cursor, kBatch, all);
          if (!rows.ok()) return rows.status();
          for (const CaseRecord& c : *rows) {
            batch->last_id = c.id;
            auto view = ViewOf(tx, c, now);
            if (!view.ok()) {  // type or branch no longer configured: keep what is stored
              ++batch->skipped;
              continue;
            }
            CSOPS_RETURN_IF_ERROR(SaveTargets(tx, *view));
            AfterCommit after;
            after.number = c.acceptance_number;
            CSOPS_RETURN_IF_ERROR(FireInTx(tx, *view, now, after));
            batch->commits.push_back(std::move(after));
          }
          return Status();
        },
        [&committed](const Status& s) { committed.set_value(s); });
    if (Status s = committed.get_future().get(); !s.ok()) return s;
    for (const AfterCommit& after : batch->commits) Notify(after);
    done_cases += static_cast<int>(batch->commits.size());
    skipped += batch->skipped;
    if (batch->last_id == cursor) break;
    cursor = batch->last_id;
  }
  if (skipped > 0)
    CSOPS_LOG(kWarning, "sla_recompute_skipped")
        .Kv("cases", skipped)
        .Kv("reason", "case type or branch no longer configured");
  return done_cases;
}

}  // namespace csops::cases
