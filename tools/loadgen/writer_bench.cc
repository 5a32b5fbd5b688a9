// writer_bench: commits/s of csops' SQLite writer with group commit vs one fsync per
// transaction, measured in the same run on the same disk.
//
//   writer_bench [--threads=32] [--seconds=5] [--dir=var/bench] [--sync=full|normal]
//
// Each of N threads loops: Database::Write(one INSERT), i.e. it waits until its row is durable
// before writing the next, as an RPC handler would. The run also measures the disk's raw
// fdatasync rate, the ceiling for one-fsync-per-transaction.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/sqlite/database.h"
#include "tools/flags/flags.h"

namespace {

using csops::Status;
using csops::sqlite::Connection;
using csops::sqlite::Database;
using Clock = std::chrono::steady_clock;

struct Options {
  int threads = 32;
  double seconds = 5;
  std::string dir = "var/bench";
  csops::sqlite::Synchronous sync = csops::sqlite::Synchronous::kFull;
};

struct RunResult {
  double tx_per_s;
  double commits_per_s;
  double tx_per_commit;
};

double FsyncsPerSecond(const std::string& dir, double seconds) {
  std::string path = dir + "/fsync.probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 0;
  char byte = 'x';
  long n = 0;
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  auto start = Clock::now();
  while (Clock::now() < end) {
    if (::pwrite(fd, &byte, 1, 0) != 1 || ::fdatasync(fd) != 0) break;
    ++n;
  }
  std::chrono::duration<double> took = Clock::now() - start;
  ::close(fd);
  std::filesystem::remove(path);
  return n / took.count();
}

RunResult Run(const Options& o, bool group_commit) {
  std::string path = o.dir + (group_commit ? "/group.db" : "/single.db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  csops::sqlite::DatabaseOptions dbo;
  dbo.path = path;
  dbo.synchronous = o.sync;
  dbo.group_commit = group_commit;
  dbo.max_batch = 1024;
  dbo.migrations = {{1, "rows", "CREATE TABLE rows(id INTEGER PRIMARY KEY, t INTEGER, v TEXT)"}};
  auto db = Database::Open(dbo);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        Status s = (*db)->Write([t, i](Connection& c) {
          auto st = c.Prepare("INSERT INTO rows(t, v) VALUES(?, ?)");
          if (!st.ok()) return st.status();
          return st->Bind(1, t).Bind(2, "row " + std::to_string(i)).Run();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  std::chrono::duration<double> took = Clock::now() - start;
  auto stats = (*db)->stats();
  if (failures) std::fprintf(stderr, "warning: %ld failed writes\n", failures.load());
  return {stats.transactions / took.count(), stats.commits / took.count(),
          stats.commits ? double(stats.transactions) / stats.commits : 0};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app(
      "writer_bench: commits/s of the SQLite writer, group commit vs one fsync per transaction.",
      "writer_bench");
  csops::flags::UseCsopsConventions(app);
  std::string sync = "full";
  app.add_option("--threads", o.threads, "writing threads")
      ->check(csops::flags::Whole(1, 100000))
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "length of each run")
      ->check(csops::flags::Seconds())
      ->capture_default_str();
  app.add_option("--dir", o.dir, "directory of the database files")->capture_default_str();
  app.add_option("--sync", sync, "SQLite synchronous mode")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  if (auto rc = csops::flags::Parse(app, argc, argv)) return *rc;
  o.sync = sync == "full" ? csops::sqlite::Synchronous::kFull : csops::sqlite::Synchronous::kNormal;
  std::filesystem::create_directories(o.dir);
  double fsyncs = FsyncsPerSecond(o.dir, 1.0);
  RunResult single = Run(o, /*group_commit=*/false);
  RunResult group = Run(o, /*group_commit=*/true);
  std::printf("writer_bench threads=%d seconds=%.1f sync=%s dir=%s\n", o.threads, o.seconds,
              o.sync == csops::sqlite::Synchronous::kFull ? "FULL" : "NORMAL", o.dir.c_str());
  std::printf("| mode | transactions/s | commits (fsyncs)/s | transactions per commit |\n");
  std::printf("|---|---:|---:|---:|\n");
  std::printf("| raw fdatasync of the disk | - | %.0f | - |\n", fsyncs);
  std::printf("| one fsync per transaction | %.0f | %.0f | %.2f |\n", single.tx_per_s,
              single.commits_per_s, single.tx_per_commit);
  std::printf("| group commit | %.0f | %.0f | %.2f |\n", group.tx_per_s, group.commits_per_s,
              group.tx_per_commit);
  std::printf("group commit / one fsync per transaction = %.2fx\n",
              single.tx_per_s > 0 ? group.tx_per_s / single.tx_per_s : 0);
  return 0;
}
