// csopsctl migrate: moves an office from SQLite to PostgreSQL, offline (no server is called).
//
//   csopsctl migrate --from=DATA_DIR (--to=DSN | --to-file=FILE) [--services=queue,case,notify]
//                    [--chunk-rows=20000]
//
// Copies <DATA_DIR>/<svc>.db into schema csops_<svc> of the PostgreSQL database, one
// transaction per service, and verifies row counts and a checksum per table after the last
// commit (tools/migrate/sqlite_to_postgres.h). Refused while a csopsd holds the data directory
// and when a target schema holds data. Progress goes to stderr, the verification table to
// stdout. The connection string is never printed; --to-file keeps its password out of ps.
// Exit 0 copied and verified, 1 refused, failed or a mismatch, 2 usage.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "common/base/log.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"
#include "tools/migrate/sqlite_to_postgres.h"

namespace csops::ctl {
namespace {

struct MigrateArgs {
  std::string from, to, to_file;
  std::string services;  // "queue,case"; "" for every <svc>.db present
  int chunk_rows = 20000;
};

std::vector<std::string> SplitServices(const std::string& list) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while (at <= list.size()) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    names.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  return names;
}

// Each comma-separated name is a service migrate knows.
CLI::Validator ServiceList() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto& known = migrate::KnownServices();
        for (const std::string& name : SplitServices(text))
          if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string all;
            for (const auto& k : known) all += (all.empty() ? "" : ", ") + k;
            return "'" + name + "' is not a service (" + all + ")";
          }
        return "";
      },
      "");
}

int MigrateUsageError(const std::string& why) { return UsageError("migrate", why); }

// The first line of `path`, without trailing blanks (as storage.postgres.dsn_file is read).
Result<std::string> ReadDsnFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("--to-file: cannot read " + path);
  std::string dsn;
  std::getline(in, dsn);
  while (!dsn.empty() && (dsn.back() == '\r' || dsn.back() == ' ' || dsn.back() == '\t'))
    dsn.pop_back();
  if (dsn.empty()) return Status::InvalidArgument("--to-file: " + path + " is empty");
  return dsn;
}

void PrintChecks(const migrate::MigrateReport& report) {
  std::printf("%-32s %12s %12s  %s\n", "table", "sqlite rows", "pg rows", "checksum");
  for (const auto& c : report.checks) {
    const std::string name = c.service + "." + c.table;
    if (!c.compared) {
      std::printf("%-32s %12s %12s  not in %s.db: left as its migrations made it\n", name.c_str(),
                  "-", "-", c.service.c_str());
      continue;
    }
    char sums[64];
    if (c.sqlite_sum == c.pg_sum)
      std::snprintf(sums, sizeof sums, "%016llx", static_cast<unsigned long long>(c.pg_sum));
    else
      std::snprintf(sums, sizeof sums, "%016llx != %016llx",
                    static_cast<unsigned long long>(c.sqlite_sum),
                    static_cast<unsigned long long>(c.pg_sum));
    std::printf("%-32s %12lld %12lld  %s %s\n", name.c_str(), static_cast<long long>(c.sqlite_rows),
                static_cast<long long>(c.pg_rows), c.match() ? "ok" : "MISMATCH", sums);
  }
}

int RunMigrate(const MigrateArgs& a) {
  if (a.to.empty() == a.to_file.empty())
    return MigrateUsageError("give exactly one of --to and --to-file");
  migrate::MigrateOptions o;
  o.data_dir = a.from;
  o.dsn = a.to;
  if (!a.to_file.empty()) {
    auto dsn = ReadDsnFile(a.to_file);
    if (!dsn.ok()) return MigrateUsageError(dsn.status().message());
    o.dsn = *dsn;
  }
  if (!a.services.empty()) o.services = SplitServices(a.services);
  o.chunk_rows = a.chunk_rows;
  log::SetMinLevel(log::Level::kWarning);  // the migrations' log lines; progress says enough
  auto report = migrate::Migrate(o);
  if (!report.ok()) {
    std::fprintf(stderr, "csopsctl migrate: %s\n", report.status().ToString().c_str());
    return 1;
  }
  PrintChecks(*report);
  std::string services;
  for (const auto& c : report->copied)
    if (services.find(c.service) == std::string::npos)
      services += (services.empty() ? "" : ", ") + c.service;
  const double rate =
      report->copy_seconds > 0 ? static_cast<double>(report->rows) / report->copy_seconds : 0;
  int bad = 0;
  for (const auto& c : report->checks) bad += c.match() ? 0 : 1;
  std::fprintf(stderr, "csopsctl migrate: %lld rows of %s copied in %.1f s (%.0f rows/s); %s\n",
               static_cast<long long>(report->rows), services.c_str(), report->copy_seconds, rate,
               bad == 0 ? "verified" : (std::to_string(bad) + " table(s) differ").c_str());
  return bad == 0 ? 0 : 1;
}

}  // namespace

void AddMigrate(CLI::App& app, Command* run) {
  auto* cmd = app.add_subcommand(
      "migrate",
      "offline: copy the data directory's SQLite files into PostgreSQL and verify the copy "
      "(csopsd stopped)");
  auto a = std::make_shared<MigrateArgs>();
  cmd->add_option("--from", a->from, "the data directory (holds queue.db, case.db, notify.db)")
      ->required()
      ->check(flags::NotEmpty());
  cmd->add_option("--to", a->to,
                  "libpq connection string of the target database (visible in ps: prefer "
                  "--to-file)")
      ->check(flags::NotEmpty());
  cmd->add_option("--to-file", a->to_file, "file whose first line is the connection string")
      ->check(flags::NotEmpty());
  cmd->add_option("--services", a->services,
                  "services to copy, comma-separated (default: every <svc>.db present)")
      ->check(ServiceList());
  cmd->add_option("--chunk-rows", a->chunk_rows, "rows per COPY")
      ->check(flags::Whole(1, 1000000))
      ->capture_default_str();
  cmd->footer(
      "Each service is one transaction: its schema csops_<svc> must be empty (nothing but what\n"
      "its migrations write). Exit codes: 0 copied and verified, 1 refused, failed or a\n"
      "mismatch, 2 usage error.");
  cmd->callback([run, a] { *run = [a] { return RunMigrate(*a); }; });
}

}  // namespace csops::ctl
