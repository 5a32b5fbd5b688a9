// The SQLite notify store: the store contract (notify_store_contract.h) on a notify.db in a
// temporary directory, and what only this store has: its schema migrations and the text in its
// status columns.
#include "services/notify/store/sqlite/sqlite_notify_store.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "common/base/testutil.h"
#include "common/sqlite/connection.h"
#include "services/notify/store/notify_store_contract.h"

namespace csops::notify {
namespace {

// notify.db under `dir` with the first `migrations` schema steps (all by default).
Result<std::unique_ptr<sqlite::Database>> OpenDb(const std::string& dir,
                                                 std::size_t migrations = SIZE_MAX) {
  sqlite::DatabaseOptions o;
  o.path = dir + "/notify.db";
  o.synchronous = sqlite::Synchronous::kNormal;
  o.migrations = SqliteNotifyStore::Migrations();
  if (migrations < o.migrations.size()) o.migrations.resize(migrations);
  return sqlite::Database::Open(o);
}

// The store with the database it runs on.
class OwnedSqliteStore final : public NotifyStore {
 public:
  explicit OwnedSqliteStore(std::unique_ptr<sqlite::Database> db)
      : db_(std::move(db)), store_(*db_) {}
  void Transact(std::function<Status(NotifyTx&)> fn,
                std::function<void(const Status&)> done) override {
    store_.Transact(std::move(fn), std::move(done));
  }
  Status Read(const std::function<Status(NotifyTx&)>& fn) override { return store_.Read(fn); }

 private:
  std::unique_ptr<sqlite::Database> db_;
  SqliteNotifyStore store_;
};

std::unique_ptr<NotifyStore> OpenSqliteStore(const std::string& dir) {
  auto db = OpenDb(dir);
  EXPECT_OK(db.status());
  if (!db.ok()) return nullptr;
  return std::make_unique<OwnedSqliteStore>(std::move(*db));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, NotifyStoreContract,
                         ::testing::Values(NotifyStoreImpl{"Sqlite", OpenSqliteStore}),
                         NotifyStoreImplName);

class SqliteNotifyStoreTest : public ::testing::Test {
 protected:
  void Open(std::size_t migrations = SIZE_MAX) {
    store_.reset();
    db_.reset();
    auto db = OpenDb(dir_.path(), migrations);
    ASSERT_OK(db.status());
    db_ = std::move(*db);
    store_ = std::make_unique<SqliteNotifyStore>(*db_);
  }
  Status Write(std::function<Status(NotifyTx&)> fn) {
    std::promise<Status> done;
    store_->Transact(std::move(fn), [&done](const Status& s) { done.set_value(s); });
    return done.get_future().get();
  }
  // The text of the first row's first column of `sql`.
  std::string Text(const std::string& sql) {
    std::string out;
    EXPECT_OK(db_->Read([&](sqlite::Connection& c) -> Status {
      auto st = c.Prepare(sql);
      if (!st.ok()) return st.status();
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::NotFound("no row for " + sql);
      out = st->ColumnText(0);
      return Status();
    }));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<SqliteNotifyStore> store_;
};

TEST_F(SqliteNotifyStoreTest, PlanStatusesAreStoredAsTheTextOfTheSchema) {
  Open();
  PlanRunRecord run;
  run.plan = "unpaid_bill";
  run.key = "b-1";
  const PlanStepRecord pending{
      "unpaid_bill", "b-1", 0, "day0", FromUnixMillis(1), PlanStepStatus::kPending, 0};
  PlanStepRecord done = pending;
  done.index = 1;
  done.status = PlanStepStatus::kDone;
  PlanStepRecord cancelled = pending;
  cancelled.index = 2;
  cancelled.status = PlanStepStatus::kCancelled;
  ASSERT_OK(Write([&](NotifyTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(run));
    for (const PlanStepRecord& s : {pending, done, cancelled})
      CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
    return Status();
  }));
  EXPECT_EQ(Text("SELECT status FROM plan_runs"), "running");
  EXPECT_EQ(Text("SELECT status FROM plan_steps WHERE step_index = 0"), "pending");
  EXPECT_EQ(Text("SELECT status FROM plan_steps WHERE step_index = 1"), "done");
  EXPECT_EQ(Text("SELECT status FROM plan_steps WHERE step_index = 2"), "cancelled");
  for (PlanRunStatus s : {PlanRunStatus::kStopped, PlanRunStatus::kFinished}) {
    run.status = s;
    ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanRun(run); }));
    EXPECT_EQ(Text("SELECT status FROM plan_runs"), PlanRunStatusName(s));
  }
}

TEST_F(SqliteNotifyStoreTest, AStatusTheStoreDoesNotKnowIsAnErrorNotAGuess) {
  Open();
  PlanRunRecord run;
  run.plan = "unpaid_bill";
  run.key = "b-1";
  ASSERT_OK(Write([&](NotifyTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(run));
    return tx.SavePlanStep(
        {"unpaid_bill", "b-1", 0, "day0", FromUnixMillis(1), PlanStepStatus::kPending, 0});
  }));
  ASSERT_OK(db_->Write([](sqlite::Connection& c) {
    CSOPS_RETURN_IF_ERROR(c.Exec("UPDATE plan_runs SET status = 'paused'"));
    return c.Exec("UPDATE plan_steps SET status = 'skipped'");
  }));
  EXPECT_OK(store_->Read([](NotifyTx& tx) {
    EXPECT_EQ(tx.PlanRun("unpaid_bill", "b-1").status().code(), StatusCode::kInternal);
    EXPECT_EQ(tx.PlanSteps("unpaid_bill", "b-1").status().code(), StatusCode::kInternal);
    EXPECT_EQ(tx.DueSteps(FromUnixMillis(2), 10).status().code(), StatusCode::kOk);  // not pending
    return Status();
  }));
}

// Moved from notify_idempotency_test.cc: a notification stored by schema version 2 (no
// fingerprint column yet) reads back, after the migration, with an empty fingerprint and the
// fields it stored; the engine then compares a retry on those fields.
TEST_F(SqliteNotifyStoreTest, ARowOfSchemaVersion2ReadsBackWithoutAFingerprint) {
  Open(2);
  ASSERT_OK(db_->Write([](sqlite::Connection& c) {
    return c.Exec(
        "INSERT INTO notifications(idempotency_key, kind, locale, customer_number, recipient, "
        "variables, urgent, fallback, accepted_at) VALUES('legacy', 'bill_unpaid', 'zh-TW', "
        "'01234567890', '{\"customer_number\":\"01234567890\",\"name\":\"王小明\",\"email\":"
        "\"ming@example.com\",\"mobile\":\"0912345678\",\"push_tokens\":[],\"postal_address\":"
        "[\"台北市羅斯福路一段1號\"]}', '{\"amount\":\"1234\",\"month\":\"115年2月\"}', 0, 1, "
        "1772500000000)");
  }));
  Open();  // migrates
  std::optional<NotificationRecord> got;
  ASSERT_OK(store_->Read([&](NotifyTx& tx) -> Status {
    auto id = tx.FindByKey("legacy");
    if (!id.ok()) return id.status();
    if (!*id) return Status::NotFound("legacy");
    auto n = tx.Notification(**id);
    if (!n.ok()) return n.status();
    got = *n;
    return Status();
  }));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->request_fingerprint, "");
  EXPECT_EQ(got->kind, "bill_unpaid");
  EXPECT_EQ(got->locale, "zh-TW");
  EXPECT_EQ(got->recipient, (RecipientRecord{"01234567890",
                                             "王小明",
                                             "ming@example.com",
                                             "0912345678",
                                             {},
                                             {"台北市羅斯福路一段1號"}}));
  EXPECT_EQ(got->variables,
            (std::map<std::string, std::string>{{"amount", "1234"}, {"month", "115年2月"}}));
  EXPECT_FALSE(got->urgent);
  EXPECT_TRUE(got->fallback);
  EXPECT_EQ(got->accepted_at, FromUnixMillis(1772500000000));
  EXPECT_EQ(got->plan_key, "");
}

}  // namespace
}  // namespace csops::notify
