// How one value travels from SQLite to PostgreSQL, and how both sides' values are compared.
//
// Copy. SQLite keeps a storage class per value (NULL, INTEGER, REAL, TEXT, BLOB), PostgreSQL a
// type per column. CopyText turns one SQLite value into the text COPY FROM STDIN loads into a
// column of the given kind: integers as decimal, doubles with 17 significant digits (they
// round-trip exactly), text as it is, BLOBs (and text bound for bytea) as bytea hex ("\x...").
// A value the column cannot hold unchanged is refused with a message the caller prefixes with
// the table, column and row: a REAL with a fraction for an integer column, a BLOB for any
// column but bytea, text holding a NUL byte (PostgreSQL text cannot).
//
// Verify. Normalise maps the text of either side to one spelling per value, so that equal data
// gives equal text: integers as decimal, floating-point values parsed and printed with %.17g,
// booleans as 0/1, bytea as lower-case hex; text stays as it is and NULL stays distinct from ''.
// RowHash folds one row's normalised values (in the PostgreSQL table's column order) into a
// 64-bit FNV-1a hash; a table's checksum is the sum of its rows' hashes modulo 2^64, so it does
// not depend on the order in which the rows are read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/status.h"
#include "common/sqlite/connection.h"

namespace csops::migrate {

// What a PostgreSQL column holds, from its information_schema data_type.
enum class ColumnKind { kInteger, kFloat, kBoolean, kBytes, kText };
ColumnKind KindOfPgType(std::string_view data_type);

// The current row's value of column `col` of `row` as COPY text for a column of `kind` and
// PostgreSQL type `pg_type` (named in messages); nullopt is NULL.
Result<std::optional<std::string>> CopyText(const sqlite::Statement& row, int col, ColumnKind kind,
                                            std::string_view pg_type);

// The comparable spelling of one value of a column of `kind` (see above); nullopt is NULL.
std::optional<std::string> Normalise(ColumnKind kind, std::optional<std::string> text);

// FNV-1a (64-bit) over a row's values, each marked NULL or framed by its length.
class RowHash {
 public:
  void Add(const std::optional<std::string>& value);
  std::uint64_t value() const { return h_; }

 private:
  void Byte(unsigned char b) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// A double as COPY and Normalise spell it: %.17g, or NaN, Infinity, -Infinity.
std::string FormatDouble(double v);

}  // namespace csops::migrate
