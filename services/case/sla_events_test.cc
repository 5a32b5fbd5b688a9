// SLA timers on the wall clock, and the event log that WatchSlaEvents resumes from.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "common/base/testutil.h"
#include "common/config/calendar_file.h"
#include "services/case/case_engine.h"
#include "services/case/case_test_util.h"
#include "services/case/sla_scheduler.h"
#include "services/case/store/sqlite/sqlite_case_store.h"

namespace csops::cases {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

CaseConfig Config() {
  auto cal = LoadCalendarFile(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto");
  EXPECT_OK(cal.status());
  CaseConfig config;
  // Accepted Thu 12 Feb 16:00: response 50% Fri 13 16:00, 80% Mon 23 11:48, due Mon 23 16:00;
  // resolution 50% Mon 23 11:45.
  TargetModel hours16{"response", {SlaLength::Unit::kBusinessMinutes, 16 * 60}};
  TargetModel days3{"resolution", {SlaLength::Unit::kWorkingDays, 3}};
  config.types["application"] = {"application", "用電申請", "Application", {hours16, days3}, 30};
  config.types["complaint"] = {"complaint", "陳情", "Complaint", {hours16}, 30};
  config.branches["taipei-south"] = {"taipei-south", "TS",
                                     std::make_shared<const BusinessCalendar>(std::move(*cal))};
  return config;
}

class SlaEventsTest : public ::testing::Test {
 protected:
  SlaEventsTest() : clock_(Taipei(2026, 2, 12, 16, 0)) {
    Open(SqliteCaseStore::Migrations(TestSecret()));
  }

  void Open(std::vector<sqlite::Migration> migrations, const std::string& file = "case.db") {
    if (scheduler_) scheduler_->Stop();
    scheduler_.reset();
    engine_.reset();
    store_.reset();
    if (db_) db_->Close();
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/" + file;
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = std::move(migrations);
    auto db = sqlite::Database::Open(o);
    ASSERT_OK(db.status());
    db_ = std::move(*db);
    store_ = std::make_unique<SqliteCaseStore>(*db_);
    engine_ = std::make_unique<CaseEngine>(clock_, Config(), *store_, "https://csops.example",
                                           TestSecret());
    scheduler_ = std::make_unique<SlaScheduler>(clock_, *engine_);
    engine_->SetHooks([this](const std::string& n,
                             std::optional<Instant> next) { scheduler_->Reschedule(n, next); },
                      [this](const std::vector<SlaEvent>& events) {
                        std::lock_guard<std::mutex> lock(mu_);
                        seen_.insert(seen_.end(), events.begin(), events.end());
                        cv_.notify_all();
                      });
  }

  std::string Create(const std::string& key, const std::string& type = "application") {
    CreateCaseCommand c{type,      "taipei-south", {"王小明", "", "", "", {}, "zh-TW"},
                        "counter", "new meter",    "E0042",
                        key};
    auto r = Await<CreatedCase>([&](auto done) { engine_->Create(c, done); });
    EXPECT_OK(r.status());
    return r.ok() ? r->view.record.acceptance_number : "";
  }

  // Waits (real time, at most `limit`) until `n` events were seen.
  bool SeenAtLeast(std::size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return seen_.size() >= n; });
  }
  std::vector<SlaEvent> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<SqliteCaseStore> store_;
  std::unique_ptr<CaseEngine> engine_;
  std::unique_ptr<SlaScheduler> scheduler_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SlaEvent> seen_;  // guarded by mu_
};

TEST(SlaTimerWallClockTest, AWarningFiresWithinASecondOfItsInstant) {
  // A 1-minute target on the 24x7 clock with a warning at 1% (0.6 s after acceptance), run by
  // the scheduler's own thread on the real clock.
  TempDir dir;
  CaseConfig config;
  TargetModel quick{"quick", {SlaLength::Unit::kBusinessMinutes, 1}};
  quick.always = true;
  quick.warn_percents = {1};
  config.types["quick"] = {"quick", "快", "Quick", {quick}, 30};
  auto cal = LoadCalendarFile(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto");
  ASSERT_OK(cal.status());
  config.branches["b"] = {"b", "TS", std::make_shared<const BusinessCalendar>(std::move(*cal))};
  sqlite::DatabaseOptions o;
  o.path = dir.path() + "/case.db";
  o.migrations = SqliteCaseStore::Migrations(TestSecret());
  auto db = sqlite::Database::Open(o);
  ASSERT_OK(db.status());
  SqliteCaseStore store(**db);
  CaseEngine engine(RealClock::Get(), config, store, "http://x", TestSecret());
  SlaScheduler scheduler(RealClock::Get(), engine);
  std::promise<SlaEvent> fired;
  std::atomic<bool> once{false};
  engine.SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      [&](const std::vector<SlaEvent>& events) {
        for (const auto& e : events)
          if (e.event == "warning_1" && !once.exchange(true)) fired.set_value(e);
      });
  ASSERT_OK(scheduler.Start());
  CreateCaseCommand cmd{"quick", "b", {"x", "", "", "", {}, "zh-TW"}, "counter", "s", "E1", "k"};
  ASSERT_OK(Await<CreatedCase>([&](auto done) { engine.Create(cmd, done); }).status());
  auto f = fired.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const SlaEvent e = f.get();
  EXPECT_GE(e.fired_at, e.due_at);
  EXPECT_LT(e.fired_at - e.due_at, std::chrono::seconds(1));
  EXPECT_FALSE(e.late);
  std::printf("warning fired %lld ms after its instant\n",
              static_cast<long long>((e.fired_at - e.due_at).count()));
  scheduler.Stop();
  (*db)->Close();
}

TEST_F(SlaEventsTest, AnEventWhoseInstantAWallClockStepSkippedFiresWithinASecondOfTheStep) {
  ASSERT_OK(scheduler_->Start());  // the timer thread runs
  Create("step");
  // Nothing fires for a while: the timer thread is asleep, armed 24 hours ahead.
  ASSERT_FALSE(SeenAtLeast(1, std::chrono::milliseconds(300)));
  // The wall clock steps from Thu 16:00 to Fri 17:00, over response 50% (Fri 16:00); a wait
  // measured as a distance would fire a day late.
  const auto stepped = std::chrono::steady_clock::now();
  clock_.Set(Taipei(2026, 2, 13, 17, 0));
  ASSERT_TRUE(SeenAtLeast(1, std::chrono::seconds(5)))
      << "response warning_50 did not fire within 5 s of the wall-clock step";
  const auto took = std::chrono::steady_clock::now() - stepped;
  const SlaEvent e = Seen()[0];
  EXPECT_EQ(e.target + "/" + e.event, "response/warning_50");
  EXPECT_EQ(e.fired_at, Taipei(2026, 2, 13, 17, 0));
  EXPECT_TRUE(e.late);  // an hour after its instant, on the wall clock
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(took, std::chrono::seconds(1));
#endif
  std::printf(
      "fired %lld ms after the step\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  scheduler_->Stop();
}

TEST_F(SlaEventsTest, FiredEventsCarryCursorsInCommitOrderAndTheLogGivesThemBack) {
  const std::string a = Create("a");
  const std::string b = Create("b", "complaint");
  clock_.Set(Taipei(2026, 2, 13, 16, 0));
  scheduler_->RunDue();  // response 50% of both
  clock_.Set(Taipei(2026, 2, 23, 16, 0));
  scheduler_->RunDue();  // response 80% and breach of both, resolution 50% of a
  const auto seen = Seen();
  ASSERT_EQ(seen.size(), 7u);
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i].cursor, static_cast<std::int64_t>(i + 1)) << i;

  auto all = engine_->SlaEventsAfter(0, "", "", 100);
  ASSERT_OK(all.status());
  EXPECT_EQ(all->newest, 7);
  ASSERT_EQ(all->events.size(), 7u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const SlaEvent& got = all->events[i];
    EXPECT_EQ(got.cursor, seen[i].cursor);
    EXPECT_EQ(got.acceptance_number, seen[i].acceptance_number);
    EXPECT_EQ(got.type_code, seen[i].type_code);
    EXPECT_EQ(got.branch_id, "taipei-south");
    EXPECT_EQ(got.target + "/" + got.event, seen[i].target + "/" + seen[i].event);
    EXPECT_EQ(got.due_at, seen[i].due_at);
    EXPECT_EQ(got.fired_at, seen[i].fired_at);
    EXPECT_EQ(got.late, seen[i].late);
  }
  auto after3 = engine_->SlaEventsAfter(3, "", "", 2);  // a page of two after cursor 3
  ASSERT_OK(after3.status());
  ASSERT_EQ(after3->events.size(), 2u);
  EXPECT_EQ(after3->events[0].cursor, 4);
  EXPECT_EQ(after3->events[1].cursor, 5);
  auto complaints = engine_->SlaEventsAfter(0, "", "complaint", 100);
  ASSERT_OK(complaints.status());
  ASSERT_EQ(complaints->events.size(), 3u);
  for (const SlaEvent& e : complaints->events) EXPECT_EQ(e.acceptance_number, b);
  EXPECT_TRUE(engine_->SlaEventsAfter(0, "elsewhere", "", 100)->events.empty());
  EXPECT_TRUE(engine_->SlaEventsAfter(7, "", "", 100)->events.empty());
  EXPECT_FALSE(a.empty());
}

TEST_F(SlaEventsTest, CursorsSurviveARestartAndGoOnFromTheNewest) {
  Create("a");
  clock_.Set(Taipei(2026, 2, 13, 16, 0));
  scheduler_->RunDue();
  ASSERT_EQ(Seen().size(), 1u);
  Open(SqliteCaseStore::Migrations(TestSecret()));  // "restart"
  clock_.Set(Taipei(2026, 2, 23, 12, 0));
  ASSERT_OK(scheduler_->Start());  // what came due while down fires at start-up
  scheduler_->Stop();
  const auto seen = Seen();
  ASSERT_EQ(seen.size(), 3u);  // response 80%, resolution 50%
  EXPECT_EQ(seen[1].cursor, 2);
  EXPECT_EQ(seen[2].cursor, 3);
  EXPECT_TRUE(seen[1].late && seen[2].late);
  auto log = engine_->SlaEventsAfter(1, "", "", 100);
  ASSERT_EQ(log->events.size(), 2u);
  EXPECT_EQ(log->events[0].target + "/" + log->events[0].event, "response/warning_80");
}

TEST_F(SlaEventsTest, EventsRecordedBeforeTheCursorMigrationGetCursorsInTheOrderTheyFired) {
  // A case.db of schema 4 with three events, written in this order.
  auto migrations = SqliteCaseStore::Migrations(TestSecret());
  std::vector<sqlite::Migration> v4(migrations.begin(), migrations.begin() + 4);
  Open(v4, "v4.db");
  const std::string old = Create("old");
  std::promise<Status> recorded;
  store_->Transact(
      [&](CaseTx& tx) -> Status {
        auto c = tx.FindByNumber(old);
        if (!c.ok()) return c.status();
        for (auto [target, event, at] :
             {std::tuple{"response", "warning_80", 3}, std::tuple{"response", "warning_50", 1},
              std::tuple{"resolution", "warning_50", 2}}) {
          const Instant when = FromUnixMillis(at);
          auto fired = tx.RecordSlaEvent((*c)->id, target, event, when, when, false);
          if (!fired.ok()) return fired.status();
        }
        return Status();
      },
      [&](const Status& s) { recorded.set_value(s); });
  ASSERT_OK(recorded.get_future().get());
  Open(migrations, "v4.db");
  auto log = engine_->SlaEventsAfter(0, "", "", 100);
  ASSERT_OK(log.status());
  ASSERT_EQ(log->events.size(), 3u);
  EXPECT_EQ(log->events[0].cursor, 1);
  EXPECT_EQ(log->events[0].event, "warning_80");
  EXPECT_EQ(log->events[2].cursor, 3);
  EXPECT_EQ(log->events[2].target, "resolution");
  // The next one fired gets the next cursor.
  clock_.Set(Taipei(2026, 2, 23, 16, 0));
  ASSERT_OK(scheduler_->Start());  // response breach (its warnings are recorded already)
  scheduler_->Stop();
  const auto seen = Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, "breach");
  EXPECT_EQ(seen[0].cursor, 4);
}

}  // namespace
}  // namespace csops::cases
