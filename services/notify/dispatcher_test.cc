// The dispatcher's passes on a fake clock (RunOnce, no threads, no sleeping): what is due at the
// clock's now is claimed, sent through the providers and recorded; what is not due yet waits,
// and the pass names the instant it comes due. The loop's waiting on the wall clock is tested in
// dispatcher_wall_clock_test.cc.
#include "services/notify/dispatcher.h"

#include <gtest/gtest.h>

#include "common/base/testutil.h"
#include "services/notify/notify_test_fixture.h"

namespace csops::notify {
namespace {

class DispatcherTest : public NotifyEngineTest {
 protected:
  DispatcherTest() {
    std::map<std::string, std::unique_ptr<ChannelSender>> owned;
    for (const char* name : {"mail", "sms_a", "sms_b", "post"}) {
      auto s = std::make_unique<ScriptedSender>();
      senders_[name] = s.get();
      owned[name] = std::move(s);
    }
    dispatcher_ = std::make_unique<Dispatcher>(*engine_, std::move(owned), 4);
  }

  DispatchPass RunOnce() {
    auto r = dispatcher_->RunOnce();
    EXPECT_OK(r.status());
    return r.ok() ? *r : DispatchPass{};
  }
  std::size_t SentBy(const std::string& provider) {
    std::lock_guard<std::mutex> lock(senders_.at(provider)->mu);
    return senders_.at(provider)->sent.size();
  }

  std::map<std::string, ScriptedSender*> senders_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, ADeliveryIsSentOnlyOnceItsSendAfterInstantHasCome) {
  auto c = Bill("later");
  c.send_after = Taipei(2026, 3, 3, 15, 0);
  auto r = Send(c);
  ASSERT_OK(r.status());
  DispatchPass pass = RunOnce();
  EXPECT_EQ(pass.claimed, 0);
  EXPECT_EQ(pass.next_due, Taipei(2026, 3, 3, 15, 0));
  clock_.Set(Taipei(2026, 3, 3, 14, 59, 59));
  EXPECT_EQ(RunOnce().claimed, 0);
  EXPECT_EQ(SentBy("mail"), 0u);
  clock_.Set(Taipei(2026, 3, 3, 15, 0));
  pass = RunOnce();
  EXPECT_EQ(pass.claimed, 1);
  EXPECT_EQ(pass.next_due, std::nullopt);
  EXPECT_EQ(SentBy("mail"), 1u);
  EXPECT_EQ(engine_->Get(r->id)->status, "sent");
}

TEST_F(DispatcherTest, ANoticeAcceptedInQuietHoursIsSentWhenTheyEnd) {
  clock_.Set(Taipei(2026, 3, 3, 22, 0));  // quiet hours 21:00-08:00
  ASSERT_OK(Send(Bill("night")).status());
  DispatchPass pass = RunOnce();
  EXPECT_EQ(pass.claimed, 0);
  EXPECT_EQ(pass.next_due, Taipei(2026, 3, 4, 8, 0));
  clock_.Set(Taipei(2026, 3, 4, 8, 30));
  EXPECT_EQ(RunOnce().claimed, 1);
  EXPECT_EQ(SentBy("mail"), 1u);
}

TEST_F(DispatcherTest, PlanStepsRunOnTheirDayAndTheirNoticesAreSentInTheSamePass) {
  StartPlanCommand cmd{"unpaid_bill",
                       "bill-11510-0003",
                       Bill("x").recipient,
                       "zh-TW",
                       {{"month", "115年10月"},
                        {"amount", "1234"},
                        {"second_due", "2026-03-20"},
                        {"branch_id", "taipei-south"}}};
  ASSERT_OK(Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); }).status());
  DispatchPass pass = RunOnce();  // day 0: e-mail at once
  EXPECT_EQ(pass.steps, 1);
  EXPECT_EQ(pass.claimed, 1);
  EXPECT_EQ(SentBy("mail"), 1u);
  EXPECT_EQ(pass.next_due, Taipei(2026, 3, 10, 10, 0));  // day 7
  clock_.Set(*pass.next_due);
  pass = RunOnce();  // day 7: SMS
  EXPECT_EQ(pass.steps, 1);
  EXPECT_EQ(pass.claimed, 1);
  EXPECT_EQ(SentBy("sms_a"), 1u);
  EXPECT_EQ(pass.next_due, Taipei(2026, 3, 20, 9, 0));  // the staff call on the second due date
  clock_.Set(*pass.next_due);
  pass = RunOnce();
  EXPECT_EQ(pass.steps, 1);
  EXPECT_EQ(pass.claimed, 0);
  EXPECT_EQ(engine_->PendingTasks(10)->size(), 1u);
  EXPECT_EQ(pass.next_due, Taipei(2026, 3, 30, 9, 0));  // the home visit
}

TEST_F(DispatcherTest, APassClaimsAtMostOneDeliveryPerWorker) {
  for (int i = 0; i < 6; ++i) ASSERT_OK(Send(Bill("many-" + std::to_string(i))).status());
  DispatchPass pass = RunOnce();
  EXPECT_EQ(pass.claimed, 4);
  EXPECT_EQ(pass.next_due, clock_.Now());  // two more are due now
  pass = RunOnce();
  EXPECT_EQ(pass.claimed, 2);
  EXPECT_EQ(pass.next_due, std::nullopt);
  EXPECT_EQ(SentBy("mail"), 6u);
}

// Moved from notify_engine_test.cc, where it ran the dispatcher's threads on the real clock.
TEST_F(DispatcherTest, DeliversFailsOverBetweenProvidersAndRecordsEveryAttempt) {
  senders_.at("mail")->script = {SendOutcome::Permanent("550")};
  senders_.at("sms_a")->script = {SendOutcome::Transient("HTTP 503")};
  auto cmd = Bill("dispatch");
  cmd.urgent = true;
  auto r = Send(cmd);
  ASSERT_OK(r.status());
  DispatchPass pass = RunOnce();  // e-mail: permanent, the SMS link is due at once
  EXPECT_EQ(pass.claimed, 1);
  EXPECT_EQ(pass.next_due, clock_.Now());
  pass = RunOnce();  // SMS through sms_a: 503, retried after a back-off
  EXPECT_EQ(pass.claimed, 1);
  ASSERT_TRUE(pass.next_due.has_value());
  EXPECT_GT(*pass.next_due, clock_.Now());
  EXPECT_EQ(RunOnce().claimed, 0);
  clock_.Set(*pass.next_due);
  EXPECT_EQ(RunOnce().claimed, 1);
  auto v = engine_->Get(r->id);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->status, "sent");
  ASSERT_EQ(v->attempts.size(), 3u);
  EXPECT_EQ(v->attempts[0].provider, "mail");
  EXPECT_EQ(v->attempts[1].provider, "sms_a");  // 503
  EXPECT_EQ(v->attempts[2].provider, "sms_b");  // the retry goes to the other SMS provider
  ScriptedSender* b = senders_.at("sms_b");
  ScriptedSender* a = senders_.at("sms_a");
  ASSERT_EQ(b->sent.size(), 1u);
  EXPECT_EQ(b->sent[0].message.short_text, "請繳 1234 元");
  EXPECT_EQ(b->sent[0].client_id, a->sent[0].client_id);  // one id across retries
}

TEST_F(DispatcherTest, APassRefusesToRunWithoutASenderForEveryProvider) {
  std::map<std::string, std::unique_ptr<ChannelSender>> some;
  some["mail"] = std::make_unique<ScriptedSender>();
  Dispatcher partial(*engine_, std::move(some), 1);
  EXPECT_EQ(partial.RunOnce().status().code(), StatusCode::kInternal);
}

// A budget that grants nothing: its coordinator away (kUnavailable) or broken.
class RefusingBudget final : public RateBudget {
 public:
  explicit RefusingBudget(Status s) : s_(std::move(s)) {}
  Result<SteadyTime> Reserve() override { return s_; }

 private:
  const Status s_;
};

TEST(ProviderGateTest, ACallWithoutASendSlotDoesNotStartAndGivesUpItsPlace) {
  ProviderGate gate(std::make_unique<RefusingBudget>(Status::Unavailable("database away")), 1);
  EXPECT_EQ(gate.Enter().code(), StatusCode::kUnavailable);
  // The one place is free again (else this would wait for ever).
  EXPECT_EQ(gate.Enter().code(), StatusCode::kUnavailable);
}

TEST(ProviderGateTest, AProviderWithoutABudgetIsNotPaced) {
  ProviderGate gate(nullptr, 2);
  EXPECT_OK(gate.Enter());
  EXPECT_OK(gate.Enter());
  gate.Leave();
  gate.Leave();
}

// The budget the module passes (here one that fails outright, so the pass does not wait for
// it): a delivery of a provider that has no slot is neither sent nor recorded; it stays
// leased and comes due again when its lease ends.
TEST_F(NotifyEngineTest, ADeliveryWithoutASendSlotIsNeitherSentNorRecorded) {
  config_.providers[0].rate_per_second = 10;  // mail: paced by the budget below
  Reopen();
  std::map<std::string, std::unique_ptr<ChannelSender>> owned;
  std::map<std::string, ScriptedSender*> senders;
  for (const char* name : {"mail", "sms_a", "sms_b", "post"}) {
    auto s = std::make_unique<ScriptedSender>();
    senders[name] = s.get();
    owned[name] = std::move(s);
  }
  std::vector<std::string> budgets;
  Dispatcher dispatcher(*engine_, std::move(owned), 4, minutes(2),
                        [&](const ProviderModel& p) -> std::unique_ptr<RateBudget> {
                          budgets.push_back(p.name);
                          return std::make_unique<RefusingBudget>(
                              Status::Internal("no send slots for provider " + p.name));
                        });
  EXPECT_EQ(budgets, std::vector<std::string>{"mail"});  // only a provider with a rate
  auto c = Bill("no-slot");
  c.channels = {Channel::kEmail};
  auto r = Send(c);
  ASSERT_OK(r.status());
  auto pass = dispatcher.RunOnce();
  ASSERT_OK(pass.status());
  EXPECT_EQ(pass->claimed, 1);
  EXPECT_TRUE(senders.at("mail")->sent.empty());
  auto v = engine_->Get(r->id);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->status, "pending");
  EXPECT_TRUE(v->attempts.empty());
  EXPECT_EQ(pass->next_due, clock_.Now() + minutes(2));
}

}  // namespace
}  // namespace csops::notify
