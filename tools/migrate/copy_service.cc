// Step 3 of sqlite_to_postgres.h: one service's tables in one PostgreSQL transaction.
#include <algorithm>
#include <chrono>
#include <memory>

#include "common/postgres/connection.h"
#include "common/sqlite/connection.h"
#include "tools/migrate/sqlite_to_postgres.h"
#include "tools/migrate/table_plan.h"
#include "tools/migrate/value_text.h"

namespace csops::migrate {
namespace {

using Clock = std::chrono::steady_clock;
using CopyRows = std::vector<std::vector<std::optional<std::string>>>;

Result<std::int64_t> SqliteRows(sqlite::Connection& lite, const std::string& table) {
  auto st = lite.Prepare("SELECT count(*) FROM " + QuoteIdent(table));
  if (!st.ok()) return st.status();
  auto more = st->Step();
  if (!more.ok()) return more.status();
  return st->ColumnInt(0);
}

// Streams one table: chunk_rows rows at a time from SQLite into one COPY each.
Result<std::int64_t> CopyTable(sqlite::Connection& lite, postgres::Connection& pg,
                               const std::string& service, const std::string& schema,
                               const TablePlan& t, int chunk_rows, const ProgressFn& progress) {
  const std::string label = service + "." + t.name;
  auto total = SqliteRows(lite, t.name);
  if (!total.ok()) return total.status().WithContext(service + ".db " + t.name);
  const std::string of = " / " + std::to_string(*total) + " rows";
  const std::string target = QuoteIdent(schema) + "." + QuoteIdent(t.name);
  const std::string columns = ColumnList(t);
  auto st = lite.Prepare("SELECT " + columns + " FROM " + QuoteIdent(t.name));
  if (!st.ok()) return st.status().WithContext(service + ".db " + t.name);
  CopyRows rows;
  rows.reserve(static_cast<std::size_t>(chunk_rows));
  std::int64_t read = 0, copied = 0;
  auto flush = [&]() -> Status {
    auto n = pg.Copy(target, columns, rows);
    if (!n.ok()) return n.status().WithContext("copying " + label);
    copied += *n;
    rows.clear();
    progress(label + ": " + std::to_string(copied) + of);
    return Status::Ok();
  };
  for (;;) {
    auto more = st->Step();
    if (!more.ok()) return more.status().WithContext(service + ".db " + t.name);
    if (!*more) break;
    ++read;
    std::vector<std::optional<std::string>> row;
    row.reserve(t.columns.size());
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const ColumnPlan& c = t.columns[i];
      auto v = CopyText(*st, static_cast<int>(i), c.kind, c.pg_type);
      if (!v.ok())
        return v.status().WithContext(service + ".db " + t.name + "." + c.name + ", row " +
                                      std::to_string(read));
      row.push_back(std::move(*v));
    }
    rows.push_back(std::move(row));
    if (rows.size() >= static_cast<std::size_t>(chunk_rows)) CSOPS_RETURN_IF_ERROR(flush());
  }
  if (!rows.empty() || copied == 0) CSOPS_RETURN_IF_ERROR(flush());
  return copied;
}

// Moves each copied identity/serial column's sequence to the largest copied value, so the next
// row PostgreSQL numbers gets a fresh id. An empty table leaves its sequence as it is.
Status MoveSequences(postgres::Connection& pg, const std::string& schema, const TablePlan& t) {
  const std::string target = QuoteIdent(schema) + "." + QuoteIdent(t.name);
  for (const ColumnPlan& c : t.columns) {
    if (!c.has_sequence) continue;
    const std::string col = QuoteIdent(c.name);
    auto r = pg.Query("SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(MAX(" + col +
                          "), 1)) FROM " + target + " HAVING MAX(" + col + ") IS NOT NULL",
                      {target, c.name});
    if (!r.ok())
      return r.status().WithContext("moving the sequence of " + schema + "." + t.name + "." +
                                    c.name);
  }
  return Status::Ok();
}

Result<std::vector<CopiedTable>> CopyInTransaction(sqlite::Connection& lite,
                                                   postgres::Connection& pg,
                                                   const ServiceSchema& service,
                                                   const RowCounts& fresh, int chunk_rows,
                                                   const ProgressFn& progress) {
  const std::string schema = "csops_" + service.name;
  auto plans = PlanTables(pg, schema, lite, service.name);
  if (!plans.ok()) return plans.status();
  // Nobody else writes these tables until COMMIT; then check them free once more under the lock.
  std::string tables;
  for (const auto& t : *plans)
    tables += (tables.empty() ? "" : ", ") + QuoteIdent(schema) + "." + QuoteIdent(t.name);
  CSOPS_RETURN_IF_ERROR(pg.Exec("LOCK TABLE " + tables + " IN ACCESS EXCLUSIVE MODE"));
  CSOPS_RETURN_IF_ERROR(CheckFree(pg, schema, fresh));
  // The rows the migrations wrote themselves (e.g. the case store's look-up secret verifier) go:
  // the SQLite file holds the same table's rows, written by the same migrations from the same
  // inputs. Children first, for the foreign keys. Tables the file lacks keep theirs.
  for (auto t = plans->rbegin(); t != plans->rend(); ++t) {
    if (!t->from_sqlite || !fresh.count(t->name)) continue;
    auto n = pg.Run("DELETE FROM " + QuoteIdent(schema) + "." + QuoteIdent(t->name));
    if (!n.ok()) return n.status().WithContext("clearing " + schema + "." + t->name);
    progress(service.name + "." + t->name + ": replacing the " + std::to_string(*n) +
             " row(s) its migrations wrote with " + service.name + ".db's");
  }
  std::vector<CopiedTable> copied;
  for (const TablePlan& t : *plans) {
    if (!t.from_sqlite) {
      progress(service.name + "." + t.name + ": not in " + service.name + ".db, left as is");
      continue;
    }
    auto n = CopyTable(lite, pg, service.name, schema, t, chunk_rows, progress);
    if (!n.ok()) return n.status();
    CSOPS_RETURN_IF_ERROR(MoveSequences(pg, schema, t));
    copied.push_back({service.name, t.name, *n});
  }
  return copied;
}

}  // namespace

Result<std::vector<CopiedTable>> CopyService(const ServiceSchema& service,
                                             const std::string& db_path, const std::string& dsn,
                                             const RowCounts& fresh, int chunk_rows,
                                             const ProgressFn& progress) {
  const auto t0 = Clock::now();
  auto lite = sqlite::Connection::Open(db_path, /*read_only=*/true, /*busy_timeout_ms=*/5000);
  if (!lite.ok()) return lite.status().WithContext(db_path);
  // One read transaction: every table from the same snapshot.
  CSOPS_RETURN_IF_ERROR((*lite)->Exec("BEGIN").WithContext(db_path));
  auto pg = postgres::Connection::Open(dsn, service.name, "csops_" + service.name,
                                       /*create_schema=*/false);
  if (!pg.ok()) return pg.status();
  CSOPS_RETURN_IF_ERROR((*pg)->Exec("BEGIN ISOLATION LEVEL READ COMMITTED"));
  auto copied = CopyInTransaction(**lite, **pg, service, fresh, std::max(chunk_rows, 1), progress);
  if (!copied.ok()) {
    (void)(*pg)->Exec("ROLLBACK");
    return copied.status().WithContext(service.name + ": rolled back");
  }
  // Commit() and not Exec("COMMIT"): an aborted transaction answers COMMIT with ROLLBACK.
  CSOPS_RETURN_IF_ERROR((*pg)->Commit().WithContext(service.name + ": COMMIT"));
  (void)(*lite)->Exec("COMMIT");
  std::int64_t rows = 0;
  for (const auto& t : *copied) rows += t.rows;
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  char line[200];
  std::snprintf(line, sizeof line, "%s: %zu tables, %lld rows copied in %.1f s (%.0f rows/s)",
                service.name.c_str(), copied->size(), static_cast<long long>(rows), s,
                s > 0 ? static_cast<double>(rows) / s : 0.0);
  progress(line);
  return copied;
}

}  // namespace csops::migrate
