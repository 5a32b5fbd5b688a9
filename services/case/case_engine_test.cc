// CaseEngine commands and queries.
#include "services/case/case_engine_test_fixture.h"

namespace csops::cases {
namespace {

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
