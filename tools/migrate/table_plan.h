// Which tables and columns of one service are copied, read from the two databases themselves:
// nothing here knows a table of queue, case or notify.
//
// The tables are those of the PostgreSQL schema (information_schema.tables), besides the
// bookkeeping tables csops_* that common/postgres/database.h keeps; the columns of each are
// the PostgreSQL table's (information_schema.columns), in its order. The SQLite file must
// match, or PlanTables fails naming the table and column:
//   * every table of the SQLite file has a table of the same name in the schema (SQLite's own
//     sqlite_* tables aside);
//   * every column of a SQLite table is a column of the PostgreSQL table;
//   * every PostgreSQL column the SQLite table lacks has a default (or is an identity or a
//     generated column): PostgreSQL fills it.
// A table of the schema that the SQLite file lacks is kept (from_sqlite false): nothing is
// copied into it. Generated columns are never copied (PostgreSQL computes them) nor compared.
// The plans come parents first: a table referenced by another's foreign key comes before it,
// so COPY never meets a row whose parent is not there yet.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/postgres/connection.h"
#include "common/sqlite/connection.h"
#include "tools/migrate/value_text.h"

namespace csops::migrate {

struct ColumnPlan {
  std::string name;
  std::string pg_type;  // information_schema data_type, e.g. "bigint"
  ColumnKind kind = ColumnKind::kText;
  bool has_sequence = false;  // an identity or serial column: moved past the copied maximum
};

struct TablePlan {
  std::string name;
  bool from_sqlite = true;          // false: the SQLite file has no such table
  std::vector<ColumnPlan> columns;  // copied and compared, in the PostgreSQL table's order
  std::vector<std::string> filled;  // PostgreSQL columns left to their defaults
};

// "a", "b" quoted for SQL (both databases quote identifiers with double quotes).
std::string QuoteIdent(const std::string& name);
std::string ColumnList(const TablePlan& table);

// The plans of every table of `schema` against the SQLite file open on `lite`; `service`
// ("queue") names the file in messages as <service>.db.
Result<std::vector<TablePlan>> PlanTables(postgres::Connection& pg, const std::string& schema,
                                          sqlite::Connection& lite, const std::string& service);

// The tables of `schema` besides csops_*, by name; none if the schema does not exist.
Result<std::vector<std::string>> SchemaTables(postgres::Connection& pg, const std::string& schema);

}  // namespace csops::migrate
