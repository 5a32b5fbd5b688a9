// The services migrate knows, and the two schema histories of each: the only place that names
// a service's stores. <data dir>/<name>.db on SQLite becomes schema csops_<name> on PostgreSQL.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/postgres/database.h"
#include "common/sqlite/database.h"

namespace csops::migrate {

struct ServiceSchema {
  std::string name;  // "queue"
  std::vector<sqlite::Migration> sqlite_migrations;
  std::vector<postgres::Migration> postgres_migrations;
};

// "queue", "case", "notify": in the order they are migrated.
const std::vector<std::string>& KnownServices();

// The migrations of service `name`, whose data lives in `data_dir`. The case service's need
// the office's look-up secret: read from <data_dir>/case-lookup.key, which must exist (it is
// never created here: a fresh key could not check a single look-up code of case.db).
// InvalidArgument for a name not in KnownServices().
Result<ServiceSchema> SchemaOf(const std::string& name, const std::string& data_dir);

}  // namespace csops::migrate
