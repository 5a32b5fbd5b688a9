// A thin RAII layer over one sqlite3 connection: the only place csops touches the C API.
//
// Stores receive a Connection& inside Database::Write / Database::Read and use Prepare/Step to
// run SQL. Every failure comes back as a Status whose message carries SQLite's own text.
// Thread safety: a Connection is used by one thread at a time (Database guarantees this).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace csops::sqlite {

class Statement;

class Connection {
 public:
  // Opens (creating if `create`) the file at `path`. read_only connections cannot write.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only,
                                                  int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  // Compiles one statement. The Statement must not outlive this connection.
  Result<Statement> Prepare(std::string_view sql);
  // Like Prepare, but compiles `sql` once per connection and reuses it: the returned Statement
  // resets itself (and clears its bindings) when destroyed instead of finalizing. For the hot
  // statements of a store. REQUIRES: at most one live Statement per distinct `sql` at a time.
  Result<Statement> PrepareCached(const std::string& sql);
  // Row id of the last successful INSERT on this connection.
  std::int64_t LastInsertRowId() const;
  // Rows changed by the last statement.
  int Changes() const;
  // True when no transaction is open (SQLite's autocommit mode).
  bool InAutocommit() const;
  // Value of a PRAGMA that returns one integer, e.g. "user_version".
  Result<std::int64_t> PragmaInt(std::string_view name);

  sqlite3* raw() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

// The storage class of one value of a row (SQLite keeps a class per value, not per column).
enum class ValueType { kNull, kInteger, kReal, kText, kBlob };

// One compiled statement. Bind parameters are 1-based, columns 0-based.
class Statement {
 public:
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), cached_(other.cached_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindNull(int index);

  // Advances to the next row: true if a row is available, false when done, or an error.
  Result<bool> Step();
  // Runs to completion, ignoring rows. For INSERT/UPDATE/DELETE.
  Status Run();
  // Resets so the statement can run again with new bindings.
  void Reset();

  std::int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;
  // The storage class of the current row's value; ColumnText returns a BLOB's bytes as they are.
  ValueType ColumnType(int col) const;

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool cached = false)
      : db_(db), stmt_(stmt), cached_(cached) {}
  Status BindError(int rc, int index);
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool cached_;
  Status bind_status_;
};

// Maps a SQLite result code and the connection's message to a Status: constraint violations
// become kAlreadyExists/kFailedPrecondition, busy/locked/IO/full become kUnavailable,
// everything else kInternal.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace csops::sqlite
