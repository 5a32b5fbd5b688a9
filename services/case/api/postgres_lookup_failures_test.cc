// The failed-look-up count on a real PostgreSQL server: two ledgers on one database (two
// replicas) share it, it runs on the server's clock, clients are counted apart under a digest
// rather than their address, expired rows are deleted as failures are recorded, and an
// unreachable database is named (never its connection string) while failures still count.
#include "services/case/api/postgres_lookup_failures.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/base/testutil.h"
#include "common/postgres/test_cluster.h"
#include "services/case/case_test_util.h"
#include "services/case/store/postgres/postgres_case_store.h"

namespace csops::cases {
namespace {

constexpr int kLimit = FailureLedger::kLimit;

class PostgresFailureLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = postgres::TestCluster::Shared().NewDatabase();
    a_db_ = Open();
    b_db_ = Open();
    ASSERT_TRUE(a_db_ && b_db_);
    a_ = std::make_unique<PostgresFailureLedger>(*a_db_, TestSecret());
    b_ = std::make_unique<PostgresFailureLedger>(*b_db_, TestSecret());
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    if (a_db_) a_db_->Close();
    if (b_db_) b_db_->Close();
  }

  // One replica's pool on the shared database, the case schema migrated.
  std::unique_ptr<postgres::Database> Open() {
    postgres::DatabaseOptions o;
    o.dsn = dsn_;
    o.name = "case";
    o.pool_size = 2;
    o.acquire_timeout_ms = 200;
    o.migrations = PostgresCaseStore::Migrations(TestSecret());
    auto db = postgres::Database::Open(std::move(o));
    EXPECT_OK(db.status());
    return db.ok() ? std::move(*db) : nullptr;
  }

  static bool Allowed(FailureLedger& l, const std::string& client, Instant now = Instant()) {
    auto r = l.Allowed(client, now);
    EXPECT_OK(r.status());
    return r.ok() && *r;
  }

  // Rows of the table matching `where`, seen from replica a's database.
  std::int64_t Rows(const std::string& where = "true") {
    std::int64_t n = -1;
    EXPECT_OK(a_db_->Read([&](postgres::Connection& c) -> Status {
      auto r = c.Query("SELECT count(*) FROM csops_lookup_failures WHERE " + where);
      if (!r.ok()) return r.status();
      n = r->Int(0, 0);
      return Status::Ok();
    }));
    return n;
  }

  // Moves every recorded failure `seconds` into the past: the server's clock, fast-forwarded.
  void Age(int seconds) {
    EXPECT_OK(a_db_->Write([seconds](postgres::Connection& c) -> Status {
      return c
          .Run("UPDATE csops_lookup_failures SET at = at - $1::bigint * interval '1 second'",
               {seconds})
          .status();
    }));
  }

  std::string dsn_;
  std::unique_ptr<postgres::Database> a_db_, b_db_;
  std::unique_ptr<PostgresFailureLedger> a_, b_;
};

TEST_F(PostgresFailureLedgerTest, TwoReplicasShareOneCount) {
  const std::string client = "ip:10.0.0.7";
  for (int i = 0; i < kLimit - 1; ++i) {
    FailureLedger& replica = i % 2 == 0 ? *a_ : *b_;
    EXPECT_OK(replica.Record(client, Instant()));
  }
  EXPECT_TRUE(Allowed(*a_, client));
  EXPECT_TRUE(Allowed(*b_, client));
  EXPECT_OK(b_->Record(client, Instant()));  // the tenth, five on each replica
  EXPECT_FALSE(Allowed(*a_, client));
  EXPECT_FALSE(Allowed(*b_, client));
}

TEST_F(PostgresFailureLedgerTest, TheWindowIsAMinuteOnTheServersClock) {
  const std::string client = "ip:10.0.0.7";
  // The replicas' own clocks disagree wildly; only the server's counts.
  const Instant far_past = FromUnixMillis(0);
  const Instant far_future = FromUnixMillis(4102444800000);  // 2100
  for (int i = 0; i < kLimit; ++i) EXPECT_OK(a_->Record(client, i % 2 ? far_past : far_future));
  EXPECT_FALSE(Allowed(*b_, client, far_future));
  EXPECT_FALSE(Allowed(*b_, client, far_past));
  Age(50);
  EXPECT_FALSE(Allowed(*a_, client));  // 50 s ago is still inside the minute
  Age(11);
  EXPECT_TRUE(Allowed(*a_, client));
  EXPECT_TRUE(Allowed(*b_, client));
  // A fresh run of failures counts from zero again.
  for (int i = 0; i < kLimit - 1; ++i) EXPECT_OK(b_->Record(client, Instant()));
  EXPECT_TRUE(Allowed(*a_, client));
}

TEST_F(PostgresFailureLedgerTest, ClientsAreCountedApart) {
  for (int i = 0; i < kLimit; ++i) EXPECT_OK(a_->Record("ip:10.0.0.7", Instant()));
  EXPECT_FALSE(Allowed(*b_, "ip:10.0.0.7"));
  EXPECT_TRUE(Allowed(*b_, "ip:10.0.0.8"));
  EXPECT_TRUE(Allowed(*b_, "web:10.0.0.7"));  // a page's browser is not the address itself
}

TEST_F(PostgresFailureLedgerTest, TheTableHoldsADigestNotTheAddress) {
  EXPECT_OK(a_->Record("ip:10.0.0.7", Instant()));
  EXPECT_OK(b_->Record("ip:10.0.0.7", Instant()));
  EXPECT_EQ(Rows("client LIKE '%10.0.0.7%'"), 0);
  const std::string digest = a_->ClientDigest("ip:10.0.0.7");
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest, b_->ClientDigest("ip:10.0.0.7"));  // one key on every replica
  EXPECT_EQ(Rows("client = '" + digest + "'"), 2);
  // Under another office's secret the same client is another key.
  auto other = LookupSecret::FromHex(std::string(64, '6'));
  ASSERT_OK(other.status());
  EXPECT_NE(PostgresFailureLedger(*a_db_, *other).ClientDigest("ip:10.0.0.7"), digest);
}

TEST_F(PostgresFailureLedgerTest, RecordingDeletesExpiredRows) {
  for (int i = 0; i < 3; ++i) EXPECT_OK(a_->Record("ip:10.0.0.7", Instant()));
  EXPECT_OK(a_->Record("ip:10.0.0.8", Instant()));
  Age(61);
  EXPECT_OK(b_->Record("ip:10.0.0.7", Instant()));
  // The client's own expired rows went with its new failure; the other's wait for a sweep.
  EXPECT_EQ(Rows("client = '" + a_->ClientDigest("ip:10.0.0.7") + "'"), 1);
  EXPECT_EQ(Rows("client = '" + a_->ClientDigest("ip:10.0.0.8") + "'"), 1);
  // Every kSweepEvery-th failure a replica records deletes everyone's expired rows.
  for (std::uint64_t i = 1; i < PostgresFailureLedger::kSweepEvery; ++i)
    EXPECT_OK(b_->Record("ip:10.0.0." + std::to_string(100 + i % 50), Instant()));
  EXPECT_EQ(Rows("client = '" + a_->ClientDigest("ip:10.0.0.8") + "'"), 0);
  EXPECT_EQ(Rows("at <= now() - interval '1 minute'"), 0);
}

TEST_F(PostgresFailureLedgerTest, AnUnreachableDatabaseIsNamedAndFailuresStillCountHere) {
  a_db_->Close();
  auto allowed = a_->Allowed("ip:10.0.0.7", Instant());
  EXPECT_EQ(allowed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(allowed.status().message().find("PostgreSQL database 'case'"), std::string::npos)
      << allowed.status().ToString();
  EXPECT_EQ(allowed.status().message().find(dsn_), std::string::npos);
  const Instant now = FromUnixMillis(1700000000000);
  for (int i = 0; i < kLimit; ++i) {
    Status s = a_->Record("ip:10.0.0.7", now);
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
    EXPECT_EQ(s.message().find(dsn_), std::string::npos);
  }
  // Refused from this replica's own count, without asking the database.
  auto refused = a_->Allowed("ip:10.0.0.7", now);
  ASSERT_OK(refused.status());
  EXPECT_FALSE(*refused);
  // ... for a minute of this replica's clock.
  auto later = a_->Allowed("ip:10.0.0.7", now + std::chrono::seconds(61));
  EXPECT_EQ(later.status().code(), StatusCode::kUnavailable);
  // The other replica's database never saw them.
  EXPECT_TRUE(Allowed(*b_, "ip:10.0.0.7"));
}

}  // namespace
}  // namespace csops::cases
