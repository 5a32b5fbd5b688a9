#include "common/postgres/connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace csops::postgres {

Value::Value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  text_ = buf;
}

Rows::Rows(pg_result* r) : r_(r) {}
Rows& Rows::operator=(Rows&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}
Rows::~Rows() {
  if (r_) PQclear(r_);
}
int Rows::size() const { return r_ ? PQntuples(r_) : 0; }
int Rows::affected() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_);
  return n && *n ? std::atoi(n) : 0;
}
bool Rows::IsNull(int row, int col) const { return PQgetisnull(r_, row, col) == 1; }
std::int64_t Rows::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  const char* s = PQgetvalue(r_, row, col);
  std::int64_t v = 0;
  std::from_chars(s, s + PQgetlength(r_, row, col), v);
  return v;
}
double Rows::Real(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtod(PQgetvalue(r_, row, col), nullptr);
}
std::string Rows::Text(int row, int col) const {
  if (IsNull(row, col)) return "";
  return std::string(PQgetvalue(r_, row, col), PQgetlength(r_, row, col));
}
std::optional<std::int64_t> Rows::OptInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}

PgErrorKind ClassifySqlstate(std::string_view s, bool connection_ok) {
  // No SQLSTATE: the server sent no error at all, i.e. the connection failed.
  if (!connection_ok || s.empty()) return PgErrorKind::kConnection;
  if (s == "40001" || s == "40P01") return PgErrorKind::kRetry;
  if (s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03")
    return PgErrorKind::kConnection;
  if (s == "23505") return PgErrorKind::kUnique;
  if (s.substr(0, 2) == "23") return PgErrorKind::kConstraint;
  return PgErrorKind::kOther;
}

Status PgError(PgErrorKind kind, std::string_view name, std::string_view what,
               std::string_view detail) {
  std::string m = "PostgreSQL database '" + std::string(name) + "': " + std::string(what);
  if (!detail.empty()) m += ": " + std::string(detail);
  switch (kind) {
    case PgErrorKind::kNone:
      return Status::Ok();
    case PgErrorKind::kRetry:
      return Status::Aborted(m);
    case PgErrorKind::kConnection:
      return Status::Unavailable(m);
    case PgErrorKind::kUnique:
      return Status::AlreadyExists(m);
    case PgErrorKind::kConstraint:
      return Status::FailedPrecondition(m);
    case PgErrorKind::kOther:
      break;
  }
  return Status::Internal(m);
}

namespace {

// libpq's messages end with a newline; a one-line message reads better in logs and replies.
std::string OneLine(const char* s) {
  std::string m = s ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  for (char& c : m)
    if (c == '\n') c = ' ';
  return m;
}

std::string QuoteIdent(std::string_view id) {
  std::string q = "\"";
  for (char c : id) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& dsn,
                                                     const std::string& name,
                                                     const std::string& schema,
                                                     bool create_schema) {
  pg_conn* c = PQconnectdb(dsn.c_str());
  if (!c) return Status::Unavailable("PostgreSQL database '" + name + "': out of memory");
  std::unique_ptr<Connection> conn(new Connection(c, name));
  if (PQstatus(c) != CONNECTION_OK)
    return PgError(PgErrorKind::kConnection, name, "cannot connect", OneLine(PQerrorMessage(c)));
  std::string setup =
      "SET synchronous_commit = on; SET client_encoding = 'UTF8'; "
      "SET client_min_messages = warning; ";
  if (create_schema) setup += "CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema) + "; ";
  setup += "SET search_path = " + QuoteIdent(schema);
  if (Status s = conn->Exec(setup); !s.ok()) return s;
  return conn;
}

Connection::~Connection() {
  if (c_) PQfinish(c_);
}

bool Connection::healthy() const { return !broken_ && PQstatus(c_) == CONNECTION_OK; }

PgErrorKind Connection::last_error_kind() const {
  if (last_sqlstate_.empty() && healthy()) return PgErrorKind::kNone;
  return ClassifySqlstate(last_sqlstate_, healthy());
}

Status Connection::Fail(std::string_view what, std::string_view detail, std::string sqlstate) {
  last_sqlstate_ = std::move(sqlstate);
  if (last_sqlstate_.empty()) broken_ = true;  // never reused: the pool replaces it
  PgErrorKind kind = ClassifySqlstate(last_sqlstate_, healthy());
  Status s = PgError(kind, name_, what, detail);
  if (first_failure_.ok()) {
    first_failure_ = s;
    first_sqlstate_ = last_sqlstate_;
  }
  return s;
}

Result<Rows> Connection::Check(pg_result* r, std::string_view what) {
  Rows rows(r);
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return rows;
  }
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string detail = OneLine(r ? PQresultErrorMessage(r) : PQerrorMessage(c_));
  if (detail.empty()) detail = OneLine(PQerrorMessage(c_));
  return Fail(what, detail, code ? code : "");
}

Status Connection::Exec(std::string_view sql) {
  auto r = Check(PQexec(c_, std::string(sql).c_str()), "statement failed");
  return r.ok() ? Status::Ok() : r.status();
}

Result<Rows> Connection::Query(const std::string& sql, const Params& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string stmt = "s" + std::to_string(prepared_.size() + 1);
    auto r = Check(PQprepare(c_, stmt.c_str(), sql.c_str(), 0, nullptr), "prepare failed");
    if (!r.ok()) return r.status();
    it = prepared_.emplace(sql, stmt).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.text() ? p.text()->c_str() : nullptr);
  return Check(PQexecPrepared(c_, it->second.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0),
               "query failed");
}

Result<int> Connection::Run(const std::string& sql, const Params& params) {
  auto r = Query(sql, params);
  if (!r.ok()) return r.status();
  return r->affected();
}

namespace {

// COPY's text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
void AppendCopyField(std::string& line, const std::optional<std::string>& v) {
  if (!v) {
    line += "\\N";
    return;
  }
  for (char c : *v) {
    switch (c) {
      case '\\':
        line += "\\\\";
        break;
      case '\t':
        line += "\\t";
        break;
      case '\n':
        line += "\\n";
        break;
      case '\r':
        line += "\\r";
        break;
      default:
        line += c;
    }
  }
}

}  // namespace

Result<std::int64_t> Connection::Copy(
    const std::string& table, const std::string& columns,
    const std::vector<std::vector<std::optional<std::string>>>& rows) {
  pg_result* start = PQexec(c_, ("COPY " + table + "(" + columns + ") FROM STDIN").c_str());
  if (!start || PQresultStatus(start) != PGRES_COPY_IN) {
    auto failed = Check(start, "COPY failed");
    return failed.ok() ? Status::Internal("COPY did not start") : failed.status();
  }
  PQclear(start);
  std::string chunk;
  auto flush = [&]() -> Status {
    if (!chunk.empty() && PQputCopyData(c_, chunk.data(), static_cast<int>(chunk.size())) != 1)
      return Fail("COPY failed", OneLine(PQerrorMessage(c_)), "");
    chunk.clear();
    return Status::Ok();
  };
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) chunk += '\t';
      AppendCopyField(chunk, row[i]);
    }
    chunk += '\n';
    if (chunk.size() > (1 << 20))
      if (Status s = flush(); !s.ok()) return s;
  }
  if (Status s = flush(); !s.ok()) return s;
  if (PQputCopyEnd(c_, nullptr) != 1) return Fail("COPY failed", OneLine(PQerrorMessage(c_)), "");
  Status result;
  while (pg_result* r = PQgetResult(c_)) {
    auto checked = Check(r, "COPY failed");
    if (!checked.ok() && result.ok()) result = checked.status();
  }
  if (!result.ok()) return result;
  return static_cast<std::int64_t>(rows.size());
}

Status Connection::LockKey(std::string_view scope, std::string_view key) {
  std::string id = std::string(scope) + '\x1f' + std::string(key);
  for (const auto& h : held_locks_)
    if (h == id) return Status::Ok();
  // Locks of earlier jobs held: waiting now could deadlock another shared transaction.
  if (shared_locks_ && job_locks_ > 0) return LockIfFree(scope, key, std::move(id));
  auto r = Run(
      "INSERT INTO csops_tx_locks(scope, key) VALUES($1, $2) ON CONFLICT (scope, key) DO UPDATE "
      "SET key = EXCLUDED.key",
      {scope, key});
  if (!r.ok()) return r.status();
  held_locks_.push_back(std::move(id));
  return Status::Ok();
}

Status Connection::LockIfFree(std::string_view scope, std::string_view key, std::string id) {
  // One round trip: the lock if it is free, and whether the row exists at all (a plain
  // read, which never waits: another transaction's update leaves the old version visible).
  auto r = Query(
      "WITH l AS (SELECT 1 FROM csops_tx_locks WHERE scope = $1 AND key = $2 FOR UPDATE SKIP "
      "LOCKED) SELECT (SELECT COUNT(*) FROM l), (SELECT COUNT(*) FROM csops_tx_locks WHERE "
      "scope = $1 AND key = $2)",
      {scope, key});
  if (!r.ok()) return r.status();
  bool got = r->Int(0, 0) > 0;
  if (!got && r->Int(0, 1) == 0) {
    // A new key: the inserted row is ours until COMMIT.
    auto inserted = Query(
        "INSERT INTO csops_tx_locks(scope, key) VALUES($1, $2) ON CONFLICT (scope, key) DO "
        "NOTHING RETURNING 1",
        {scope, key});
    if (!inserted.ok()) return inserted.status();
    got = !inserted->empty();
  }
  if (!got) {
    lock_busy_ = true;
    return Status::Aborted("PostgreSQL database '" + name_ + "': lock " + std::string(scope) +
                           " busy in a shared transaction");
  }
  held_locks_.push_back(std::move(id));
  return Status::Ok();
}

Status Connection::BeginJob(bool first) {
  CSOPS_RETURN_IF_ERROR(Exec(first ? "BEGIN; SAVEPOINT csops_job"
                                   : "RELEASE SAVEPOINT csops_job; SAVEPOINT csops_job"));
  job_locks_ = held_locks_.size();
  return Status::Ok();
}

Status Connection::UndoJob() {
  Status s = Exec("ROLLBACK TO SAVEPOINT csops_job");
  held_locks_.resize(job_locks_);
  lock_busy_ = false;
  if (s.ok()) {
    first_failure_ = Status();
    first_sqlstate_.clear();
  }
  return s;
}

Status Connection::Commit() {
  auto r = Check(PQexec(c_, "COMMIT"), "COMMIT failed");
  if (!r.ok()) return r.status();
  const char* tag = PQcmdStatus(r->raw());
  if (tag && std::string_view(tag) == "ROLLBACK") {
    Status s = first_failure_.ok()
                   ? Status::Aborted("PostgreSQL database '" + name_ +
                                     "': the transaction was aborted and rolled back")
                   : first_failure_;
    return s;
  }
  return Status::Ok();
}

}  // namespace csops::postgres
