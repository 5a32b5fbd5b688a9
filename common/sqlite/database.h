// One SQLite database file: one writer thread with group commit, a pool of read connections,
// and PRAGMA user_version migrations.
//
// Writes. Callers hand a WriteFn to Write()/WriteAsync(). The writer thread takes every queued
// WriteFn (up to max_batch), opens one BEGIN IMMEDIATE transaction, runs each inside its own
// SAVEPOINT, and COMMITs once: with synchronous=FULL that is one fsync for the whole batch.
// A WriteFn that returns an error (or throws) is rolled back to its savepoint alone; the others
// in the batch still commit. A caller's DoneFn runs only after the COMMIT that holds its
// changes has returned, i.e. after they are durable; if the COMMIT itself fails every caller in
// the batch gets kUnavailable and nothing of the batch is visible.
// Contract for WriteFn: touch only the Connection it is given and keep no state outside it; in
// the rare case SQLite aborts the whole transaction (e.g. disk full) the writer re-runs the
// remaining WriteFns of the batch in a fresh transaction.
//
// Checkpoints: the writer runs SQLite's auto-checkpoint after the commit that brings the WAL
// to checkpoint_pages, so the WAL stays bounded however long the load lasts.
//
// Reads run on their own read-only connections (WAL lets them proceed while the writer
// commits) and see only committed data.
//
// Thread safety: every public method may be called from any thread. DoneFns run on the
// database's completion thread, one at a time and in commit order, so the writer can start the
// next batch while the previous batch's callers are being answered. A DoneFn must not call
// Write() (WriteAsync is fine).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/base/status.h"
#include "common/sqlite/connection.h"

namespace prometheus {
class Registry;
}

namespace csops::sqlite {

// One schema step. Versions start at 1 and increase by one.
struct Migration {
  int version;
  std::string description;
  std::string sql;  // may hold several statements; runs in one transaction with the version bump
  // Optional: runs after `sql` in the same transaction, for steps SQL alone cannot do (e.g.
  // recomputing a column with a key the database does not hold). An error rolls back the step.
  std::function<Status(Connection&)> then = nullptr;
};

enum class Synchronous { kFull, kNormal };

struct DatabaseOptions {
  std::string path;                              // file path; its directory must exist
  std::string name = "db";                       // metric label, e.g. "queue"; low cardinality
  Synchronous synchronous = Synchronous::kFull;  // default FULL: every commit is fsynced
  bool group_commit = true;                      // false: one transaction per commit (benchmarks)
  int max_batch = 256;                           // most transactions per commit
  int read_connections = 4;                      // size of the read pool
  int busy_timeout_ms = 5000;
  int checkpoint_pages = 1000;               // WAL pages that trigger a checkpoint
  int cache_mib = 64;                        // page cache of the writer connection
  std::vector<Migration> migrations;         // applied in order at Open
  prometheus::Registry* registry = nullptr;  // optional; gets csops_sqlite_* metrics
};

class Database {
 public:
  using WriteFn = std::function<Status(Connection&)>;
  using DoneFn = std::function<void(const Status&)>;
  using ReadFn = std::function<Status(Connection&)>;

  // Opens or creates the file, switches to WAL, applies pending migrations and starts the
  // writer. Fails with kFailedPrecondition if the file's schema is newer than `migrations`.
  static Result<std::unique_ptr<Database>> Open(DatabaseOptions options);
  ~Database();  // Close()
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Queues `fn`; `done` gets its outcome after the commit (see the contract above).
  // After Close(), `done` gets kUnavailable at once.
  void WriteAsync(WriteFn fn, DoneFn done);
  // Blocks until `fn` is durable or failed. Never call from a DoneFn.
  Status Write(WriteFn fn);
  // Runs `fn` on a read connection; blocks while all are in use.
  Status Read(const ReadFn& fn);
  // Stops taking writes, commits everything already queued, joins the writer. Idempotent.
  void Close();

  // Current PRAGMA user_version.
  int schema_version() const { return schema_version_; }
  const std::string& path() const { return options_.path; }

  struct Stats {
    std::uint64_t commits = 0;       // COMMITs (fsyncs with FULL)
    std::uint64_t transactions = 0;  // WriteFns that committed
    std::uint64_t failed = 0;        // WriteFns that failed
  };
  Stats stats() const;

 private:
  struct Pending {
    WriteFn fn;
    DoneFn done;
  };
  struct Metrics;

  explicit Database(DatabaseOptions options);
  Status Init();
  Status Migrate();
  void WriterLoop();
  void CompletionLoop();
  void CommitBatch(std::vector<Pending>& batch);

  DatabaseOptions options_;
  std::unique_ptr<Connection> writer_conn_;  // used only by the writer thread after Init
  int schema_version_ = 0;
  std::unique_ptr<Metrics> metrics_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool closing_ = false;       // guarded by mu_
  Stats stats_;                // guarded by mu_
  std::thread writer_;
  std::once_flag join_once_;

  // Finished transactions waiting for their DoneFn.
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::vector<std::pair<DoneFn, Status>> done_queue_;  // guarded by done_mu_
  bool writer_finished_ = false;                       // guarded by done_mu_
  std::thread completer_;

  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by read_mu_
};

}  // namespace csops::sqlite
