#include "services/notify/notify_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "common/base/testutil.h"
#include "services/notify/notify_test_fixture.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"

namespace csops::notify {
namespace {

TEST_F(NotifyEngineTest, BadInputIsRefusedByNameAndNothingIsWritten) {
  auto expect = [&](SendCommand c, StatusCode code, const std::string& text) {
    auto r = Send(std::move(c));
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().ToString();
  };
  auto c = Bill("");
  expect(c, StatusCode::kInvalidArgument, "idempotency_key");
  c = Bill("k");
  c.kind = "lottery";
  expect(c, StatusCode::kInvalidArgument, "kind: 'lottery' is not configured");
  c = Bill("k");
  c.locale = "fr";
  expect(c, StatusCode::kInvalidArgument, "locale");
  c = Bill("k");
  c.variables.erase("amount");
  expect(c, StatusCode::kInvalidArgument, "variables.amount: required by the template");
  c = Bill("k");
  c.recipient.mobile = "12345";
  expect(c, StatusCode::kInvalidArgument, "recipient.mobile");
  c = Bill("k");
  c.recipient.email = "not-an-address";
  expect(c, StatusCode::kInvalidArgument, "recipient.email");
  c = Bill("k");
  c.mode = PolicyMode::kExplicit;
  c.channels = {Channel::kVoice};
  c.recipient.mobile = "0912345678";
  expect(c, StatusCode::kFailedPrecondition, "no provider is configured for voice");
  c = Bill("k");
  c.recipient = {"1", "", "", "", {}, {}};
  expect(c, StatusCode::kInvalidArgument, "recipient: no usable channel");
  auto none = engine_->List("01234567890", 10, "");
  ASSERT_OK(none.status());
  EXPECT_TRUE(none->items.empty());
}

TEST_F(NotifyEngineTest, ConcurrentSendsWithOneKeyCreateOneNotification) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<SendResult> results;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&] {
      auto r = Send(Bill("same-key"));
      ASSERT_OK(r.status());
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(*r);
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(results.size(), 16u);
  std::set<std::int64_t> ids;
  int firsts = 0;
  for (const SendResult& r : results) {
    ids.insert(r.id);
    firsts += r.duplicate ? 0 : 1;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(firsts, 1);
  EXPECT_EQ(ClaimAll().size(), 1u);  // one delivery (the chain's first), not sixteen
}

TEST_F(NotifyEngineTest, FallbackChainMovesOnOnlyWhenAChannelFailsForGood) {
  auto sent = Send(Bill("chain"));
  ASSERT_OK(sent.status());
  auto due = ClaimAll();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].channel, Channel::kEmail);
  EXPECT_TRUE(ClaimAll().empty());  // leased
  // Transient: retried after back-off (15-30 s), the chain waits.
  Complete(due[0], "mail", SendOutcome::Transient("SMTP 451"));
  EXPECT_EQ(StatusOf(sent->id, 0), DeliveryStatus::kPending);
  EXPECT_EQ(StatusOf(sent->id, 1), DeliveryStatus::kWaiting);
  EXPECT_TRUE(ClaimAll().empty());
  clock_.Advance(seconds(30));
  due = ClaimAll();
  ASSERT_EQ(due.size(), 1u);
  // Permanent: the SMS link becomes due at once.
  Complete(due[0], "mail", SendOutcome::Permanent("SMTP 550 no such user"));
  EXPECT_EQ(StatusOf(sent->id, 0), DeliveryStatus::kFailed);
  due = ClaimAll();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].channel, Channel::kSms);
  Complete(due[0], "sms_a", SendOutcome::Ok("mitake-77"));
  auto v = engine_->Get(sent->id);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->deliveries[1].status, DeliveryStatus::kSent);
  EXPECT_EQ(v->deliveries[2].status, DeliveryStatus::kCancelled);  // postcard not needed
  EXPECT_EQ(v->status, "sent");
  ASSERT_EQ(v->attempts.size(), 3u);
  EXPECT_EQ(v->attempts[0].result, "transient");
  EXPECT_EQ(v->attempts[1].result, "permanent");
  EXPECT_EQ(v->attempts[2].provider_message_id, "mitake-77");
}

TEST_F(NotifyEngineTest, ReportCountsDeliveriesPerChannelWithReachedShareAndLatency) {
  const Instant start = clock_.Now();
  auto chain = Send(Bill("r-chain"));  // e-mail fails for good, SMS taken, postcard cancelled
  ASSERT_OK(chain.status());
  SendCommand one = Bill("r-sms");
  one.channels = {Channel::kSms};
  auto sms = Send(one);  // SMS taken after 10 s, then a receipt confirms it
  ASSERT_OK(sms.status());
  auto due = ClaimAll();
  ASSERT_EQ(due.size(), 2u);
  clock_.Advance(seconds(10));
  for (const auto& d : due) {
    if (d.channel == Channel::kEmail) Complete(d, "mail", SendOutcome::Permanent("550"));
    if (d.channel == Channel::kSms) Complete(d, "sms_a", SendOutcome::Ok("m-1"));
  }
  ASSERT_OK(Await<bool>([&](auto done) {
              engine_->ReportDelivery("sms_a", "m-1", true, "", done);
            }).status());
  clock_.Advance(seconds(20));
  due = ClaimAll();
  ASSERT_EQ(due.size(), 1u);  // the chain's SMS, 30 s after acceptance
  Complete(due[0], "sms_a", SendOutcome::Ok("m-2"));

  auto r = engine_->Report(start, clock_.Now() + seconds(1));
  ASSERT_OK(r.status());
  EXPECT_EQ(r->notifications, 2);
  EXPECT_EQ(r->by_kind.at("bill_unpaid"), 2);
  ASSERT_EQ(r->channels.size(), 5u);
  const ChannelNotices& email = r->channels[0];
  EXPECT_EQ(email.channel, Channel::kEmail);
  EXPECT_EQ(email.deliveries, 1);
  EXPECT_EQ(email.failed, 1);
  EXPECT_EQ(email.taken, 0);
  EXPECT_DOUBLE_EQ(email.ReachedShare(), 0.0);
  const ChannelNotices& sms_c = r->channels[1];
  EXPECT_EQ(sms_c.deliveries, 2);
  EXPECT_EQ(sms_c.taken, 2);
  EXPECT_EQ(sms_c.delivered, 1);
  EXPECT_EQ(sms_c.reached, 2);
  EXPECT_DOUBLE_EQ(sms_c.ReachedShare(), 1.0);
  EXPECT_EQ(sms_c.median_latency, seconds(10));
  EXPECT_EQ(sms_c.p95_latency, seconds(30));
  const ChannelNotices& post = r->channels[4];
  EXPECT_EQ(post.channel, Channel::kPostcard);
  EXPECT_EQ(post.cancelled, 1);
  // Accepted before the period: not counted.
  EXPECT_EQ(engine_->Report(start + seconds(1), clock_.Now() + seconds(1))->notifications, 0);
  EXPECT_EQ(engine_->Report(start, start).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(NotifyEngineTest, TransientFailuresGiveUpAfterMaxAttemptsThenTheChainContinues) {
  auto sent = Send(Bill("tries"));
  for (int i = 0; i < 3; ++i) {
    auto due = ClaimAll();
    ASSERT_EQ(due.size(), 1u) << i;
    EXPECT_EQ(due[0].channel, Channel::kEmail);
    Complete(due[0], "mail", SendOutcome::Transient("timeout"));
    clock_.Advance(minutes(10));
  }
  EXPECT_EQ(StatusOf(sent->id, 0), DeliveryStatus::kFailed);
  auto due = ClaimAll();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].channel, Channel::kSms);
}

TEST_F(NotifyEngineTest, QuietHoursDeferNonUrgentNoticesAndPreferencesOverride) {
  clock_.Set(Taipei(2026, 3, 3, 22, 30));
  auto quiet = Send(Bill("night"));
  ASSERT_OK(quiet.status());
  EXPECT_TRUE(ClaimAll().empty());
  auto v = engine_->Get(quiet->id);
  EXPECT_EQ(v->deliveries[0].next_attempt_at, Taipei(2026, 3, 4, 8, 0));
  auto urgent_cmd = Bill("urgent");
  urgent_cmd.urgent = true;
  ASSERT_OK(Send(urgent_cmd).status());
  EXPECT_EQ(ClaimAll().size(), 1u);
  // A customer whose quiet hours end at 06:30.
  ASSERT_OK(Await<PreferencesRecord>([&](auto done) {
              engine_->SetPreferences({"555", {}, QuietHours{22 * 60, 6 * 60 + 30}}, done);
            }).status());
  auto own = Bill("own-quiet");
  own.recipient.customer_number = "555";
  auto r = Send(own);
  EXPECT_EQ(engine_->Get(r->id)->deliveries[0].next_attempt_at, Taipei(2026, 3, 4, 6, 30));
}

TEST_F(NotifyEngineTest, OptOutsSkipChannelsExceptForCriticalNotices) {
  ASSERT_OK(Await<PreferencesRecord>([&](auto done) {
              engine_->SetPreferences({"01234567890", {Channel::kEmail}, std::nullopt}, done);
            }).status());
  auto r = Send(Bill("opt"));
  auto v = engine_->Get(r->id);
  ASSERT_EQ(v->deliveries.size(), 2u);
  EXPECT_EQ(v->deliveries[0].channel, Channel::kSms);
  auto final_notice = Bill("final");
  final_notice.kind = "bill_unpaid_final";
  EXPECT_EQ(engine_->Get(Send(final_notice)->id)->deliveries[0].channel, Channel::kEmail);
  ASSERT_OK(
      Await<PreferencesRecord>([&](auto done) {
        engine_->SetPreferences(
            {"01234567890", {Channel::kEmail, Channel::kSms, Channel::kPostcard}, std::nullopt},
            done);
      }).status());
  auto refused = Send(Bill("all-out"));
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("opted out"), std::string::npos);
}

TEST_F(NotifyEngineTest, AReceiptBeforeTheSendIsRecordedIsKeptAndApplied) {
  auto r = Send(Bill("early"));
  auto due = ClaimAll();
  ASSERT_EQ(due.size(), 1u);
  // The provider's receipt races ahead of our own record of the send.
  auto applied = Await<bool>([&](auto done) {
    engine_->ReportDelivery("mail", "<msg-1@example.com>", true, "250 delivered", done);
  });
  ASSERT_OK(applied.status());
  EXPECT_FALSE(*applied);
  Complete(due[0], "mail", SendOutcome::Ok("<msg-1@example.com>"));
  EXPECT_EQ(StatusOf(r->id, 0), DeliveryStatus::kDelivered);
  EXPECT_EQ(engine_->Get(r->id)->status, "delivered");
  // A failure receipt moves the chain on.
  auto r2 = Send(Bill("bounce"));
  due = ClaimAll();
  Complete(due[0], "mail", SendOutcome::Ok("<msg-2@example.com>"));
  EXPECT_TRUE(*Await<bool>([&](auto done) {
    engine_->ReportDelivery("mail", "<msg-2@example.com>", false, "bounced", done);
  }));
  EXPECT_EQ(StatusOf(r2->id, 0), DeliveryStatus::kFailed);
  EXPECT_EQ(StatusOf(r2->id, 1), DeliveryStatus::kPending);
  EXPECT_EQ(Await<bool>([&](auto done) { engine_->ReportDelivery("nobody", "x", true, "", done); })
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST_F(NotifyEngineTest, ABatchAcceptsGoodItemsAndAnswersEachOne) {
  std::vector<PreparedSend> items;
  for (int i = 0; i < 3; ++i) items.push_back(*engine_->Prepare(Bill("b" + std::to_string(i))));
  items.push_back(*engine_->Prepare(Bill("b0")));  // duplicate inside the batch
  ASSERT_OK(Await<PreferencesRecord>([&](auto done) {
              engine_->SetPreferences(
                  {"999", {Channel::kEmail, Channel::kSms, Channel::kPostcard}, std::nullopt},
                  done);
            }).status());
  auto out = Bill("opted-out");
  out.recipient.customer_number = "999";
  items.push_back(*engine_->Prepare(out));
  auto r = Await<std::vector<Result<SendResult>>>(
      [&](auto done) { engine_->SendMany(std::move(items), done); });
  ASSERT_OK(r.status());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_FALSE((*r)[0]->duplicate);
  EXPECT_TRUE((*r)[3]->duplicate);
  EXPECT_EQ((*r)[3]->id, (*r)[0]->id);
  EXPECT_EQ((*r)[4].status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ClaimAll().size(), 3u);
}

TEST_F(NotifyEngineTest, KeysAreKeptForTheRetentionPeriodThenForgotten) {
  auto first = Send(Bill("kept"));
  auto due = ClaimAll();
  ASSERT_EQ(due.size(), 1u);
  Complete(due[0], "mail", SendOutcome::Ok("m-1"));
  auto pending = Send(Bill("still-pending"));  // never claimed: something left to do
  clock_.Advance(hours(24 * 29));
  EXPECT_EQ(*engine_->PurgeExpired(100), 0);  // 29 days: still kept
  EXPECT_TRUE(Send(Bill("kept"))->duplicate);
  clock_.Advance(hours(24 * 2));
  EXPECT_EQ(*engine_->PurgeExpired(100), 1);  // 31 days; the pending one stays
  EXPECT_EQ(engine_->GetByKey("kept").status().code(), StatusCode::kNotFound);
  EXPECT_OK(engine_->GetByKey("still-pending").status());
  auto again = Send(Bill("kept"));
  EXPECT_FALSE(again->duplicate);
  EXPECT_NE(again->id, first->id);
  // The purged notice still counts in the report of its period, once, without personal data.
  auto report = engine_->Report(clock_.Now() - hours(24 * 40), clock_.Now() - hours(24 * 30));
  ASSERT_OK(report.status());
  EXPECT_EQ(report->notifications, 2);  // "kept" (purged) and "still-pending"
  EXPECT_EQ(report->channels[0].taken, 1);
  EXPECT_EQ(report->channels[0].reached, 1);
  EXPECT_EQ(*engine_->PurgeExpired(100), 0);  // history rows are not purged again
  EXPECT_EQ(
      engine_->Report(clock_.Now() - hours(24 * 40), clock_.Now() + seconds(1))->notifications, 3);
}

TEST_F(NotifyEngineTest, APlanRunsItsStepsOnTimeAndStopsAtOnceWhenPaid) {
  StartPlanCommand cmd{"unpaid_bill",
                       "bill-11510-0001",
                       Bill("x").recipient,
                       "zh-TW",
                       {{"month", "115年10月"}, {"amount", "1234"}, {"second_due", "2026-03-20"}}};
  auto missing = Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); });
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("variables.branch_id"), std::string::npos);
  cmd.variables["branch_id"] = "taipei-south";
  auto started = Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); });
  ASSERT_OK(started.status());
  ASSERT_EQ(started->steps.size(), 4u);
  EXPECT_EQ(started->steps[1].due_at, Taipei(2026, 3, 10, 10, 0));  // day 7
  EXPECT_EQ(started->steps[2].due_at, Taipei(2026, 3, 20, 9, 0));   // second due date, 09:00
  EXPECT_EQ(started->steps[3].due_at, Taipei(2026, 3, 30, 9, 0));
  // Starting again while it runs is the same run.
  auto again = Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); });
  EXPECT_EQ(again->steps[0].due_at, started->steps[0].due_at);

  EXPECT_EQ(*engine_->RunDueSteps(10), 1);  // day 0: e-mail (the recipient has no app)
  auto first = engine_->GetByKey("plan:unpaid_bill:bill-11510-0001:day0");
  ASSERT_OK(first.status());
  EXPECT_EQ(first->deliveries.size(), 1u);
  EXPECT_EQ(first->deliveries[0].channel, Channel::kEmail);
  EXPECT_EQ(*engine_->RunDueSteps(10), 0);
  clock_.Set(Taipei(2026, 3, 20, 9, 0));
  EXPECT_EQ(*engine_->RunDueSteps(10), 2);  // day 7 SMS (late) and the staff call
  auto tasks = engine_->PendingTasks(10);
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].case_type, "dunning_call");
  EXPECT_EQ((*tasks)[0].branch_id, "taipei-south");
  EXPECT_EQ((*tasks)[0].idempotency_key, "plan:unpaid_bill:bill-11510-0001:call");
  ASSERT_OK(engine_->MarkTaskRelayed((*tasks)[0].id, ""));
  EXPECT_TRUE(engine_->PendingTasks(10)->empty());
  // Paid: the home visit never happens.
  auto stopped = Await<PlanView>(
      [&](auto done) { engine_->StopPlan("unpaid_bill", "bill-11510-0001", "paid", done); });
  ASSERT_OK(stopped.status());
  EXPECT_EQ(stopped->run.status, PlanRunStatus::kStopped);
  EXPECT_EQ(stopped->steps[3].status, PlanStepStatus::kCancelled);
  EXPECT_EQ(stopped->steps[2].status, PlanStepStatus::kDone);
  clock_.Set(Taipei(2026, 4, 30, 9, 0));
  EXPECT_EQ(*engine_->RunDueSteps(10), 0);
  EXPECT_TRUE(engine_->PendingTasks(10)->empty());
  auto restart = Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); });
  EXPECT_EQ(restart.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Await<PlanView>([&](auto done) { engine_->StopPlan("unpaid_bill", "nope", "", done); })
                .status()
                .code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace csops::notify
