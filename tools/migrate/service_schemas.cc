#include "tools/migrate/service_schemas.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "services/case/lookup_secret_file.h"
#include "services/case/store/postgres/postgres_case_store.h"
#include "services/case/store/sqlite/sqlite_case_store.h"
#include "services/notify/store/postgres/postgres_notify_store.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"
#include "services/queue/store/postgres/postgres_queue_store.h"
#include "services/queue/store/sqlite/sqlite_queue_store.h"

namespace csops::migrate {
namespace {

// The office's key, read as csopsd reads it (the same refusals: mode, symlink, contents).
Result<cases::LookupSecret> ReadLookupSecret(const std::string& data_dir) {
  const std::string path =
      (std::filesystem::path(data_dir) / cases::kLookupSecretFileName).string();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return Status::FailedPrecondition(
        path +
        " is missing: case.db's look-up verifiers were made with it, and the PostgreSQL "
        "schema must keep the same key; restore it from the backup of the data directory");
  auto loaded = cases::LoadOrCreateLookupSecret(path);
  if (!loaded.ok()) return loaded.status();
  if (loaded->created) {  // gone between the two looks: a key made now would check nothing
    ::unlink(path.c_str());
    return Status::FailedPrecondition(path + " disappeared while being read");
  }
  return loaded->secret;
}

}  // namespace

const std::vector<std::string>& KnownServices() {
  static const std::vector<std::string> kNames = {"queue", "case", "notify"};
  return kNames;
}

Result<ServiceSchema> SchemaOf(const std::string& name, const std::string& data_dir) {
  if (name == "queue")
    return ServiceSchema{name, queue::SqliteQueueStore::Migrations(),
                         queue::PostgresQueueStore::Migrations()};
  if (name == "case") {
    auto secret = ReadLookupSecret(data_dir);
    if (!secret.ok()) return secret.status();
    return ServiceSchema{name, cases::SqliteCaseStore::Migrations(*secret),
                         cases::PostgresCaseStore::Migrations(*secret)};
  }
  if (name == "notify")
    return ServiceSchema{name, notify::SqliteNotifyStore::Migrations(),
                         notify::PostgresNotifyStore::Migrations()};
  std::string known;
  for (const auto& n : KnownServices()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("no service '" + name + "' (known: " + known + ")");
}

}  // namespace csops::migrate
