// QueueStore on one SQLite database (queue.db): the only queue code that writes SQL.
// Transactions run on the database's writer thread with group commit; see
// common/sqlite/database.h for the durability contract.
#pragma once

#include <memory>

#include "common/sqlite/database.h"
#include "services/queue/store/queue_store.h"

namespace csops::queue {

class SqliteQueueStore final : public QueueStore {
 public:
  // Schema migrations of queue.db, in order.
  static std::vector<sqlite::Migration> Migrations();

  explicit SqliteQueueStore(sqlite::Database& db) : db_(db) {}
  void Transact(TxFn fn, std::function<void(const Status&)> done) override;
  Status Read(const ReadFn& fn) override;

 private:
  sqlite::Database& db_;
};

}  // namespace csops::queue
