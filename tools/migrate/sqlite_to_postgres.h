// Moves an office's data from its SQLite files to PostgreSQL: what `csopsctl migrate` runs.
//
// For each service (queue, case, notify; see service_schemas.h), <data dir>/<svc>.db is copied
// into schema csops_<svc> of the target database, the schema csopsd uses with storage.postgres.
// The contract, in the order Migrate works:
//   1. The data directory is locked the way csopsd locks it (flock on csopsd.lock, see
//      services/csopsd/data_dir_lock.h) for the whole run: refused while a csopsd uses it, and
//      no csopsd can start on it until migrate is done.
//   2. Every service is prepared before any is copied: its SQLite file is brought to the latest
//      schema version by the service's own SQLite migrations (an older file is migrated in
//      place, as csopsd would at start); the target schema is checked free (target_check.h:
//      no rows but its migrations' own, else refused naming the table); then the service's
//      PostgreSQL migrations create csops_<svc> at the current version.
//   3. Each service is copied in one PostgreSQL transaction (a table group): its tables are
//      locked (ACCESS EXCLUSIVE), checked free again, the migrations' own rows deleted, and
//      every table of the service is streamed from a read-only SQLite connection (one snapshot)
//      into COPY FROM STDIN in chunks of chunk_rows rows, parents before children. Which
//      tables and columns are copied comes from the databases themselves (table_plan.h). Then
//      every identity/serial column's sequence is set to the copied maximum, so the next row
//      gets a fresh id, and the transaction commits. A failure rolls that service back; the
//      services committed before it stay committed (the error says which).
//   4. After the last commit every copied table is verified (verify.h): row counts on both sides
//      and an order-independent checksum of the rows' values.
// Progress goes to `progress` one line at a time ("queue.tickets: 120000 / 500000 rows", per
// chunk, and a summary per service). The connection string is never printed nor put into an
// error: messages name the service, table and column instead.
// Not thread-safe: one Migrate at a time per data directory (the lock refuses a second).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "tools/migrate/service_schemas.h"
#include "tools/migrate/target_check.h"
#include "tools/migrate/verify.h"

namespace csops::migrate {

using ProgressFn = std::function<void(const std::string& line)>;

struct MigrateOptions {
  std::string data_dir;               // holds queue.db, case.db, notify.db, case-lookup.key
  std::string dsn;                    // libpq connection string; never printed
  std::vector<std::string> services;  // empty: every service whose <svc>.db is in data_dir
  int chunk_rows = 20000;             // rows per COPY
  ProgressFn progress;                // unset: lines go to stderr
  // How a service's migrations are found; unset: SchemaOf (service_schemas.h).
  std::function<Result<ServiceSchema>(const std::string& name)> schema_of;
};

struct CopiedTable {
  std::string service, table;
  std::int64_t rows = 0;
};

struct MigrateReport {
  std::vector<CopiedTable> copied;  // every table of every service, in copy order
  std::vector<TableCheck> checks;   // the verification of each copied table
  std::int64_t rows = 0;            // rows copied in all
  double copy_seconds = 0;          // the copy transactions, from first BEGIN to last COMMIT
  bool verified() const;            // every check matched
};

// Runs steps 1-4 above. An error means nothing more was done than its message says; a report
// with !verified() means the data was committed but differs (the checks say where).
Result<MigrateReport> Migrate(const MigrateOptions& options);

// Step 2 for one service: the rows its PostgreSQL migrations write by themselves.
Result<RowCounts> PrepareService(const ServiceSchema& service, const std::string& db_path,
                                 const std::string& dsn, const ProgressFn& progress);
// Step 3 for one service, after PrepareService returned `fresh`.
Result<std::vector<CopiedTable>> CopyService(const ServiceSchema& service,
                                             const std::string& db_path, const std::string& dsn,
                                             const RowCounts& fresh, int chunk_rows,
                                             const ProgressFn& progress);

}  // namespace csops::migrate
