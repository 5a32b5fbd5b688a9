// Persistence of the queue, behind an interface so the engine never sees SQL.
//
// The engine runs each operation as one transaction: QueueStore::Transact hands it a QueueTx
// (row-level reads and writes inside that transaction) and reports the outcome only after the
// transaction is durable. Reads outside a transaction go through QueueStore::Read.
// The SQLite implementation (sqlite_queue_store.h) runs every transaction on the database's
// single writer thread, so a transaction sees no concurrent change: "two counters calling at
// once never get the same ticket" follows from that, not from locks in the engine.
// Every implementation passes the contract suite in queue_store_contract.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "services/queue/domain/selection.h"
#include "services/queue/domain/types.h"
#include "services/queue/domain/visit_report.h"

namespace csops::queue {

// Per business day and service: numbering, the waiting count and the service-time average.
// A ticket's latest call, as a display board lists it.
struct RecentCall {
  std::string ticket_display, counter_id, service_code;
  Instant called_at;
};

struct ServiceDay {
  int last_number = 0;        // 0 before the first ticket of the day
  int waiting = 0;            // tickets in state waiting now
  std::string last_called;    // display number of the last call, "" before the first
  double avg_service_ms = 0;  // moving average of completed service times
  int service_samples = 0;    // completed services so far
};

class QueueReader {
 public:
  virtual ~QueueReader() = default;
  virtual Result<std::optional<TicketRecord>> FindTicket(const std::string& branch,
                                                         const std::string& day,
                                                         const std::string& display) = 0;
  virtual Result<std::optional<TicketRecord>> FindTicketById(std::int64_t id) = 0;
  virtual Result<std::optional<TicketRecord>> FindByIdempotencyKey(const std::string& branch,
                                                                   const std::string& key) = 0;
  virtual Result<ServiceDay> GetServiceDay(const std::string& branch, const std::string& day,
                                           const std::string& service) = 0;
  // The oldest waiting ticket of each (service, class) among `services`; transferred tickets
  // reserved for a counter other than `counter_id` are skipped.
  virtual Result<std::vector<Candidate>> WaitingHeads(const std::string& branch,
                                                      const std::string& day,
                                                      const std::vector<std::string>& services,
                                                      const std::string& counter_id) = 0;
  // The first `limit` waiting tickets of a service in calling order (class, then queue time).
  virtual Result<std::vector<TicketRecord>> WaitingInOrder(const std::string& branch,
                                                           const std::string& day,
                                                           const std::string& service,
                                                           int limit) = 0;
  // Waiting tickets of the same service that come before `t` in calling order.
  virtual Result<int> CountAhead(const TicketRecord& t) = 0;
  // Queue time of the longest-waiting ticket of a service, if any.
  virtual Result<std::optional<Instant>> OldestWaiting(const std::string& branch,
                                                       const std::string& day,
                                                       const std::string& service) = 0;
  // Every counter with a stored state (counters never opened are absent).
  virtual Result<std::vector<CounterRecord>> Counters(const std::string& branch) = 0;
  // The ticket a counter has called or is serving today, if any.
  virtual Result<std::optional<TicketRecord>> HeldByCounter(const std::string& branch,
                                                            const std::string& day,
                                                            const std::string& counter_id) = 0;
  virtual Result<std::vector<NearTurnNotice>> ListNotices(const std::string& branch, int limit) = 0;
  // Notices of every branch the relay has not handed to the notify service yet, by id.
  virtual Result<std::vector<NearTurnNotice>> PendingNotices(int limit) = 0;
  // The business day's tickets with a call, latest call first, at most `limit`.
  virtual Result<std::vector<RecentCall>> RecentCalls(const std::string& branch,
                                                      const std::string& day, int limit) = 0;
  // Tickets issued in [issued_from, issued_to), of one branch or (branch empty) of every branch,
  // in issue order: the rows the visit report aggregates.
  virtual Result<std::vector<VisitRow>> VisitRows(const std::string& branch, Instant issued_from,
                                                  Instant issued_to) = 0;
};

class QueueTx : public QueueReader {
 public:
  // Takes the next ticket number of a service day (first_number for the day's first ticket)
  // and counts one more waiting ticket, in one step. Returns the service day after that step;
  // its last_number is the new ticket's number. The caller inserts the ticket (or fails the
  // transaction, which undoes the step).
  virtual Result<ServiceDay> TakeNumber(const std::string& branch, const std::string& day,
                                        const std::string& service, int first_number) = 0;
  // Inserts a new ticket whose number came from TakeNumber; returns the row id.
  virtual Result<std::int64_t> InsertTicket(const TicketRecord& t) = 0;
  // Writes `after` over the stored ticket and keeps the waiting counts of both services right.
  // REQUIRES: `before` is the stored row.
  virtual Status SaveTicket(const TicketRecord& before, const TicketRecord& after) = 0;
  virtual Status AppendEvent(const TicketEvent& e) = 0;
  virtual Status SaveCounter(const CounterRecord& c) = 0;
  // Records a completed service time into the service day's moving average.
  virtual Status RecordServiceTime(const std::string& branch, const std::string& day,
                                   const std::string& service, Duration took) = 0;
  virtual Status SetLastCalled(const std::string& branch, const std::string& day,
                               const std::string& service, const std::string& display) = 0;
  // Writes a near-turn notice to the outbox (at most one per ticket: a second is ignored).
  virtual Status InsertNotice(const NearTurnNotice& n) = 0;
  // Marks a notice relayed at `at`; `refusal` is the notify service's reason if it refused it.
  // A notice marked before keeps its first mark.
  virtual Status MarkNoticeRelayed(std::int64_t id, Instant at, const std::string& refusal) = 0;
  // Marks every waiting/called/serving ticket of the branch from days before `day` as expired
  // (with an event each) and returns how many, per service code.
  virtual Result<std::vector<std::pair<std::string, int>>> ExpireBefore(const std::string& branch,
                                                                        const std::string& day,
                                                                        Instant now) = 0;
};

class QueueStore {
 public:
  virtual ~QueueStore() = default;
  using TxFn = std::function<Status(QueueTx&)>;
  using ReadFn = std::function<Status(QueueReader&)>;
  // Runs `fn` in one transaction; `done` gets its status after the commit. If `fn` fails, none
  // of its writes remain. `done` may run on a store thread: keep it short.
  virtual void Transact(TxFn fn, std::function<void(const Status&)> done) = 0;
  // The same for a transaction of one branch (everything the engine writes is one branch's).
  // A store may run a branch's queued transactions together: on PostgreSQL they share one
  // transaction under the branch's lock (Database::Transact's serial key).
  virtual void TransactForBranch(const std::string& branch_id, TxFn fn,
                                 std::function<void(const Status&)> done) {
    (void)branch_id;
    Transact(std::move(fn), std::move(done));
  }
  // Runs `fn` against committed data; blocks the caller.
  virtual Status Read(const ReadFn& fn) = 0;
};

}  // namespace csops::queue
