// csopsctl migrate's library on case.db: cases written by the real CaseEngine on SQLite
// (statuses, notes, delays, assignments, fired SLA events, the look-up secret's check row),
// copied, and answered the same by a CaseEngine on the PostgreSQL store, which goes on from
// there (fresh ids, the next sequence, the next SLA event cursor, the same look-up codes).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "common/base/testutil.h"
#include "common/config/calendar_file.h"
#include "common/postgres/database.h"
#include "common/postgres/test_cluster.h"
#include "common/sqlite/database.h"
#include "services/case/case_engine.h"
#include "services/case/lookup_secret_file.h"
#include "services/case/store/postgres/postgres_case_store.h"
#include "services/case/store/sqlite/sqlite_case_store.h"
#include "tools/migrate/migrate_test_util.h"

namespace csops::migrate {
namespace {

using namespace cases;
using std::chrono::hours;

class MigrateCaseTest : public ::testing::Test {
 protected:
  MigrateCaseTest() {
    auto secret = LoadOrCreateLookupSecret(dir_.path() + "/" + kLookupSecretFileName);
    EXPECT_OK(secret.status());
    if (secret.ok()) secret_ = secret->secret;
  }

  CaseConfig Config() {
    auto cal = LoadCalendarFile(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto");
    EXPECT_OK(cal.status());
    CaseConfig config;
    TargetModel hours16{"response", {SlaLength::Unit::kBusinessMinutes, 16 * 60}};
    TargetModel days3{"resolution", {SlaLength::Unit::kWorkingDays, 3}};
    config.types["application"] = {"application", "用電申請", "Application", {hours16, days3}, 30};
    TargetModel first_reply{"first_reply", {SlaLength::Unit::kBusinessMinutes, 72 * 60}};
    first_reply.always = true;
    first_reply.stop = SlaStopKind::kFirstReply;
    config.types["complaint"] = {"complaint", "陳情", "Complaint", {first_reply, days3}, 30};
    config.branches["taipei-south"] = {"taipei-south", "TS",
                                       std::make_shared<const BusinessCalendar>(std::move(*cal))};
    return config;
  }

  std::unique_ptr<CaseEngine> Engine(CaseStore& store) {
    return std::make_unique<CaseEngine>(clock_, Config(), store, "https://csops.example", *secret_);
  }

  std::unique_ptr<sqlite::Database> OpenSqlite() {
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/case.db";
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = SqliteCaseStore::Migrations(*secret_);
    auto db = sqlite::Database::Open(o);
    EXPECT_OK(db.status());
    return db.ok() ? std::move(*db) : nullptr;
  }

  std::unique_ptr<postgres::Database> OpenPg() {
    postgres::DatabaseOptions o;
    o.dsn = dsn_;
    o.name = "case";
    o.pool_size = 2;
    o.migrations = PostgresCaseStore::Migrations(*secret_);
    auto db = postgres::Database::Open(o);
    EXPECT_OK(db.status());
    return db.ok() ? std::move(*db) : nullptr;
  }

  // `n` cases through the engine: every third closed, with notes, delays and assignments, and
  // two weeks later every due SLA event fired.
  void Seed(CaseEngine& e, int n) {
    clock_.Set(Taipei(2026, 2, 12, 9, 0));
    for (int i = 0; i < n; ++i) {
      CreateCaseCommand c{i % 2 ? "complaint" : "application",
                          "taipei-south",
                          {"王小明" + std::to_string(i),
                           "0123456" + std::to_string(1000 + i),
                           "09123" + std::to_string(10000 + i),
                           "ming" + std::to_string(i) + "@example.com",
                           {NoticeChannel::kEmail, NoticeChannel::kSms},
                           i % 3 ? "zh-TW" : "en"},
                          "counter",
                          "電表異常，第" + std::to_string(i) + "件\n請協助",
                          "E0042",
                          "key-" + std::to_string(i)};
      auto made = Await<CreatedCase>([&](auto done) { e.Create(c, done); });
      ASSERT_OK(made.status());
      const std::string number = made->view.record.acceptance_number;
      numbers_.push_back(number);
      codes_.push_back(made->lookup_code);
      ASSERT_OK(Await<CaseView>([&](auto done) {
                  e.Transition(number, CaseStatus::kInProgress, "E0042", "受理", done);
                }).status());
      if (i % 3 == 0) {
        ASSERT_OK(Await<CaseView>([&](auto done) {
                    e.AddNote(number, "E0042", "已聯絡「申請人」", done);
                  }).status());
        ASSERT_OK(Await<CaseView>([&](auto done) {
                    e.Transition(number, CaseStatus::kCompleted, "E0042", "完成", done);
                  }).status());
      } else if (i % 3 == 1) {
        ASSERT_OK(Await<CaseView>([&](auto done) {
                    e.DeclareDelay(number, "E0042", "設備缺料", "2026-03-10", done);
                  }).status());
        ASSERT_OK(Await<CaseView>([&](auto done) {
                    e.Assign(number, "E1", "business", "E0007", done);
                  }).status());
      }
    }
    clock_.Set(Taipei(2026, 2, 26, 9, 0));
    for (const auto& number : numbers_)
      ASSERT_OK(Await<int>([&](auto done) { e.FireDue(number, done); }).status());
  }

  TempDir dir_;
  std::string dsn_ = postgres::TestCluster::Shared().NewDatabase();
  FakeClock clock_{Taipei(2026, 2, 12, 9, 0)};
  std::optional<LookupSecret> secret_;  // the data directory's case-lookup.key
  std::vector<std::string> numbers_, codes_;
};

void ExpectSameView(const CaseView& a, const CaseView& b) {
  SCOPED_TRACE(a.record.acceptance_number);
  const CaseRecord &x = a.record, &y = b.record;
  EXPECT_EQ(x.id, y.id);
  EXPECT_EQ(x.acceptance_number, y.acceptance_number);
  EXPECT_EQ(x.sequence, y.sequence);
  EXPECT_EQ(x.status, y.status);
  EXPECT_EQ(x.summary, y.summary);
  EXPECT_EQ(x.applicant.name, y.applicant.name);
  EXPECT_EQ(x.applicant.phone, y.applicant.phone);
  EXPECT_EQ(x.applicant.channels, y.applicant.channels);
  EXPECT_EQ(x.applicant.locale, y.applicant.locale);
  EXPECT_EQ(x.lookup_hash, y.lookup_hash);
  EXPECT_EQ(x.accepted_at, y.accepted_at);
  EXPECT_EQ(x.first_reply_at, y.first_reply_at);
  EXPECT_EQ(x.closed_at, y.closed_at);
  EXPECT_EQ(x.delay_reason, y.delay_reason);
  EXPECT_EQ(x.delay_new_date, y.delay_new_date);
  EXPECT_EQ(x.idempotency_key, y.idempotency_key);
  EXPECT_EQ(x.request_fingerprint, y.request_fingerprint);
  EXPECT_EQ(x.assignee_department, y.assignee_department);
  EXPECT_EQ(x.assignee_staff, y.assignee_staff);
  EXPECT_EQ(x.resolution_ms, y.resolution_ms);
  EXPECT_EQ(x.within_sla, y.within_sla);
  ASSERT_EQ(a.targets.size(), b.targets.size());
  for (std::size_t i = 0; i < a.targets.size(); ++i) {
    EXPECT_EQ(a.targets[i].state, b.targets[i].state);
    EXPECT_EQ(a.targets[i].stopped_at, b.targets[i].stopped_at);
  }
  ASSERT_EQ(a.history.size(), b.history.size());
  for (std::size_t i = 0; i < a.history.size(); ++i) {
    EXPECT_EQ(a.history[i].at, b.history[i].at);
    EXPECT_EQ(a.history[i].kind, b.history[i].kind);
    EXPECT_EQ(a.history[i].note, b.history[i].note);
    EXPECT_EQ(a.history[i].from, b.history[i].from);
  }
}

TEST_F(MigrateCaseTest, CopiesCaseDbSoThePostgresEngineGoesOnFromIt) {
  {
    auto db = OpenSqlite();
    ASSERT_TRUE(db);
    SqliteCaseStore store(*db);
    Seed(*Engine(store), 30);
  }
  std::vector<std::string> lines;
  auto report = Migrate(Options(dir_.path(), dsn_, &lines));
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->verified());
  int compared = 0;
  for (const auto& c : report->checks) {
    EXPECT_EQ(c.service, "case");
    compared += c.compared ? 1 : 0;
  }
  EXPECT_EQ(compared, 8);  // case_create_replies went with case.db's schema 6
  EXPECT_TRUE(Has(lines,
                  "case.case_lookup_secret: replacing the 1 row(s) its migrations wrote "
                  "with case.db's"));

  auto lite_db = OpenSqlite();
  auto pg_db = OpenPg();
  ASSERT_TRUE(lite_db && pg_db);
  ASSERT_OK(PostgresCaseStore::CheckLookupSecret(*pg_db, *secret_));
  SqliteCaseStore lite_store(*lite_db);
  PostgresCaseStore pg_store(*pg_db);
  auto lite = Engine(lite_store);
  auto pg = Engine(pg_store);
  std::int64_t max_id = 0;
  for (std::size_t i = 0; i < numbers_.size(); ++i) {
    auto a = lite->Get(numbers_[i]);
    auto b = pg->Get(numbers_[i]);
    ASSERT_OK(a.status());
    ASSERT_OK(b.status());
    ExpectSameView(*a, *b);
    max_id = std::max(max_id, a->record.id);
    EXPECT_TRUE(pg->Lookup(numbers_[i], codes_[i], "zh-TW").ok()) << numbers_[i];
  }
  auto events_a = lite->SlaEventsAfter(0, "", "", 10000);
  auto events_b = pg->SlaEventsAfter(0, "", "", 10000);
  ASSERT_OK(events_a.status());
  ASSERT_OK(events_b.status());
  ASSERT_FALSE(events_a->events.empty());
  ASSERT_EQ(events_a->events.size(), events_b->events.size());
  for (std::size_t i = 0; i < events_a->events.size(); ++i) {
    EXPECT_EQ(events_a->events[i].cursor, events_b->events[i].cursor);
    EXPECT_EQ(events_a->events[i].event, events_b->events[i].event);
    EXPECT_EQ(events_a->events[i].acceptance_number, events_b->events[i].acceptance_number);
  }
  EXPECT_EQ(events_a->newest, events_b->newest);

  // A new case on PostgreSQL: a fresh id, the day's next sequence; its events follow on.
  clock_.Set(Taipei(2026, 2, 12, 15, 0));
  CreateCaseCommand c{"application",
                      "taipei-south",
                      {"陳大文", "01234567890", "0912000000", "", {NoticeChannel::kSms}, "zh-TW"},
                      "phone",
                      "遷移後的第一件",
                      "E0042",
                      "after-migrate"};
  auto made = Await<CreatedCase>([&](auto done) { pg->Create(c, done); });
  ASSERT_OK(made.status());
  EXPECT_EQ(made->view.record.id, max_id + 1);
  EXPECT_EQ(made->view.record.sequence, 31);
  clock_.Set(Taipei(2026, 3, 31, 9, 0));
  auto fired =
      Await<int>([&](auto done) { pg->FireDue(made->view.record.acceptance_number, done); });
  ASSERT_OK(fired.status());
  ASSERT_GT(*fired, 0);
  auto after = pg->SlaEventsAfter(events_b->newest, "", "", 100);
  ASSERT_OK(after.status());
  ASSERT_FALSE(after->events.empty());
  EXPECT_EQ(after->events.front().cursor, events_b->newest + 1);
}

TEST_F(MigrateCaseTest, RefusesWithoutTheLookUpSecretFile) {
  {
    auto db = OpenSqlite();
    ASSERT_TRUE(db);
  }
  ASSERT_EQ(::unlink((dir_.path() + "/" + kLookupSecretFileName).c_str()), 0);
  auto report = Migrate(Options(dir_.path(), dsn_));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("case-lookup.key is missing"), std::string::npos)
      << report.status().message();
  struct stat st {};
  EXPECT_NE(::lstat((dir_.path() + "/" + kLookupSecretFileName).c_str(), &st), 0)
      << "migrate must never create the key";
}

}  // namespace
}  // namespace csops::migrate
