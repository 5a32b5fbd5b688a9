// Checks that a service's PostgreSQL schema holds what its SQLite file holds: per table, the
// number of rows on each side and a checksum of the rows (value_text.h: the sum modulo 2^64 of
// a 64-bit FNV-1a hash of each row's normalised values, in the PostgreSQL column order), so the
// order in which either side returns its rows does not matter. Only the columns the copy
// carries (table_plan.h) are compared; a table the SQLite file lacks is listed but not compared.
// Each side is read on one snapshot (a read transaction on SQLite, REPEATABLE READ READ ONLY on
// PostgreSQL, through a cursor in chunks), so a large table never sits in memory at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace csops::migrate {

struct TableCheck {
  std::string service, table;
  bool compared = true;  // false: the SQLite file has no such table
  std::int64_t sqlite_rows = 0, pg_rows = 0;
  std::uint64_t sqlite_sum = 0, pg_sum = 0;
  bool match() const { return !compared || (sqlite_rows == pg_rows && sqlite_sum == pg_sum); }
};

// Compares <service>.db at `db_path` (opened read-only) with schema csops_<service> of `dsn`.
Result<std::vector<TableCheck>> VerifyService(const std::string& service,
                                              const std::string& db_path, const std::string& dsn,
                                              int chunk_rows = 20000);

}  // namespace csops::migrate
