// common/postgres against a real PostgreSQL server (TestCluster): migrations under the row
// lock, commit-before-done, rollback, retries after a deadlock, LockKey, the pool's bound and
// timeout, COPY, error mapping, and an outage with reconnection.
#include "common/postgres/database.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/base/testutil.h"
#include "common/postgres/test_cluster.h"

namespace csops::postgres {
namespace {

std::vector<Migration> Schema() {
  return {{1, "items", "CREATE TABLE items(id BIGINT PRIMARY KEY, label TEXT NOT NULL)"},
          {2, "counters", "CREATE TABLE counters(k TEXT PRIMARY KEY, n BIGINT NOT NULL)"}};
}

class PgDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { dsn_ = TestCluster::Shared().NewDatabase(); }

  std::unique_ptr<Database> OpenDb(int pool = 4, std::vector<Migration> m = Schema(),
                                   int max_batch = 32) {
    DatabaseOptions o;
    o.dsn = dsn_;
    o.name = "test";
    o.pool_size = pool;
    o.max_batch = max_batch;
    o.migrations = std::move(m);
    o.registry = &registry_;
    auto db = Database::Open(std::move(o));
    EXPECT_OK(db.status());
    return db.ok() ? std::move(*db) : nullptr;
  }

  static std::int64_t Count(Database& db, const std::string& sql) {
    std::int64_t n = -1;
    EXPECT_OK(db.Read([&](Connection& c) -> Status {
      auto r = c.Query(sql);
      if (!r.ok()) return r.status();
      n = r->Int(0, 0);
      return Status::Ok();
    }));
    return n;
  }

  std::string dsn_;
  prometheus::Registry registry_;
};

TEST_F(PgDatabaseTest, MigrationsRunOnceAndRecordTheirVersion) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM csops_schema_history"), 2);
  db.reset();
  auto again = OpenDb();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->schema_version(), 2);
  EXPECT_EQ(Count(*again, "SELECT COUNT(*) FROM csops_schema_history"), 2);
  // The tables live in the service's own schema.
  EXPECT_EQ(Count(*again,
                  "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                  "'csops_test' AND table_name = 'items'"),
            1);
}

TEST_F(PgDatabaseTest, ProcessesStartingTogetherMigrateOnce) {
  std::vector<std::future<bool>> opened;
  for (int i = 0; i < 4; ++i)
    opened.push_back(std::async(std::launch::async, [&] { return OpenDb(2) != nullptr; }));
  for (auto& f : opened) EXPECT_TRUE(f.get());
  auto db = OpenDb();
  ASSERT_TRUE(db);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM csops_schema_history"), 2);
}

TEST_F(PgDatabaseTest, RefusesASchemaNewerThanItKnows) {
  ASSERT_TRUE(OpenDb());
  DatabaseOptions o;
  o.dsn = dsn_;
  o.name = "test";
  o.migrations = {Schema()[0]};
  auto old = Database::Open(std::move(o));
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(old.status().message().find("version 2, newer than this binary knows (1)"),
            std::string::npos)
      << old.status().message();
}

// A rolling upgrade, one step: replicas of the old release (knowing step 1) keep writing while
// a replica of the new release migrates to an additive step 2, and keep starting afterwards.
TEST_F(PgDatabaseTest, AnAdditiveStepLetsTheReleaseBeforeRunBesideIt) {
  std::vector<Migration> old_release = {Schema()[0]};
  std::vector<Migration> new_release = Schema();
  new_release[1].compatible_from = 1;
  auto old_db = OpenDb(2, old_release);
  ASSERT_TRUE(old_db);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int id = 1; !stop.load(); ++id) {
      Status s = old_db->Write([id](Connection& c) -> Status {
        auto r = c.Run("INSERT INTO items VALUES($1, 'old')", {id});
        return r.ok() ? Status::Ok() : r.status();
      });
      EXPECT_OK(s);
      if (s.ok()) written.fetch_add(1);
    }
  });
  ASSERT_TRUE(Eventually([&] { return written.load() >= 5; }));
  auto new_db = OpenDb(2, new_release);
  ASSERT_TRUE(new_db);
  EXPECT_EQ(new_db->schema_version(), 2);
  EXPECT_OK(new_db->Write([](Connection& c) -> Status {
    auto r = c.Run("INSERT INTO counters VALUES('k', 1)");
    return r.ok() ? Status::Ok() : r.status();
  }));
  const int before = written.load();
  EXPECT_TRUE(Eventually([&] { return written.load() >= before + 5; }));
  stop = true;
  writer.join();
  // An old replica restarting now finds version 2, declared compatible with it, and runs.
  old_db.reset();
  auto restarted = OpenDb(2, old_release);
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->schema_version(), 2);
  EXPECT_EQ(Count(*restarted, "SELECT COUNT(*) FROM csops_schema_history"), 2);
  EXPECT_EQ(Count(*restarted, "SELECT COUNT(*) FROM items"), written.load());
}

TEST_F(PgDatabaseTest, OlderBinariesRefuseABreakingOrSkippedStep) {
  auto steps = Schema();
  steps[1].compatible_from = 1;
  steps.push_back({3, "breaking", "ALTER TABLE items RENAME COLUMN label TO title"});
  ASSERT_TRUE(OpenDb(2, steps));
  DatabaseOptions o;
  o.dsn = dsn_;
  o.name = "test";
  o.migrations = {steps[0], steps[1]};
  auto two = Database::Open(o);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(two.status().message().find("version 3, newer than this binary knows (2)"),
            std::string::npos)
      << two.status().message();

  // Step 4 is additive on top of 3, so it is compatible from 3: binaries knowing 2 are still out.
  steps.push_back({4, "more", "CREATE TABLE more(x INT)", nullptr, 3});
  ASSERT_TRUE(OpenDb(2, steps));
  auto still = Database::Open(o);
  ASSERT_FALSE(still.ok());
  EXPECT_NE(still.status().message().find("compatible only from version 3"), std::string::npos)
      << still.status().message();
  o.migrations = {steps[0], steps[1], steps[2]};
  auto three = Database::Open(o);
  EXPECT_OK(three.status());
}

TEST_F(PgDatabaseTest, ASchemaFromBeforeRollingUpgradesGainsTheColumnAndStaysStrict) {
  {
    auto c = Connection::Open(dsn_, "test", "csops_test", /*create_schema=*/true);
    ASSERT_OK(c.status());
    ASSERT_OK((*c)->Exec(
        "CREATE TABLE csops_schema(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT "
        "NULL); INSERT INTO csops_schema VALUES(1, 2)"));
  }
  DatabaseOptions o;
  o.dsn = dsn_;
  o.name = "test";
  o.migrations = {Schema()[0]};
  auto old = Database::Open(o);
  ASSERT_FALSE(old.ok());  // what wrote version 2 declared nothing, so it is breaking
  EXPECT_NE(old.status().message().find("newer than this binary knows (1)"), std::string::npos)
      << old.status().message();
  auto db = OpenDb();
  ASSERT_TRUE(db);
  EXPECT_EQ(Count(*db, "SELECT compatible_from FROM csops_schema"), 0);
}

TEST_F(PgDatabaseTest, AStepDeclaringCompatibilityWithItselfIsRefused) {
  auto steps = Schema();
  steps[1].compatible_from = 2;
  DatabaseOptions o;
  o.dsn = dsn_;
  o.name = "test";
  o.migrations = steps;
  auto db = Database::Open(std::move(o));
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("migration 2 declares compatible_from 2"), std::string::npos)
      << db.status().message();
}

TEST_F(PgDatabaseTest, AFailingMigrationLeavesTheSchemaAsItWas) {
  auto bad = Schema();
  bad.push_back({3, "broken", "CREATE TABLE more(x INT); SELECT no_such_column FROM items"});
  DatabaseOptions o;
  o.dsn = dsn_;
  o.name = "test";
  o.migrations = bad;
  auto db = Database::Open(std::move(o));
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("migration 3"), std::string::npos) << db.status().message();
  // The whole run was one transaction: steps 1 and 2 were rolled back with step 3.
  auto good = OpenDb();
  ASSERT_TRUE(good);
  EXPECT_EQ(Count(*good, "SELECT COUNT(*) FROM csops_schema_history"), 2);
  EXPECT_EQ(Count(*good,
                  "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
                  "'more'"),
            0);
}

TEST_F(PgDatabaseTest, DoneRunsAfterCommitAndAFailureRollsBack) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  std::promise<Status> done;
  db->Transact(
      [&](Connection& c) -> Status {
        auto r = c.Run("INSERT INTO items VALUES($1, $2)", {1, "一"});
        return r.ok() ? Status::Ok() : r.status();
      },
      [&](const Status& s) {
        // Another connection sees the row the moment done runs: it is committed.
        Status seen = db->Read([&](Connection& c) -> Status {
          auto r = c.Query("SELECT label FROM items WHERE id = 1");
          if (!r.ok()) return r.status();
          return r->size() == 1 && r->Text(0, 0) == "一" ? Status::Ok()
                                                         : Status::Internal("row not visible");
        });
        done.set_value(s.ok() ? seen : s);
      });
  EXPECT_OK(done.get_future().get());

  Status failed = db->Write([](Connection& c) -> Status {
    auto r = c.Run("INSERT INTO items VALUES($1, $2)", {2, "二"});
    if (!r.ok()) return r.status();
    return Status::FailedPrecondition("the engine refused");
  });
  EXPECT_EQ(failed.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items"), 1);
}

TEST_F(PgDatabaseTest, UniqueViolationIsAlreadyExistsAndNamesTheDatabase) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  auto insert = [](Connection& c) -> Status {
    auto r = c.Run("INSERT INTO items VALUES($1, $2)", {7, "x"});
    return r.ok() ? Status::Ok() : r.status();
  };
  ASSERT_OK(db->Write(insert));
  Status dup = db->Write(insert);
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("PostgreSQL database 'test'"), std::string::npos) << dup.message();
  EXPECT_EQ(db->stats().retries, 0u);
}

TEST_F(PgDatabaseTest, AFailedStatementTheCodeIgnoredStillFailsTheTransaction) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  ASSERT_OK(db->Write([](Connection& c) -> Status {
    auto r = c.Run("INSERT INTO items VALUES(1, 'x')");
    return r.ok() ? Status::Ok() : r.status();
  }));
  Status s = db->Write([](Connection& c) -> Status {
    auto a = c.Run("INSERT INTO items VALUES(2, 'y')");
    if (!a.ok()) return a.status();
    (void)c.Run("INSERT INTO items VALUES(1, 'duplicate')");  // taken for an answer
    (void)c.Run("INSERT INTO items VALUES(3, 'z')");          // 25P02: the transaction is over
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items"), 1)
      << "a row of the failed transaction stayed";
}

TEST_F(PgDatabaseTest, ADeadlockIsRetriedAndBothTransactionsCommit) {
  // Two transactions of their own (in one batch the second would run after the first).
  auto db = OpenDb(4, Schema(), /*max_batch=*/1);
  ASSERT_TRUE(db);
  ASSERT_OK(db->Write([](Connection& c) -> Status {
    auto r = c.Run("INSERT INTO counters VALUES('a', 0), ('b', 0)");
    return r.ok() ? Status::Ok() : r.status();
  }));
  // Each transaction updates one row, waits until the other has too (first run only), then
  // updates the other row: PostgreSQL's deadlock detector aborts one with 40P01.
  std::atomic<int> first_step{0};
  auto cross = [&](const char* one, const char* two) {
    return [&, one, two, attempt = 0](Connection& c) mutable -> Status {
      auto r = c.Run("UPDATE counters SET n = n + 1 WHERE k = $1", {one});
      if (!r.ok()) return r.status();
      if (attempt++ == 0) {
        ++first_step;
        while (first_step.load() < 2) std::this_thread::yield();
      }
      r = c.Run("UPDATE counters SET n = n + 1 WHERE k = $1", {two});
      return r.ok() ? Status::Ok() : r.status();
    };
  };
  auto t1 = std::async(std::launch::async, [&] { return db->Write(cross("a", "b")); });
  auto t2 = std::async(std::launch::async, [&] { return db->Write(cross("b", "a")); });
  EXPECT_OK(t1.get());
  EXPECT_OK(t2.get());
  EXPECT_GE(db->stats().retries, 1u);
  EXPECT_EQ(Count(*db, "SELECT SUM(n) FROM counters"), 4);
}

// Holds a worker inside a transaction until released: jobs queued meanwhile form a batch.
class Gate {
 public:
  Database::TxFn Job(std::function<Status(Connection&)> first = nullptr) {
    return [this, first](Connection& c) -> Status {
      if (first)
        if (Status s = first(c); !s.ok()) return s;
      entered_.set_value();
      leave_.wait();
      return Status::Ok();
    };
  }
  void AwaitEntered() { entered_.get_future().wait(); }
  void Open() { open_.set_value(); }

 private:
  std::promise<void> entered_, open_;
  std::shared_future<void> leave_ = open_.get_future().share();
};

Status Insert(Connection& c, int id, const std::string& label) {
  auto r = c.Run("INSERT INTO items VALUES($1, $2)", {id, label});
  return r.ok() ? Status::Ok() : r.status();
}

TEST_F(PgDatabaseTest, AJobThatFailsInABatchRollsBackAloneAndTheOthersCommit) {
  auto db = OpenDb(/*pool=*/1);
  ASSERT_TRUE(db);
  Gate gate;
  std::promise<Status> gate_done;
  db->Transact(gate.Job(), [&](const Status& s) { gate_done.set_value(s); });
  gate.AwaitEntered();
  // Queued behind the gate: even ids commit, odd ids write a row and then fail (by their
  // own answer, or by a unique violation PostgreSQL aborts the statement for).
  std::vector<std::promise<Status>> outcome(20);
  for (int i = 0; i < 20; ++i)
    db->Transact(
        [i](Connection& c) -> Status {
          CSOPS_RETURN_IF_ERROR(Insert(c, 100 + i, "job"));
          if (i % 4 == 1) return Status::FailedPrecondition("job " + std::to_string(i));
          if (i % 4 == 3) return Insert(c, 100 + i, "again");
          return Status::Ok();
        },
        [&outcome, i](const Status& s) { outcome[i].set_value(s); });
  gate.Open();
  ASSERT_OK(gate_done.get_future().get());
  for (int i = 0; i < 20; ++i) {
    Status s = outcome[i].get_future().get();
    const StatusCode want = i % 4 == 1   ? StatusCode::kFailedPrecondition
                            : i % 4 == 3 ? StatusCode::kAlreadyExists
                                         : StatusCode::kOk;
    EXPECT_EQ(s.code(), want) << i << " " << s.ToString();
  }
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items"), 10) << "a failed job's row stayed";
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items WHERE id % 2 = 1"), 0);
  EXPECT_GE(db->stats().batched, 10u) << "the jobs did not share a transaction";
}

TEST_F(PgDatabaseTest, JobsOfOneSerialKeyNeverRunInTwoTransactionsAtOnceAndShareCommits) {
  auto db = OpenDb(/*pool=*/4);
  ASSERT_TRUE(db);
  ASSERT_OK(db->Write([](Connection& c) {
    return c.Run("INSERT INTO counters(k, n) VALUES('branch', 0), ('other', 0)").status();
  }));
  std::atomic<int> inside{0}, most_inside{0};
  std::vector<std::promise<Status>> done(64);
  for (int i = 0; i < 64; ++i) {
    const bool keyed = i % 4 != 3;  // three in four for one key, the rest without one
    db->Transact(
        [&, keyed](Connection& c) -> Status {
          if (!keyed) {
            return c.Run("UPDATE counters SET n = n + 1 WHERE k = 'other'").status();
          }
          // No LockKey: the serial key alone keeps this read-modify-write safe.
          const int now = ++inside;
          int seen = most_inside.load();
          while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
          }
          auto r = c.Query("SELECT n FROM counters WHERE k = 'branch'");
          Status s = r.status();
          if (s.ok()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            s = c.Run("UPDATE counters SET n = $1 WHERE k = 'branch'", {r->Int(0, 0) + 1}).status();
          }
          --inside;
          return s;
        },
        [&done, i](const Status& s) { done[i].set_value(s); }, keyed ? "branch:b1" : "");
  }
  for (auto& d : done) EXPECT_OK(d.get_future().get());
  EXPECT_EQ(most_inside.load(), 1) << "two transactions of one key ran at once";
  EXPECT_EQ(Count(*db, "SELECT n FROM counters WHERE k = 'branch'"), 48);
  EXPECT_EQ(Count(*db, "SELECT n FROM counters WHERE k = 'other'"), 16);
  EXPECT_GE(db->stats().batched, 20u) << "the key's jobs did not share transactions";
}

TEST_F(PgDatabaseTest, AJobInABatchWhoseLockIsHeldElsewhereRunsAloneWithoutBlockingTheBatch) {
  auto db = OpenDb(/*pool=*/2);
  ASSERT_TRUE(db);
  // The lock's row exists, as it does once a branch or a case has been locked before.
  ASSERT_OK(db->Write([](Connection& c) { return c.LockKey("k", "b"); }));
  Gate holder, blocker;
  std::promise<Status> holder_done, blocker_done, a_done, b_done;
  db->Transact(holder.Job([](Connection& c) { return c.LockKey("k", "b"); }),
               [&](const Status& s) { holder_done.set_value(s); });
  holder.AwaitEntered();
  db->Transact(blocker.Job(), [&](const Status& s) { blocker_done.set_value(s); });
  blocker.AwaitEntered();
  auto locked_insert = [](const char* key, int id) {
    return [key, id](Connection& c) -> Status {
      CSOPS_RETURN_IF_ERROR(c.LockKey("k", key));
      return Insert(c, id, key);
    };
  };
  db->Transact(locked_insert("a", 1), [&](const Status& s) { a_done.set_value(s); });
  db->Transact(locked_insert("b", 2), [&](const Status& s) { b_done.set_value(s); });
  blocker.Open();
  // a commits in the batch while b's lock is still held: the batch did not wait for it.
  auto a = a_done.get_future();
  ASSERT_EQ(a.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_OK(a.get());
  auto b = b_done.get_future();
  EXPECT_EQ(b.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "b ran without the lock";
  holder.Open();
  EXPECT_OK(holder_done.get_future().get());
  EXPECT_OK(blocker_done.get_future().get());
  EXPECT_OK(b.get());
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items"), 2);
}

TEST_F(PgDatabaseTest, LockKeySerialisesReadModifyWriteAcrossConnections) {
  auto db = OpenDb(8);
  ASSERT_TRUE(db);
  ASSERT_OK(db->Write([](Connection& c) -> Status {
    auto r = c.Run("INSERT INTO counters VALUES('k', 0)");
    return r.ok() ? Status::Ok() : r.status();
  }));
  std::atomic<int> done{0}, failed{0};
  for (int i = 0; i < 200; ++i)
    db->Transact(
        [](Connection& c) -> Status {
          if (Status s = c.LockKey("counter", "k"); !s.ok()) return s;
          if (Status s = c.LockKey("counter", "k"); !s.ok()) return s;  // a second time: free
          auto r = c.Query("SELECT n FROM counters WHERE k = 'k'");
          if (!r.ok()) return r.status();
          auto w = c.Run("UPDATE counters SET n = $1 WHERE k = 'k'", {r->Int(0, 0) + 1});
          return w.ok() ? Status::Ok() : w.status();
        },
        [&](const Status& s) {
          if (!s.ok()) ++failed;
          ++done;
        });
  while (done.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(Count(*db, "SELECT n FROM counters WHERE k = 'k'"), 200) << "an update was lost";
}

TEST_F(PgDatabaseTest, AJobWaitingLongerThanTheTimeoutGetsUnavailable) {
  DatabaseOptions o;
  o.dsn = dsn_;
  o.name = "test";
  o.pool_size = 1;
  o.acquire_timeout_ms = 100;
  o.migrations = Schema();
  auto db = Database::Open(std::move(o));
  ASSERT_OK(db.status());
  std::promise<void> release, running;
  auto held = release.get_future().share();
  std::promise<Status> first;
  (*db)->Transact(
      [held, &running](Connection&) -> Status {
        running.set_value();
        held.wait();
        return Status::Ok();
      },
      [&](const Status& s) { first.set_value(s); });
  running.get_future().wait();  // the only connection is taken
  Status second = (*db)->Read([](Connection&) { return Status::Ok(); });
  EXPECT_EQ(second.code(), StatusCode::kUnavailable);
  EXPECT_NE(second.message().find("no connection free within 100 ms (pool of 1)"),
            std::string::npos)
      << second.message();
  release.set_value();
  EXPECT_OK(first.get_future().get());
}

TEST_F(PgDatabaseTest, CopyLoadsRowsWithAnyText) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int i = 0; i < 1000; ++i)
    rows.push_back({std::to_string(i), "tab\there\nnew line \\ 中文 " + std::to_string(i)});
  ASSERT_OK(db->Write([&](Connection& c) -> Status {
    auto n = c.Copy("items", "id, label", rows);
    if (!n.ok()) return n.status();
    return *n == 1000 ? Status::Ok() : Status::Internal("short copy");
  }));
  EXPECT_EQ(Count(*db,
                  "SELECT COUNT(*) FROM items WHERE label LIKE 'tab\there\nnew line \\\\ "
                  "中文 %'"),
            1000);
}

// Runs last in this binary's order: it stops the shared server and starts it again.
TEST_F(PgDatabaseTest, ZOutageGivesUnavailableNamingTheDatabaseAndRecovers) {
  auto db = OpenDb(2);
  ASSERT_TRUE(db);
  auto insert = [](int id) {
    return [id](Connection& c) -> Status {
      auto r = c.Run("INSERT INTO items VALUES($1, 'x')", {id});
      return r.ok() ? Status::Ok() : r.status();
    };
  };
  ASSERT_OK(db->Write(insert(1)));
  TestCluster::Shared().Stop();
  Status down = db->Write(insert(2));
  EXPECT_EQ(down.code(), StatusCode::kUnavailable) << down.ToString();
  EXPECT_NE(down.message().find("PostgreSQL database 'test'"), std::string::npos) << down.message();
  EXPECT_EQ(down.message().find("host="), std::string::npos) << "the DSN leaked";
  EXPECT_FALSE(db->available());
  TestCluster::Shared().Start();
  for (int i = 0; i < 100 && !db->available(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(db->available()) << "the monitor did not reconnect within 10 s";
  EXPECT_OK(db->Write(insert(3)));
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM items"), 2);

  prometheus::TextSerializer text;
  const std::string metrics = text.Serialize(registry_.Collect());
  // The failure is counted by its SQLSTATE class: 57 (the server's shutdown notice) or 08 (no
  // answer at all), depending on which the connection saw first.
  EXPECT_TRUE(
      metrics.find("csops_store_errors_total{class=\"08\",db=\"test\"}") != std::string::npos ||
      metrics.find("csops_store_errors_total{class=\"57\",db=\"test\"}") != std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("csops_store_pool_connections{db=\"test\",state=\"in_use\"} 0"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace csops::postgres
