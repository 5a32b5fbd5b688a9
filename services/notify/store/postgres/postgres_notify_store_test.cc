// The PostgreSQL notify store: the store contract (notify_store_contract.h), each test on an
// empty database of a throwaway server; that its tables and columns are notify.db's; and what
// only concurrent connections can show: claims never share a delivery, one key is inserted once,
// two completions of one delivery serialise, a receipt racing its send is not lost, duplicate
// tasks are ignored, a plan step runs once, and a failed statement is never committed.
#include "services/notify/store/postgres/postgres_notify_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "common/base/testutil.h"
#include "common/postgres/test_cluster.h"
#include "common/sqlite/connection.h"
#include "common/sqlite/database.h"
#include "services/notify/store/notify_store_contract.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"

namespace csops::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

// The store with the database it runs on.
class OwnedPostgresStore final : public NotifyStore {
 public:
  OwnedPostgresStore(std::unique_ptr<postgres::Database> db) : db_(std::move(db)), store_(*db_) {}
  void Transact(std::function<Status(NotifyTx&)> fn,
                std::function<void(const Status&)> done) override {
    store_.Transact(std::move(fn), std::move(done));
  }
  Status Read(const std::function<Status(NotifyTx&)>& fn) override { return store_.Read(fn); }
  postgres::Database& db() { return *db_; }

 private:
  std::unique_ptr<postgres::Database> db_;
  PostgresNotifyStore store_;
};

std::unique_ptr<OwnedPostgresStore> OpenPostgres(int pool = 4) {
  postgres::DatabaseOptions o;
  o.dsn = postgres::TestCluster::Shared().NewDatabase();
  o.name = "notify";
  o.pool_size = pool;
  o.migrations = PostgresNotifyStore::Migrations();
  auto db = postgres::Database::Open(std::move(o));
  EXPECT_OK(db.status());
  if (!db.ok()) return nullptr;
  return std::make_unique<OwnedPostgresStore>(std::move(*db));
}

INSTANTIATE_TEST_SUITE_P(Postgres, NotifyStoreContract,
                         ::testing::Values(NotifyStoreImpl{
                             "Postgres",
                             [](const std::string&) -> std::unique_ptr<NotifyStore> {
                               return OpenPostgres();
                             }}),
                         NotifyStoreImplName);

class PostgresNotifyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = OpenPostgres(4);
    ASSERT_NE(pg_, nullptr);
  }
  Status Write(std::function<Status(NotifyTx&)> fn) {
    std::promise<Status> done;
    pg_->Transact(std::move(fn), [&done](const Status& s) { done.set_value(s); });
    return done.get_future().get();
  }
  // `n` notifications of one pending email delivery each, due at `due`.
  void InsertDue(int n, Instant due) {
    ASSERT_OK(Write([&](NotifyTx& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        NotificationRecord rec;
        rec.idempotency_key = "due-" + std::to_string(i);
        rec.kind = "bill_unpaid";
        rec.accepted_at = due;
        auto id = tx.InsertNotification(rec);
        if (!id.ok()) return id.status();
        DeliveryRecord d;
        d.notification_id = *id;
        d.channel = Channel::kEmail;
        d.status = DeliveryStatus::kPending;
        d.next_attempt_at = due;
        CSOPS_RETURN_IF_ERROR(tx.InsertDelivery(d).status());
      }
      return Status();
    }));
  }
  std::int64_t Count(const std::string& sql) {
    std::int64_t n = -1;
    EXPECT_OK(pg_->db().Read([&](postgres::Connection& c) -> Status {
      auto r = c.Query(sql);
      if (!r.ok()) return r.status();
      n = r->Int(0, 0);
      return Status();
    }));
    return n;
  }

  static inline const Instant kNow = FromUnixMillis(1772500000123);
  std::unique_ptr<OwnedPostgresStore> pg_;
};

// Table and column names, "table.column", of the store's own tables.
std::set<std::string> PostgresColumns(postgres::Database& db) {
  std::set<std::string> out;
  EXPECT_OK(db.Read([&](postgres::Connection& c) -> Status {
    auto r = c.Query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name NOT LIKE 'csops\\_%'");  // bookkeeping, not notify.db's
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) out.insert(r->Text(i, 0) + "." + r->Text(i, 1));
    return Status();
  }));
  return out;
}

TEST_F(PostgresNotifyStoreTest, TablesAndColumnsAreThoseOfNotifyDbAfterAllItsMigrations) {
  TempDir dir;
  sqlite::DatabaseOptions o;
  o.path = dir.path() + "/notify.db";
  o.migrations = SqliteNotifyStore::Migrations();
  auto lite = sqlite::Database::Open(o);
  ASSERT_OK(lite.status());
  std::set<std::string> want;
  ASSERT_OK((*lite)->Read([&](sqlite::Connection& c) -> Status {
    auto st = c.Prepare(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'");
    if (!st.ok()) return st.status();
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status();
      want.insert(st->ColumnText(0) + "." + st->ColumnText(1));
    }
  }));
  EXPECT_GT(want.size(), 60u);
  want.insert("deliveries.leased_by");  // which replica holds a lease: one process needs none
  EXPECT_EQ(PostgresColumns(pg_->db()), want);
}

TEST_F(PostgresNotifyStoreTest, AReplicaRestartingGivesBackItsOwnLeasesOnly) {
  InsertDue(10, kNow - minutes(1));
  // Two replicas' stores on the one schema.
  PostgresNotifyStore a(pg_->db(), "host1:/var/lib/csops/1");
  PostgresNotifyStore b(pg_->db(), "host2:/var/lib/csops/1");
  auto claim = [&](PostgresNotifyStore& store, int n) {
    std::vector<std::int64_t> ids;
    std::promise<Status> done;
    store.Transact(
        [&](NotifyTx& tx) -> Status {
          ids.clear();
          auto got = tx.ClaimDue(kNow, kNow + minutes(5), n);
          if (!got.ok()) return got.status();
          for (const DeliveryRecord& d : *got) ids.push_back(d.id);
          return Status();
        },
        [&](const Status& st) { done.set_value(st); });
    EXPECT_OK(done.get_future().get());
    return ids;
  };
  EXPECT_EQ(claim(a, 4).size(), 4u);
  EXPECT_EQ(claim(b, 3).size(), 3u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE leased_by = 'host1:/var/lib/csops/1'"), 4);
  // a restarts (kill -9 and back): its four come due at once; b's three stay b's, in flight.
  std::promise<Status> released;
  int given_back = -1;
  a.Transact(
      [&](NotifyTx& tx) -> Status {
        auto n = tx.ReleaseLeases(kNow);
        if (!n.ok()) return n.status();
        given_back = *n;
        return Status();
      },
      [&](const Status& st) { released.set_value(st); });
  ASSERT_OK(released.get_future().get());
  EXPECT_EQ(given_back, 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE leased = 1"), 3);
  // What a may claim now is its own four again and the three never claimed, not b's.
  auto again = claim(a, 10);
  EXPECT_EQ(again.size(), 7u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE leased = 1 AND leased_by = "
                  "'host2:/var/lib/csops/1' AND next_attempt_at = " +
                  std::to_string(ToUnixMillis(kNow + minutes(5)))),
            3);
}

TEST_F(PostgresNotifyStoreTest, FourConcurrentClaimsTakeEveryDueDeliveryExactlyOnce) {
  constexpr int kDue = 1000;
  InsertDue(kDue, kNow - minutes(1));
  std::mutex mu;
  std::vector<std::int64_t> claimed;
  std::atomic<int> inside{0}, most_inside{0};
  auto worker = [&] {
    for (;;) {
      std::vector<std::int64_t> mine;
      Status s = Write([&](NotifyTx& tx) -> Status {
        mine.clear();  // a retried transaction starts over
        auto got = tx.ClaimDue(kNow, kNow + minutes(5), 25);
        if (!got.ok()) return got.status();
        for (const DeliveryRecord& d : *got) mine.push_back(d.id);
        const int now_inside = ++inside;
        int seen = most_inside.load();
        while (now_inside > seen && !most_inside.compare_exchange_weak(seen, now_inside)) {
        }
        std::this_thread::sleep_for(milliseconds(3));  // hold the rows while others claim
        --inside;
        return Status();
      });
      EXPECT_OK(s);
      if (!s.ok() || mine.empty()) return;
      std::lock_guard l(mu);
      claimed.insert(claimed.end(), mine.begin(), mine.end());
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  EXPECT_GE(most_inside.load(), 2) << "the claims never overlapped";
  const std::set<std::int64_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kDue)) << "a delivery was claimed twice";
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kDue)) << "a due delivery was never claimed";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE leased = 1 AND next_attempt_at = " +
                  std::to_string(ToUnixMillis(kNow + minutes(5)))),
            kDue);
}

TEST_F(PostgresNotifyStoreTest, TwoSendsWithOneKeyInsertOnceAndTheOtherFindsIt) {
  constexpr int kKeys = 10;
  struct Outcome {
    std::int64_t inserted = 0, found = 0;
    Status status;
  };
  std::vector<Outcome> outcomes(2 * kKeys);
  std::vector<std::promise<void>> finished(2 * kKeys);
  for (int i = 0; i < 2 * kKeys; ++i) {
    const std::string key = "same-" + std::to_string(i / 2);
    Outcome& out = outcomes[static_cast<std::size_t>(i)];
    // The engine's check-then-insert (NotifyEngine::AcceptInTx), slowed down between the two.
    pg_->Transact(
        [&out, key](NotifyTx& tx) -> Status {
          out.inserted = out.found = 0;
          auto existing = tx.FindByKey(key);
          if (!existing.ok()) return existing.status();
          if (*existing) {
            out.found = **existing;
            return Status();
          }
          std::this_thread::sleep_for(milliseconds(50));
          NotificationRecord n;
          n.idempotency_key = key;
          n.kind = "bill_unpaid";
          n.accepted_at = kNow;
          auto id = tx.InsertNotification(n);
          if (!id.ok()) return id.status();
          out.inserted = *id;
          return Status();
        },
        [&out, &done = finished[static_cast<std::size_t>(i)]](const Status& s) {
          out.status = s;
          done.set_value();
        });
  }
  for (auto& f : finished) f.get_future().wait();
  for (int k = 0; k < kKeys; ++k) {
    const Outcome& a = outcomes[static_cast<std::size_t>(2 * k)];
    const Outcome& b = outcomes[static_cast<std::size_t>(2 * k + 1)];
    EXPECT_OK(a.status);
    EXPECT_OK(b.status);
    EXPECT_EQ((a.inserted != 0) + (b.inserted != 0), 1) << "key " << k;
    EXPECT_EQ(a.inserted + b.inserted, a.found + b.found) << "key " << k << ": found another id";
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM notifications"), kKeys);
}

TEST_F(PostgresNotifyStoreTest, TwoCompletionsOfOneDeliveryRunOneAfterTheOther) {
  InsertDue(1, kNow);
  std::int64_t id = 0;
  ASSERT_OK(pg_->Read([&](NotifyTx& tx) -> Status {
    auto ds = tx.Deliveries(*tx.FindByKey("due-0").value());
    if (!ds.ok()) return ds.status();
    id = ds->at(0).id;
    return Status();
  }));
  // What NotifyEngine::Complete does: read the delivery, act only if it is still pending.
  std::atomic<int> applied{0};
  auto complete = [&] {
    EXPECT_OK(Write([&](NotifyTx& tx) -> Status {
      auto d = tx.Delivery(id);
      if (!d.ok()) return d.status();
      if (!*d || (*d)->status != DeliveryStatus::kPending) return Status();
      std::this_thread::sleep_for(milliseconds(50));
      DeliveryRecord sent = **d;
      sent.status = DeliveryStatus::kSent;
      sent.attempts += 1;
      sent.sent_at = kNow;
      CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(sent));
      ++applied;
      return Status();
    }));
  };
  std::thread a(complete), b(complete);
  a.join();
  b.join();
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(Count("SELECT attempts FROM deliveries WHERE id = " + std::to_string(id)), 1);
}

TEST_F(PostgresNotifyStoreTest, AReceiptRacingItsSendIsAppliedOnceNeverLost) {
  InsertDue(1, kNow);
  // The receipt's transaction (NotifyEngine::ReportDelivery) finds no send and is slow to
  // save its early receipt; meanwhile the send's transaction records the send and takes early
  // receipts. Without a common lock the send would look before the receipt was committed.
  std::promise<Status> receipt_done;
  pg_->Transact(
      [](NotifyTx& tx) -> Status {
        auto d = tx.FindByProviderId("mail", "m-1");
        if (!d.ok()) return d.status();
        if (*d) return Status::Internal("the send is not recorded yet");
        std::this_thread::sleep_for(milliseconds(100));
        return tx.SaveEarlyReceipt("mail", "m-1", {true, "DELIVRD", kNow});
      },
      [&](const Status& s) { receipt_done.set_value(s); });
  std::this_thread::sleep_for(milliseconds(30));
  std::optional<EarlyReceipt> taken;
  ASSERT_OK(Write([&](NotifyTx& tx) -> Status {
    auto id = tx.FindByKey("due-0");
    if (!id.ok()) return id.status();
    auto ds = tx.Deliveries(**id);
    if (!ds.ok()) return ds.status();
    DeliveryRecord d = ds->at(0);
    d.status = DeliveryStatus::kSent;
    d.provider = "mail";
    d.provider_message_id = "m-1";
    d.sent_at = kNow;
    CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(d));
    auto early = tx.TakeEarlyReceipt("mail", "m-1");
    if (!early.ok()) return early.status();
    taken = *early;
    return Status();
  }));
  ASSERT_OK(receipt_done.get_future().get());
  ASSERT_TRUE(taken.has_value()) << "the receipt was saved after the send looked for it";
  EXPECT_TRUE(taken->delivered);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM early_receipts"), 0);
}

TEST_F(PostgresNotifyStoreTest, ADuplicateTaskIsIgnoredAlsoWhenInsertedConcurrently) {
  constexpr int kWriters = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int i = 0; i < kWriters; ++i)
    threads.emplace_back([&, i] {
      Status s = Write([i](NotifyTx& tx) -> Status {
        CSOPS_RETURN_IF_ERROR(
            tx.InsertTask({0, "plan:unpaid_bill:b-1:call", "dunning_call", "taipei-south",
                           "01234567890", "王小明", "writer " + std::to_string(i)}));
        std::this_thread::sleep_for(milliseconds(20));  // uncommitted while the others insert
        return Status();
      });
      if (!s.ok()) {
        ADD_FAILURE() << s.ToString();
        ++failed;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_OK(Write([](NotifyTx& tx) {
    return tx.InsertTask({0, "plan:unpaid_bill:b-1:call", "dunning_call", "taipei-south",
                          "01234567890", "王小明", "later"});
  }));
  std::vector<TaskRecord> pending;
  ASSERT_OK(pg_->Read([&](NotifyTx& tx) -> Status {
    auto r = tx.PendingTasks(10);
    if (!r.ok()) return r.status();
    pending = *r;
    return Status();
  }));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].summary.rfind("writer ", 0), 0u) << "the first insert is the one kept";
}

TEST_F(PostgresNotifyStoreTest, TwoConcurrentStepRunnersRunEachDueStepOnce) {
  constexpr int kRuns = 20;
  ASSERT_OK(Write([&](NotifyTx& tx) -> Status {
    for (int i = 0; i < kRuns; ++i) {
      PlanRunRecord run;
      run.plan = "unpaid_bill";
      run.key = "b-" + std::to_string(i);
      run.started_at = kNow;
      CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(run));
      CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(
          {run.plan, run.key, 0, "day0", kNow - minutes(1), PlanStepStatus::kPending, 0}));
    }
    return Status();
  }));
  // What NotifyEngine::RunDueSteps does: the due steps, each after its run, marked done.
  std::atomic<int> ran{0};
  auto runner = [&] {
    int mine = 0;
    EXPECT_OK(Write([&](NotifyTx& tx) -> Status {
      mine = 0;
      auto due = tx.DueSteps(kNow, 100);
      if (!due.ok()) return due.status();
      for (PlanStepRecord& s : *due) {
        auto run = tx.PlanRun(s.plan, s.key);
        if (!run.ok()) return run.status();
        if (!*run || (*run)->status != PlanRunStatus::kRunning)
          return Status::Internal("step of a run that does not run");
        s.status = PlanStepStatus::kDone;
        CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
        ++mine;
        std::this_thread::sleep_for(milliseconds(2));
      }
      return Status();
    }));
    ran += mine;
  };
  std::thread a(runner), b(runner);
  a.join();
  b.join();
  EXPECT_EQ(ran.load(), kRuns) << "a step ran twice or not at all";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM plan_steps WHERE status = 'done'"), kRuns);
}

TEST_F(PostgresNotifyStoreTest, AFailedStatementIsReportedEvenIfFnCarriesOn) {
  // The engine takes kFailedPrecondition and kAlreadyExists for a refusal of one item and goes
  // on; in PostgreSQL the transaction is aborted by then, so it must not be reported committed.
  Status s = Write([](NotifyTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.PruneToken("tok-1", kNow));
    DeliveryRecord orphan;
    orphan.notification_id = 424242;  // no such notification: a foreign key violation
    orphan.next_attempt_at = kNow;
    EXPECT_EQ(tx.InsertDelivery(orphan).status().code(), StatusCode::kFailedPrecondition);
    return Status();
  });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM pruned_tokens"), 0);
  // A stored key is an answer, not a failure: the transaction goes on and commits.
  InsertDue(1, kNow);
  ASSERT_OK(Write([](NotifyTx& tx) -> Status {
    NotificationRecord again;
    again.idempotency_key = "due-0";
    again.kind = "bill_unpaid";
    EXPECT_EQ(tx.InsertNotification(again).status().code(), StatusCode::kAlreadyExists);
    return tx.PruneToken("tok-2", kNow);
  }));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM pruned_tokens"), 1);
}

TEST_F(PostgresNotifyStoreTest, PurgeAlsoDropsTheLockRowsOfItsKeysAndSends) {
  InsertDue(3, kNow - minutes(10));
  ASSERT_OK(Write([](NotifyTx& tx) -> Status {
    for (const char* key : {"due-0", "due-1", "due-2"}) {
      auto id = tx.FindByKey(key);  // takes the key's lock row
      if (!id.ok()) return id.status();
      auto ds = tx.Deliveries(**id);
      if (!ds.ok()) return ds.status();
      DeliveryRecord d = ds->at(0);
      d.status = DeliveryStatus::kSent;
      d.provider = "mail";
      d.provider_message_id = std::string("m-") + key;
      d.sent_at = kNow;
      CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(d));
      auto early = tx.TakeEarlyReceipt(d.provider, d.provider_message_id);  // the send's lock
      if (!early.ok()) return early.status();
    }
    return Status();
  }));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM csops_tx_locks WHERE scope = 'notification_key'"), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM csops_tx_locks WHERE scope = 'provider_message'"), 3);
  int purged = -1;
  ASSERT_OK(Write([&purged](NotifyTx& tx) -> Status {
    auto r = tx.PurgeBefore(kNow, 2);
    if (!r.ok()) return r.status();
    purged = *r;
    return Status();
  }));
  EXPECT_EQ(purged, 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM notifications"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM csops_tx_locks WHERE scope = 'notification_key'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM csops_tx_locks WHERE scope = 'provider_message'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM delivery_history"), 2);
}

}  // namespace
}  // namespace csops::notify
