// The dispatcher's own threads (Start, the loop, the workers). Its timers on the wall clock: a
// send_after instant, the end of quiet hours and a plan step that a wall-clock step skipped over
// are acted on within a second of the step; and a fallback chain across providers runs to its
// end on the real clock. These wait in real time (ctest label "timing"); what a pass does at an
// instant is tested on a fake clock through RunOnce in dispatcher_test.cc.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/base/testutil.h"
#include "services/notify/dispatcher.h"
#include "services/notify/notify_test_fixture.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"

namespace csops::notify {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// Counts what it is asked to send and lets a test wait for the n-th.
class CountingSender final : public ChannelSender {
 public:
  SendOutcome Send(const OutgoingMessage& m) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent_.push_back(m.delivery_id);
    cv_.notify_all();
    return SendOutcome::Ok("id-" + std::to_string(sent_.size()));
  }
  bool WaitFor(std::size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return sent_.size() >= n; });
  }
  std::size_t sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::int64_t> sent_;
};

class DispatcherWallClockTest : public ::testing::Test {
 protected:
  DispatcherWallClockTest() : clock_(Taipei(2036, 3, 4, 10, 0)) {
    NotifyConfig c;
    EXPECT_TRUE(absl::LoadTimeZone("Asia/Taipei", &c.zone));
    auto t =
        ParseTemplate("subject: 電費 {{month}}\nshort: 請繳 {{amount}} 元\n---\n{{amount}} 元");
    EXPECT_OK(t.status());
    c.kinds["bill_unpaid"] = {"bill_unpaid", false, {{"zh-TW", *t}}};
    ProviderModel mail;
    mail.name = "mail";
    mail.kind = ProviderKind::kSmtp;
    c.providers = {mail};
    PlanModel plan{"unpaid_bill", {}};
    plan.steps.push_back({"day0", 0, "", "bill_unpaid", {Channel::kEmail}, ""});
    plan.steps.push_back({"day7", 7, "", "bill_unpaid", {Channel::kEmail}, ""});
    c.plans[plan.name] = plan;
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/notify.db";
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = SqliteNotifyStore::Migrations();
    auto db = sqlite::Database::Open(o);
    EXPECT_OK(db.status());
    db_ = std::move(*db);
    store_ = std::make_unique<SqliteNotifyStore>(*db_);
    engine_ = std::make_unique<NotifyEngine>(clock_, std::move(c), *store_);
    auto sender = std::make_unique<CountingSender>();
    sender_ = sender.get();
    std::map<std::string, std::unique_ptr<ChannelSender>> senders;
    senders["mail"] = std::move(sender);
    dispatcher_ = std::make_unique<Dispatcher>(*engine_, std::move(senders), 2);
  }
  ~DispatcherWallClockTest() override { dispatcher_->Stop(); }

  SendCommand Bill(const std::string& key) {
    SendCommand c;
    c.idempotency_key = key;
    c.kind = "bill_unpaid";
    c.recipient = {"01234567890", "王小明", "ming@example.com", "", {}, {}};
    c.variables = {{"month", "125年2月"}, {"amount", "1234"}};
    c.channels = {Channel::kEmail};
    return c;
  }
  void Send(SendCommand c) {
    ASSERT_OK(Await<SendResult>([&](auto done) { engine_->Send(std::move(c), done); }).status());
  }
  // Expects nothing more for a while (so the dispatcher is asleep, armed with the old clock),
  // then steps the clock to `to` and expects the n-th message within a second.
  void StepAndExpect(Instant to, std::size_t n, const char* what) {
    ASSERT_FALSE(sender_->WaitFor(n, std::chrono::milliseconds(300))) << what << ": sent early";
    const auto stepped = std::chrono::steady_clock::now();
    clock_.Set(to);
    ASSERT_TRUE(sender_->WaitFor(n, std::chrono::seconds(5)))
        << what << ": not sent within 5 s of the wall-clock step";
    const auto took = std::chrono::steady_clock::now() - stepped;
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(took, std::chrono::seconds(1)) << what;
#endif
    std::printf("%s: sent %lld ms after the step\n", what,
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  }

  FakeClock clock_;
  TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<SqliteNotifyStore> store_;
  std::unique_ptr<NotifyEngine> engine_;
  CountingSender* sender_ = nullptr;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherWallClockTest, ASendAfterInstantThatAStepSkippedIsSentWithinASecond) {
  ASSERT_OK(dispatcher_->Start());
  auto c = Bill("later");
  c.send_after = Taipei(2036, 3, 4, 15, 0);
  Send(c);
  StepAndExpect(Taipei(2036, 3, 4, 16, 0), 1, "send_after");
}

TEST_F(DispatcherWallClockTest, TheEndOfQuietHoursThatAStepSkippedIsActedOnWithinASecond) {
  clock_.Set(Taipei(2036, 3, 4, 22, 0));  // quiet hours 21:00-08:00
  ASSERT_OK(dispatcher_->Start());
  Send(Bill("night"));
  StepAndExpect(Taipei(2036, 3, 5, 8, 30), 1, "quiet hours");
}

TEST_F(DispatcherWallClockTest, APlanStepThatAStepSkippedRunsWithinASecond) {
  ASSERT_OK(dispatcher_->Start());
  StartPlanCommand cmd{"unpaid_bill",
                       "bill-12502-0001",
                       Bill("x").recipient,
                       "zh-TW",
                       {{"month", "125年2月"}, {"amount", "1234"}, {"branch_id", "taipei-south"}}};
  ASSERT_OK(Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); }).status());
  ASSERT_TRUE(sender_->WaitFor(1, std::chrono::seconds(5)));  // day 0, at once
  StepAndExpect(Taipei(2036, 3, 11, 10, 30), 2, "plan step day7");
}

// The threaded twin of DispatcherTest.DeliversFailsOverBetweenProvidersAndRecordsEveryAttempt.
TEST_F(NotifyEngineTest, DispatcherThreadsDeliverFailOverBetweenProvidersAndRecordEveryAttempt) {
  // Real dispatcher threads over the fake clock's store instants (the clock stays at 10:00, so
  // the back-off must be zero for the retry to come at once).
  NotifyConfig c = engine_->config();
  c.retry_base = Duration(1);
  c.retry_max = Duration(1);
  NotifyEngine engine(RealClock::Get(), c, *store_);
  std::map<std::string, std::unique_ptr<ChannelSender>> senders;
  auto mail = std::make_unique<ScriptedSender>();
  auto sms_a = std::make_unique<ScriptedSender>();
  auto sms_b = std::make_unique<ScriptedSender>();
  ScriptedSender* mail_p = mail.get();
  ScriptedSender* a_p = sms_a.get();
  ScriptedSender* b_p = sms_b.get();
  mail_p->script = {SendOutcome::Permanent("550")};
  a_p->script = {SendOutcome::Transient("HTTP 503")};
  senders["mail"] = std::move(mail);
  senders["sms_a"] = std::move(sms_a);
  senders["sms_b"] = std::move(sms_b);
  senders["post"] = std::make_unique<ScriptedSender>();
  Dispatcher dispatcher(engine, std::move(senders), 4);
  ASSERT_OK(dispatcher.Start());
  auto cmd = Bill("dispatch");
  cmd.urgent = true;
  auto r = Await<SendResult>([&](auto done) { engine.Send(cmd, done); });
  ASSERT_OK(r.status());
  Eventually([&] { return engine.Get(r->id)->status != "pending"; });
  dispatcher.Stop();
  auto v = engine.Get(r->id);
  EXPECT_EQ(v->status, "sent");
  ASSERT_EQ(v->attempts.size(), 3u);
  EXPECT_EQ(v->attempts[0].provider, "mail");
  EXPECT_EQ(v->attempts[1].provider, "sms_a");  // 503
  EXPECT_EQ(v->attempts[2].provider, "sms_b");  // the retry goes to the other SMS provider
  ASSERT_EQ(b_p->sent.size(), 1u);
  EXPECT_EQ(b_p->sent[0].message.short_text, "請繳 1234 元");
  EXPECT_EQ(b_p->sent[0].client_id, a_p->sent[0].client_id);  // one id across retries
}

}  // namespace
}  // namespace csops::notify
