// The QueueStore contract suite (store/queue_store_contract.h) on the PostgreSQL store, each
// test on an empty database of a throwaway server; and what only concurrent connections can
// show: the branch lock keeps numbers consecutive under parallel issues.
#include "services/queue/store/postgres/postgres_queue_store.h"

#include <atomic>
#include <set>

#include "common/postgres/test_cluster.h"
#include "services/queue/store/queue_store_contract.h"

namespace csops::queue {
namespace {

class PostgresUnderTest final : public QueueStoreUnderTest {
 public:
  explicit PostgresUnderTest(int pool = 4) {
    postgres::DatabaseOptions o;
    o.dsn = postgres::TestCluster::Shared().NewDatabase();
    o.name = "queue";
    o.pool_size = pool;
    o.migrations = PostgresQueueStore::Migrations();
    auto db = postgres::Database::Open(std::move(o));
    EXPECT_OK(db.status());
    if (db.ok()) {
      db_ = std::move(*db);
      store_ = std::make_unique<PostgresQueueStore>(*db_);
    }
  }
  QueueStore& store() override { return *store_; }

 private:
  std::unique_ptr<postgres::Database> db_;
  std::unique_ptr<PostgresQueueStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Postgres, QueueStoreContractTest,
                         ::testing::Values(QueueStoreFactory{
                             "Postgres", [] { return std::make_unique<PostgresUnderTest>(); }}),
                         QueueStoreFactory::Name);

TEST(PostgresQueueStoreTest, ParallelIssuesOnEightConnectionsGetConsecutiveNumbers) {
  PostgresUnderTest pg(8);
  constexpr int kIssues = 400;
  std::atomic<int> done{0}, failed{0};
  std::mutex mu;
  std::vector<int> numbers;
  for (int i = 0; i < kIssues; ++i) {
    // Read-then-write, as the engine does: without the branch lock two transactions would
    // read the same waiting count and one update would be lost.
    pg.store().Transact(
        [&, i](QueueTx& tx) -> Status {
          auto before = tx.GetServiceDay("b1", "2026-03-04", "A");
          if (!before.ok()) return before.status();
          auto sd = tx.TakeNumber("b1", "2026-03-04", "A", 1);
          if (!sd.ok()) return sd.status();
          if (sd->waiting != before->waiting + 1) return Status::Internal("a concurrent change");
          TicketRecord t;
          t.branch_id = "b1";
          t.business_day = "2026-03-04";
          t.number = sd->last_number;
          t.display = "A" + std::to_string(sd->last_number);
          t.service_code = "A";
          t.issued_at = t.queued_at = FromUnixMillis(1000 + i);
          auto id = tx.InsertTicket(t);
          if (!id.ok()) return id.status();
          std::lock_guard l(mu);
          numbers.push_back(sd->last_number);
          return Status();
        },
        [&](const Status& s) {
          if (!s.ok()) {
            ADD_FAILURE() << s.ToString();
            ++failed;
          }
          ++done;
        });
  }
  while (done.load() < kIssues) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(failed.load(), 0);
  std::set<int> unique(numbers.begin(), numbers.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kIssues)) << "a number was issued twice";
  EXPECT_EQ(*unique.begin(), 1);
  EXPECT_EQ(*unique.rbegin(), kIssues) << "numbers have a gap";
  ServiceDay day;
  ASSERT_OK(pg.store().Read([&](QueueReader& r) {
    auto d = r.GetServiceDay("b1", "2026-03-04", "A");
    if (!d.ok()) return d.status();
    day = *d;
    return Status();
  }));
  EXPECT_EQ(day.waiting, kIssues);
}

}  // namespace
}  // namespace csops::queue
