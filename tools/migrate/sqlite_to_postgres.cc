#include "tools/migrate/sqlite_to_postgres.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/postgres/database.h"
#include "common/sqlite/database.h"
#include "services/csopsd/data_dir_lock.h"
#include "tools/migrate/table_plan.h"

namespace csops::migrate {
namespace {

using Clock = std::chrono::steady_clock;

void ToStderr(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

std::string DbPath(const std::string& data_dir, const std::string& service) {
  return (std::filesystem::path(data_dir) / (service + ".db")).string();
}

// Which services to copy: those named, each of which must have its file, or else every known
// service whose file is there.
Result<std::vector<std::string>> ChooseServices(const MigrateOptions& o) {
  std::vector<std::string> chosen;
  if (o.services.empty()) {
    for (const auto& name : KnownServices())
      if (std::filesystem::exists(DbPath(o.data_dir, name))) chosen.push_back(name);
    if (chosen.empty()) {
      std::string files;
      for (const auto& name : KnownServices()) files += (files.empty() ? "" : ", ") + name + ".db";
      return Status::NotFound(o.data_dir + " holds none of " + files + ": nothing to migrate");
    }
    return chosen;
  }
  for (const auto& name : o.services) {
    if (std::find(chosen.begin(), chosen.end(), name) != chosen.end()) continue;
    if (std::find(KnownServices().begin(), KnownServices().end(), name) == KnownServices().end()) {
      std::string known;
      for (const auto& n : KnownServices()) known += (known.empty() ? "" : ", ") + n;
      return Status::InvalidArgument("no service '" + name + "' (known: " + known + ")");
    }
    if (!std::filesystem::exists(DbPath(o.data_dir, name)))
      return Status::NotFound(DbPath(o.data_dir, name) + " does not exist");
    chosen.push_back(name);
  }
  return chosen;
}

}  // namespace

bool MigrateReport::verified() const {
  for (const auto& c : checks)
    if (!c.match()) return false;
  return !checks.empty();
}

Result<RowCounts> PrepareService(const ServiceSchema& service, const std::string& db_path,
                                 const std::string& dsn, const ProgressFn& progress) {
  const std::string schema = "csops_" + service.name;
  {
    // The file at its latest version, as csopsd would leave it at start; then closed, so the
    // copy reads it read-only.
    sqlite::DatabaseOptions o;
    o.path = db_path;
    o.name = service.name;
    o.read_connections = 1;
    o.migrations = service.sqlite_migrations;
    auto db = sqlite::Database::Open(std::move(o));
    if (!db.ok()) return db.status().WithContext(db_path);
    progress(service.name + ": " + service.name + ".db at schema version " +
             std::to_string((*db)->schema_version()));
    (*db)->Close();
  }
  auto fresh = FreshRows(dsn, service.name, service.postgres_migrations);
  if (!fresh.ok()) return fresh.status();
  {
    auto pg = postgres::Connection::Open(dsn, service.name, schema, /*create_schema=*/false);
    if (!pg.ok()) return pg.status();
    CSOPS_RETURN_IF_ERROR(CheckFree(**pg, schema, *fresh));
  }
  postgres::DatabaseOptions o;
  o.dsn = dsn;
  o.name = service.name;
  o.schema = schema;
  o.pool_size = 1;
  o.migrations = service.postgres_migrations;
  auto db = postgres::Database::Open(std::move(o));
  if (!db.ok()) return db.status();
  const int version = (*db)->schema_version();
  (*db)->Close();
  if (version != service.postgres_migrations.back().version)
    return Status::FailedPrecondition(schema + " is at version " + std::to_string(version) +
                                      ", newer than this csopsctl (" +
                                      std::to_string(service.postgres_migrations.back().version) +
                                      "); copy with the csopsctl of the release that wrote it");
  {
    // Tables and columns must match before anything is copied (the copy plans them again).
    auto lite = sqlite::Connection::Open(db_path, /*read_only=*/true, /*busy_timeout_ms=*/5000);
    if (!lite.ok()) return lite.status().WithContext(db_path);
    auto pg = postgres::Connection::Open(dsn, service.name, schema, /*create_schema=*/false);
    if (!pg.ok()) return pg.status();
    auto plans = PlanTables(**pg, schema, **lite, service.name);
    if (!plans.ok()) return plans.status();
  }
  progress(service.name + ": PostgreSQL schema " + schema + " at version " +
           std::to_string(version) + ", free to receive " + service.name + ".db");
  return fresh;
}

Result<MigrateReport> Migrate(const MigrateOptions& options) {
  MigrateOptions o = options;
  if (!o.progress) o.progress = ToStderr;
  if (!o.schema_of)
    o.schema_of = [dir = o.data_dir](const std::string& name) { return SchemaOf(name, dir); };
  std::error_code ec;
  if (!std::filesystem::is_directory(o.data_dir, ec))
    return Status::NotFound("data directory " + o.data_dir + " does not exist");
  auto lock = csopsd::DataDirLock::Acquire(o.data_dir);
  if (!lock.ok()) {
    if (lock.status().code() == StatusCode::kFailedPrecondition)
      return Status::FailedPrecondition("data directory " + o.data_dir +
                                        " is in use by a running csopsd (it holds csopsd.lock): "
                                        "stop it before migrating");
    return lock.status();
  }
  auto names = ChooseServices(o);
  if (!names.ok()) return names.status();

  std::vector<ServiceSchema> services;
  std::vector<RowCounts> fresh;
  for (const auto& name : *names) {
    auto s = o.schema_of(name);
    if (!s.ok()) return s.status();
    auto f = PrepareService(*s, DbPath(o.data_dir, name), o.dsn, o.progress);
    if (!f.ok()) return f.status().WithContext(name + ": nothing copied");
    services.push_back(std::move(*s));
    fresh.push_back(std::move(*f));
  }

  MigrateReport report;
  std::string committed;
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < services.size(); ++i) {
    const ServiceSchema& s = services[i];
    auto copied =
        CopyService(s, DbPath(o.data_dir, s.name), o.dsn, fresh[i], o.chunk_rows, o.progress);
    if (!copied.ok()) {
      std::string left;
      for (std::size_t j = i; j < services.size(); ++j)
        left += (left.empty() ? "" : ",") + services[j].name;
      return copied.status().WithContext(committed.empty() ? std::string("nothing committed")
                                                           : "committed before: " + committed +
                                                                 "; after fixing, run again with "
                                                                 "--services=" +
                                                                 left);
    }
    for (auto& t : *copied) {
      report.rows += t.rows;
      report.copied.push_back(std::move(t));
    }
    committed += (committed.empty() ? "" : ", ") + s.name;
  }
  report.copy_seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  for (const ServiceSchema& s : services) {
    o.progress(s.name + ": verifying");
    auto checks = VerifyService(s.name, DbPath(o.data_dir, s.name), o.dsn, o.chunk_rows);
    if (!checks.ok()) return checks.status().WithContext(s.name + ": committed, but not verified");
    for (auto& c : *checks) report.checks.push_back(std::move(c));
  }
  return report;
}

}  // namespace csops::migrate
