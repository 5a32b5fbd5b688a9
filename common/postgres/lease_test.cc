// Leases on a real PostgreSQL server: one holder at a time, renewal keeps the epoch, a lapsed
// lease is taken over under the next epoch, the old holder's fenced writes are refused, and a
// takeover waits for a fenced write already under way (so every write of epoch N commits
// before epoch N+1 begins).
#include "common/postgres/lease.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/base/testutil.h"
#include "common/postgres/database.h"
#include "common/postgres/test_cluster.h"

namespace csops::postgres {
namespace {

using std::chrono::milliseconds;

class PgLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = TestCluster::Shared().NewDatabase();
    DatabaseOptions o;
    o.dsn = dsn_;
    o.name = "lease";
    o.pool_size = 1;
    o.migrations = {{1, "work", "CREATE TABLE work(epoch BIGINT NOT NULL, by TEXT NOT NULL)"}};
    auto db = Database::Open(std::move(o));  // creates csops_leases in csops_lease
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    (*db)->Close();
  }

  // A replica's own connection.
  std::unique_ptr<Connection> Replica() {
    auto c = Connection::Open(dsn_, "lease", "csops_lease", false);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // One fenced write: BEGIN, CheckFence, INSERT, COMMIT.
  static Status FencedWrite(Connection& c, const std::string& who, std::int64_t epoch) {
    if (Status s = c.Exec("BEGIN"); !s.ok()) return s;
    Status s = CheckFence(c, "expiry", who, epoch);
    if (s.ok()) s = c.Run("INSERT INTO work(epoch, by) VALUES($1, $2)", {epoch, who}).status();
    if (!s.ok()) {
      c.Exec("ROLLBACK");
      return s;
    }
    return c.Commit();
  }

  static std::int64_t Count(Connection& c, const std::string& sql) {
    auto r = c.Query(sql);
    return r.ok() ? r->Int(0, 0) : -1;
  }

  std::string dsn_;
};

TEST_F(PgLeaseTest, OneHolderAtATimeAndRenewalKeepsTheEpoch) {
  auto a = Replica(), b = Replica();
  ASSERT_TRUE(a && b);
  auto got = AcquireLease(*a, "expiry", "a", milliseconds(10000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(*got, std::optional<std::int64_t>(1));
  auto other = AcquireLease(*b, "expiry", "b", milliseconds(10000));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, std::nullopt);  // a's lease is live
  auto renewed = AcquireLease(*a, "expiry", "a", milliseconds(10000));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*renewed, std::optional<std::int64_t>(1));
  // Another name is another lease.
  auto purge = AcquireLease(*b, "purge", "b", milliseconds(10000));
  ASSERT_TRUE(purge.ok());
  EXPECT_EQ(*purge, std::optional<std::int64_t>(1));
  EXPECT_OK(FencedWrite(*a, "a", 1));
  // A clean release hands over at once, under the next epoch.
  EXPECT_OK(ReleaseLease(*a, "expiry", "a", 1));
  auto taken = AcquireLease(*b, "expiry", "b", milliseconds(10000));
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, std::optional<std::int64_t>(2));
}

TEST_F(PgLeaseTest, ALapsedHolderIsFencedOutAfterTheTakeover) {
  auto a = Replica(), b = Replica();
  ASSERT_TRUE(a && b);
  ASSERT_EQ(*AcquireLease(*a, "expiry", "a", milliseconds(300)), std::optional<std::int64_t>(1));
  EXPECT_OK(FencedWrite(*a, "a", 1));
  std::this_thread::sleep_for(milliseconds(450));  // a "pauses" past its lease
  // Even before anyone takes over, a's lapsed lease no longer lets it write.
  Status late = FencedWrite(*a, "a", 1);
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition) << late.ToString();
  EXPECT_NE(late.message().find("lease expiry"), std::string::npos) << late.message();
  ASSERT_EQ(*AcquireLease(*b, "expiry", "b", milliseconds(10000)), std::optional<std::int64_t>(2));
  // The old holder can neither write nor take the lease back while b's is live.
  EXPECT_EQ(FencedWrite(*a, "a", 1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*AcquireLease(*a, "expiry", "a", milliseconds(300)), std::nullopt);
  EXPECT_OK(FencedWrite(*b, "b", 2));
  EXPECT_EQ(Count(*b, "SELECT COUNT(*) FROM work WHERE by = 'a'"), 1);
  EXPECT_EQ(Count(*b, "SELECT COUNT(*) FROM work WHERE by = 'b'"), 1);
}

TEST_F(PgLeaseTest, ATakeoverWaitsForAFencedWriteUnderWay) {
  auto a = Replica(), b = Replica();
  ASSERT_TRUE(a && b);
  ASSERT_EQ(*AcquireLease(*a, "expiry", "a", milliseconds(300)), std::optional<std::int64_t>(1));
  ASSERT_OK(a->Exec("BEGIN"));
  ASSERT_OK(CheckFence(*a, "expiry", "a", 1));     // a's write has begun ...
  std::this_thread::sleep_for(milliseconds(400));  // ... and its lease lapses meanwhile
  auto takeover = std::async(std::launch::async,
                             [&] { return AcquireLease(*b, "expiry", "b", milliseconds(10000)); });
  // b's takeover waits on the row a's write holds FOR SHARE.
  EXPECT_EQ(takeover.wait_for(milliseconds(300)), std::future_status::timeout);
  ASSERT_OK(a->Run("INSERT INTO work(epoch, by) VALUES(1, 'a')").status());
  ASSERT_OK(a->Commit());
  auto got = takeover.get();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, std::optional<std::int64_t>(2));
  EXPECT_EQ(Count(*b, "SELECT COUNT(*) FROM work"), 1);  // a's write landed, before epoch 2
  EXPECT_EQ(FencedWrite(*a, "a", 1).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace csops::postgres
