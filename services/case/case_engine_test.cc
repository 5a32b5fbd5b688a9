#include "services/case/case_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/base/testutil.h"
#include "common/config/calendar_file.h"
#include "services/case/case_test_util.h"
#include "services/case/domain/acceptance_number.h"
#include "services/case/sla_scheduler.h"
#include "services/case/store/sqlite/sqlite_case_store.h"

namespace csops::cases {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class CaseEngineTest : public ::testing::Test {
 protected:
  CaseEngineTest() : clock_(Taipei(2026, 2, 12, 16, 0)) {
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
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/case.db";
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = SqliteCaseStore::Migrations(TestSecret());
    auto db = sqlite::Database::Open(o);
    EXPECT_OK(db.status());
    db_ = std::move(*db);
    store_ = std::make_unique<SqliteCaseStore>(*db_);
    engine_ = std::make_unique<CaseEngine>(clock_, std::move(config), *store_,
                                           "https://csops.example", TestSecret());
  }

  Result<CreatedCase> Create(std::string key = "k1", std::string summary = "new meter",
                             std::string type = "application") {
    CreateCaseCommand c{type,
                        "taipei-south",
                        {"王小明",
                         "01234567890",
                         "0912345678",
                         "ming@example.com",
                         {NoticeChannel::kEmail},
                         "zh-TW"},
                        "counter",
                        summary,
                        "E0042",
                        key};
    return Await<CreatedCase>([&](auto done) { engine_->Create(c, done); });
  }
  Result<CaseView> Move(const std::string& n, CaseStatus to, std::string note = "") {
    return Await<CaseView>([&](auto done) { engine_->Transition(n, to, "E0042", note, done); });
  }
  // The store's rows, read through the CaseStore interface (what any store must give back).
  std::vector<PendingOutboxRow> Outbox() {
    std::vector<PendingOutboxRow> out;
    EXPECT_OK(store_->Read([&](CaseTx& tx) -> Status {
      auto rows = tx.PendingOutbox(1000);  // nothing relays here: every row is pending
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  }
  std::int64_t CountOutbox(const std::string& kind) {
    auto rows = Outbox();
    return std::count_if(rows.begin(), rows.end(),
                         [&](const PendingOutboxRow& r) { return r.kind == kind; });
  }
  std::optional<CaseRecord> Record(const std::string& number) {
    std::optional<CaseRecord> out;
    EXPECT_OK(store_->Read([&](CaseTx& tx) -> Status {
      auto found = tx.FindByNumber(number);
      if (!found.ok()) return found.status();
      out = std::move(*found);
      return Status();
    }));
    return out;
  }
  // The SLA event log, as WatchSlaEvents reads it.
  std::int64_t CountEvents(const std::function<bool(const SlaEvent&)>& match) {
    auto log = engine_->SlaEventsAfter(0, "", "", 1000);
    EXPECT_OK(log.status());
    if (!log.ok()) return -1;
    return std::count_if(log->events.begin(), log->events.end(), match);
  }
  std::int64_t CountEvents(const std::string& target, const std::string& event = "") {
    return CountEvents([&](const SlaEvent& e) {
      return (target.empty() || e.target == target) && (event.empty() || e.event == event);
    });
  }
  // Acceptance numbers of the cases with `next` stored as their next SLA event.
  std::set<std::string> ScheduledAt(Instant next) {
    std::set<std::string> out;
    auto pending = engine_->PendingEvents();
    EXPECT_OK(pending.status());
    if (pending.ok())
      for (const auto& [number, at] : *pending)
        if (at == next) out.insert(number);
    return out;
  }
  // Registers an "application" case as csopsd did before schema 2: the commit stored neither
  // the case's next SLA event nor its SLA state (nor its targets' due instants).
  std::string InsertWithoutSlaSummary(const std::string& key) {
    std::string number;
    std::promise<Status> committed;
    store_->Transact(
        [&](CaseTx& tx) -> Status {
          const absl::CivilDay day(2026, 2, 12);
          auto seq = tx.TakeSequence("taipei-south", "2026-02-12");
          if (!seq.ok()) return seq.status();
          CaseRecord c;
          c.acceptance_number = MakeAcceptanceNumber("TS", day, *seq)->Compact();
          c.branch_id = "taipei-south";
          c.business_day = "2026-02-12";
          c.sequence = *seq;
          c.type_code = "application";
          c.received_via = "counter";
          c.summary = "new meter";
          c.applicant = {"王小明", "", "", "", {}, "zh-TW"};
          c.accepted_at = clock_.Now();
          c.idempotency_key = key;
          auto id = tx.InsertCase(c);
          if (!id.ok()) return id.status();
          number = c.acceptance_number;
          return tx.AppendHistory(*id, {clock_.Now(), "staff:E0042", history_kind::kCreated,
                                        std::nullopt, CaseStatus::kAccepted, ""});
        },
        [&](const Status& st) { committed.set_value(st); });
    EXPECT_OK(committed.get_future().get());
    return number;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<sqlite::Database> db_;  // under store_; tests read through store_ and engine_
  std::unique_ptr<SqliteCaseStore> store_;
  std::unique_ptr<CaseEngine> engine_;
};

TEST_F(CaseEngineTest, CreateGivesANumberACodeAndTheGroundTruthDueInstants) {
  auto c = Create();
  ASSERT_OK(c.status());
  auto n = ParseAcceptanceNumber(c->view.record.acceptance_number);
  ASSERT_OK(n.status());
  EXPECT_EQ(n->Display().substr(0, 15), "TS-260212-0001-");
  EXPECT_EQ(c->lookup_code.size(), 10u);
  ASSERT_EQ(c->view.targets.size(), 2u);
  EXPECT_EQ(*c->view.targets[0].schedule.due, Taipei(2026, 2, 23, 16, 0));
  EXPECT_EQ(*c->view.targets[0].schedule.warnings[0], Taipei(2026, 2, 13, 16, 0));
  EXPECT_EQ(*c->view.targets[0].schedule.warnings[1], Taipei(2026, 2, 23, 11, 48));
  EXPECT_EQ(*c->view.targets[1].schedule.due, Taipei(2026, 2, 24, 17, 30));
  EXPECT_EQ(c->view.history.size(), 1u);
  EXPECT_EQ(CountOutbox("accepted"), 1);
  // The acceptance notice's variables (the relay derives the look-up link; no code is kept).
  const nlohmann::json payload = nlohmann::json::parse(Outbox().at(0).payload);
  EXPECT_EQ(payload, nlohmann::json({{"acceptance_number", n->Display()}, {"type", "用電申請"}}));
  EXPECT_EQ(Create("k2")->view.record.sequence, 2);
}

TEST_F(CaseEngineTest, RetriedCreateReturnsTheSameCaseAndCode) {
  auto first = Create("same");
  auto again = Create("same");
  ASSERT_OK(again.status());
  EXPECT_EQ(again->view.record.acceptance_number, first->view.record.acceptance_number);
  EXPECT_EQ(again->lookup_code, first->lookup_code);
  EXPECT_EQ(CountOutbox("accepted"), 1);
  EXPECT_EQ(Create("same", "something else").status().code(), StatusCode::kAlreadyExists);
}

TEST_F(CaseEngineTest, TheCodeIsKeptNowhereAndARetryAfterADayGetsNone) {
  auto first = Create("kept-nowhere");
  ASSERT_OK(first.status());
  const std::string code = first->lookup_code;
  EXPECT_EQ(code,
            DeriveLookupCode(TestSecret(), "kept-nowhere", first->view.record.acceptance_number));
  // Only its verifier is stored, under the secret (and no salt); the notice holds no code. (No
  // table of codes is left by the schema steps either: sqlite_case_store_test.cc.)
  auto stored = Record(first->view.record.acceptance_number);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->lookup_hash.rfind("hmac1:", 0), 0u) << stored->lookup_hash;
  EXPECT_EQ(stored->lookup_salt, "");
  EXPECT_EQ(stored->lookup_hash.find(code), std::string::npos);
  auto outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].payload.find(code), std::string::npos) << outbox[0].payload;
  clock_.Advance(std::chrono::hours(23));
  EXPECT_EQ(Create("kept-nowhere")->lookup_code, code);
  clock_.Advance(std::chrono::hours(1));
  auto late = Create("kept-nowhere");
  ASSERT_OK(late.status());
  EXPECT_EQ(late->view.record.acceptance_number, first->view.record.acceptance_number);
  EXPECT_EQ(late->lookup_code, "");
  EXPECT_OK(engine_->Lookup(first->view.record.acceptance_number, code, "zh-TW").status());
}

TEST_F(CaseEngineTest, WaitingForDocumentsPausesBothTargets) {
  auto c = Create();
  const std::string n = c->view.record.acceptance_number;
  clock_.Set(Taipei(2026, 2, 13, 10, 0));
  ASSERT_OK(Move(n, CaseStatus::kWaitingCustomer, "請補附身分證影本").status());
  auto paused = engine_->Get(n);
  EXPECT_EQ(paused->targets[0].state, SlaState::kPaused);
  EXPECT_FALSE(paused->targets[0].schedule.due.has_value());
  clock_.Set(Taipei(2026, 2, 23, 9, 30));
  auto resumed = Move(n, CaseStatus::kInProgress);
  ASSERT_OK(resumed.status());
  EXPECT_EQ(*resumed->targets[0].schedule.due, Taipei(2026, 2, 24, 15, 30));
  EXPECT_EQ(*resumed->targets[1].schedule.due, Taipei(2026, 2, 25, 17, 0));
}

TEST_F(CaseEngineTest, InvalidTransitionsNameTheCurrentStatus) {
  auto c = Create();
  const std::string n = c->view.record.acceptance_number;
  ASSERT_OK(Move(n, CaseStatus::kCompleted).status());
  auto r = Move(n, CaseStatus::kWaitingCustomer);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("case is 'completed'"), std::string::npos);
  EXPECT_EQ(CountOutbox("completed"), 1);
}

TEST_F(CaseEngineTest, ReopenWithinTheWindowContinuesTheClock) {
  auto c = Create();
  const std::string n = c->view.record.acceptance_number;
  clock_.Set(Taipei(2026, 2, 13, 9, 30));
  ASSERT_OK(Move(n, CaseStatus::kCompleted).status());
  clock_.Set(Taipei(2026, 2, 23, 9, 30));  // reopened: 1 h of Friday + 1 h of Monday stood still
  auto reopened = Move(n, CaseStatus::kInProgress, "customer called back");
  ASSERT_OK(reopened.status());
  EXPECT_EQ(reopened->record.status, CaseStatus::kInProgress);
  EXPECT_EQ(reopened->history.back().kind, "reopen");
  // Resolution: 3 working days from Thu 16:00 = Tue 24 17:30, plus the 8 business hours the
  // case stood closed (Fri 09:30-17:30 = 7 h, Mon 08:30-09:30 = 1 h) = Wed 25 17:30.
  EXPECT_EQ(*reopened->targets[1].schedule.due, Taipei(2026, 2, 25, 17, 30));
  clock_.Set(Taipei(2026, 4, 1, 9, 0));
  ASSERT_OK(Move(n, CaseStatus::kCompleted).status());
  clock_.Set(Taipei(2026, 5, 15, 9, 0));  // 44 days later: past the 30-day window
  auto late = Move(n, CaseStatus::kInProgress);
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("reopen window of 30 days"), std::string::npos);
}

TEST_F(CaseEngineTest, PublicLookupNeedsTheCodeAndShowsNoPersonalData) {
  auto c = Create();
  const std::string n = c->view.record.acceptance_number;
  clock_.Set(Taipei(2026, 2, 13, 10, 0));
  ASSERT_OK(Move(n, CaseStatus::kWaitingCustomer, "請補附身分證影本").status());
  auto p = engine_->Lookup(n, c->lookup_code, "zh-TW");
  ASSERT_OK(p.status());
  EXPECT_EQ(p->status, CaseStatus::kWaitingCustomer);
  EXPECT_EQ(p->status_text, "待補件");
  ASSERT_EQ(p->timeline.size(), 2u);
  EXPECT_NE(p->timeline[1].text.find("請補附身分證影本"), std::string::npos);
  for (const auto& step : p->timeline) {
    EXPECT_EQ(step.text.find("王小明"), std::string::npos);
    EXPECT_EQ(step.text.find("E0042"), std::string::npos);
  }
  std::string wrong = c->lookup_code;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  auto bad = engine_->Lookup(n, wrong, "en");
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  auto other = MakeAcceptanceNumber("TS", absl::CivilDay(2026, 2, 12), 99);
  auto unknown = engine_->Lookup(other->Compact(), c->lookup_code, "en");
  EXPECT_EQ(unknown.status(), bad.status());  // indistinguishable
}

TEST_F(CaseEngineTest, DelayNeedsAFutureDateAndIsToldToTheApplicant) {
  auto c = Create();
  const std::string n = c->view.record.acceptance_number;
  auto past = Await<CaseView>(
      [&](auto done) { engine_->DeclareDelay(n, "E0042", "設備缺料", "2026-02-11", done); });
  EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(past.status().message().find("in the past"), std::string::npos);
  auto ok = Await<CaseView>(
      [&](auto done) { engine_->DeclareDelay(n, "E0042", "設備缺料", "2026-03-10", done); });
  ASSERT_OK(ok.status());
  EXPECT_EQ(CountOutbox("delay"), 1);
  for (const PendingOutboxRow& r : Outbox())
    if (r.kind == "delay") {
      EXPECT_EQ(nlohmann::json::parse(r.payload),
                nlohmann::json({{"acceptance_number", DisplayAcceptanceNumber(n)},
                                {"reason", "設備缺料"},
                                {"new_expected_date", "2026-03-10"}}));
    }
  auto p = engine_->Lookup(n, c->lookup_code, "zh-TW");
  EXPECT_EQ(p->expected_completion_date, "2026-03-10");
  EXPECT_EQ(p->delay_reason, "設備缺料");
  // The SLA report lists the declaration with its reason (parentheses in a reason survive).
  auto again = Await<CaseView>([&](auto done) {
    engine_->DeclareDelay(n, "E0042", "待台電(配電)施工", "2026-03-12", done);
  });
  ASSERT_OK(again.status());
  auto report = engine_->Report(clock_.Now() - hours(1), clock_.Now() + hours(1), "", "");
  ASSERT_OK(report.status());
  ASSERT_EQ(report->delays.size(), 2u);
  EXPECT_EQ(report->delays[0].acceptance_number, n);
  EXPECT_EQ(report->delays[0].reason, "設備缺料");
  EXPECT_EQ(report->delays[0].new_expected_date, "2026-03-10");
  EXPECT_EQ(report->delays[1].reason, "待台電(配電)施工");
  EXPECT_EQ(report->delays[1].new_expected_date, "2026-03-12");
  EXPECT_FALSE(report->delays_truncated);
  std::int64_t declared = 0;
  for (const auto& t : report->types) declared += t.delays_declared;
  EXPECT_EQ(declared, 2);
  auto none = engine_->Report(clock_.Now() + hours(1), clock_.Now() + hours(2), "", "");
  EXPECT_TRUE(none->delays.empty());
}

TEST_F(CaseEngineTest, BadInputIsRefusedByName) {
  auto c = Create();
  const std::string n = c->view.record.acceptance_number;
  auto big = Await<CaseView>(
      [&](auto done) { engine_->AddNote(n, "E0042", std::string(2001, 'x'), done); });
  EXPECT_NE(big.status().message().find("the limit is 2000"), std::string::npos);
  CreateCaseCommand cmd{
      "nope", "taipei-south", {"x", "", "", "", {}, "zh-TW"}, "counter", "s", "E1", "k9"};
  EXPECT_EQ(Await<CreatedCase>([&](auto done) { engine_->Create(cmd, done); }).status().code(),
            StatusCode::kNotFound);
  cmd.type_code = "application";
  cmd.applicant.channels = {NoticeChannel::kSms};
  auto no_phone = Await<CreatedCase>([&](auto done) { engine_->Create(cmd, done); });
  EXPECT_NE(no_phone.status().message().find("applicant.phone"), std::string::npos);
  EXPECT_EQ(engine_->Get("TS-260212-0001-0").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CaseEngineTest, SlaEventsFireOnceAtTheirInstants) {
  SlaScheduler scheduler(clock_, *engine_);
  std::vector<SlaEvent> seen;
  std::mutex mu;
  engine_->SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      [&](const std::vector<SlaEvent>& events) {
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(seen.end(), events.begin(), events.end());
      });
  auto c = Create();
  EXPECT_EQ(scheduler.pending(), 1u);
  clock_.Set(Taipei(2026, 2, 13, 15, 59));
  EXPECT_EQ(scheduler.RunDue(), 0);
  clock_.Set(Taipei(2026, 2, 13, 16, 0));  // response 50%
  EXPECT_EQ(scheduler.RunDue(), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "response");
  EXPECT_EQ(seen[0].event, "warning_50");
  EXPECT_FALSE(seen[0].late);
  EXPECT_EQ(scheduler.RunDue(), 0);  // once only
  // Mon 11:48: response 80% (its last warning, no delay declared); resolution's 50% came at
  // 11:45 (12.75 of its 25.5 business hours).
  clock_.Set(Taipei(2026, 2, 23, 11, 48));
  scheduler.RunDue();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].target + "/" + seen[1].event, "response/warning_80");
  EXPECT_EQ(seen[2].target + "/" + seen[2].event, "resolution/warning_50");
  EXPECT_EQ(seen[2].due_at, Taipei(2026, 2, 23, 11, 45));
  EXPECT_EQ(CountOutbox("sla_chase"), 1);
  clock_.Set(Taipei(2026, 2, 23, 16, 0));
  scheduler.RunDue();
  EXPECT_EQ(seen.back().event, "breach");
  EXPECT_EQ(CountOutbox("sla_breach"), 1);
  for (const PendingOutboxRow& r : Outbox())
    if (r.kind == "sla_breach") {
      EXPECT_EQ(nlohmann::json::parse(r.payload),
                nlohmann::json({{"acceptance_number",
                                 DisplayAcceptanceNumber(c->view.record.acceptance_number)},
                                {"target", "response"},
                                {"event", "breach"}}));
    }
  EXPECT_EQ(CountEvents("response"), 3);
  // response 50/80/breach + resolution 50 (its 80% is Tue 11:24).
  auto history = engine_->Get(c->view.record.acceptance_number);
  ASSERT_OK(history.status());
  EXPECT_EQ(std::count_if(history->history.begin(), history->history.end(),
                          [](const HistoryRow& h) { return h.kind == "sla"; }),
            4);
}

TEST_F(CaseEngineTest, StartUpArmsStoredNextEventsAndComputesMissingOnes) {
  const std::string a = Create("s1")->view.record.acceptance_number;
  const std::string b = Create("s2")->view.record.acceptance_number;
  // Each commit stores the next event: response 50% at Fri 13 16:00.
  EXPECT_EQ(ScheduledAt(Taipei(2026, 2, 13, 16, 0)), std::set<std::string>({a, b}));
  auto before = engine_->OpenCounts();
  ASSERT_OK(before.status());
  EXPECT_EQ(before->at({"application", SlaState::kOnTrack}), 2);
  // A case written by schema version 1 has neither; start-up computes it.
  const std::string old = InsertWithoutSlaSummary("s3");
  EXPECT_EQ(ScheduledAt(Taipei(2026, 2, 13, 16, 0)).count(old), 0u);
  clock_.Set(Taipei(2026, 2, 13, 16, 0) +
             std::chrono::seconds(30));  // both warnings came while "down"
  SlaScheduler scheduler(clock_, *engine_);
  std::vector<SlaEvent> seen;
  engine_->SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      [&](const std::vector<SlaEvent>& events) {
        seen.insert(seen.end(), events.begin(), events.end());
      });
  ASSERT_OK(scheduler.Start());
  scheduler.Stop();
  ASSERT_EQ(seen.size(), 3u);  // each fired once, at start-up, marked late
  std::set<std::string> fired;
  for (const SlaEvent& e : seen) {
    EXPECT_TRUE(e.late) << e.acceptance_number;
    EXPECT_EQ(e.target + "/" + e.event, "response/warning_50");
    fired.insert(e.acceptance_number);
  }
  EXPECT_EQ(fired, std::set<std::string>({a, b, old}));
  EXPECT_EQ(scheduler.pending(), 3u);  // all re-armed for resolution 50% (Mon 23 11:45)
  EXPECT_EQ(ScheduledAt(Taipei(2026, 2, 23, 11, 45)), std::set<std::string>({a, b, old}));
  auto counts = engine_->OpenCounts();
  ASSERT_OK(counts.status());
  EXPECT_EQ(counts->at({"application", SlaState::kWarning}), 3);
  EXPECT_EQ(counts->at({"application", SlaState::kOnTrack}), 0);
}

TEST_F(CaseEngineTest, ReloadMovesDueInstantsButNeverRepeatsAnEvent) {
  SlaScheduler scheduler(clock_, *engine_);
  std::vector<SlaEvent> seen;
  engine_->SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      [&](const std::vector<SlaEvent>& events) {
        seen.insert(seen.end(), events.begin(), events.end());
      });
  const std::string n = Create()->view.record.acceptance_number;
  clock_.Set(Taipei(2026, 2, 13, 16, 0));
  scheduler.RunDue();
  ASSERT_EQ(seen.size(), 1u);  // response warning_50
  CaseConfig longer = engine_->config();
  longer.types["application"].targets[0].length.amount = 32 * 60;  // response: 16 h -> 32 h
  engine_->Reload(longer);
  ASSERT_OK(scheduler.Rearm());
  auto view = engine_->Get(n);
  EXPECT_EQ(*view->targets[0].schedule.due, Taipei(2026, 2, 25, 16, 0));
  // The new 50% instant (Mon 23 16:00) comes, but warning_50 already fired once.
  clock_.Set(Taipei(2026, 2, 23, 16, 0));
  scheduler.RunDue();
  for (const SlaEvent& e : seen)
    EXPECT_FALSE(e.target == "response" && e.event == "warning_50" && &e != &seen[0]);
  EXPECT_EQ(CountEvents("response", "warning_50"), 1);
}

TEST_F(CaseEngineTest, EventsMissedWhileDownFireAtStartMarkedLate) {
  auto c = Create();
  clock_.Set(Taipei(2026, 2, 24, 9, 0));  // "csopsd was down" past response 50%, 80% and due
  std::vector<SlaEvent> seen;
  SlaScheduler scheduler(clock_, *engine_);
  engine_->SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      [&](const std::vector<SlaEvent>& events) {
        seen.insert(seen.end(), events.begin(), events.end());
      });
  ASSERT_OK(scheduler.Start());
  scheduler.Stop();
  ASSERT_GE(seen.size(), 3u);
  for (const SlaEvent& e : seen) EXPECT_TRUE(e.late) << e.target << " " << e.event;
  EXPECT_EQ(CountEvents([](const SlaEvent& e) { return e.late; }),
            static_cast<std::int64_t>(seen.size()));
  EXPECT_EQ(CountEvents(""), static_cast<std::int64_t>(seen.size()));
}

TEST_F(CaseEngineTest, StoppingATargetRecordsMetOrMissed) {
  auto c = Create();
  const std::string n = c->view.record.acceptance_number;
  clock_.Set(Taipei(2026, 2, 24, 17, 0));  // response (Mon 16:00) missed, resolution met
  ASSERT_OK(Move(n, CaseStatus::kCompleted).status());
  EXPECT_EQ(CountEvents("response", "missed"), 1);
  EXPECT_EQ(CountEvents("resolution", "met"), 1);
}

TEST_F(CaseEngineTest, AStoppedTargetStaysMetWhateverHappensLater) {
  auto c = Create("c1", "power cuts", "complaint");
  const std::string n = c->view.record.acceptance_number;
  clock_.Set(Taipei(2026, 2, 13, 9, 0));
  ASSERT_OK(Move(n, CaseStatus::kInProgress).status());  // first reply after 17 h: met
  clock_.Set(Taipei(2026, 2, 13, 10, 0));
  auto waiting = Move(n, CaseStatus::kWaitingCustomer);  // would pause first_reply if still running
  ASSERT_OK(waiting.status());
  EXPECT_EQ(waiting->targets[0].state, SlaState::kMet);
  EXPECT_EQ(*waiting->targets[0].schedule.due, Taipei(2026, 2, 15, 16, 0));
  EXPECT_EQ(CountEvents("first_reply"), 1);
  EXPECT_EQ(CountEvents("", "missed"), 0);
}

TEST_F(CaseEngineTest, ListFiltersByStatusAssigneeAndSlaStateAndPagesStably) {
  std::vector<std::string> numbers;
  for (int i = 0; i < 5; ++i)
    numbers.push_back(Create("l" + std::to_string(i))->view.record.acceptance_number);
  ASSERT_OK(Await<CaseView>([&](auto done) {
              engine_->Assign(numbers[1], "E1", "business", "E0007", done);
            }).status());
  ASSERT_OK(Move(numbers[2], CaseStatus::kWaitingCustomer).status());

  CaseEngine::ListQuery q;
  q.page_size = 2;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 5; ++pages) {
    auto page = engine_->List(q);
    ASSERT_OK(page.status());
    for (const auto& v : page->cases) seen.push_back(v.record.acceptance_number);
    if (page->next_page_token.empty()) break;
    q.page_token = page->next_page_token;
  }
  EXPECT_EQ(seen, numbers);  // every case once, in acceptance order

  CaseEngine::ListQuery mine;
  mine.filter.assignee = "E0007";
  auto assigned = engine_->List(mine);
  ASSERT_EQ(assigned->cases.size(), 1u);
  EXPECT_EQ(assigned->cases[0].record.assignee_department, "business");

  CaseEngine::ListQuery paused;
  paused.sla_state = SlaState::kPaused;
  EXPECT_EQ(engine_->List(paused)->cases.size(), 1u);

  clock_.Set(Taipei(2026, 2, 23, 16, 0));  // the 16-hour targets of the running cases breach
  CaseEngine::ListQuery breached;
  breached.sla_state = SlaState::kBreached;
  EXPECT_EQ(engine_->List(breached)->cases.size(), 4u);

  CaseEngine::ListQuery bad;
  bad.page_token = "garbage";
  EXPECT_EQ(engine_->List(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CaseEngineTest, ReportCountsClosedWithinEachTargetAndPercentiles) {
  // Open cases are counted by the SLA state their last commit stored, as the timers keep it.
  SlaScheduler scheduler(clock_, *engine_);
  engine_->SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      nullptr);
  const std::string on_time = Create("r1")->view.record.acceptance_number;
  const std::string late = Create("r2")->view.record.acceptance_number;
  Create("r3");  // stays open
  clock_.Set(Taipei(2026, 2, 13, 10, 0));
  ASSERT_OK(Move(on_time, CaseStatus::kCompleted).status());  // 3 business hours
  clock_.Set(Taipei(2026, 2, 24, 17, 0));
  ASSERT_OK(Move(late, CaseStatus::kCompleted).status());  // 25 h: response (16 h) missed
  scheduler.RunDue();  // r3's response breach (Mon 23 16:00) fires; the case is breached
  auto report = engine_->Report(Taipei(2026, 2, 1, 0, 0), Taipei(2026, 3, 1, 0, 0), "", "");
  ASSERT_OK(report.status());
  const auto& r = *std::find_if(report->types.begin(), report->types.end(),
                                [](const auto& t) { return t.type->code == "application"; });
  EXPECT_EQ(r.closed, 2);
  EXPECT_EQ(r.closed_within_sla, 1);
  EXPECT_EQ(r.met.at("response"), 1);
  EXPECT_EQ(r.met.at("resolution"), 2);
  EXPECT_EQ(r.median_resolution, hours(3));
  EXPECT_EQ(r.p90_resolution, hours(25));
  EXPECT_EQ(r.open, 1);
  EXPECT_EQ(r.open_breached, 1);
  auto outside = engine_->Report(Taipei(2026, 3, 1, 0, 0), Taipei(2026, 4, 1, 0, 0), "", "");
  EXPECT_EQ(outside->types.front().closed, 0);
  EXPECT_EQ(
      engine_->Report(Taipei(2026, 3, 1, 0, 0), Taipei(2026, 3, 1, 0, 0), "", "").status().code(),
      StatusCode::kInvalidArgument);
}

TEST_F(CaseEngineTest, ApplicantContactsFollowTheRulesNotifySendsBy) {
  CreateCaseCommand cmd{
      "application", "taipei-south", {"王小明", "", "", "", {}, "zh-TW"}, "counter", "s", "E1", ""};
  auto create = [&](std::string key, std::string phone, std::string email,
                    std::vector<NoticeChannel> channels) {
    cmd.idempotency_key = std::move(key);
    cmd.applicant.phone = std::move(phone);
    cmd.applicant.email = std::move(email);
    cmd.applicant.channels = std::move(channels);
    return Await<CreatedCase>([&](auto done) { engine_->Create(cmd, done); });
  };
  int n = 0;
  for (const char* bad : {"two@@at.example", "sp ace@example.com", "a@example"}) {
    auto r = create("e" + std::to_string(++n), "", bad, {NoticeChannel::kEmail});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message().rfind("applicant.email: ", 0), 0u) << r.status().message();
  }
  // A landline is a phone for calls, not for SMS notices.
  auto sms = create("s", "0223456789", "", {NoticeChannel::kSms});
  EXPECT_EQ(sms.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sms.status().message().find("applicant.phone: a landline cannot receive SMS"),
            std::string::npos)
      << sms.status().message();
  auto junk = create("j", "call me", "", {});
  EXPECT_NE(junk.status().message().find("applicant.phone"), std::string::npos);
  ASSERT_OK(create("l", "02-2345-6789", "chen@example.com.tw", {NoticeChannel::kEmail}).status());
  ASSERT_OK(create("m", "+886 912 345 678", "", {NoticeChannel::kSms}).status());
}

// A SIGHUP reload swaps the configuration while commands run. Each command must see one
// configuration throughout (it once compared an iterator of one map with end() of another).
// Run under TSan by the sanitizer stage (label concurrency).
TEST_F(CaseEngineTest, ReloadsInALoopWhileCasesAreCreatedNeverMixTwoConfigurations) {
  const CaseConfig without = engine_->config();
  CaseConfig with_extra = without;
  with_extra.types["extra"] = with_extra.types.at("complaint");
  with_extra.types["extra"].code = "extra";
  std::atomic<bool> stop{false};
  std::thread reloader([&] {
    // Bounded: the engine keeps every configuration it was given (views may point into them).
    for (int i = 0; !stop.load() && i < 5000; ++i) {
      engine_->Reload(i % 2 ? with_extra : without);
      std::this_thread::yield();
    }
  });
  int created = 0, refused = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string type = i % 2 ? "extra" : "application";
    auto c = Create("reload-" + std::to_string(i), "summary", type);
    if (c.ok()) {
      ++created;
      EXPECT_EQ(c->view.type->code, type);
      EXPECT_EQ(c->view.branch->id, "taipei-south");
      EXPECT_EQ(c->view.targets.size(), c->view.type->targets.size());
    } else {
      // Only "not configured" when the command began: never a half-seen configuration.
      ++refused;
      EXPECT_EQ(c.status().code(), StatusCode::kNotFound) << c.status().ToString();
      EXPECT_EQ(type, "extra") << c.status().ToString();
    }
    if (i % 10 == 0) EXPECT_OK(engine_->OpenCounts().status());
  }
  stop = true;
  reloader.join();
  EXPECT_EQ(created + refused, 300);
  EXPECT_GE(created, 150);  // every "application" at least
}

}  // namespace
}  // namespace csops::cases
