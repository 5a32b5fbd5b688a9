// One service's data in a PostgreSQL database: a bounded pool of connections, transactions
// with bounded retries, numbered migrations under a row lock, and reconnection with back-off.
//
// Layout. Each service keeps its tables in its own schema (options.schema, e.g. csops_queue),
// so the three services share one database without sharing table names. Besides the service's
// tables the schema holds csops_schema (one row: the applied version, row-locked while
// migrating), csops_schema_history (one row per applied step) and csops_tx_locks (the rows
// Connection::LockKey locks).
//
// Transactions. Transact(fn, done) queues fn; one of the pool's worker threads takes a
// connection, runs BEGIN (READ COMMITTED), fn, COMMIT, and only then calls done, so done's OK
// means committed (synchronous_commit=on on every connection). If fn fails, the transaction
// is rolled back and done gets fn's status.
//
// Group commit. A worker takes up to max_batch queued jobs at once and runs them, in queue
// order, in one transaction, each in a savepoint: a job that fails is rolled back to its
// savepoint alone (its done gets its own status) and the others commit together, one COMMIT
// and one WAL flush for the batch, and a lock (Connection::LockKey) the jobs share is taken
// once. Each fn sees what the jobs before it in the batch wrote, as if they had committed just
// before it. So that two batches never wait for each other, a job after the first never
// waits for a lock another transaction holds; such a job, and one that meets a serialization
// failure or deadlock, is run again in a transaction of its own, and its done is called then. A
// serialization failure or deadlock (SQLSTATE 40001, 40P01), from fn or from COMMIT, rolls back and
// runs fn again, up to max_retries times with a short jittered pause; fn must therefore keep no
// state outside the Connection between runs. A job that waits longer than acquire_timeout_ms for a
// connection gets kUnavailable. No more than pool_size threads ever wait on the server.
//
// When the server goes away. A statement that finds its connection broken fails with
// kUnavailable naming the database ("PostgreSQL database 'queue': ...", never the connection
// string); available() turns false; a monitor thread (which also probes the server once a
// second while all is well) reconnects with back-off (0.1 s doubling to 2 s) and turns it true
// again, and workers replace broken connections as they go. Because any failed statement
// aborts a PostgreSQL transaction, a store never recovers from an error inside fn: it
// returns it (use ON CONFLICT where a conflict is an expected answer). A
// COMMIT whose answer is lost is reported kUnavailable: the caller cannot know whether it
// committed (the same as any client of any database), which is why every write of csops is
// idempotent by key.
//
// Thread safety: every public method may be called from any thread. done callbacks run on a
// worker thread; keep them short and never call Read or Write from one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/base/status.h"
#include "common/postgres/connection.h"

namespace prometheus {
class Registry;
}

namespace csops::postgres {

// One schema step. Versions start at 1 and increase by one.
struct Migration {
  int version;
  std::string description;
  std::string sql;  // may hold several statements; runs in the migration transaction
  // Optional: runs after `sql` in the same transaction, for steps SQL alone cannot do.
  std::function<Status(Connection&)> then = nullptr;
  // Rolling upgrades: the oldest binary (by its last known version) that may keep running on a
  // schema at this version. 0 means this version itself: a breaking step, which every older
  // binary refuses. An additive step (a new table, index, or nullable/defaulted column that
  // older code neither reads nor must write) sets version - 1, or the compatible_from of the
  // step before it when that is older still, so replicas one release apart run together.
  int compatible_from = 0;
};

struct DatabaseOptions {
  std::string dsn;                           // libpq connection string or URI; never logged
  std::string name = "db";                   // metric label and message prefix, e.g. "queue"
  std::string schema;                        // e.g. "csops_queue"; default "csops_" + name
  int pool_size = 8;                         // connections and worker threads, 1-256
  int acquire_timeout_ms = 5000;             // longest wait for a free connection
  int max_retries = 10;                      // runs after a serialization failure or deadlock
  int max_batch = 32;                        // jobs one transaction may carry (1: no batching)
  int connect_timeout_ms = 10000;            // Open keeps trying this long before failing
  std::vector<Migration> migrations;         // applied in order at Open
  prometheus::Registry* registry = nullptr;  // optional; gets csops_store_* metrics
};

class Database {
 public:
  using TxFn = std::function<Status(Connection&)>;
  using DoneFn = std::function<void(const Status&)>;
  using ReadFn = std::function<Status(Connection&)>;

  // Connects, creates the schema if missing and applies pending migrations in one
  // transaction under the csops_schema row lock. Fails with kFailedPrecondition if the
  // database's schema is newer than `migrations`, kUnavailable if the server cannot be
  // reached within connect_timeout_ms.
  static Result<std::unique_ptr<Database>> Open(DatabaseOptions options);
  ~Database();  // Close()
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Queues `fn` as one transaction; `done` gets the outcome after COMMIT (see above).
  // After Close(), `done` gets kUnavailable at once. `serial` (optional; e.g. "branch:b1", the
  // row lock `fn` takes first): jobs with the same key never run in two transactions at once.
  // A worker takes every queued job of a key no other worker is running into its batch, so
  // jobs that would all queue on one row lock share one transaction and one COMMIT, instead of
  // each batch but one finding the lock busy and rerunning its jobs alone.
  void Transact(TxFn fn, DoneFn done, std::string serial = {});
  // Blocks until `fn`'s transaction committed or failed.
  Status Write(TxFn fn);
  // Runs `fn` on a pooled connection in a read-only transaction on one snapshot (REPEATABLE
  // READ), on the calling thread.
  Status Read(const ReadFn& fn);
  // Stops taking work, finishes what is queued, closes the connections. Idempotent.
  void Close();

  // False from a lost connection until the monitor has reconnected.
  bool available() const { return available_.load(); }
  int schema_version() const { return schema_version_; }
  const DatabaseOptions& options() const { return options_; }

  struct Stats {
    std::uint64_t committed = 0;  // transactions committed
    std::uint64_t failed = 0;     // transactions that ended in an error
    std::uint64_t retries = 0;    // re-runs after 40001/40P01
    std::uint64_t reconnects = 0;
    std::uint64_t batched = 0;  // of committed: in a transaction shared with other jobs
  };
  Stats stats() const;

 private:
  struct Job {
    TxFn fn;
    DoneFn done;
    std::chrono::steady_clock::time_point queued;
    bool solo = false;   // run in a transaction of its own (deferred from a batch)
    std::string serial;  // see Transact; empty: none
  };
  struct Metrics;

  explicit Database(DatabaseOptions options);
  Status Migrate(Connection& c);
  void WorkerLoop();
  // The first queued job a worker may start now: one without a serial key, or whose key no
  // other worker runs. jobs_.end() if none. mu_ held.
  std::deque<Job>::iterator NextRunnable();
  // Runs `batch` (two or more jobs) in one transaction and calls each done (see above).
  void RunBatch(std::vector<Job>& batch);
  void Finish(Job& job, const Status& s);
  void Requeue(std::vector<Job> jobs);
  void MonitorLoop();
  Status RunTransaction(const TxFn& fn, bool read_only, std::chrono::steady_clock::time_point t0);
  Result<std::unique_ptr<Connection>> Connect(bool create_schema);
  // A connection from the pool, reconnecting a broken one; kUnavailable after `deadline`.
  Result<std::unique_ptr<Connection>> Acquire(std::chrono::steady_clock::time_point deadline);
  void Release(std::unique_ptr<Connection> c);
  void NoteFailure(const std::string& sqlstate, bool lost);

  DatabaseOptions options_;
  int schema_version_ = 0;
  std::unique_ptr<Metrics> metrics_;
  std::atomic<bool> available_{true};

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Job> jobs_;                   // guarded by mu_
  std::set<std::string> running_serials_;  // keys of the batches running now; guarded by mu_
  bool closing_ = false;                   // guarded by mu_
  Stats stats_;                            // guarded by mu_

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by pool_mu_; null = to reconnect
  int in_use_ = 0;                                 // guarded by pool_mu_
  int waiting_ = 0;                                // guarded by pool_mu_

  std::mutex monitor_mu_;
  std::condition_variable monitor_cv_;
  std::vector<std::thread> workers_;
  std::thread monitor_;
  std::once_flag close_once_;
};

}  // namespace csops::postgres
