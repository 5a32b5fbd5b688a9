// CaseStore on PostgreSQL (schema csops_case): the case service's SQL for a shared database
// server. The tables and columns are case.db's (postgres_case_migrations.cc).
//
// Concurrency. SQLite runs every write transaction on one writer thread; here they run at once
// on the pool's connections (and in every process on the database), in READ COMMITTED. What
// the engine reads and then writes is serialised by row locks, taken before the read, in
// Transact only:
//   * FindByNumber locks the case (Connection::LockKey("case", number)) and
//     FindByIdempotencyKey the key ("case_key", key), and then the case it found: two commands
//     on one case run one after the other, and of two CreateCase with one key the second finds
//     the first's case. OpenCasesAfter locks every case it returns (by id, then reads them
//     again), and a read of one case's rows (Periods, History, FiredSlaEvents, SlaEventCursor)
//     locks that case first if the transaction has not. A case inserted by the transaction is
//     its own until it commits.
//   * TakeSequence updates the (branch, day) counter row of case_days in the case's own
//     transaction (INSERT ... ON CONFLICT DO UPDATE ... RETURNING): the row lock orders the
//     transactions of one branch's day and a rolled-back case gives its sequence back.
//   * RecordSlaEvent takes the event log's lock ("case_sla_events", "cursor") and gives the
//     new event one more than the largest cursor (as case.db's trigger does): cursors are
//     consecutive, never reused, and in commit order (the lock is held until COMMIT), so a
//     reader of SlaEventsAfter(c) never misses an event that commits later. The transactions
//     that fire events run one at a time. The insert is ON CONFLICT DO NOTHING on (case,
//     target, event): an event recorded twice, also by two transactions at once, is recorded
//     once.
//   * MarkOutboxRelayed and ClosePeriods are conditional UPDATEs; the other writes replace
//     what the locked reads above decided.
// Queries across cases (ListCases, ClosedBetween, DelaysBetween, ScheduledEvents, CountOpen,
// CountDueFrom, PendingOutbox, SlaEventsAfter, NewestSlaEventCursor) take no lock: inside
// Transact they see what was committed when each statement began. Read runs on one REPEATABLE
// READ READ ONLY snapshot and takes no locks. Serialization failures and deadlocks are retried
// by the database (common/postgres/database.h), which is why fn may run again.
#pragma once

#include <vector>

#include "common/postgres/database.h"
#include "services/case/domain/lookup_code.h"
#include "services/case/store/case_store.h"

namespace csops::cases {

class PostgresCaseStore final : public CaseStore {
 public:
  // Schema migrations of csops_case, in order. `secret` is kept as its check
  // (LookupSecretCheck) when the schema is created.
  static std::vector<postgres::Migration> Migrations(const LookupSecret& secret);
  // FailedPrecondition when `secret` is not the key the database's verifiers were made with.
  static Status CheckLookupSecret(postgres::Database& db, const LookupSecret& secret);

  explicit PostgresCaseStore(postgres::Database& db) : db_(db) {}
  void TransactNewCase(const std::string& branch_id, std::function<Status(CaseTx&)> fn,
                       std::function<void(const Status&)> done) override;
  void TransactFiring(std::function<Status(CaseTx&)> fn,
                      std::function<void(const Status&)> done) override;
  void Transact(std::function<Status(CaseTx&)> fn,
                std::function<void(const Status&)> done) override;
  Status Read(const std::function<Status(CaseTx&)>& fn) override;

 private:
  // A write transaction with Database::Transact's serial key `serial` (empty: none).
  void TransactKeyed(std::string serial, std::function<Status(CaseTx&)> fn,
                     std::function<void(const Status&)> done);
  postgres::Database& db_;
};

}  // namespace csops::cases
