#include "tools/migrate/service_schemas.h"

#include "services/queue/store/postgres/postgres_queue_store.h"
#include "services/queue/store/sqlite/sqlite_queue_store.h"

namespace csops::migrate {

const std::vector<std::string>& KnownServices() {
  static const std::vector<std::string> kNames = {"queue"};
  return kNames;
}

Result<ServiceSchema> SchemaOf(const std::string& name, const std::string& data_dir) {
  (void)data_dir;
  if (name == "queue")
    return ServiceSchema{name, queue::SqliteQueueStore::Migrations(),
                         queue::PostgresQueueStore::Migrations()};
  std::string known;
  for (const auto& n : KnownServices()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("no service '" + name + "' (known: " + known + ")");
}

}  // namespace csops::migrate
