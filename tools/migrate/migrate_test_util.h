// Shared pieces of the migrate tests: a data directory with queue.db written through the
// SQLite store (Chinese text, NULLs, doubles from the moving averages), the PostgreSQL store
// reading the migrated schema, and field-by-field comparisons.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "common/base/testutil.h"
#include "common/postgres/database.h"
#include "common/postgres/test_cluster.h"
#include "common/sqlite/database.h"
#include "services/queue/store/postgres/postgres_queue_store.h"
#include "services/queue/store/sqlite/sqlite_queue_store.h"
#include "tools/migrate/sqlite_to_postgres.h"

namespace csops::migrate {

inline Status RunTx(queue::QueueStore& store, queue::QueueStore::TxFn fn) {
  std::promise<Status> p;
  store.Transact(std::move(fn), [&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

// What SeedQueue wrote, to compare the migrated schema with.
struct QueueSeed {
  std::vector<std::int64_t> ticket_ids;
  std::vector<std::string> days;  // business days used
  int notices = 0;
};

// Writes `tickets` tickets (with an event each, a notice for every fifth, three counters and
// the service days' averages) into <dir>/queue.db through SqliteQueueStore, `per_tx` tickets
// per transaction.
QueueSeed SeedQueue(const std::string& dir, int tickets, int per_tx = 500);

// The PostgreSQL store on schema csops_queue of `dsn` (its migrations applied at open).
struct PgQueue {
  std::unique_ptr<postgres::Database> db;
  std::unique_ptr<queue::PostgresQueueStore> store;
};
PgQueue OpenPgQueue(const std::string& dsn);
// The SQLite store on <dir>/queue.db.
struct SqliteQueue {
  std::unique_ptr<sqlite::Database> db;
  std::unique_ptr<queue::SqliteQueueStore> store;
};
SqliteQueue OpenSqliteQueue(const std::string& dir);

void ExpectSameTicket(const queue::TicketRecord& a, const queue::TicketRecord& b);
// Every seeded ticket, service day, counter and notice reads the same through both stores.
void ExpectSameQueue(queue::QueueStore& sqlite, queue::QueueStore& pg, const QueueSeed& seed);

inline bool Has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// Migrate with progress lines collected in `lines` (and not printed).
MigrateOptions Options(const std::string& dir, const std::string& dsn,
                       std::vector<std::string>* lines = nullptr);

}  // namespace csops::migrate
