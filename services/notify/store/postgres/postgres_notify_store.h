// NotifyStore on PostgreSQL (schema csops_notify): the notify service's SQL for a shared database
// server, with the tables and columns of notify.db (instants are UTC milliseconds, flags 0/1).
//
// Concurrency. The SQLite store runs every transaction on one writer thread; this one runs them
// at once on the pool's connections (and later in several processes), in READ COMMITTED, so
// what the engine reads and then writes inside Transact is serialised by locks the reads take:
//   - FindByKey(key) first takes Connection::LockKey("notification_key", key): two sends with
//     one key run their check-then-insert one after the other; the second finds the first.
//   - Notification(id) locks the notification's row (FOR UPDATE); Delivery(id) and
//     FindByProviderId lock the delivery's notification, then the delivery. Every write of a
//     delivery that is not pending (completions, receipts, the fallback chain) therefore runs
//     under its notification's lock, always taken before any delivery lock, so two completions
//     or receipts of one notification run one at a time and cannot deadlock each other.
//   - ClaimDue is one statement: the earliest due pending deliveries are locked FOR UPDATE
//     SKIP LOCKED and leased in the same UPDATE, so concurrent claims never share a delivery,
//     in this process or in another replica's. The lease is in the replica's name
//     (deliveries.leased_by); ReleaseLeases, at a replica's start, gives back only the leases
//     its own previous run left: another replica's are in flight there, and a dead replica's
//     come due when they end.
//   - A receipt for a send not recorded yet and the recording of that send serialise on
//     LockKey("provider_message", provider + "/" + message_id): FindByProviderId takes it when
//     it finds no delivery, TakeEarlyReceipt (DELETE ... RETURNING) always, so a receipt is
//     either applied by its receipt's transaction or taken by the send's.
//   - PlanRun(plan, key) takes LockKey("plan_run", plan + "/" + key); DueSteps locks the runs
//     of the steps it found (in plan/key order, so two callers cannot deadlock) and returns
//     only the steps still pending once it holds them.
//   - InsertNotification, InsertTask, PruneToken and the Save* upserts use ON CONFLICT, so a
//     conflict is an answer, never an error that aborts the PostgreSQL transaction;
//     InsertNotification answers kAlreadyExists for a stored key.
//   - If a statement fails, the PostgreSQL transaction is aborted: Transact then reports the
//     first failure even when fn went on and returned OK, so nothing is ever reported
//     committed that was not.
// PurgeBefore skips notifications another transaction holds (SKIP LOCKED) and also deletes the
// csops_tx_locks rows of the purged keys and sends that no transaction holds.
// Reads (Read) run on one REPEATABLE READ READ ONLY snapshot and take no locks; a write inside
// Read fails. See common/postgres/database.h for commit, retries and reconnection.
#pragma once

#include <vector>

#include "common/postgres/database.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify {

class PostgresNotifyStore final : public NotifyStore {
 public:
  // Schema migrations of csops_notify, in order.
  static std::vector<postgres::Migration> Migrations();

  // `replica`: this process's server.replica_id ("" in tests of one process).
  explicit PostgresNotifyStore(postgres::Database& db, std::string replica = {})
      : db_(db), replica_(std::move(replica)) {}
  void Transact(std::function<Status(NotifyTx&)> fn,
                std::function<void(const Status&)> done) override;
  Status Read(const std::function<Status(NotifyTx&)>& fn) override;

 private:
  postgres::Database& db_;
  const std::string replica_;
};

}  // namespace csops::notify
