#include "tools/migrate/target_check.h"

#include <cstdint>

#include "tools/migrate/table_plan.h"

namespace csops::migrate {
namespace {

Status DropSchema(const std::string& dsn, const std::string& service, const std::string& schema) {
  auto c = postgres::Connection::Open(dsn, service, "public", /*create_schema=*/false);
  if (!c.ok()) return c.status();
  return (*c)->Exec("DROP SCHEMA IF EXISTS " + QuoteIdent(schema) + " CASCADE");
}

// Rows of `table`, counting no further than `limit`.
Result<std::int64_t> CountUpTo(postgres::Connection& pg, const std::string& schema,
                               const std::string& table, std::int64_t limit) {
  auto r = pg.Query("SELECT count(*) FROM (SELECT 1 FROM " + QuoteIdent(schema) + "." +
                        QuoteIdent(table) + " LIMIT $1) AS s",
                    {limit});
  if (!r.ok()) return r.status();
  return r->Int(0, 0);
}

}  // namespace

Result<RowCounts> FreshRows(const std::string& dsn, const std::string& service,
                            const std::vector<postgres::Migration>& migrations) {
  const std::string probe = "csops_migrate_probe_" + service;
  CSOPS_RETURN_IF_ERROR(DropSchema(dsn, service, probe));
  postgres::DatabaseOptions o;
  o.dsn = dsn;
  o.name = service;
  o.schema = probe;
  o.pool_size = 1;
  o.migrations = migrations;
  RowCounts rows;
  {
    auto db = postgres::Database::Open(std::move(o));
    if (!db.ok())
      return db.status().WithContext("applying the migrations to scratch schema " + probe);
    Status s = (*db)->Read([&](postgres::Connection& c) -> Status {
      auto tables = SchemaTables(c, probe);
      if (!tables.ok()) return tables.status();
      for (const auto& t : *tables) {
        auto n = CountUpTo(c, probe, t, INT64_MAX);
        if (!n.ok()) return n.status();
        if (*n > 0) rows[t] = *n;
      }
      return Status::Ok();
    });
    (*db)->Close();
    if (!s.ok()) return s;
  }
  CSOPS_RETURN_IF_ERROR(DropSchema(dsn, service, probe));
  return rows;
}

Status CheckFree(postgres::Connection& pg, const std::string& schema, const RowCounts& fresh) {
  auto tables = SchemaTables(pg, schema);
  if (!tables.ok()) return tables.status();
  for (const auto& t : *tables) {
    auto it = fresh.find(t);
    const std::int64_t own = it == fresh.end() ? 0 : it->second;
    auto n = CountUpTo(pg, schema, t, own + 1);
    if (!n.ok()) return n.status();
    if (*n == 0 || *n == own) continue;
    const std::string what =
        own == 0 ? " already holds rows"
                 : " holds other rows than the " + std::to_string(own) + " its migrations write";
    return Status::FailedPrecondition(
        "PostgreSQL table " + schema + "." + t + what +
        ": migrate copies only into an empty schema (use another database, or drop schema " +
        schema + " once nothing in it is needed)");
  }
  return Status::Ok();
}

}  // namespace csops::migrate
