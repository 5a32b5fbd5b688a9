// queue.db in a temporary directory with every migration, for unit tests (no fsync): the one
// place queue tests open SQLite; they reach the data only through the QueueStore interface.
#pragma once

#include <memory>

#include "common/base/testutil.h"
#include "common/sqlite/database.h"
#include "services/queue/store/sqlite/sqlite_queue_store.h"

namespace csops::queue {

class SqliteTestStore {
 public:
  SqliteTestStore() {
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/queue.db";
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = SqliteQueueStore::Migrations();
    auto opened = sqlite::Database::Open(o);
    EXPECT_OK(opened.status());
    if (opened.ok()) {
      db_ = std::move(*opened);
      store_ = std::make_unique<SqliteQueueStore>(*db_);
    }
  }
  QueueStore& store() { return *store_; }

 private:
  TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<SqliteQueueStore> store_;
};

}  // namespace csops::queue
