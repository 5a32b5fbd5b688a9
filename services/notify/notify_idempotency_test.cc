// Idempotency keys of Send, SendMany (SendBatch) and StartPlan: the same key with the same
// request is the first answer; the same key with a different request is ALREADY_EXISTS naming
// the key (proto/csops/type/v1/types.proto), also for rows written before fingerprints were
// stored.
#include <gtest/gtest.h>

#include <future>

#include "services/notify/notify_test_fixture.h"

namespace csops::notify {
namespace {

void ExpectKeyRefused(const Result<SendResult>& r, const std::string& key) {
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
  EXPECT_NE(r.status().message().find("idempotency_key: '" + key + "'"), std::string::npos)
      << r.status().ToString();
}

TEST_F(NotifyEngineTest, TheSameKeyWithADifferentSendIsRefusedNamingTheKey) {
  auto first = Send(Bill("bill-1"));
  ASSERT_OK(first.status());
  auto retry = Send(Bill("bill-1"));
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->id, first->id);
  // The same request written differently is the same request.
  auto spelled = Bill("bill-1");
  spelled.recipient.mobile = "+886 912-345-678";
  spelled.locale = "";  // the default, zh-TW
  EXPECT_TRUE(Send(spelled)->duplicate);

  auto amount = Bill("bill-1");
  amount.variables["amount"] = "9999";
  ExpectKeyRefused(Send(amount), "bill-1");
  auto someone_else = Bill("bill-1");
  someone_else.recipient.email = "other@example.com";
  ExpectKeyRefused(Send(someone_else), "bill-1");
  auto channels = Bill("bill-1");
  channels.channels = {Channel::kSms};
  ExpectKeyRefused(Send(channels), "bill-1");
  auto mode = Bill("bill-1");
  mode.mode = PolicyMode::kAll;
  ExpectKeyRefused(Send(mode), "bill-1");
  auto later = Bill("bill-1");
  later.send_after = clock_.Now() + hours(2);
  ExpectKeyRefused(Send(later), "bill-1");
  auto urgent = Bill("bill-1");
  urgent.urgent = true;
  ExpectKeyRefused(Send(urgent), "bill-1");
  auto kind = Bill("bill-1");
  kind.kind = "bill_unpaid_final";
  ExpectKeyRefused(Send(kind), "bill-1");

  EXPECT_EQ(ClaimAll().size(), 1u);  // only the first notice's first delivery
}

TEST_F(NotifyEngineTest, ABatchItemReusingAKeyWithADifferentRequestIsRejectedAlone) {
  ASSERT_OK(Send(Bill("old")).status());
  auto changed = Bill("old");
  changed.variables["amount"] = "1";
  auto twin = Bill("b1");
  twin.variables["month"] = "115年3月";
  std::vector<PreparedSend> items;
  items.push_back(*engine_->Prepare(Bill("b1")));
  items.push_back(*engine_->Prepare(changed));  // key of an earlier Send
  items.push_back(*engine_->Prepare(twin));     // key of an earlier item of this batch
  items.push_back(*engine_->Prepare(Bill("old")));
  auto r = Await<std::vector<Result<SendResult>>>(
      [&](auto done) { engine_->SendMany(std::move(items), done); });
  ASSERT_OK(r.status());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_FALSE((*r)[0]->duplicate);
  ExpectKeyRefused((*r)[1], "old");
  ExpectKeyRefused((*r)[2], "b1");
  EXPECT_TRUE((*r)[3]->duplicate);
  EXPECT_EQ(ClaimAll().size(), 2u);
}

TEST_F(NotifyEngineTest, StartPlanWithTheSameKeyAndADifferentRequestIsRefused) {
  StartPlanCommand cmd{"unpaid_bill",
                       "bill-11510-0002",
                       Bill("x").recipient,
                       "zh-TW",
                       {{"month", "115年10月"},
                        {"amount", "1234"},
                        {"second_due", "2026-03-20"},
                        {"branch_id", "taipei-south"}}};
  ASSERT_OK(Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); }).status());
  auto same = cmd;
  same.recipient.mobile = "0912-345-678";
  ASSERT_OK(Await<PlanView>([&](auto done) { engine_->StartPlan(same, done); }).status());
  auto other = cmd;
  other.variables["amount"] = "4321";
  auto refused = Await<PlanView>([&](auto done) { engine_->StartPlan(other, done); });
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("key: 'bill-11510-0002'"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(engine_->GetPlan("unpaid_bill", "bill-11510-0002")->run.variables.at("amount"), "1234");
}

TEST_F(NotifyEngineTest, APlanStepWhoseKeyAClientAlreadyUsedIsSkippedNotStuck) {
  auto taken = Bill("plan:unpaid_bill:bill-7:day0");
  taken.variables["amount"] = "1";
  ASSERT_OK(Send(taken).status());
  StartPlanCommand cmd{"unpaid_bill",
                       "bill-7",
                       Bill("x").recipient,
                       "zh-TW",
                       {{"month", "115年10月"},
                        {"amount", "1234"},
                        {"second_due", "2026-03-20"},
                        {"branch_id", "taipei-south"}}};
  ASSERT_OK(Await<PlanView>([&](auto done) { engine_->StartPlan(cmd, done); }).status());
  auto ran = engine_->RunDueSteps(10);
  ASSERT_OK(ran.status());
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(engine_->GetPlan("unpaid_bill", "bill-7")->steps[0].status, PlanStepStatus::kDone);
}

// A notification stored before fingerprints (schema version 2 of the SQLite store, whose
// migration of such a row sqlite_notify_store_test.cc tests) is compared on what it stored.
TEST_F(NotifyEngineTest, RowsWrittenBeforeFingerprintsAreComparedOnTheirStoredFields) {
  NotificationRecord legacy;
  legacy.idempotency_key = "legacy";
  legacy.kind = "bill_unpaid";
  legacy.locale = "zh-TW";
  legacy.recipient = {"01234567890", "王小明", "ming@example.com",
                      "0912345678",  {},       {"台北市羅斯福路一段1號"}};
  legacy.variables = {{"amount", "1234"}, {"month", "115年2月"}};
  legacy.fallback = true;
  legacy.accepted_at = FromUnixMillis(1772500000000);
  ASSERT_TRUE(legacy.request_fingerprint.empty());
  std::promise<Status> stored;
  store_->Transact([&](NotifyTx& tx) { return tx.InsertNotification(legacy).status(); },
                   [&](const Status& s) { stored.set_value(s); });
  ASSERT_OK(stored.get_future().get());
  auto retry = Send(Bill("legacy"));
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->duplicate);
  auto changed = Bill("legacy");
  changed.variables["amount"] = "1";
  ExpectKeyRefused(Send(changed), "legacy");
  auto urgent = Bill("legacy");
  urgent.urgent = true;
  ExpectKeyRefused(Send(urgent), "legacy");
}

}  // namespace
}  // namespace csops::notify
