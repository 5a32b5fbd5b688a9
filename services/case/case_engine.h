// The case service's application logic: registers cases, moves them through their statuses,
// keeps their SLA schedules exact, and answers the public look-up.
//
// Each command is one store transaction: the case row, its history row, its status period,
// its targets' stored due instants and any notice for the applicant (outbox) commit together
// or not at all. `done` runs after the commit. No gRPC, no SQL.
//
// Every commit that touches a case also stores the instant of its next pending SLA event and
// its most urgent SLA state, so start-up arms the timers, and the open-case counts are read,
// without recomputing any schedule.
//
// Implemented in case_engine.cc (commands), case_engine_sla.cc (SLA firing, recompute, the
// event log), case_engine_queries.cc (reads) and case_provisional.cc.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/case/domain/case_model.h"
#include "services/case/domain/lookup_code.h"
#include "services/case/store/case_store.h"

namespace csops::cases {

template <typename T>
using Done = std::function<void(Result<T>)>;

// One SLA event that fired (committed): warning_<percent>, breach, met or missed.
struct SlaEvent {
  std::string acceptance_number;
  std::string type_code;
  std::string branch_id;
  std::string target;
  std::string event;
  Instant due_at;
  Instant fired_at;
  bool late = false;  // more than 1 s after due_at
  // The last warning came with no delay declared: a 稽催 alert went to the supervisors.
  bool chased = false;
  // Its place in the store's event log (CaseTx::SlaEventsAfter): WatchSlaEvents resumes after it.
  std::int64_t cursor = 0;
};

struct CreateCaseCommand {
  std::string type_code;
  std::string branch_id;
  ApplicantRecord applicant;
  std::string received_via;  // counter, phone, web, app, mail, fax
  std::string summary;
  std::string staff_id;
  std::string idempotency_key;
};

struct TargetView {
  const TargetModel* model = nullptr;
  SlaSchedule schedule;
  SlaState state = SlaState::kOnTrack;
  std::optional<Instant> stopped_at;
  // An unstopped target whose due instant falls after the branch calendar's covers_until: it was
  // counted on the weekly pattern alone and may move once that year's calendar is loaded.
  bool provisional = false;
};

struct CaseView {
  CaseRecord record;
  const CaseTypeModel* type = nullptr;
  // The branch of the same configuration as `type` (never freed: see config()).
  const CaseBranch* branch = nullptr;
  std::vector<TargetView> targets;
  std::vector<HistoryRow> history;
};

struct CreatedCase {
  CaseView view;
  // Returned to the creator only, and kept nowhere: a retry within 24 hours derives it again;
  // a later retry (or one for a case from before schema 6) gets "".
  std::string lookup_code;
};

struct ProgressStep {
  Instant at;
  std::string text;
};

// The public answer: no names, phones, e-mails, staff ids or internal notes.
struct PublicProgress {
  std::string acceptance_number;  // display form
  std::string type_name;
  CaseStatus status = CaseStatus::kAccepted;
  std::string status_text;
  std::vector<ProgressStep> timeline;
  std::string expected_completion_date;  // YYYY-MM-DD
  // The date comes from a due instant past the calendar's coverage (see TargetView).
  bool expected_completion_provisional = false;
  std::string delay_reason;
};

// What one committed command changed, for the timers and the metrics.
struct CaseCommit {
  std::string number;
  std::string type_code;
  std::string branch_id;
  std::optional<Instant> next;  // the case's next pending SLA event
  std::vector<SlaEvent> fired;
  std::string opened_via;                   // set when the commit created the case
  std::optional<CaseStatus> closed_as;      // set when it closed the case
  bool within_sla = false;                  // closed with every completion target met
  std::optional<Duration> resolution_time;  // working time from acceptance to closing
};
using AfterCommit = CaseCommit;

class CaseEngine {
 public:
  // `public_base_url` starts the look-up link printed as a QR code, e.g.
  // "https://csops.example" (see LookupUrl). `secret` derives and checks look-up codes
  // (lookup_code.h).
  CaseEngine(const Clock& clock, CaseConfig config, CaseStore& store, std::string public_base_url,
             LookupSecret secret);

  void Create(CreateCaseCommand cmd, Done<CreatedCase> done);
  void Transition(std::string number, CaseStatus to, std::string staff_id, std::string note,
                  Done<CaseView> done);
  void AddNote(std::string number, std::string staff_id, std::string note, Done<CaseView> done);
  void DeclareDelay(std::string number, std::string staff_id, std::string reason,
                    std::string new_date, Done<CaseView> done);

  // Fires every SLA event of the case that is due now and has not fired yet (each fires once,
  // ever, in the same transaction as its history row and supervisor alert); `done` gets how
  // many fired.
  void FireDue(std::string number, Done<int> done);
  // Acceptance numbers of open cases with the stored instant of their next pending SLA event.
  Result<std::vector<std::pair<std::string, Instant>>> PendingEvents();
  // One page of the cases whose stored next event is at or before `until`, in (instant,
  // number) order after `after` ({"", Instant{}} first), at most `limit` (CaseTx).
  Result<std::vector<std::pair<std::string, Instant>>> DueEvents(
      Instant until, const std::pair<std::string, Instant>& after, int limit);
  // Fired events with a cursor above `after`, oldest first, at most `limit`, of one branch /
  // type ("" = any), and the newest cursor of any event when they were read. `chased` is not
  // kept and reads false.
  struct SlaEventPage {
    std::vector<SlaEvent> events;
    std::int64_t newest = 0;
  };
  Result<SlaEventPage> SlaEventsAfter(std::int64_t after, const std::string& branch,
                                      const std::string& type, int limit);
  // Recomputes the schedules of open cases under the rules in force, in transactions of a few
  // hundred cases: stores their targets' due instants and next event, fires what is due now
  // (marked late) and calls the hooks as any commit does. `all`: every open case (after a
  // reload); otherwise only cases with no stored next event yet (written before schema 2).
  // Cases whose type or branch is no longer configured keep what is stored (logged).
  // Returns how many cases it recomputed. Blocks the caller.
  Result<int> Recompute(bool all);

  // Called after every commit that may change a case's timers: the case and the instant of its
  // next pending event (nullopt: none). Set once, before serving.
  using ScheduleHook = std::function<void(const std::string&, std::optional<Instant>)>;
  // Called with the SLA events each commit fired.
  using EventHook = std::function<void(const std::vector<SlaEvent>&)>;
  void SetHooks(ScheduleHook schedule, EventHook events) {
    schedule_hook_ = std::move(schedule);
    event_hook_ = std::move(events);
  }
  // Called with every commit (for metrics). Set once, before serving.
  void SetCommitHook(std::function<void(const CaseCommit&)> hook) {
    commit_hook_ = std::move(hook);
  }

  void Assign(std::string number, std::string staff_id, std::string department,
              std::string assignee, Done<CaseView> done);

  struct ListQuery {
    CaseFilter filter;
    std::optional<SlaState> sla_state;  // any target in this state
    std::optional<Instant> due_before;  // any unstopped target due before
    int page_size = 50;
    std::string page_token;  // opaque; from the previous ListPage
  };
  struct ListPage {
    std::vector<CaseView> cases;  // without history
    std::string next_page_token;
  };
  Result<ListPage> List(const ListQuery& q);

  // Timeliness per type: cases closed in [from, to) (how many within every completion target,
  // how many met each target, median and p90 working time to close) and the open cases now.
  struct TypeReport {
    const CaseTypeModel* type = nullptr;
    std::int64_t closed = 0;
    std::int64_t closed_within_sla = 0;
    std::map<std::string, std::int64_t> met;  // by target
    Duration median_resolution{0};
    Duration p90_resolution{0};
    std::int64_t open = 0;
    std::int64_t open_breached = 0;
    std::int64_t delays_declared = 0;
  };
  struct SlaReport {
    std::vector<TypeReport> types;
    std::vector<DelayRow> delays;  // declared in [from, to), oldest first, at most kMaxDelayRows
    bool delays_truncated = false;
  };
  static constexpr int kMaxDelayRows = 10000;
  Result<SlaReport> Report(Instant from, Instant to, const std::string& branch,
                           const std::string& type);

  // Open cases by type and most urgent SLA state (every configured type and state present,
  // zero if none).
  Result<std::map<std::pair<std::string, SlaState>, std::int64_t>> OpenCounts();
  // Open cases by type and target whose stored due instant lies after their branch calendar's
  // covers_until (provisional; see TargetView). Every office-calendar target of every type is
  // present, zero if none; 24x7 targets never are provisional.
  Result<std::map<std::pair<std::string, std::string>, std::int64_t>> ProvisionalCounts();

  Result<CaseView> Get(const std::string& number);
  // A wrong code and an unknown number are the same kNotFound.
  Result<PublicProgress> Lookup(const std::string& number, const std::string& code,
                                const std::string& locale);

  // The case types and calendars in force. A reference stays valid for the engine's lifetime
  // (replaced configurations are kept, so views built from them never dangle).
  const CaseConfig& config() const { return *current_.load(); }
  // Puts new case types and calendars in force (SIGHUP). Open cases' due instants follow from
  // their acceptance instant and pauses under the new rules the next time they are computed;
  // the caller re-arms the timers. Events that already fired are never repeated.
  void Reload(CaseConfig config);
  // The public look-up link for the receipt's QR code: <base>/progress/<number>?code=<code>
  // (numbers and codes are URL-safe as they are).
  std::string LookupUrl(const std::string& display_number, const std::string& code) const {
    return lookup_base_url_ + "/progress/" + display_number + "?code=" + code;
  }
  // The link of the case that CreateCase with `idempotency_key` registered as `compact_number`
  // (its code derived again; for the acceptance notice, whose outbox row holds no code).
  std::string DerivedLookupUrl(const std::string& compact_number,
                               const std::string& idempotency_key) const;

 private:
  // The case under `config` (one snapshot for a whole command); the first form takes the
  // configuration in force now.
  Result<CaseView> ViewOf(CaseTx& tx, const CaseRecord& c, Instant now) const {
    return ViewOf(tx, c, now, cfg());
  }
  Result<CaseView> ViewOf(CaseTx& tx, const CaseRecord& c, Instant now,
                          const CaseConfig& config) const;
  Status SaveTargets(CaseTx& tx, const CaseView& v) const;
  Status QueueNotice(CaseTx& tx, const CaseRecord& c, const std::string& kind,
                     const std::string& payload, Instant now) const;
  void Change(std::string number, std::string staff_id,
              std::function<Status(CaseTx&, CaseRecord&, Instant)> apply, Done<CaseView> done);
  // Records met/missed for stopped targets and fires due events; fills `after`.
  Status FireInTx(CaseTx& tx, const CaseView& v, Instant now, AfterCommit& after) const;
  void Notify(const AfterCommit& after) const;

  const Clock& clock_;
  const CaseConfig& cfg() const { return *current_.load(); }
  std::mutex reload_mu_;
  std::vector<std::unique_ptr<const CaseConfig>> configs_;  // guarded by reload_mu_; never shrinks
  std::atomic<const CaseConfig*> current_;
  CaseStore& store_;
  const std::string lookup_base_url_;
  const LookupSecret secret_;
  ScheduleHook schedule_hook_;
  EventHook event_hook_;
  std::function<void(const CaseCommit&)> commit_hook_;
};

}  // namespace csops::cases
