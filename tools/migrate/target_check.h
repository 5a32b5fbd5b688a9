// Whether a PostgreSQL schema may receive a service's data: it must hold no row besides the
// ones the service's own migrations write.
//
// A migration may write rows itself (its `then` hook: the case store's writes the verifier of
// the look-up secret), so "empty" cannot mean "no rows". FreshRows applies the migrations to a
// scratch schema, csops_migrate_probe_<service> (dropped before and after: a leftover of a
// killed run goes at the next), and counts what they wrote per table. A target table is free
// when it holds no row or exactly as many as the fresh schema holds there: those are its
// migrations' rows, and the copy deletes them in its transaction before copying the SQLite
// file's (which the same migrations wrote from the same inputs, e.g. the same case-lookup.key).
// Anything else is refused, naming the table: migrate never mixes two offices' data, and never
// overwrites what a running csopsd wrote to the database.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/postgres/connection.h"
#include "common/postgres/database.h"

namespace csops::migrate {

using RowCounts = std::map<std::string, std::int64_t>;  // table -> rows

// The rows `migrations` write into a fresh schema, by table (tables they leave empty absent).
Result<RowCounts> FreshRows(const std::string& dsn, const std::string& service,
                            const std::vector<postgres::Migration>& migrations);

// OK when every table of `schema` (csops_* aside) is free (see above); FailedPrecondition
// naming the first one that is not. A schema that does not exist is free.
Status CheckFree(postgres::Connection& pg, const std::string& schema, const RowCounts& fresh);

}  // namespace csops::migrate
