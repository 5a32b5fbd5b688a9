// CaseEngine's SLA side: events fire once, start-up arming, reloads, late events, stopped targets.
#include "services/case/case_engine_test_fixture.h"

namespace csops::cases {
namespace {

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

// Another replica's commits never reach this scheduler's queue: the sweep finds their cases in
// the store once they are sweep_grace overdue, fires them once, and from then on this
// scheduler holds their next instant.
TEST_F(CaseEngineTest, TheSweepFiresCasesArmedOnAnotherReplica) {
  CaseEngine other(clock_, engine_->config(), *store_, "https://csops.example", TestSecret());
  CreateCaseCommand c{"application", "taipei-south", {"王小明", "", "0912345678", "", {}, "zh-TW"},
                      "counter",     "new meter",    "E0042",
                      "elsewhere"};
  auto created = Await<CreatedCase>([&](auto done) { other.Create(c, done); });
  ASSERT_OK(created.status());
  SlaScheduler scheduler(clock_, *engine_);
  std::vector<SlaEvent> seen;
  engine_->SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      [&](const std::vector<SlaEvent>& events) {
        seen.insert(seen.end(), events.begin(), events.end());
      });
  EXPECT_EQ(scheduler.pending(), 0u);
  const Instant warning = Taipei(2026, 2, 13, 16, 0);  // response 50%
  clock_.Set(warning);
  EXPECT_EQ(scheduler.RunDue(), 0);  // not in this replica's queue
  clock_.Set(warning + std::chrono::milliseconds(999));
  EXPECT_EQ(scheduler.Sweep(), 0);  // its owner has until the grace to fire it
  clock_.Set(warning + SlaScheduler::kSweepGrace);
  EXPECT_EQ(scheduler.Sweep(), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].acceptance_number, created->view.record.acceptance_number);
  EXPECT_EQ(seen[0].event, "warning_50");
  EXPECT_EQ(seen[0].due_at, warning);
  EXPECT_EQ(scheduler.Sweep(), 0);  // fired once; its next instant is stored and queued here
  EXPECT_EQ(scheduler.pending(), 1u);
  EXPECT_EQ(CountEvents("response", "warning_50"), 1);
}

// A case that cannot fire (its type left the configuration) is retried after 1 s, 2 s, 4 s...
// and never keeps the other due cases from firing.
TEST_F(CaseEngineTest, TheSweepBacksOffACaseThatCannotFire) {
  const std::string stuck = Create("s1", "power cuts", "complaint")->view.record.acceptance_number;
  const std::string fine = Create("s2")->view.record.acceptance_number;
  const CaseConfig full = engine_->config();
  CaseConfig without = full;
  without.types.erase("complaint");
  engine_->Reload(without);
  SlaScheduler scheduler(clock_, *engine_);
  std::vector<SlaEvent> seen;
  engine_->SetHooks(
      [&](const std::string& n, std::optional<Instant> next) { scheduler.Reschedule(n, next); },
      [&](const std::vector<SlaEvent>& events) {
        seen.insert(seen.end(), events.begin(), events.end());
      });
  clock_.Set(Taipei(2026, 2, 24, 9, 0));  // both cases' next events long past
  EXPECT_EQ(scheduler.Sweep(), 2);
  EXPECT_FALSE(seen.empty());
  for (const SlaEvent& e : seen) EXPECT_EQ(e.acceptance_number, fine);
  EXPECT_EQ(scheduler.Sweep(), 0);  // the stuck case waits 1 s; the fine one is not due again
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(scheduler.Sweep(), 1);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(scheduler.Sweep(), 0);  // now 2 s
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(scheduler.Sweep(), 1);
  // Configured again, it fires at the next retry and leaves the back-off.
  engine_->Reload(full);
  clock_.Advance(std::chrono::seconds(4));
  EXPECT_EQ(scheduler.Sweep(), 1);
  EXPECT_GT(CountEvents([&](const SlaEvent& e) { return e.acceptance_number == stuck; }), 0);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(scheduler.Sweep(), 0);
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

}  // namespace
}  // namespace csops::cases
