#include "common/sqlite/database.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <exception>
#include <future>

namespace csops::sqlite {

struct Database::Metrics {
  prometheus::Histogram* batch_size;
  prometheus::Histogram* commit_seconds;
  prometheus::Counter* committed;
  prometheus::Counter* failed;

  Metrics(prometheus::Registry& r, const std::string& db) {
    batch_size = &prometheus::BuildHistogram()
                      .Name("csops_sqlite_commit_batch_transactions")
                      .Help("Write transactions committed together under one COMMIT")
                      .Register(r)
                      .Add({{"db", db}}, prometheus::Histogram::BucketBoundaries{
                                             1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
    commit_seconds = &prometheus::BuildHistogram()
                          .Name("csops_sqlite_commit_duration_seconds")
                          .Help("Time from BEGIN to durable COMMIT of one batch")
                          .Register(r)
                          .Add({{"db", db}}, prometheus::Histogram::BucketBoundaries{
                                                 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1, 0.25, 0.5, 1, 2.5});
    auto& tx = prometheus::BuildCounter()
                   .Name("csops_sqlite_transactions_total")
                   .Help("Write transactions by outcome")
                   .Register(r);
    committed = &tx.Add({{"db", db}, {"result", "committed"}});
    failed = &tx.Add({{"db", db}, {"result", "failed"}});
  }
};

Database::Database(DatabaseOptions options) : options_(std::move(options)) {
  if (options_.max_batch < 1) options_.max_batch = 1;
  if (!options_.group_commit) options_.max_batch = 1;
  if (options_.read_connections < 1) options_.read_connections = 1;
}

Result<std::unique_ptr<Database>> Database::Open(DatabaseOptions options) {
  std::unique_ptr<Database> db(new Database(std::move(options)));
  Status s = db->Init();
  if (!s.ok()) return s.WithContext(db->options_.path);
  db->writer_ = std::thread([p = db.get()] { p->WriterLoop(); });
  db->completer_ = std::thread([p = db.get()] { p->CompletionLoop(); });
  return db;
}

Status Database::Init() {
  auto conn = Connection::Open(options_.path, /*read_only=*/false, options_.busy_timeout_ms);
  if (!conn.ok()) return conn.status();
  writer_conn_ = std::move(*conn);
  {
    auto mode = writer_conn_->Prepare("PRAGMA journal_mode=WAL");
    if (!mode.ok()) return mode.status();
    auto row = mode->Step();
    if (!row.ok()) return row.status();
    if (!*row || mode->ColumnText(0) != "wal")
      return Status::Unavailable("cannot switch the journal to WAL mode");
  }
  CSOPS_RETURN_IF_ERROR(writer_conn_->Exec(options_.synchronous == Synchronous::kFull
                                               ? "PRAGMA synchronous=FULL"
                                               : "PRAGMA synchronous=NORMAL"));
  CSOPS_RETURN_IF_ERROR(writer_conn_->Exec("PRAGMA foreign_keys=ON"));
  CSOPS_RETURN_IF_ERROR(
      writer_conn_->Exec("PRAGMA cache_size=-" + std::to_string(options_.cache_mib * 1024)));
  CSOPS_RETURN_IF_ERROR(Migrate());
  // SQLite's own auto-checkpoint runs in the writer right after a commit: nothing is appended
  // while it copies, so it always completes and the WAL restarts instead of growing. (A
  // background checkpointer was measured: it competed with the writer's fsyncs and cost a
  // third of the group-commit throughput, and under load it never let the WAL restart.)
  CSOPS_RETURN_IF_ERROR(
      writer_conn_->Exec("PRAGMA wal_autocheckpoint=" + std::to_string(options_.checkpoint_pages)));
  for (int i = 0; i < options_.read_connections; ++i) {
    auto reader = Connection::Open(options_.path, /*read_only=*/true, options_.busy_timeout_ms);
    if (!reader.ok()) return reader.status();
    idle_readers_.push_back(std::move(*reader));
  }
  if (options_.registry) metrics_ = std::make_unique<Metrics>(*options_.registry, options_.name);
  return Status();
}

Status Database::Migrate() {
  auto current = writer_conn_->PragmaInt("user_version");
  if (!current.ok()) return current.status();
  int known = 0;
  for (const Migration& m : options_.migrations) {
    if (m.version != known + 1)
      return Status::Internal("migration '" + m.description + "' has version " +
                              std::to_string(m.version) + ", expected " +
                              std::to_string(known + 1));
    known = m.version;
  }
  if (*current > known)
    return Status::FailedPrecondition("schema version " + std::to_string(*current) +
                                      " is newer than this csopsd knows (" + std::to_string(known) +
                                      "); run a newer csopsd");
  for (const Migration& m : options_.migrations) {
    if (m.version <= *current) continue;
    CSOPS_RETURN_IF_ERROR(writer_conn_->Exec("BEGIN IMMEDIATE"));
    Status s = writer_conn_->Exec(m.sql);
    if (s.ok() && m.then) s = m.then(*writer_conn_);
    if (s.ok()) s = writer_conn_->Exec("PRAGMA user_version=" + std::to_string(m.version));
    if (s.ok()) s = writer_conn_->Exec("COMMIT");
    if (!s.ok()) {
      writer_conn_->Exec("ROLLBACK");
      return s.WithContext("migration " + std::to_string(m.version) + " (" + m.description + ")");
    }
  }
  schema_version_ = known;
  return Status();
}

Database::~Database() { Close(); }

void Database::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  std::call_once(join_once_, [this] {
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      writer_finished_ = true;
    }
    done_cv_.notify_all();
    if (completer_.joinable()) completer_.join();
  });
}

void Database::WriteAsync(WriteFn fn, DoneFn done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      queue_.push_back(Pending{std::move(fn), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Status::Unavailable("database " + options_.name + " is closed"));
}

Status Database::Write(WriteFn fn) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  WriteAsync(std::move(fn), [&promise](const Status& s) { promise.set_value(s); });
  return future.get();
}

Status Database::Read(const ReadFn& fn) {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock<std::mutex> lock(read_mu_);
    read_cv_.wait(lock, [&] { return !idle_readers_.empty(); });
    conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
  }
  Status s;
  try {
    s = fn(*conn);
  } catch (const std::exception& e) {
    s = Status::Internal(std::string("read threw: ") + e.what());
  }
  if (!conn->InAutocommit()) conn->Exec("ROLLBACK");  // never leave a snapshot pinned
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    idle_readers_.push_back(std::move(conn));
  }
  read_cv_.notify_one();
  return s;
}

Database::Stats Database::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Database::WriterLoop() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing and drained
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
    batch.clear();
  }
}

namespace {

// Runs a cached statement that returns no rows (SAVEPOINT and friends, once per transaction).
Status ExecCached(Connection& conn, const std::string& sql) {
  auto st = conn.PrepareCached(sql);
  if (!st.ok()) return st.status();
  return st->Run();
}

Status RunGuarded(const Database::WriteFn& fn, Connection& conn) {
  try {
    return fn(conn);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("write threw: ") + e.what());
  } catch (...) {
    return Status::Internal("write threw a non-standard exception");
  }
}

}  // namespace

void Database::CommitBatch(std::vector<Pending>& batch) {
  const auto started = std::chrono::steady_clock::now();
  const std::size_t n = batch.size();
  std::vector<Status> result(n);
  std::vector<bool> failed(n, false);  // failed on its own; excluded from later attempts
  Connection& conn = *writer_conn_;
  Status commit_status;
  for (;;) {
    commit_status = ExecCached(conn, "BEGIN IMMEDIATE");
    if (!commit_status.ok()) break;
    bool restart = false;
    for (std::size_t i = 0; i < n && !restart; ++i) {
      if (failed[i]) continue;
      Status s = ExecCached(conn, "SAVEPOINT csops_tx");
      if (s.ok()) s = RunGuarded(batch[i].fn, conn);
      if (s.ok()) s = ExecCached(conn, "RELEASE csops_tx");
      if (s.ok()) continue;
      result[i] = s;
      failed[i] = true;
      if (conn.InAutocommit()) {
        restart = true;  // SQLite rolled back the whole transaction; redo the others
      } else {
        ExecCached(conn, "ROLLBACK TO csops_tx");
        ExecCached(conn, "RELEASE csops_tx");
      }
    }
    if (restart) continue;
    commit_status = ExecCached(conn, "COMMIT");
    if (!commit_status.ok() && !conn.InAutocommit()) conn.Exec("ROLLBACK");
    break;
  }
  std::uint64_t committed = 0, failures = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!failed[i]) {
      result[i] = commit_status.ok()
                      ? Status()
                      : Status::Unavailable("commit failed: " + commit_status.message());
    }
    result[i].ok() ? ++committed : ++failures;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (commit_status.ok()) ++stats_.commits;
    stats_.transactions += committed;
    stats_.failed += failures;
  }
  if (metrics_) {
    std::chrono::duration<double> secs = std::chrono::steady_clock::now() - started;
    metrics_->batch_size->Observe(static_cast<double>(n));
    metrics_->commit_seconds->Observe(secs.count());
    metrics_->committed->Increment(static_cast<double>(committed));
    metrics_->failed->Increment(static_cast<double>(failures));
  }
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    for (std::size_t i = 0; i < n; ++i)
      if (batch[i].done) done_queue_.emplace_back(std::move(batch[i].done), std::move(result[i]));
  }
  done_cv_.notify_one();
}

void Database::CompletionLoop() {
  std::vector<std::pair<DoneFn, Status>> ready;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(done_mu_);
      done_cv_.wait(lock, [&] { return !done_queue_.empty() || writer_finished_; });
      if (done_queue_.empty()) return;  // the writer is gone and everything is answered
      ready.swap(done_queue_);
    }
    for (auto& [done, status] : ready) done(status);
    ready.clear();
  }
}

}  // namespace csops::sqlite
