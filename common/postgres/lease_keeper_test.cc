// LeaseKeeper on a real PostgreSQL server, with two keepers as two replicas: one holds at a
// time, a clean stop hands over within one renewal period, a frozen holder within one ttl, the
// frozen holder stops believing it holds before the takeover, and its fenced write after the
// takeover is refused while the new holder's commits.
#include "common/postgres/lease_keeper.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "common/base/testutil.h"
#include "common/postgres/test_cluster.h"

namespace csops::postgres {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr milliseconds kTtl{900};

class PgLeaseKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dsn = TestCluster::Shared().NewDatabase();
    for (auto* db : {&a_db_, &b_db_}) {
      DatabaseOptions o;
      o.dsn = dsn;
      o.name = "keeper";
      o.pool_size = 2;
      o.migrations = {{1, "work", "CREATE TABLE work(epoch BIGINT NOT NULL, by TEXT NOT NULL)"}};
      auto opened = Database::Open(std::move(o));
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      *db = std::move(*opened);
    }
  }

  // One write of singleton work under the epoch the holder had when it began.
  static Status FencedWrite(Database& db, const LeaseKeeper& k, std::int64_t epoch) {
    return db.Write([&](Connection& c) -> Status {
      CSOPS_RETURN_IF_ERROR(k.Fence(c, epoch));
      return c.Run("INSERT INTO work(epoch, by) VALUES($1, $2)", {epoch, k.holder()}).status();
    });
  }

  std::int64_t Rows(const std::string& by) {
    std::int64_t n = -1;
    EXPECT_OK(a_db_->Read([&](Connection& c) -> Status {
      auto r = c.Query("SELECT COUNT(*) FROM work WHERE by = $1", {by});
      if (!r.ok()) return r.status();
      n = r->Int(0, 0);
      return Status::Ok();
    }));
    return n;
  }

  static std::string Exposition(prometheus::Registry& r) {
    return prometheus::TextSerializer().Serialize(r.Collect());
  }

  std::unique_ptr<Database> a_db_, b_db_;
};

TEST_F(PgLeaseKeeperTest, OneHoldsAndACleanStopHandsOverWithinARenewal) {
  prometheus::Registry ra, rb;
  LeaseKeeper a(*a_db_, "daily_expiry", "replica-a", kTtl, &ra);
  LeaseKeeper b(*b_db_, "daily_expiry", "replica-b", kTtl, &rb);
  a.Start();
  b.Start();
  ASSERT_TRUE(a.held());
  EXPECT_FALSE(b.held());
  EXPECT_NE(Exposition(ra).find("csops_lease_held{lease=\"daily_expiry\"} 1"), std::string::npos);
  EXPECT_NE(Exposition(rb).find("csops_lease_held{lease=\"daily_expiry\"} 0"), std::string::npos);
  // Renewals keep the epoch.
  const std::int64_t epoch = *a.held();
  std::this_thread::sleep_for(kTtl * 2);
  ASSERT_TRUE(a.held());
  EXPECT_EQ(*a.held(), epoch);
  EXPECT_FALSE(b.held());

  const auto stopped = Steady::now();
  a.Stop();
  ASSERT_TRUE(Eventually([&] { return b.held().has_value(); }, milliseconds(2000)));
  EXPECT_LT(Steady::now() - stopped, kTtl / 3 + milliseconds(300));  // released, not expired
  EXPECT_EQ(*b.held(), epoch + 1);
  EXPECT_NE(Exposition(rb).find("csops_lease_held{lease=\"daily_expiry\"} 1"), std::string::npos);
}

TEST_F(PgLeaseKeeperTest, AFrozenHolderLosesTheLeaseAndItsLateWriteIsRefused) {
  LeaseKeeper a(*a_db_, "postcards", "replica-a", kTtl);
  LeaseKeeper b(*b_db_, "postcards", "replica-b", kTtl);
  a.Start();
  b.Start();
  ASSERT_TRUE(a.held());
  const std::int64_t old_epoch = *a.held();  // A begins a batch under this epoch ...
  EXPECT_OK(FencedWrite(*a_db_, a, old_epoch));

  const auto frozen = Steady::now();
  a.Abandon();  // ... and freezes (SIGSTOP) before its last write
  // A stops believing before B can take over: its own clock's ttl minus the margin.
  ASSERT_TRUE(Eventually([&] { return !a.held().has_value(); }, milliseconds(2000)));
  const auto a_gave_up = Steady::now();
  ASSERT_TRUE(Eventually([&] { return b.held().has_value(); }, milliseconds(3000)));
  const auto b_took = Steady::now();
  EXPECT_LE(a_gave_up, b_took);
  EXPECT_LT(b_took - frozen, kTtl + kTtl / 3 + milliseconds(300));  // within one lease period
  EXPECT_EQ(*b.held(), old_epoch + 1);

  // A wakes up and finishes the write it had begun: refused, nothing written.
  Status late = FencedWrite(*a_db_, a, old_epoch);
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("lease postcards"), std::string::npos) << late.message();
  EXPECT_OK(FencedWrite(*b_db_, b, *b.held()));
  EXPECT_EQ(Rows("replica-a"), 1);
  EXPECT_EQ(Rows("replica-b"), 1);
}

TEST_F(PgLeaseKeeperTest, LeasesOfDifferentNamesAreIndependent) {
  LeaseKeeper a(*a_db_, "expiry", "replica-a", kTtl);
  LeaseKeeper b(*b_db_, "purge", "replica-b", kTtl);
  a.Start();
  b.Start();
  EXPECT_TRUE(a.held());
  EXPECT_TRUE(b.held());
}

}  // namespace
}  // namespace csops::postgres
