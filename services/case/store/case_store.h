// Persistence of cases behind an interface (SQL lives only in sqlite_case_store.cc).
// The engine runs each command as one transaction through CaseStore::Transact. The records are
// the domain's (domain/case_records.h). What every implementation must do is tested by the
// contract suite in case_store_contract.h, which each store's test instantiates.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/case/domain/case_model.h"
#include "services/case/domain/case_records.h"
#include "services/case/domain/sla.h"

namespace csops::cases {

// Row filters of ListCases that SQL can apply (empty = any).
struct CaseFilter {
  std::string status;  // status name
  std::string type_code;
  std::string branch_id;
  std::string assignee;
};

class CaseTx {
 public:
  virtual ~CaseTx() = default;
  // The case with that compact number / CreateCase key, nullopt if none. An empty key is no
  // key: it finds nothing, and any number of cases may have none.
  virtual Result<std::optional<CaseRecord>> FindByNumber(const std::string& acceptance_number) = 0;
  virtual Result<std::optional<CaseRecord>> FindByIdempotencyKey(const std::string& key) = 0;
  // A case's status periods by begin (equal begins in the order opened).
  virtual Result<std::vector<StatusPeriod>> Periods(std::int64_t case_id) = 0;
  // A case's history rows in the order appended.
  virtual Result<std::vector<HistoryRow>> History(std::int64_t case_id) = 0;

  // Next acceptance sequence of a branch and day (1 for the day's first case); a sequence
  // taken by a transaction that fails is given back.
  virtual Result<int> TakeSequence(const std::string& branch, const std::string& day) = 0;
  // Stores a new case as registered and returns its id (c.id is ignored). Fails, failing the
  // transaction, when its acceptance number or (non-empty) idempotency key is taken.
  virtual Result<std::int64_t> InsertCase(const CaseRecord& c) = 0;
  // Stores what commands change of case c.id: status, first reply, closing, delay, assignees,
  // resolution and within_sla (an unset optional clears the stored value).
  virtual Status SaveCase(const CaseRecord& c) = 0;
  virtual Status OpenPeriod(std::int64_t case_id, CaseStatus status, Instant begin) = 0;
  // Ends every open period of the case at `end`.
  virtual Status ClosePeriods(std::int64_t case_id, Instant end) = 0;
  virtual Status AppendHistory(std::int64_t case_id, const HistoryRow& row) = 0;
  virtual Status InsertOutbox(const OutboxRow& row) = 0;
  // Records that an SLA event fired; false if it had already (each case, target and event
  // fires once, ever).
  virtual Result<bool> RecordSlaEvent(std::int64_t case_id, const std::string& target,
                                      const std::string& event, Instant due_at, Instant fired_at,
                                      bool late) = 0;
  // SlaEventKey()s ("<target>/<event>") of the events that already fired for a case, in no
  // particular order.
  virtual Result<std::vector<std::string>> FiredSlaEvents(std::int64_t case_id) = 0;
  // Cases with id > after_id matching `f`, by id, at most `limit`.
  virtual Result<std::vector<CaseRecord>> ListCases(const CaseFilter& f, std::int64_t after_id,
                                                    int limit) = 0;
  // Delays (history kind "delay") declared in [from, to), oldest first, at most `limit`,
  // optionally of one branch / type ("" = any); reason and date parsed from the note.
  virtual Result<std::vector<DelayRow>> DelaysBetween(Instant from, Instant to,
                                                      const std::string& branch,
                                                      const std::string& type, int limit) = 0;
  // Cases whose closed_at is in [from, to), by id, optionally of one branch / type ("" = any).
  virtual Result<std::vector<CaseRecord>> ClosedBetween(Instant from, Instant to,
                                                        const std::string& branch,
                                                        const std::string& type) = 0;
  // Stores what the case's last commit computed: the instant of its next pending SLA event
  // (null: none) and its most urgent SLA state. Start-up arms the timers from these alone, and
  // the open-case counts are read from them, so neither recomputes a million schedules.
  virtual Status SaveSlaSummary(std::int64_t case_id, std::optional<Instant> next,
                                SlaState worst) = 0;
  // Acceptance numbers and stored next-event instants of the cases that have one.
  virtual Result<std::vector<std::pair<std::string, Instant>>> ScheduledEvents() = 0;
  // The cases whose stored next event is at or before `until`, in (instant, number) order after
  // `after` (a page's last row; {Instant{}, ""} for the first page), at most `limit`. Replicas
  // sweep these so that a case armed on a replica that died still fires.
  virtual Result<std::vector<std::pair<std::string, Instant>>> ScheduledEventsDue(
      Instant until, const std::pair<std::string, Instant>& after, int limit) = 0;
  // Open cases with id > after_id, by id, at most `limit`; only those without a stored
  // summary (written before schema version 2) unless `all`.
  virtual Result<std::vector<CaseRecord>> OpenCasesAfter(std::int64_t after_id, int limit,
                                                         bool all) = 0;
  struct OpenCount {
    std::string type_code;
    SlaState state;
    std::int64_t cases;
  };
  // Open cases by type and stored SLA state, of one branch or all (""). REQUIRES: every open
  // case has a stored summary (start-up's Recompute sees to it); kInternal otherwise.
  virtual Result<std::vector<OpenCount>> CountOpen(const std::string& branch) = 0;
  struct DueAfterCount {
    std::string type_code;
    std::string target;
    std::int64_t cases;
  };
  // Open cases of a branch by type and target with an unstopped target stored as due at or
  // after `from` (the provisional ones, past the calendar's coverage).
  virtual Result<std::vector<DueAfterCount>> CountDueFrom(const std::string& branch,
                                                          Instant from) = 0;
  // Outbox rows not relayed yet, by id.
  virtual Result<std::vector<PendingOutboxRow>> PendingOutbox(int limit) = 0;
  // Marks a row relayed at `at`; `refusal` is the notify service's reason when it refused it.
  // A look-up link left in the payload by schema 4 is dropped then.
  virtual Status MarkOutboxRelayed(std::int64_t id, Instant at, const std::string& refusal) = 0;
  // Stored due instant of a target (for listing and timers), null while unknown.
  virtual Status SaveTarget(std::int64_t case_id, const std::string& name,
                            std::optional<Instant> due, std::optional<Instant> stopped) = 0;

  // The SLA event log. Every recorded event gets a cursor: 1 for the first, one more for each
  // event after it, kept across restarts and never reused. A commit that fires events gives
  // them cursors above every committed one, so cursor order is commit order.
  // The cursor of an event that RecordSlaEvent recorded (kNotFound if it never fired).
  virtual Result<std::int64_t> SlaEventCursor(std::int64_t case_id, const std::string& target,
                                              const std::string& event) = 0;
  // Events with cursor > `after`, by cursor, at most `limit`, of one branch / type ("" = any).
  virtual Result<std::vector<SlaEventRow>> SlaEventsAfter(std::int64_t after,
                                                          const std::string& branch,
                                                          const std::string& type, int limit) = 0;
  // The newest event's cursor (0 before the first).
  virtual Result<std::int64_t> NewestSlaEventCursor() = 0;
};

class CaseStore {
 public:
  virtual ~CaseStore() = default;
  // Runs `fn` in one write transaction; `done` runs after it committed (durably) or failed,
  // with fn's own error if it returned one. When fn or a statement in it fails, nothing fn
  // wrote stays. `fn` may run again (touch nothing outside the transaction).
  virtual void Transact(std::function<Status(CaseTx&)> fn,
                        std::function<void(const Status&)> done) = 0;
  // The same for a new case of branch `branch_id` (it takes the branch's day counter), and for
  // firing SLA events (they take the event cursor). A store may run the queued transactions
  // that share that counter or cursor together, one group at a time: on PostgreSQL they share
  // one transaction (Database::Transact's serial key) instead of queueing on the row lock.
  virtual void TransactNewCase(const std::string& branch_id, std::function<Status(CaseTx&)> fn,
                               std::function<void(const Status&)> done) {
    (void)branch_id;
    Transact(std::move(fn), std::move(done));
  }
  virtual void TransactFiring(std::function<Status(CaseTx&)> fn,
                              std::function<void(const Status&)> done) {
    Transact(std::move(fn), std::move(done));
  }
  // Runs `fn` on one consistent snapshot of committed data; only its reads may be used.
  virtual Status Read(const std::function<Status(CaseTx&)>& fn) = 0;
};

}  // namespace csops::cases
