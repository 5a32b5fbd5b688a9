// csopsctl migrate's library on notify.db: every table written through SqliteNotifyStore
// (notifications with JSON recipients and variables in Chinese, deliveries, attempts, early
// receipts, preferences with and without quiet hours, pruned tokens, a plan run and its steps,
// tasks, and the delivery history a purge keeps), copied, read back the same through
// PostgresNotifyStore, which numbers new rows after the copied ones. Then all three services
// of one data directory in one run.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <set>

#include "common/base/testutil.h"
#include "common/postgres/database.h"
#include "common/postgres/test_cluster.h"
#include "common/sqlite/database.h"
#include "services/case/lookup_secret_file.h"
#include "services/case/store/sqlite/sqlite_case_store.h"
#include "services/notify/store/postgres/postgres_notify_store.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"
#include "tools/migrate/migrate_test_util.h"

namespace csops::migrate {
namespace {

using namespace notify;
using std::chrono::hours;
using std::chrono::minutes;

Status Tx(NotifyStore& store, std::function<Status(NotifyTx&)> fn) {
  std::promise<Status> p;
  store.Transact(std::move(fn), [&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

const Instant kT0 = Taipei(2026, 1, 5, 9, 0);

std::unique_ptr<sqlite::Database> OpenSqliteNotify(const std::string& dir) {
  sqlite::DatabaseOptions o;
  o.path = dir + "/notify.db";
  o.synchronous = sqlite::Synchronous::kNormal;
  o.migrations = SqliteNotifyStore::Migrations();
  auto db = sqlite::Database::Open(o);
  EXPECT_OK(db.status());
  return db.ok() ? std::move(*db) : nullptr;
}

// `n` notifications of two deliveries each and the rest of notify.db; the first fifth is
// accepted long ago, finished and purged into delivery_history.
std::vector<std::int64_t> SeedNotify(NotifyStore& store, int n) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < n; ++i) {
    EXPECT_OK(Tx(store, [&](NotifyTx& tx) -> Status {
      NotificationRecord r;
      r.idempotency_key = "bill-" + std::to_string(i);
      r.kind = i % 2 ? "unpaid_bill" : "outage";
      r.locale = i % 3 ? "zh-TW" : "en";
      r.recipient.customer_number = i % 4 ? "0123" + std::to_string(i % 7) : "";
      r.recipient.name = "林\"小美\"" + std::to_string(i);
      r.recipient.email = "mei" + std::to_string(i) + "@example.com";
      r.recipient.mobile = "0912" + std::to_string(100000 + i);
      if (i % 2) r.recipient.push_tokens = {"tok-" + std::to_string(i)};
      r.recipient.postal_address = {"臺北市信義區", "市府路" + std::to_string(i) + "號"};
      r.variables = {{"amount", std::to_string(1000 + i) + " 元"}, {"due", "3月10日\t前"}};
      r.urgent = i % 5 == 0;
      r.fallback = i % 2 == 0;
      r.accepted_at = i < n / 5 ? kT0 - hours(24 * 500) : kT0 + minutes(i);
      r.request_fingerprint = i % 3 ? "" : "fp-" + std::to_string(i);
      auto id = tx.InsertNotification(r);
      if (!id.ok()) return id.status();
      ids.push_back(*id);
      for (int pos = 0; pos < 2; ++pos) {
        DeliveryRecord d;
        d.notification_id = *id;
        d.position = pos;
        d.channel = pos == 0 ? Channel::kSms : Channel::kEmail;
        d.next_attempt_at = r.accepted_at;
        auto did = tx.InsertDelivery(d);
        if (!did.ok()) return did.status();
        if (pos == 0 || i < n / 5) {
          d.id = *did;
          d.status = i < n / 5 ? DeliveryStatus::kDelivered : DeliveryStatus::kSent;
          d.attempts = 1;
          d.provider = "every8d";
          d.provider_message_id = "m-" + std::to_string(*did);
          d.sent_at = r.accepted_at + minutes(1);
          CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(d));
          CSOPS_RETURN_IF_ERROR(tx.InsertAttempt(
              {*did, *d.sent_at, d.channel, "every8d", "ok", d.provider_message_id, 120 + i, ""}));
        }
      }
      return Status::Ok();
    }));
  }
  EXPECT_OK(Tx(store, [&](NotifyTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(
        tx.SaveEarlyReceipt("every8d", "late-1", {true, "DELIVRD 已送達", kT0 + minutes(3)}));
    CSOPS_RETURN_IF_ERROR(
        tx.SavePreferences({"01230", {Channel::kSms}, QuietHours{22 * 60, 7 * 60}}));
    CSOPS_RETURN_IF_ERROR(tx.SavePreferences({"01231", {}, std::nullopt}));
    CSOPS_RETURN_IF_ERROR(tx.PruneToken("tok-gone", kT0));
    PlanRunRecord run;
    run.plan = "unpaid_bill";
    run.key = "B-2026-001";
    run.recipient.name = "張三";
    run.variables = {{"amount", "500"}};
    run.started_at = kT0;
    CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(run));
    for (int s = 0; s < 3; ++s)
      CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(
          {"unpaid_bill", "B-2026-001", s, "step" + std::to_string(s), kT0 + hours(24 * s),
           s == 0 ? PlanStepStatus::kDone : PlanStepStatus::kPending, s == 0 ? ids.back() : 0}));
    for (int t = 0; t < 3; ++t)
      CSOPS_RETURN_IF_ERROR(tx.InsertTask({0, "plan:unpaid_bill:B-" + std::to_string(t) + ":2",
                                           "complaint", "taipei-south", "01230", "張三",
                                           "欠費催繳第" + std::to_string(t) + "次"}));
    auto pending = tx.PendingTasks(10);
    if (!pending.ok()) return pending.status();
    return tx.MarkTaskRelayed(pending->front().id, kT0 + hours(1), "案件類型不存在");
  }));
  EXPECT_OK(Tx(store, [&](NotifyTx& tx) -> Status {
    auto purged = tx.PurgeBefore(kT0 - hours(24 * 100), 1000);
    if (!purged.ok()) return purged.status();
    EXPECT_EQ(*purged, n / 5);
    return Status::Ok();
  }));
  return ids;
}

// What a store gives back of the seed, flattened to comparable text.
std::vector<std::string> ReadBack(NotifyStore& store, const std::vector<std::int64_t>& ids) {
  std::vector<std::string> out;
  auto at = [](Instant t) { return std::to_string(ToUnixMillis(t)); };
  EXPECT_OK(store.Read([&](NotifyTx& tx) -> Status {
    for (std::int64_t id : ids) {
      auto n = tx.Notification(id);
      if (!n.ok()) return n.status();
      if (!*n) {
        out.push_back("purged " + std::to_string(id));
        continue;
      }
      const NotificationRecord& r = **n;
      std::string vars;
      for (const auto& [k, v] : r.variables) vars += k + "=" + v + ";";
      out.push_back(std::to_string(r.id) + r.idempotency_key + r.kind + r.locale +
                    r.recipient.name + r.recipient.customer_number + r.recipient.mobile +
                    (r.recipient.push_tokens.empty() ? "" : r.recipient.push_tokens[0]) +
                    r.recipient.postal_address[1] + vars + (r.urgent ? "u" : "") +
                    (r.fallback ? "f" : "") + at(r.accepted_at) + r.request_fingerprint);
      auto ds = tx.Deliveries(id);
      if (!ds.ok()) return ds.status();
      for (const auto& d : *ds)
        out.push_back(std::to_string(d.id) + "/" + std::to_string(d.position) + "/" +
                      std::to_string(static_cast<int>(d.status)) + "/" + d.provider_message_id +
                      "/" + at(d.next_attempt_at) + "/" + (d.sent_at ? at(*d.sent_at) : "-"));
      auto as = tx.Attempts(id);
      if (!as.ok()) return as.status();
      for (const auto& a : *as)
        out.push_back(std::to_string(a.delivery_id) + a.result + std::to_string(a.latency_ms));
    }
    for (const char* c : {"01230", "01231"}) {
      auto p = tx.Preferences(c);
      if (!p.ok()) return p.status();
      out.push_back(!*p ? "none"
                        : std::to_string((*p)->opted_out.size()) +
                              ((*p)->quiet ? std::to_string((*p)->quiet->start_minute) : "-"));
    }
    auto pruned = tx.TokenPruned("tok-gone");
    if (!pruned.ok()) return pruned.status();
    out.push_back(*pruned ? "pruned" : "kept");
    auto run = tx.PlanRun("unpaid_bill", "B-2026-001");
    if (!run.ok()) return run.status();
    out.push_back(*run ? (*run)->recipient.name + (*run)->variables.at("amount") : "no run");
    auto steps = tx.PlanSteps("unpaid_bill", "B-2026-001");
    if (!steps.ok()) return steps.status();
    for (const auto& s : *steps)
      out.push_back(s.name + at(s.due_at) + std::to_string(s.notification_id));
    auto tasks = tx.PendingTasks(10);
    if (!tasks.ok()) return tasks.status();
    for (const auto& t : *tasks) out.push_back(std::to_string(t.id) + t.summary);
    auto rows = tx.NoticeRows(kT0 - hours(24 * 600), kT0 + hours(24 * 30));
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows)
      out.push_back(std::to_string(r.notification_id) + r.kind + at(r.accepted_at) +
                    std::to_string(static_cast<int>(r.status)));
    return Status::Ok();
  }));
  return out;
}

class MigrateNotifyTest : public ::testing::Test {
 protected:
  std::unique_ptr<postgres::Database> OpenPg() {
    postgres::DatabaseOptions o;
    o.dsn = dsn_;
    o.name = "notify";
    o.pool_size = 2;
    o.migrations = PostgresNotifyStore::Migrations();
    auto db = postgres::Database::Open(o);
    EXPECT_OK(db.status());
    return db.ok() ? std::move(*db) : nullptr;
  }

  TempDir dir_;
  std::string dsn_ = postgres::TestCluster::Shared().NewDatabase();
};

TEST_F(MigrateNotifyTest, CopiesNotifyDbSoThePostgresStoreReadsTheSame) {
  std::vector<std::int64_t> ids;
  {
    auto db = OpenSqliteNotify(dir_.path());
    ASSERT_TRUE(db);
    SqliteNotifyStore store(*db);
    ids = SeedNotify(store, 40);
  }
  auto report = Migrate(Options(dir_.path(), dsn_));
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->verified());
  for (const auto& c : report->checks) {
    EXPECT_TRUE(c.compared) << c.table;
    EXPECT_EQ(c.sqlite_rows, c.pg_rows) << c.table;
  }

  auto lite_db = OpenSqliteNotify(dir_.path());
  auto pg_db = OpenPg();
  ASSERT_TRUE(lite_db && pg_db);
  SqliteNotifyStore lite(*lite_db);
  PostgresNotifyStore pg(*pg_db);
  const std::vector<std::string> a = ReadBack(lite, ids), b = ReadBack(pg, ids);
  ASSERT_GT(a.size(), ids.size());
  EXPECT_EQ(a, b);

  // New rows on PostgreSQL come after the copied ones.
  ASSERT_OK(Tx(pg, [&](NotifyTx& tx) -> Status {
    NotificationRecord r;
    r.idempotency_key = "after-migrate";
    r.kind = "outage";
    r.accepted_at = kT0 + hours(2);
    auto id = tx.InsertNotification(r);
    if (!id.ok()) return id.status();
    EXPECT_EQ(*id, ids.back() + 1);
    DeliveryRecord d;
    d.notification_id = *id;
    d.next_attempt_at = r.accepted_at;
    auto did = tx.InsertDelivery(d);
    if (!did.ok()) return did.status();
    EXPECT_EQ(*did, 2 * static_cast<std::int64_t>(ids.size()) + 1);
    CSOPS_RETURN_IF_ERROR(tx.InsertAttempt({*did, r.accepted_at, d.channel, "x", "ok", "", 1, ""}));
    CSOPS_RETURN_IF_ERROR(tx.InsertTask({0, "plan:new", "complaint", "b", "c", "n", "s"}));
    auto tasks = tx.PendingTasks(10);
    if (!tasks.ok()) return tasks.status();
    EXPECT_EQ(tasks->back().id, 4);
    return Status::Ok();
  }));
}

// One data directory with all three files: one run, three transactions, every table verified.
TEST_F(MigrateNotifyTest, MigratesTheWholeOfficeInOneRun) {
  SeedQueue(dir_.path(), 200);
  {
    auto db = OpenSqliteNotify(dir_.path());
    ASSERT_TRUE(db);
    SqliteNotifyStore store(*db);
    SeedNotify(store, 10);
  }
  {
    auto secret = cases::LoadOrCreateLookupSecret(dir_.path() + "/" + cases::kLookupSecretFileName);
    ASSERT_OK(secret.status());
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/case.db";
    o.migrations = cases::SqliteCaseStore::Migrations(secret->secret);
    ASSERT_OK(sqlite::Database::Open(o).status());
  }
  std::vector<std::string> lines;
  auto report = Migrate(Options(dir_.path(), dsn_, &lines));
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->verified());
  std::set<std::string> services;
  for (const auto& c : report->checks) services.insert(c.service);
  EXPECT_EQ(services, (std::set<std::string>{"queue", "case", "notify"}));
  EXPECT_EQ(report->checks.size(), 5u + 8u + 10u);
  EXPECT_TRUE(Has(lines, "queue.tickets: 200 / 200 rows"));
  EXPECT_TRUE(Has(lines, "case.cases: 0 / 0 rows"));

  // --services picks: a second run for one service is refused, the others untouched.
  MigrateOptions again = Options(dir_.path(), dsn_);
  again.services = {"notify"};
  auto refused = Migrate(again);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("csops_notify."), std::string::npos);
}

}  // namespace
}  // namespace csops::migrate
