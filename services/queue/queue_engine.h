// The queue's application logic: validates commands, applies the domain rules (selection,
// transitions, estimates) inside one store transaction per command, and tells listeners what
// changed once the transaction is durable.
//
// No gRPC and no SQL here. Every command is asynchronous: `done` runs after the commit (on a
// store thread) with either the result or a Status naming the field or state at fault. Nothing
// of a failed command is written. Listeners hear only committed changes, in commit order.
// Thread safety: all methods may be called concurrently; the store serialises transactions.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/queue/domain/branch.h"
#include "services/queue/domain/transitions.h"
#include "services/queue/store/queue_store.h"

namespace csops::queue {

// A ticket with what a reader of it wants to know now.
struct TicketView {
  TicketRecord ticket;
  int people_ahead = 0;        // only while waiting
  Duration estimated_wait{0};  // only while waiting
  bool no_open_counter = false;
};

struct CounterView {
  std::string counter_id;
  std::string name;
  CounterState state = CounterState::kClosed;
  std::string staff_id;
  std::vector<std::string> services;
  std::string current_ticket;  // display number, "" if none
  TicketState current_state = TicketState::kWaiting;
};

struct ServiceView {
  const ServiceModel* model = nullptr;
  int waiting = 0;
  Duration oldest_wait{0};
  Duration estimated_wait{0};
  int open_counters = 0;
  std::string last_called;
};

struct BranchView {
  std::string branch_id;
  std::string business_day;
  std::vector<ServiceView> services;
  std::vector<CounterView> counters;
  Instant as_of;
  std::vector<RecentCall> recent_calls;  // today's, newest first
};

enum class ChangeKind {
  kIssued,
  kCalled,
  kRecalled,
  kServing,
  kCompleted,
  kNoShow,
  kCancelled,
  kRequeued,
  kTransferred,
  kCounterChanged,
  kExpired,
  kDayReset
};

// One committed change, for boards and metrics. Carries no personal data.
struct QueueChange {
  QueueChange(ChangeKind k, std::string branch, Instant when)
      : kind(k), branch_id(std::move(branch)), at(when) {}
  ChangeKind kind;
  std::string branch_id;
  Instant at;
  std::string ticket;             // display number
  std::string service_code;       // current (target) service
  std::string from_service_code;  // transfers
  std::string counter_id;
  int calls = 0;
  int waiting = 0;       // waiting count of service_code after the change
  int from_waiting = 0;  // waiting count of from_service_code after a transfer
  Channel channel = Channel::kKiosk;
  PriorityClass priority = PriorityClass::kNormal;
  std::optional<Duration> wait;            // first call: issue -> first call
  std::optional<Duration> estimate_error;  // first call: actual - estimated wait
  bool over_target = false;                // first call: wait > the service's target
  std::optional<Duration> service_time;    // completed (or transferred while serving)
  int rating = 0;
  Outcome outcome = Outcome::kNone;
  int count = 0;                       // expired: tickets expired in service_code
  std::optional<CounterView> counter;  // counter changes
};

class QueueListener {
 public:
  virtual ~QueueListener() = default;
  virtual void OnCommitted(const std::vector<QueueChange>& changes) = 0;
};

struct IssueCommand {
  std::string branch_id;
  std::string service_code;
  PriorityClass priority = PriorityClass::kNormal;
  Channel channel = Channel::kKiosk;
  ContactKind contact_kind = ContactKind::kNone;
  std::string contact_address;
  std::string idempotency_key;
};

struct TicketCommand {
  std::string branch_id;
  std::string counter_id;  // "" = self-service where allowed
  std::string ticket_number;
};

struct TransferCommand {
  TicketCommand ticket;
  std::string to_service_code;
  std::string to_counter_id;
  std::string note;
};

struct CallResult {
  bool called = false;
  TicketView ticket;
};

template <typename T>
using Done = std::function<void(Result<T>)>;

// Which counters are open and for which services, per branch: read by every estimate, so it
// is kept in memory. Filled from the store on first use and updated after each committed
// counter change. With replicas, counters change through other processes too, so a branch's
// entry is read again once older than max_age (set_max_age; default: kept for good).
// Thread-safe.
class OpenCounterCache {
 public:
  using Steady = std::chrono::steady_clock;
  // Open counters serving `service`, or nullopt if the branch is not loaded (or too old).
  std::optional<int> CountFor(const std::string& branch, const std::string& service) const;
  void Load(const std::string& branch, const std::vector<CounterRecord>& counters);
  void Update(const std::string& branch, const CounterView& counter);
  void set_max_age(Steady::duration age) {
    std::lock_guard<std::mutex> lock(mu_);
    max_age_ = age;
  }

 private:
  struct Entry {
    std::map<std::string, std::vector<std::string>> open;  // open counter -> its services
    Steady::time_point loaded;
  };
  bool Fresh(const Entry& e) const { return Steady::now() - e.loaded < max_age_; }  // mu_ held
  mutable std::mutex mu_;
  std::map<std::string, Entry> open_;                   // by branch; guarded by mu_
  Steady::duration max_age_ = Steady::duration::max();  // guarded by mu_
};

class QueueEngine {
 public:
  QueueEngine(const Clock& clock, std::vector<std::shared_ptr<const BranchModel>> branches,
              QueueStore& store, QueueListener& listener);

  // Replicas share the store: counters opened elsewhere count in estimates within `age`.
  void ReadCountersEvery(OpenCounterCache::Steady::duration age) {
    open_counters_.set_max_age(age);
  }

  void Issue(IssueCommand cmd, Done<TicketView> done);
  void CallNext(std::string branch_id, std::string counter_id, Done<CallResult> done);
  void Recall(TicketCommand cmd, Done<TicketView> done);
  void StartServing(TicketCommand cmd, Done<TicketView> done);
  void Complete(TicketCommand cmd, Outcome outcome, int rating, Done<TicketView> done);
  void MarkNoShow(TicketCommand cmd, Done<TicketView> done);
  void Cancel(TicketCommand cmd, Done<TicketView> done);
  void Requeue(TicketCommand cmd, Done<TicketView> done);
  void Transfer(TransferCommand cmd, Done<TicketView> done);
  void OpenCounter(std::string branch_id, std::string counter_id, std::string staff_id,
                   std::vector<std::string> services, Done<CounterView> done);
  void PauseCounter(std::string branch_id, std::string counter_id, Done<CounterView> done);
  void CloseCounter(std::string branch_id, std::string counter_id, Done<CounterView> done);
  // Expires every unfinished ticket of earlier business days of the branch (the daily reset).
  void ExpireStale(std::string branch_id, Done<int> done);

  // Reads of committed state; they block the caller briefly.
  Result<TicketView> GetTicket(const std::string& branch_id, const std::string& ticket_number);
  // State of the branch now; with the last kRecentCalls calls of today.
  static constexpr int kRecentCalls = 10;
  Result<BranchView> Snapshot(const std::string& branch_id);
  Result<std::vector<NearTurnNotice>> ListNotices(const std::string& branch_id, int limit);
  // Visits in [from, to) of one branch (or every branch when empty); see visit_report.h.
  Result<VisitReport> Report(Instant from, Instant to, const std::string& branch_id);

  const BranchModel* FindBranch(const std::string& id) const;
  std::vector<std::shared_ptr<const BranchModel>> branches() const;

 private:
  struct Ctx;  // per-transaction helpers (queue_engine.cc)
  Result<const BranchModel*> Branch(const std::string& id) const;
  template <typename T>
  // One transaction of branch `branch_id` (QueueStore::TransactForBranch).
  void Run(const std::string& branch_id,
           std::function<Result<T>(QueueTx&, std::vector<QueueChange>&)> body, Done<T> done);
  // Loads today's ticket, checks that `action` is allowed in its state from the acting
  // counter, and lets `apply` change it (before = the stored row; actor = "counter:<id>" or
  // "customer").
  using TicketApply = std::function<Status(Ctx&, const TicketRecord& before, TicketRecord& t,
                                           const std::string& actor)>;
  void TicketAction(TicketCommand cmd, Action action, TicketApply apply, Done<TicketView> done);
  void CounterAction(std::string branch_id, std::string counter_id,
                     std::function<Status(Ctx&, CounterView&)> apply, Done<CounterView> done);

  const Clock& clock_;
  std::map<std::string, std::shared_ptr<const BranchModel>> branches_;
  OpenCounterCache open_counters_;
  QueueStore& store_;
  QueueListener& listener_;
};

}  // namespace csops::queue
