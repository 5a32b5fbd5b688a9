// Test fixture of the notify engine: a config with two kinds, four providers and the
// unpaid_bill plan, an engine on a temporary SQLite file with a fake clock, and blocking
// wrappers for the asynchronous commands. Shared by the engine's test files.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <future>
#include <mutex>

#include "common/base/testutil.h"
#include "services/notify/notify_engine.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"

namespace csops::notify {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

inline MessageTemplate Tmpl(const std::string& text) {
  auto t = ParseTemplate(text);
  EXPECT_OK(t.status());
  return *t;
}

inline ProviderModel Provider(const std::string& name, ProviderKind kind) {
  ProviderModel p;
  p.name = name;
  p.kind = kind;
  return p;
}

// Records what it was asked to send; answers from a script (default ok).
class ScriptedSender final : public ChannelSender {
 public:
  SendOutcome Send(const OutgoingMessage& m) override {
    std::lock_guard<std::mutex> lock(mu);
    sent.push_back(m);
    if (!script.empty()) {
      SendOutcome o = script.front();
      script.erase(script.begin());
      return o;
    }
    return SendOutcome::Ok("id-" + std::to_string(m.delivery_id) + "-" +
                           std::to_string(sent.size()));
  }
  std::mutex mu;
  std::vector<OutgoingMessage> sent;
  std::vector<SendOutcome> script;
};

class NotifyEngineTest : public ::testing::Test {
 protected:
  NotifyEngineTest() : clock_(Taipei(2026, 3, 3, 10, 0)) {
    NotifyConfig c;
    EXPECT_TRUE(absl::LoadTimeZone("Asia/Taipei", &c.zone));
    const auto t =
        Tmpl("subject: 電費 {{month}}\nshort: 請繳 {{amount}} 元\n---\n金額 {{amount}} 元");
    c.kinds["bill_unpaid"] = {"bill_unpaid", false, {{"zh-TW", t}, {"en", t}}};
    c.kinds["bill_unpaid_final"] = {"bill_unpaid_final", true, {{"zh-TW", t}, {"en", t}}};
    c.providers = {
        Provider("mail", ProviderKind::kSmtp), Provider("sms_a", ProviderKind::kMitakeSms),
        Provider("sms_b", ProviderKind::kJsonSms), Provider("post", ProviderKind::kPostcardFile)};
    c.max_attempts = 3;
    PlanModel plan{"unpaid_bill", {}};
    plan.steps.push_back({"day0", 0, "", "bill_unpaid", {Channel::kEmail, Channel::kAppPush}, ""});
    plan.steps.push_back({"day7", 7, "", "bill_unpaid", {Channel::kSms}, ""});
    plan.steps.push_back({"call", 0, "second_due", "", {}, "dunning_call"});
    plan.steps.push_back({"visit", 10, "second_due", "", {}, "dunning_visit"});
    c.plans[plan.name] = plan;
    config_ = std::move(c);
    Reopen();
  }

  // (Re)opens notify.db and builds a new engine on it.
  void Reopen() {
    engine_.reset();
    store_.reset();
    db_.reset();
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/notify.db";
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = SqliteNotifyStore::Migrations();
    auto db = sqlite::Database::Open(o);
    ASSERT_OK(db.status());
    db_ = std::move(*db);
    store_ = std::make_unique<SqliteNotifyStore>(*db_);
    engine_ = std::make_unique<NotifyEngine>(clock_, config_, *store_);
  }

  SendCommand Bill(const std::string& key) {
    SendCommand c;
    c.idempotency_key = key;
    c.kind = "bill_unpaid";
    c.recipient = {"01234567890", "王小明", "ming@example.com",
                   "0912345678",  {},       {"台北市羅斯福路一段1號"}};
    c.variables = {{"month", "115年2月"}, {"amount", "1234"}};
    c.channels = {Channel::kEmail, Channel::kSms, Channel::kPostcard};
    return c;
  }
  Result<SendResult> Send(SendCommand c) {
    return Await<SendResult>([&](auto done) { engine_->Send(std::move(c), done); });
  }
  std::vector<DeliveryRecord> ClaimAll() {
    auto r = engine_->Claim(100, minutes(2));
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::vector<DeliveryRecord>{};
  }
  void Complete(const DeliveryRecord& d, const std::string& provider, SendOutcome o) {
    ASSERT_OK(Await<bool>([&](auto done) {
                engine_->Complete(d, provider, o, Duration(5), done);
              }).status());
  }
  DeliveryStatus StatusOf(std::int64_t id, int position) {
    auto v = engine_->Get(id);
    EXPECT_OK(v.status());
    return v->deliveries.at(static_cast<std::size_t>(position)).status;
  }

  FakeClock clock_;
  TempDir dir_;
  NotifyConfig config_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<SqliteNotifyStore> store_;
  std::unique_ptr<NotifyEngine> engine_;
};

}  // namespace csops::notify
