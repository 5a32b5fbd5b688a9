// A thin RAII layer over one libpq connection: the only place csops touches libpq's C API.
//
// Stores receive a Connection& inside Database::Transact / Database::Read and run SQL with
// Query/Exec. Parameters travel as text ($1, $2, ...; a Value is an int, a double, a string or
// NULL) and results come back as text, parsed by Rows' typed getters, so the SQL stays within
// what PostgreSQL-compatible engines also accept. Every statement with parameters is prepared
// once per connection and reused.
//
// Errors: every failure is a Status whose message carries the server's own text, never the
// connection string. The SQLSTATE of the last failure is kept (last_sqlstate) so the database
// can tell a serialization failure (retry), a broken connection (reconnect) and a constraint
// violation (the caller's answer) apart: see PgError below.
// Thread safety: a Connection is used by one thread at a time (Database guarantees this).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

struct pg_conn;
struct pg_result;

namespace csops::postgres {

// One parameter, as the text PostgreSQL parses; nullopt is SQL NULL.
class Value {
 public:
  Value(std::int64_t v) : text_(std::to_string(v)) {}   // NOLINT: implicit by design
  Value(int v) : text_(std::to_string(v)) {}            // NOLINT
  Value(double v);                                      // NOLINT: round-trips exactly
  Value(std::string_view v) : text_(std::string(v)) {}  // NOLINT
  Value(const std::string& v) : text_(v) {}             // NOLINT
  Value(const char* v) : text_(std::string(v)) {}       // NOLINT
  Value(std::nullopt_t) {}                              // NOLINT
  Value(const std::optional<std::int64_t>& v) {         // NOLINT
    if (v) text_ = std::to_string(*v);
  }
  Value(bool v) = delete;  // say 0 or 1: the schema stores flags as integers

  const std::optional<std::string>& text() const { return text_; }

 private:
  std::optional<std::string> text_;
};

using Params = std::vector<Value>;

// The rows (or the row count) of one statement. Rows and columns are 0-based.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* r);
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&& o) noexcept;
  ~Rows();
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  pg_result* raw() const { return r_; }
  int size() const;
  bool empty() const { return size() == 0; }
  // Rows changed by an INSERT/UPDATE/DELETE.
  int affected() const;
  bool IsNull(int row, int col) const;
  std::int64_t Int(int row, int col) const;  // 0 for NULL
  double Real(int row, int col) const;       // 0 for NULL
  std::string Text(int row, int col) const;  // "" for NULL
  std::optional<std::int64_t> OptInt(int row, int col) const;

 private:
  pg_result* r_ = nullptr;
};

// What a failure means to the caller of a transaction, from its SQLSTATE.
enum class PgErrorKind {
  kNone,
  kRetry,       // 40001 serialization failure, 40P01 deadlock: run the transaction again
  kConnection,  // class 08, 57P01-57P03, or no SQLSTATE at all (no answer): reconnect
  kUnique,      // 23505
  kConstraint,  // other class 23 violations
  kOther,
};
PgErrorKind ClassifySqlstate(std::string_view sqlstate, bool connection_ok);

class Connection {
 public:
  // Connects with a libpq connection string or URI (PGPASSFILE, sslmode and the other libpq
  // settings apply), sets synchronous_commit=on and search_path to `schema` (created if
  // missing when `create_schema`). `name` labels error messages, e.g. "queue".
  static Result<std::unique_ptr<Connection>> Open(const std::string& dsn, const std::string& name,
                                                  const std::string& schema, bool create_schema);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters (DDL, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  // Runs one statement with parameters, prepared on first use on this connection.
  Result<Rows> Query(const std::string& sql, const Params& params = {});
  // Query for statements whose rows are not needed; returns the number of rows changed.
  Result<int> Run(const std::string& sql, const Params& params = {});
  // Loads rows into `table(columns)` with COPY FROM STDIN: each row is a vector of values in
  // column order (nullopt is NULL). Returns the number of rows copied.
  Result<std::int64_t> Copy(const std::string& table, const std::string& columns,
                            const std::vector<std::vector<std::optional<std::string>>>& rows);

  // Holds a row lock on (scope, key) in csops_tx_locks until the transaction ends: the way a
  // store serialises the transactions of one branch or one case across connections and
  // processes (a row lock, not an advisory lock, so CockroachDB and YugabyteDB run it too).
  // One round trip (an upsert, which locks the row it inserts or updates); locking the same
  // (scope, key) again in one transaction costs nothing.
  //
  // In a shared transaction (Database's group commit, set_shared_locks(true)) a job must not
  // wait for a lock while the transaction holds an earlier job's: two such batches could
  // each hold what the other waits for. There LockKey takes a lock only if it is free (SKIP
  // LOCKED); if another transaction holds it, it fails with kAborted and lock_busy() turns
  // true, and Database runs that job again in a transaction of its own. The first job of a
  // batch waits as a transaction of its own would. (A key no transaction has committed yet,
  // inserted by another one still open, is waited for: a deadlock there, which needs a batch
  // head waiting for this batch, is broken by the server's detector and the job retried.)
  Status LockKey(std::string_view scope, std::string_view key);
  void set_shared_locks(bool on) { shared_locks_ = on; }
  bool lock_busy() const { return lock_busy_; }

  // Group commit: several jobs in one transaction, each inside the savepoint csops_job.
  // BeginJob(true) runs BEGIN and sets the savepoint; BeginJob(false) releases the previous
  // job's savepoint and sets a new one (one round trip each). UndoJob rolls back to the
  // savepoint (which stays set) and forgets the locks, the failure and lock_busy() since.
  Status BeginJob(bool first);
  Status UndoJob();
  // Forgets the locks LockKey holds and the transaction's first failure: called by Database
  // when a transaction ends.
  void TransactionEnded() {
    held_locks_.clear();
    job_locks_ = 0;
    lock_busy_ = false;
    first_failure_ = Status();
    first_sqlstate_.clear();
  }
  // The first statement that failed since the transaction began (OK if none). PostgreSQL
  // aborts the whole transaction at that statement, so Database reports it even when the
  // store's code took the failure for an answer and returned OK.
  const Status& first_failure() const { return first_failure_; }
  // Its SQLSTATE ("" if none): what decides a retry (later statements only say 25P02).
  const std::string& first_sqlstate() const { return first_sqlstate_; }
  // COMMIT, checked: on an aborted transaction the server answers COMMIT with the tag
  // ROLLBACK, which is no error to libpq and is one here (kAborted).
  Status Commit();

  // SQLSTATE of the last failure on this connection ("" after a success).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  PgErrorKind last_error_kind() const;
  bool healthy() const;
  const std::string& name() const { return name_; }

 private:
  Connection(pg_conn* c, std::string name) : c_(c), name_(std::move(name)) {}
  Result<Rows> Check(pg_result* r, std::string_view what);
  Status Fail(std::string_view what, std::string_view detail, std::string sqlstate);
  Status LockIfFree(std::string_view scope, std::string_view key, std::string id);

  pg_conn* c_;
  std::string name_;
  std::map<std::string, std::string> prepared_;  // sql -> statement name
  std::vector<std::string> held_locks_;
  std::size_t job_locks_ = 0;  // held_locks_.size() when the current savepoint was set
  bool shared_locks_ = false;
  bool lock_busy_ = false;
  std::string last_sqlstate_;
  Status first_failure_;
  std::string first_sqlstate_;
  bool broken_ = false;  // a failure without a server answer: the socket is gone
};

// The Status of a failed statement: unique violations become kAlreadyExists, other constraint
// violations kFailedPrecondition, connection loss kUnavailable (naming the database, never
// the password), serialization failures kAborted, everything else kInternal.
Status PgError(PgErrorKind kind, std::string_view name, std::string_view what,
               std::string_view detail);

}  // namespace csops::postgres
