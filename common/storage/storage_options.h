// Where a service keeps its data: SQLite files in the data directory (the default), or a
// schema of a shared PostgreSQL database (storage.postgres in the config). A module's Start
// opens the one that is set and builds its store on it; nothing above the module knows which.
#pragma once

#include <optional>
#include <string>

#include "common/postgres/database.h"
#include "common/sqlite/database.h"

namespace csops {

struct StorageOptions {
  sqlite::DatabaseOptions sqlite;                     // used when postgres is unset
  std::optional<postgres::DatabaseOptions> postgres;  // set: PostgreSQL instead of SQLite
  // With postgres: this process's server.replica_id, the name its leases are held in.
  std::string replica_id;
};

}  // namespace csops
