#include "common/postgres/database.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <random>

#include "common/base/log.h"

namespace csops::postgres {

using Clock = std::chrono::steady_clock;

struct Database::Metrics {
  prometheus::Gauge* in_use;
  prometheus::Gauge* waiting;
  prometheus::Histogram* tx_seconds;
  prometheus::Counter* retries;
  prometheus::Family<prometheus::Counter>* errors;
  std::string db;
  std::mutex mu;
  std::map<std::string, prometheus::Counter*> by_class;  // guarded by mu

  Metrics(prometheus::Registry& r, const std::string& name) : db(name) {
    auto& pool = prometheus::BuildGauge()
                     .Name("csops_store_pool_connections")
                     .Help("PostgreSQL pool connections in use, and jobs waiting for one")
                     .Register(r);
    in_use = &pool.Add({{"db", db}, {"state", "in_use"}});
    waiting = &pool.Add({{"db", db}, {"state", "waiting"}});
    tx_seconds = &prometheus::BuildHistogram()
                      .Name("csops_store_transaction_duration_seconds")
                      .Help("Time from a job's queueing to its COMMIT (or failure)")
                      .Register(r)
                      .Add({{"db", db}}, prometheus::Histogram::BucketBoundaries{
                                             0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25, 0.5, 1, 2.5, 5});
    retries = &prometheus::BuildCounter()
                   .Name("csops_store_retries_total")
                   .Help("Transactions run again after a serialization failure or deadlock")
                   .Register(r)
                   .Add({{"db", db}});
    errors = &prometheus::BuildCounter()
                  .Name("csops_store_errors_total")
                  .Help(
                      "Failed statements by SQLSTATE class (08 connection, 23 constraint, "
                      "40 transaction rollback, ...; 'none' when the server sent none)")
                  .Register(r);
    // At zero from the start, so rates and alerts work before the first failure: lost
    // connections and rolled-back transactions (serialization failures, deadlocks).
    for (const char* cls : {"08", "40"}) by_class[cls] = &errors->Add({{"db", db}, {"class", cls}});
  }
  void Error(const std::string& sqlstate) {
    std::string cls = sqlstate.size() >= 2 ? sqlstate.substr(0, 2) : "none";
    std::lock_guard l(mu);
    auto& c = by_class[cls];
    if (!c) c = &errors->Add({{"db", db}, {"class", cls}});
    c->Increment();
  }
};

Database::Database(DatabaseOptions options) : options_(std::move(options)) {
  if (options_.schema.empty()) options_.schema = "csops_" + options_.name;
  if (options_.pool_size < 1) options_.pool_size = 1;
  if (options_.pool_size > 256) options_.pool_size = 256;
  if (options_.max_retries < 0) options_.max_retries = 0;
  if (options_.registry) metrics_ = std::make_unique<Metrics>(*options_.registry, options_.name);
}

Database::~Database() { Close(); }

Result<std::unique_ptr<Connection>> Database::Connect(bool create_schema) {
  return Connection::Open(options_.dsn, options_.name, options_.schema, create_schema);
}

Result<std::unique_ptr<Database>> Database::Open(DatabaseOptions options) {
  std::unique_ptr<Database> db(new Database(std::move(options)));
  const auto give_up = Clock::now() + std::chrono::milliseconds(db->options_.connect_timeout_ms);
  auto pause = std::chrono::milliseconds(100);
  std::unique_ptr<Connection> first;
  for (;;) {
    auto c = db->Connect(/*create_schema=*/true);
    if (c.ok()) {
      first = std::move(*c);
      break;
    }
    // Two processes creating the schema at once: one of them sees a unique violation.
    bool retry = c.status().code() == StatusCode::kUnavailable ||
                 c.status().code() == StatusCode::kAlreadyExists;
    if (!retry || Clock::now() + pause > give_up) return c.status();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
  if (Status s = db->Migrate(*first); !s.ok()) return s;
  db->idle_.push_back(std::move(first));
  for (int i = 1; i < db->options_.pool_size; ++i) db->idle_.push_back(nullptr);
  for (int i = 0; i < db->options_.pool_size; ++i)
    db->workers_.emplace_back([p = db.get()] { p->WorkerLoop(); });
  db->monitor_ = std::thread([p = db.get()] { p->MonitorLoop(); });
  return db;
}

Status Database::Migrate(Connection& c) {
  // The bookkeeping tables. Two processes running CREATE ... IF NOT EXISTS at the same moment can
  // both pass the check; the loser fails with a unique violation on the catalogue (23505) or
  // "already exists" (42P07 relation, 42710 type). The script is one implicit transaction, so the
  // loser rolls back whole and simply runs it again, when the tables are there.
  static const char kBootstrap[] = R"sql(
CREATE TABLE IF NOT EXISTS csops_schema(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  compatible_from INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS csops_schema_history(
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS csops_tx_locks(
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY(scope, key));
CREATE TABLE IF NOT EXISTS csops_leases(
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL);
INSERT INTO csops_schema(id, version) VALUES(1, 0) ON CONFLICT (id) DO NOTHING;
)sql";
  // A schema made before rolling upgrades lacks csops_schema.compatible_from. Added on its own,
  // only when missing: ALTER TABLE takes an exclusive lock even when there is nothing to do, and
  // taken after the INSERT above it deadlocks two processes starting together.
  static const char kHasCompatible[] =
      "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() "
      "AND table_name = 'csops_schema' AND column_name = 'compatible_from'";
  static const char kAddCompatible[] =
      "ALTER TABLE csops_schema ADD COLUMN IF NOT EXISTS compatible_from INTEGER NOT NULL "
      "DEFAULT 0";
  Status boot;
  for (int attempt = 0; attempt < 5; ++attempt) {
    boot = c.Exec(kBootstrap);
    const std::string& state = c.last_sqlstate();
    if (boot.ok() || (state != "23505" && state != "42P07" && state != "42710")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
  if (!boot.ok()) return boot;
  auto has = c.Query(kHasCompatible);
  if (!has.ok()) return has.status();
  if (has->Int(0, 0) == 0)
    if (Status s = c.Exec(kAddCompatible); !s.ok()) return s;

  const int known = options_.migrations.empty() ? 0 : options_.migrations.back().version;
  for (const auto& m : options_.migrations)
    if (m.compatible_from < 0 || m.compatible_from >= m.version)
      return Status::Internal("PostgreSQL database '" + options_.name + "': migration " +
                              std::to_string(m.version) + " declares compatible_from " +
                              std::to_string(m.compatible_from) + ", not below its version");
  auto body = [&]() -> Status {
    auto v = c.Query("SELECT version, compatible_from FROM csops_schema WHERE id = 1 FOR UPDATE");
    if (!v.ok()) return v.status();
    int current = static_cast<int>(v->Int(0, 0));
    const int compatible_from = static_cast<int>(v->Int(0, 1));
    if (current > known) {
      // A newer replica has migrated. This binary keeps running only if every step it does not
      // know was declared compatible with it; it applies nothing.
      if (compatible_from == 0 || compatible_from > known)
        return Status::FailedPrecondition(
            "PostgreSQL database '" + options_.name + "': schema " + options_.schema +
            " is at version " + std::to_string(current) + ", newer than this binary knows (" +
            std::to_string(known) + ")" +
            (compatible_from > 0
                 ? " and compatible only from version " + std::to_string(compatible_from)
                 : std::string()) +
            "; run a csopsd at least as new as the one that wrote it");
      CSOPS_LOG(kInfo, "postgres_schema_newer_compatible")
          .Kv("db", options_.name)
          .Kv("version", current)
          .Kv("known", known)
          .Kv("compatible_from", compatible_from);
      schema_version_ = current;
      return Status::Ok();
    }
    // What this binary declares for the version it finds (a schema written before the column
    // existed holds 0 there), updated by each step applied below.
    int current_compatible_from = compatible_from;
    for (const auto& m : options_.migrations)
      if (m.version == current) current_compatible_from = m.compatible_from;
    for (const auto& m : options_.migrations) {
      if (m.version <= current) continue;
      if (Status s = c.Exec(m.sql); !s.ok())
        return s.WithContext("migration " + std::to_string(m.version));
      if (m.then)
        if (Status s = m.then(c); !s.ok())
          return s.WithContext("migration " + std::to_string(m.version));
      auto h = c.Run("INSERT INTO csops_schema_history(version, description) VALUES($1, $2)",
                     {m.version, m.description});
      if (!h.ok()) return h.status();
      CSOPS_LOG(kInfo, "postgres_migrated").Kv("db", options_.name).Kv("version", m.version);
      current = m.version;
      current_compatible_from = m.compatible_from;
    }
    auto u = c.Run("UPDATE csops_schema SET version = $1, compatible_from = $2 WHERE id = 1",
                   {current, current_compatible_from});
    if (!u.ok()) return u.status();
    schema_version_ = current;
    return Status::Ok();
  };
  if (Status s = c.Exec("BEGIN"); !s.ok()) return s;
  Status s = body();
  if (!s.ok()) {
    c.Exec("ROLLBACK");
    return s;
  }
  s = c.Commit();
  c.TransactionEnded();
  return s;
}

void Database::Transact(TxFn fn, DoneFn done, std::string serial) {
  {
    std::lock_guard l(mu_);
    if (!closing_) {
      jobs_.push_back({std::move(fn), std::move(done), Clock::now(), false, std::move(serial)});
      if (metrics_) metrics_->waiting->Increment();
      work_cv_.notify_one();
      return;
    }
  }
  done(Status::Unavailable("PostgreSQL database '" + options_.name + "' is closed"));
}

Status Database::Write(TxFn fn) {
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  Status result;
  Transact(std::move(fn), [&](const Status& s) {
    std::lock_guard l(m);
    result = s;
    finished = true;
    cv.notify_one();
  });
  std::unique_lock l(m);
  cv.wait(l, [&] { return finished; });
  return result;
}

Status Database::Read(const ReadFn& fn) {
  return RunTransaction(fn, /*read_only=*/true, Clock::now());
}

std::deque<Database::Job>::iterator Database::NextRunnable() {
  for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
    if (it->serial.empty() || running_serials_.count(it->serial) == 0) return it;
  return jobs_.end();
}

void Database::WorkerLoop() {
  const std::size_t most = static_cast<std::size_t>(std::max(1, options_.max_batch));
  for (;;) {
    std::vector<Job> batch;
    std::set<std::string> serials;  // the keys this batch holds
    {
      std::unique_lock l(mu_);
      // Closing: the queue drains first (keys held by other workers free up as they finish).
      work_cv_.wait(l,
                    [&] { return (closing_ && jobs_.empty()) || NextRunnable() != jobs_.end(); });
      auto first = NextRunnable();
      if (first == jobs_.end()) return;
      batch.push_back(std::move(*first));
      jobs_.erase(first);
      if (!batch.front().serial.empty()) serials.insert(batch.front().serial);
      // Then, in queue order, every job that is not to run alone and whose key is this
      // batch's or nobody's.
      for (auto it = jobs_.begin();
           !batch.front().solo && batch.size() < most && it != jobs_.end();) {
        const bool mine = it->serial.empty() || serials.count(it->serial) > 0 ||
                          running_serials_.count(it->serial) == 0;
        if (it->solo || !mine) {
          ++it;
          continue;
        }
        if (!it->serial.empty()) serials.insert(it->serial);
        batch.push_back(std::move(*it));
        it = jobs_.erase(it);
      }
      running_serials_.insert(serials.begin(), serials.end());
    }
    if (metrics_) metrics_->waiting->Decrement(static_cast<double>(batch.size()));
    if (batch.size() == 1) {
      Finish(batch.front(),
             RunTransaction(batch.front().fn, /*read_only=*/false, batch.front().queued));
    } else {
      RunBatch(batch);
    }
    if (serials.empty()) continue;
    {
      std::lock_guard l(mu_);
      for (const std::string& k : serials) running_serials_.erase(k);
    }
    work_cv_.notify_all();  // jobs of these keys may start now
  }
}

void Database::Finish(Job& job, const Status& s) {
  {
    std::lock_guard l(mu_);
    (s.ok() ? stats_.committed : stats_.failed)++;
  }
  if (metrics_)
    metrics_->tx_seconds->Observe(std::chrono::duration<double>(Clock::now() - job.queued).count());
  job.done(s);
}

void Database::Requeue(std::vector<Job> jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard l(mu_);
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
      it->solo = true;
      jobs_.push_front(std::move(*it));
    }
  }
  if (metrics_) metrics_->waiting->Increment(static_cast<double>(jobs.size()));
  work_cv_.notify_all();
}

void Database::RunBatch(std::vector<Job>& batch) {
  const auto deadline =
      batch.front().queued + std::chrono::milliseconds(options_.acquire_timeout_ms);
  auto leased = Acquire(deadline);
  if (!leased.ok()) {
    for (auto& job : batch) Finish(job, leased.status());
    return;
  }
  Connection& c = **leased;
  c.set_shared_locks(true);
  std::vector<Status> own(batch.size());  // each job's outcome inside the transaction
  std::vector<bool> again(batch.size());  // to run once more, alone
  Status s = c.BeginJob(/*first=*/true);
  bool fresh = true;  // the savepoint is set and nothing ran under it yet
  for (std::size_t i = 0; i < batch.size() && s.ok(); ++i) {
    if (!fresh && !(s = c.BeginJob(/*first=*/false)).ok()) break;
    Status js = batch[i].fn(c);
    if (js.ok() && !c.first_failure().ok()) js = c.first_failure();
    if (!c.healthy()) {
      s = js.ok() ? c.first_failure() : js;
      if (s.ok()) s = Status::Unavailable("PostgreSQL database '" + options_.name + "': lost");
      break;
    }
    fresh = false;
    if (js.ok()) continue;
    const std::string sqlstate =
        c.first_sqlstate().empty() ? c.last_sqlstate() : c.first_sqlstate();
    if (!sqlstate.empty()) NoteFailure(sqlstate, false);
    again[i] = c.lock_busy() || ClassifySqlstate(sqlstate, true) == PgErrorKind::kRetry;
    own[i] = js;
    s = c.UndoJob();
    fresh = true;
  }
  if (s.ok()) s = c.Commit();
  const std::string sqlstate =
      s.ok() ? "" : (c.first_sqlstate().empty() ? c.last_sqlstate() : c.first_sqlstate());
  const bool lost = !c.healthy();
  if (!s.ok() && (!sqlstate.empty() || lost)) NoteFailure(sqlstate, lost);
  if (!s.ok() && !lost) c.Exec("ROLLBACK");
  c.TransactionEnded();
  c.set_shared_locks(false);
  Release(std::move(*leased));

  std::vector<Job> rerun;
  if (!s.ok() && !lost && ClassifySqlstate(sqlstate, true) == PgErrorKind::kRetry) {
    // Nothing committed and nothing is wrong with the jobs: each runs again alone.
    {
      std::lock_guard l(mu_);
      ++stats_.retries;
    }
    if (metrics_) metrics_->retries->Increment();
    Requeue(std::move(batch));
    return;
  }
  if (lost && s.code() != StatusCode::kUnavailable)
    s = PgError(PgErrorKind::kConnection, options_.name, "connection lost", s.message());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (s.ok() && again[i]) {
      rerun.push_back(std::move(batch[i]));
      continue;
    }
    // Committed: each job's own outcome. Not committed: a job that failed on its own keeps
    // its answer; the others get the transaction's.
    if (s.ok() && own[i].ok()) {
      std::lock_guard l(mu_);
      ++stats_.batched;
    }
    Finish(batch[i], s.ok() || !own[i].ok() ? own[i] : s);
  }
  Requeue(std::move(rerun));
}

Result<std::unique_ptr<Connection>> Database::Acquire(Clock::time_point deadline) {
  std::unique_ptr<Connection> c;
  {
    std::unique_lock l(pool_mu_);
    ++waiting_;
    bool got = pool_cv_.wait_until(l, deadline, [&] { return !idle_.empty(); });
    --waiting_;
    if (!got)
      return Status::Unavailable("PostgreSQL database '" + options_.name +
                                 "': no connection free within " +
                                 std::to_string(options_.acquire_timeout_ms) + " ms (pool of " +
                                 std::to_string(options_.pool_size) + ")");
    c = std::move(idle_.back());
    idle_.pop_back();
    ++in_use_;
  }
  if (metrics_) metrics_->in_use->Increment();
  if (c && c->healthy()) return c;
  auto fresh = Connect(/*create_schema=*/false);
  if (!fresh.ok()) {
    available_ = false;
    monitor_cv_.notify_all();
    if (metrics_) metrics_->Error("08");
    Release(nullptr);
    return fresh.status();
  }
  {
    std::lock_guard l(mu_);
    if (c) ++stats_.reconnects;
  }
  return std::move(*fresh);
}

void Database::Release(std::unique_ptr<Connection> c) {
  if (c && !c->healthy()) c.reset();
  {
    std::lock_guard l(pool_mu_);
    idle_.push_back(std::move(c));
    --in_use_;
  }
  if (metrics_) metrics_->in_use->Decrement();
  pool_cv_.notify_one();
}

void Database::NoteFailure(const std::string& sqlstate, bool lost) {
  if (metrics_) metrics_->Error(lost && sqlstate.empty() ? "08" : sqlstate);
  if (lost || ClassifySqlstate(sqlstate, true) == PgErrorKind::kConnection) {
    if (available_.exchange(false))
      CSOPS_LOG(kError, "postgres_unavailable").Kv("db", options_.name);
    monitor_cv_.notify_all();
  }
}

Status Database::RunTransaction(const TxFn& fn, bool read_only, Clock::time_point t0) {
  const auto deadline = t0 + std::chrono::milliseconds(options_.acquire_timeout_ms);
  thread_local std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    auto leased = Acquire(deadline);
    if (!leased.ok()) return leased.status();
    Connection& c = **leased;
    Status s = c.Exec(read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
    if (s.ok()) {
      s = fn(c);
      // A statement fn took for an answer still aborted the transaction.
      if (s.ok() && !c.first_failure().ok()) s = c.first_failure();
      if (s.ok()) s = c.Commit();
    }
    // What failed, read before a ROLLBACK clears it.
    const std::string sqlstate =
        s.ok() ? "" : (c.first_sqlstate().empty() ? c.last_sqlstate() : c.first_sqlstate());
    const bool lost = !c.healthy();
    const PgErrorKind kind = ClassifySqlstate(sqlstate, !lost);
    if (!sqlstate.empty() || lost) NoteFailure(sqlstate, lost);
    if (!s.ok() && !lost) c.Exec("ROLLBACK");
    c.TransactionEnded();
    Release(std::move(*leased));
    if (s.ok()) return s;
    if (lost && s.code() != StatusCode::kUnavailable)
      s = PgError(PgErrorKind::kConnection, options_.name, "connection lost", s.message());
    if (kind != PgErrorKind::kRetry || attempt >= options_.max_retries) return s;
    {
      std::lock_guard l(mu_);
      ++stats_.retries;
    }
    if (metrics_) metrics_->retries->Increment();
    std::this_thread::sleep_for(
        std::chrono::microseconds(200 + jitter() % (500u << std::min(attempt, 5))));
  }
}

void Database::MonitorLoop() {
  auto pause = std::chrono::milliseconds(100);
  std::unique_ptr<Connection> probe;
  std::unique_lock l(monitor_mu_);
  for (;;) {
    {
      std::lock_guard g(mu_);
      if (closing_) return;
    }
    // Healthy: a probe every second, so an idle csopsd notices the server going away;
    // unavailable: reconnect attempts with back-off.
    monitor_cv_.wait_for(l, available_ ? std::chrono::milliseconds(1000) : pause);
    {
      std::lock_guard g(mu_);
      if (closing_) return;
    }
    l.unlock();
    if (!probe || !probe->healthy()) {
      auto c = Connect(/*create_schema=*/false);
      probe = c.ok() ? std::move(*c) : nullptr;
    }
    const bool up = probe && probe->Exec("SELECT 1").ok();
    if (!up) probe.reset();
    l.lock();
    if (up) {
      pause = std::chrono::milliseconds(100);
      if (!available_.exchange(true))
        CSOPS_LOG(kInfo, "postgres_available").Kv("db", options_.name);
    } else {
      if (available_.exchange(false))
        CSOPS_LOG(kError, "postgres_unavailable").Kv("db", options_.name);
      pause = std::min(pause * 2, std::chrono::milliseconds(2000));
    }
  }
}

void Database::Close() {
  std::call_once(close_once_, [this] {
    {
      std::lock_guard l(mu_);
      closing_ = true;
    }
    work_cv_.notify_all();
    for (auto& w : workers_) w.join();
    { std::lock_guard l(monitor_mu_); }
    monitor_cv_.notify_all();
    if (monitor_.joinable()) monitor_.join();
    std::lock_guard l(pool_mu_);
    idle_.clear();
  });
}

Database::Stats Database::stats() const {
  std::lock_guard l(mu_);
  return stats_;
}

}  // namespace csops::postgres
