// QueueStore on PostgreSQL (schema csops_queue): the queue's SQL for a shared database server.
//
// Concurrency. Transactions run on the pool's connections at once, in READ COMMITTED. What the
// SQLite store gets from its single writer, this one gets from a row lock per branch
// (Connection::LockKey("branch", id)), taken by the first call of a transaction that names the
// branch, before anything of that branch is read: the transactions of one branch run one at a
// time, in every process on the database, so two counters calling at once never get the same
// ticket and numbers stay consecutive. Branches do not wait for each other. Reads (Read) run
// on one REPEATABLE READ snapshot. See common/postgres/database.h for commit and retries.
#pragma once

#include <vector>

#include "common/postgres/database.h"
#include "services/queue/store/queue_store.h"

namespace csops::queue {

class PostgresQueueStore final : public QueueStore {
 public:
  // Schema migrations of csops_queue, in order.
  static std::vector<postgres::Migration> Migrations();

  explicit PostgresQueueStore(postgres::Database& db) : db_(db) {}
  void Transact(TxFn fn, std::function<void(const Status&)> done) override;
  void TransactForBranch(const std::string& branch_id, TxFn fn,
                         std::function<void(const Status&)> done) override;
  Status Read(const ReadFn& fn) override;

 private:
  // A write transaction with Database::Transact's serial key `serial` (empty: none).
  void TransactKeyed(std::string serial, TxFn fn, std::function<void(const Status&)> done);
  postgres::Database& db_;
};

}  // namespace csops::queue
