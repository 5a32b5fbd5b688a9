#include "tools/migrate/verify.h"

#include <memory>

#include "common/postgres/connection.h"
#include "common/sqlite/connection.h"
#include "tools/migrate/table_plan.h"
#include "tools/migrate/value_text.h"

namespace csops::migrate {
namespace {

// The SQLite side: each value as the copy sends it (CopyText), then normalised. What this
// checks is what happened to the values on their way and inside PostgreSQL.
Status SumSqlite(sqlite::Connection& lite, const std::string& service, const TablePlan& t,
                 TableCheck& check) {
  auto st = lite.Prepare("SELECT " + ColumnList(t) + " FROM " + QuoteIdent(t.name));
  if (!st.ok()) return st.status().WithContext(service + ".db " + t.name);
  for (;;) {
    auto more = st->Step();
    if (!more.ok()) return more.status().WithContext(service + ".db " + t.name);
    if (!*more) break;
    RowHash h;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const ColumnPlan& c = t.columns[i];
      auto v = CopyText(*st, static_cast<int>(i), c.kind, c.pg_type);
      if (!v.ok())
        return v.status().WithContext(service + ".db " + t.name + "." + c.name + ", row " +
                                      std::to_string(check.sqlite_rows + 1));
      h.Add(Normalise(c.kind, std::move(*v)));
    }
    check.sqlite_sum += h.value();
    ++check.sqlite_rows;
  }
  return Status::Ok();
}

Status SumPostgres(postgres::Connection& pg, const std::string& schema, const TablePlan& t,
                   int cursor, int chunk_rows, TableCheck& check) {
  const std::string name = "csops_verify_" + std::to_string(cursor);
  const std::string where = schema + "." + t.name;
  CSOPS_RETURN_IF_ERROR(pg.Exec("DECLARE " + name + " NO SCROLL CURSOR FOR SELECT " +
                                ColumnList(t) + " FROM " + QuoteIdent(schema) + "." +
                                QuoteIdent(t.name))
                            .WithContext(where));
  const std::string fetch = "FETCH FORWARD " + std::to_string(chunk_rows) + " FROM " + name;
  for (;;) {
    auto rows = pg.Query(fetch);
    if (!rows.ok()) return rows.status().WithContext(where);
    if (rows->empty()) break;
    for (int r = 0; r < rows->size(); ++r) {
      RowHash h;
      for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const int col = static_cast<int>(i);
        std::optional<std::string> v;
        if (!rows->IsNull(r, col)) v = rows->Text(r, col);
        h.Add(Normalise(t.columns[i].kind, std::move(v)));
      }
      check.pg_sum += h.value();
      ++check.pg_rows;
    }
  }
  return pg.Exec("CLOSE " + name).WithContext(where);
}

}  // namespace

Result<std::vector<TableCheck>> VerifyService(const std::string& service,
                                              const std::string& db_path, const std::string& dsn,
                                              int chunk_rows) {
  const std::string schema = "csops_" + service;
  auto lite = sqlite::Connection::Open(db_path, /*read_only=*/true, /*busy_timeout_ms=*/5000);
  if (!lite.ok()) return lite.status().WithContext(db_path);
  auto pg = postgres::Connection::Open(dsn, service, schema, /*create_schema=*/false);
  if (!pg.ok()) return pg.status();
  CSOPS_RETURN_IF_ERROR((*lite)->Exec("BEGIN"));
  CSOPS_RETURN_IF_ERROR(
      (*pg)->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                  "SET LOCAL extra_float_digits = 3; SET LOCAL bytea_output = 'hex'"));
  auto plans = PlanTables(**pg, schema, **lite, service);
  if (!plans.ok()) return plans.status();
  std::vector<TableCheck> checks;
  int cursor = 0;
  for (const TablePlan& t : *plans) {
    TableCheck check;
    check.service = service;
    check.table = t.name;
    check.compared = t.from_sqlite && !t.columns.empty();
    if (check.compared) {
      CSOPS_RETURN_IF_ERROR(SumSqlite(**lite, service, t, check));
      CSOPS_RETURN_IF_ERROR(SumPostgres(**pg, schema, t, ++cursor, chunk_rows, check));
    }
    checks.push_back(std::move(check));
  }
  (*pg)->Exec("COMMIT");
  (*lite)->Exec("COMMIT");
  return checks;
}

}  // namespace csops::migrate
