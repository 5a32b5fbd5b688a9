#include "common/sqlite/database.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "common/base/testutil.h"

namespace csops::sqlite {
namespace {

std::vector<Migration> Schema() {
  return {{1, "rows", "CREATE TABLE rows(id INTEGER PRIMARY KEY, v TEXT NOT NULL)"},
          {2, "unique v", "CREATE UNIQUE INDEX rows_v ON rows(v)"}};
}

std::int64_t CountRows(Database& db, std::string_view where = "1=1") {
  std::int64_t n = -1;
  EXPECT_OK(db.Read([&](Connection& c) {
    auto st = c.Prepare("SELECT COUNT(*) FROM rows WHERE " + std::string(where));
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    n = st->ColumnInt(0);
    return Status();
  }));
  return n;
}

Database::WriteFn InsertRow(std::string v) {
  return [v](Connection& c) {
    auto st = c.Prepare("INSERT INTO rows(v) VALUES(?)");
    if (!st.ok()) return st.status();
    return st->Bind(1, v).Run();
  };
}

class DatabaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> OpenDb(bool group_commit = true) {
    DatabaseOptions o;
    o.path = dir_.path() + "/t.db";
    o.migrations = Schema();
    o.group_commit = group_commit;
    auto db = Database::Open(o);
    EXPECT_OK(db.status());
    return db.ok() ? std::move(*db) : nullptr;
  }
  TempDir dir_;
};

TEST_F(DatabaseTest, MigrationsRunOnceAndSetUserVersion) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  EXPECT_EQ(db->schema_version(), 2);
  ASSERT_OK(db->Write(InsertRow("a")));
  db.reset();
  auto again = OpenDb();  // re-applying would fail: the table exists
  ASSERT_TRUE(again);
  EXPECT_EQ(CountRows(*again), 1);
}

TEST_F(DatabaseTest, AMigrationsCodeStepRunsInItsTransactionAndAFailureUndoesTheStep) {
  DatabaseOptions o;
  o.path = dir_.path() + "/t.db";
  o.migrations = Schema();
  bool fail = true;
  o.migrations.push_back({3, "copy", "CREATE TABLE copies(v TEXT)", [&fail](Connection& c) {
                            if (fail) return Status::Internal("no key");
                            return c.Exec("INSERT INTO copies SELECT v FROM rows");
                          }});
  auto failed = Database::Open(o);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("migration 3 (copy): no key"), std::string::npos);
  fail = false;
  auto db = Database::Open(o);  // versions 1-2 stayed; 3 runs again, whole
  ASSERT_OK(db.status());
  EXPECT_EQ((*db)->schema_version(), 3);
  EXPECT_EQ(CountRows(**db), 0);
}

TEST_F(DatabaseTest, RefusesASchemaNewerThanItKnows) {
  {
    auto db = OpenDb();
    ASSERT_OK(db->Write([](Connection& c) { return c.Exec("PRAGMA user_version=9"); }));
  }
  DatabaseOptions o;
  o.path = dir_.path() + "/t.db";
  o.migrations = Schema();
  auto db = Database::Open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("schema version 9"), std::string::npos);
}

TEST_F(DatabaseTest, UsesWalAndFullSynchronous) {
  auto db = OpenDb();
  std::string mode;
  std::int64_t sync = -1;
  ASSERT_OK(db->Write([&](Connection& c) {
    auto s = c.PragmaInt("synchronous");
    if (s.ok()) sync = *s;
    return s.status();
  }));
  ASSERT_OK(db->Read([&](Connection& c) {
    auto st = c.Prepare("PRAGMA journal_mode");
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    mode = st->ColumnText(0);
    return Status();
  }));
  EXPECT_EQ(mode, "wal");
  EXPECT_EQ(sync, 2);  // FULL
}

TEST_F(DatabaseTest, ManyConcurrentWritersAllCommitAndShareFsyncs) {
  auto db = OpenDb();
  constexpr int kThreads = 16, kPerThread = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (db->Write(InsertRow(std::to_string(t) + "-" + std::to_string(i))).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(CountRows(*db), kThreads * kPerThread);
  auto stats = db->stats();
  EXPECT_EQ(stats.transactions, static_cast<std::uint64_t>(kThreads * kPerThread));
  // With 16 writers waiting at once, commits must be shared.
  EXPECT_LT(stats.commits, stats.transactions);
}

TEST_F(DatabaseTest, WithoutGroupCommitEveryTransactionCommitsAlone) {
  auto db = OpenDb(/*group_commit=*/false);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) db->Write(InsertRow(std::to_string(t * 100 + i)));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(db->stats().commits, 40u);
}

TEST_F(DatabaseTest, AFailingTransactionIsRolledBackAloneInItsBatch) {
  auto db = OpenDb();
  ASSERT_OK(db->Write(InsertRow("taken")));
  // Hold the writer busy so the next three land in one batch.
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<Status> first, bad, last;
  db->WriteAsync(
      [released](Connection&) {
        released.wait();
        return Status();
      },
      [&](const Status& s) { first.set_value(s); });
  db->WriteAsync(InsertRow("x1"), [&](const Status& s) { (void)s; });
  db->WriteAsync(
      [](Connection& c) {
        // Writes a row, then fails: its row must vanish, not the others'.
        auto st = c.Prepare("INSERT INTO rows(v) VALUES('partial')");
        if (!st.ok()) return st.status();
        CSOPS_RETURN_IF_ERROR(st->Run());
        auto dup = c.Prepare("INSERT INTO rows(v) VALUES('taken')");
        if (!dup.ok()) return dup.status();
        return dup->Run();
      },
      [&](const Status& s) { bad.set_value(s); });
  db->WriteAsync(InsertRow("x2"), [&](const Status& s) { last.set_value(s); });
  release.set_value();
  EXPECT_OK(first.get_future().get());
  Status bad_status = bad.get_future().get();
  EXPECT_EQ(bad_status.code(), StatusCode::kAlreadyExists) << bad_status.ToString();
  EXPECT_OK(last.get_future().get());
  EXPECT_EQ(CountRows(*db, "v='partial'"), 0);
  EXPECT_EQ(CountRows(*db, "v IN ('x1','x2')"), 2);
}

TEST_F(DatabaseTest, AThrowingTransactionBecomesAnInternalError) {
  auto db = OpenDb();
  Status s = db->Write([](Connection&) -> Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("boom"), std::string::npos);
  EXPECT_OK(db->Write(InsertRow("after")));
}

TEST_F(DatabaseTest, WritesAfterCloseAreRefusedAndQueuedOnesAreFlushed) {
  auto db = OpenDb();
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i)
    db->WriteAsync(InsertRow("q" + std::to_string(i)), [&](const Status& s) {
      if (s.ok()) ++done;
    });
  db->Close();
  EXPECT_EQ(done.load(), 100);
  EXPECT_EQ(db->Write(InsertRow("late")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(CountRows(*db), 100);
}

TEST_F(DatabaseTest, WalStaysBoundedUnderSustainedWrites) {
  DatabaseOptions o;
  o.path = dir_.path() + "/wal.db";
  o.migrations = Schema();
  o.synchronous = Synchronous::kNormal;
  o.checkpoint_pages = 50;
  auto db = Database::Open(o);
  ASSERT_OK(db.status());
  // A fixed amount of work rather than a fixed time, so a slow build (TSan) checks the same
  // volume as a fast one.
  constexpr std::uint64_t kTransactions = 4000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto enough = [&] {
    return (*db)->stats().transactions >= kTransactions ||
           std::chrono::steady_clock::now() > deadline;
  };
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !enough(); ++i)
        (*db)->Write(
            InsertRow(std::to_string(t) + "/" + std::to_string(i) + std::string(200, 'x')));
    });
  }
  std::uintmax_t largest = 0;
  while (!enough()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::error_code ec;
    largest = std::max(largest, std::filesystem::file_size(o.path + "-wal", ec));
  }
  for (auto& w : writers) w.join();
  EXPECT_GE((*db)->stats().transactions, kTransactions) << "the writers did not finish in 60 s";
  // 50 pages is 0.2 MiB; one large batch past the threshold adds some.
  EXPECT_LT(largest, 16u << 20) << "the WAL kept growing";
}

// A child process writes from many threads and reports each acknowledged row id over a pipe;
// the parent SIGKILLs it mid-load and checks that every acknowledged row is on disk.
TEST_F(DatabaseTest, AcknowledgedRowsSurviveSigkill) {
  const std::string path = dir_.path() + "/kill.db";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    DatabaseOptions o;
    o.path = path;
    o.migrations = Schema();
    auto db = Database::Open(o);
    if (!db.ok()) _exit(3);
    std::mutex pipe_mu;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          std::string v = std::to_string(t) + ":" + std::to_string(i);
          if (!(*db)->Write(InsertRow(v)).ok()) _exit(4);
          std::lock_guard<std::mutex> lock(pipe_mu);
          std::string line = v + "\n";
          if (write(fds[1], line.data(), line.size()) < 0) _exit(5);
        }
      });
    }
    for (auto& t : threads) t.join();
    _exit(0);
  }
  close(fds[1]);
  std::set<std::string> acked;
  std::string buf;
  char chunk[4096];
  while (acked.size() < 2000) {
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buf.append(chunk, static_cast<std::size_t>(n));
    std::size_t pos;
    while ((pos = buf.find('\n')) != std::string::npos) {
      acked.insert(buf.substr(0, pos));
      buf.erase(0, pos + 1);
    }
  }
  kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
  ASSERT_GE(acked.size(), 2000u);

  DatabaseOptions o;
  o.path = path;
  o.migrations = Schema();
  auto db = Database::Open(o);
  ASSERT_OK(db.status());
  std::set<std::string> on_disk;
  ASSERT_OK((*db)->Read([&](Connection& c) {
    auto st = c.Prepare("SELECT v FROM rows");
    if (!st.ok()) return st.status();
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status();
      on_disk.insert(st->ColumnText(0));
    }
  }));
  std::size_t missing = 0;
  for (const auto& v : acked) missing += on_disk.count(v) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged rows";
}

}  // namespace
}  // namespace csops::sqlite
