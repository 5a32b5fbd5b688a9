// The outbox relay's loop: rows in id order, a retry holding back every later row, duplicates
// and refusals final, against a scripted call function (RelayPending step by step) and against
// an in-process fake notify service (the running loop, its back-off and its credentials).
#include "common/outbox/outbox_relay.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "common/base/testutil.h"
#include "common/outbox/notify_send.h"

namespace csops::outbox {
namespace {

namespace npb = csops::notify::v1;

// An outbox in memory: rows by id, and what each was marked with.
class FakeOutbox final : public NoticeSource {
 public:
  void Add(std::int64_t id, const std::string& key, std::string local_refusal = "") {
    std::lock_guard<std::mutex> lock(mu_);
    NoticeItem item;
    item.id = id;
    item.kind = "test_notice";
    item.request.set_idempotency_key(key);
    item.local_refusal = std::move(local_refusal);
    rows_[id] = std::move(item);
  }
  Result<std::vector<NoticeItem>> Pending(int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_reads > 0) {
      --fail_reads;
      return Status::Unavailable("outbox: database is locked");
    }
    std::vector<NoticeItem> out;
    for (const auto& [id, item] : rows_)
      if (marked_.count(id) == 0 && static_cast<int>(out.size()) < limit) out.push_back(item);
    return out;
  }
  Status MarkRelayed(std::int64_t id, const std::string& refusal) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_marks > 0) {
      --fail_marks;
      return Status::Unavailable("outbox: disk I/O error");
    }
    marked_.emplace(id, refusal);
    return Status();
  }
  std::map<std::int64_t, std::string> marked() {
    std::lock_guard<std::mutex> lock(mu_);
    return marked_;
  }

  int fail_reads = 0;  // guarded by mu_
  int fail_marks = 0;  // guarded by mu_

 private:
  std::mutex mu_;
  std::map<std::int64_t, NoticeItem> rows_;
  std::map<std::int64_t, std::string> marked_;
};

// A call function answering from a script per idempotency key (one answer per call, the last
// one repeated), recording the keys in call order.
struct ScriptedCall {
  std::map<std::string, std::vector<CallAnswer>> script;
  std::vector<std::string> calls;
  RowCall<npb::SendRequest> fn() {
    return [this](grpc::ClientContext&, const npb::SendRequest& r) {
      calls.push_back(r.idempotency_key());
      auto& answers = script[r.idempotency_key()];
      if (answers.empty()) return CallAnswer{};
      CallAnswer a = answers.front();
      if (answers.size() > 1) answers.erase(answers.begin());
      return a;
    };
  }
};

CallAnswer Fail(grpc::StatusCode code, const std::string& message = "") {
  return CallAnswer{grpc::Status(code, message), false};
}

double Relayed(prometheus::Registry& registry, const std::string& result) {
  for (const auto& family : registry.Collect())
    if (family.name == "csops_outbox_relayed_total")
      for (const auto& m : family.metric)
        for (const auto& l : m.label)
          if (l.name == "result" && l.value == result) return m.counter.value;
  return -1;
}

class OutboxRelayTest : public ::testing::Test {
 protected:
  NoticeRelay MakeRelay() {
    return NoticeRelay("test", outbox_, auth::ServiceTarget{"fake:1", {}}, call_.fn(), registry_);
  }
  FakeOutbox outbox_;
  ScriptedCall call_;
  prometheus::Registry registry_;
};

TEST_F(OutboxRelayTest, RowsGoInIdOrderAndARetryHoldsBackEveryLaterRow) {
  outbox_.Add(3, "k3");
  outbox_.Add(1, "k1");
  outbox_.Add(2, "k2");
  call_.script["k2"] = {Fail(grpc::StatusCode::UNAVAILABLE, "connection refused"), CallAnswer{}};
  NoticeRelay relay = MakeRelay();

  EXPECT_FALSE(relay.RelayPending()) << "an unreachable target means: back off";
  EXPECT_EQ(call_.calls, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(outbox_.marked(), (std::map<std::int64_t, std::string>{{1, ""}}));

  EXPECT_TRUE(relay.RelayPending());
  EXPECT_EQ(call_.calls, (std::vector<std::string>{"k1", "k2", "k2", "k3"}));
  EXPECT_EQ(outbox_.marked(), (std::map<std::int64_t, std::string>{{1, ""}, {2, ""}, {3, ""}}));
  EXPECT_EQ(Relayed(registry_, "accepted"), 3);
  EXPECT_EQ(Relayed(registry_, "refused"), 0);
}

TEST_F(OutboxRelayTest, EveryTransientCodeIsRetriedWithTheRowLeftPending) {
  outbox_.Add(1, "k1");
  for (grpc::StatusCode code :
       {grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::RESOURCE_EXHAUSTED,
        grpc::StatusCode::INTERNAL, grpc::StatusCode::UNKNOWN, grpc::StatusCode::ABORTED})
    call_.script["k1"].push_back(Fail(code));
  call_.script["k1"].push_back(CallAnswer{});
  NoticeRelay relay = MakeRelay();
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(relay.RelayPending());
    EXPECT_TRUE(outbox_.marked().empty());
  }
  EXPECT_TRUE(relay.RelayPending());
  EXPECT_EQ(outbox_.marked(), (std::map<std::int64_t, std::string>{{1, ""}}));
  EXPECT_EQ(call_.calls.size(), 6u);
}

TEST_F(OutboxRelayTest, AKeyTakenBeforeIsADuplicateMarkedDelivered) {
  outbox_.Add(1, "k1");
  outbox_.Add(2, "k2");
  outbox_.Add(3, "k3");
  call_.script["k1"] = {Fail(grpc::StatusCode::ALREADY_EXISTS, "key used with another request")};
  call_.script["k2"] = {CallAnswer{grpc::Status::OK, /*duplicate=*/true}};
  NoticeRelay relay = MakeRelay();
  EXPECT_TRUE(relay.RelayPending());
  EXPECT_EQ(outbox_.marked(), (std::map<std::int64_t, std::string>{{1, ""}, {2, ""}, {3, ""}}));
  EXPECT_EQ(Relayed(registry_, "duplicate"), 2);
  EXPECT_EQ(Relayed(registry_, "accepted"), 1);
  EXPECT_EQ(Relayed(registry_, "refused"), 0);
  EXPECT_EQ(call_.calls.size(), 3u) << "a duplicate is final, never retried";
}

TEST_F(OutboxRelayTest, RefusalsAreFinalAndRecordTheTargetsReason) {
  outbox_.Add(1, "k1");
  outbox_.Add(2, "k2");
  outbox_.Add(3, "k3");
  outbox_.Add(4, "k4", "no supervisor e-mail configured for branch b1");
  outbox_.Add(5, "k5");
  call_.script["k1"] = {Fail(grpc::StatusCode::INVALID_ARGUMENT, "recipient: no usable contact")};
  call_.script["k2"] = {Fail(grpc::StatusCode::NOT_FOUND)};
  call_.script["k3"] = {Fail(grpc::StatusCode::PERMISSION_DENIED, "role may not call Send")};
  call_.script["k5"] = {Fail(grpc::StatusCode::FAILED_PRECONDITION, std::string(900, 'x'))};
  NoticeRelay relay = MakeRelay();
  EXPECT_TRUE(relay.RelayPending());
  auto marked = outbox_.marked();
  EXPECT_EQ(marked[1], "recipient: no usable contact");
  EXPECT_EQ(marked[2], "refused: NOT_FOUND");
  EXPECT_EQ(marked[3], "role may not call Send");
  EXPECT_EQ(marked[4], "no supervisor e-mail configured for branch b1");
  EXPECT_EQ(marked[5], std::string(500, 'x'));
  EXPECT_EQ(Relayed(registry_, "refused"), 5);
  EXPECT_EQ(call_.calls, (std::vector<std::string>{"k1", "k2", "k3", "k5"}))
      << "a row refused locally is never sent";
}

TEST_F(OutboxRelayTest, AnOutboxThatCannotBeReadOrMarkedIsRetriedLater) {
  outbox_.Add(1, "k1");
  outbox_.fail_reads = 1;
  outbox_.fail_marks = 1;
  NoticeRelay relay = MakeRelay();
  EXPECT_FALSE(relay.RelayPending());
  EXPECT_TRUE(call_.calls.empty());
  // Sent, but the mark failed: the row is still pending and goes again with the same key,
  // which the target answers as a duplicate.
  EXPECT_FALSE(relay.RelayPending());
  EXPECT_TRUE(outbox_.marked().empty());
  EXPECT_TRUE(relay.RelayPending());
  EXPECT_EQ(call_.calls, (std::vector<std::string>{"k1", "k1"}));
  EXPECT_EQ(outbox_.marked(), (std::map<std::int64_t, std::string>{{1, ""}}));
}

// notify's Send, answering UNAVAILABLE to the first call and then by key.
class FakeNotify final : public npb::NotifyService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext* ctx, const npb::SendRequest* req,
                                 npb::SendResponse* resp) override {
    grpc::Status s;
    {
      std::lock_guard<std::mutex> lock(mu);
      keys.push_back(req->idempotency_key());
      auto auth = ctx->client_metadata().find("authorization");
      auths.push_back(auth == ctx->client_metadata().end()
                          ? std::string()
                          : std::string(auth->second.data(), auth->second.size()));
      if (keys.size() == 1) {
        s = grpc::Status(grpc::StatusCode::UNAVAILABLE, "starting up");
      } else if (req->idempotency_key() == "dup") {
        resp->set_duplicate(true);
      } else if (req->idempotency_key() == "bad") {
        s = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "recipient: no usable contact");
      }
    }
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(s);
    return reactor;
  }
  std::mutex mu;
  std::vector<std::string> keys;   // guarded by mu
  std::vector<std::string> auths;  // guarded by mu
};

TEST(OutboxRelayGrpcTest, TheRunningRelayBacksOffThenDeliversEveryRowWithItsKey) {
  FakeNotify notify;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&notify);
  auto server = builder.BuildAndStart();
  ASSERT_TRUE(server);
  FakeOutbox outbox;
  outbox.Add(1, "ok");
  outbox.Add(2, "dup");
  outbox.Add(3, "bad");
  prometheus::Registry registry;
  auth::ServiceTarget target{"127.0.0.1:" + std::to_string(port), {}};
  target.auth.api_key = "service-key";
  auto relay = MakeNoticeRelay("test", outbox, target, registry);
  relay->Start();
  relay->Wake();
  // The first answer is UNAVAILABLE: the loop waits its first back-off step (1 s) and goes on.
  EXPECT_TRUE(Eventually([&] { return outbox.marked().size() == 3; }, std::chrono::seconds(10)));
  relay->Stop();
  server->Shutdown();
  EXPECT_EQ(outbox.marked(), (std::map<std::int64_t, std::string>{
                                 {1, ""}, {2, ""}, {3, "recipient: no usable contact"}}));
  std::lock_guard<std::mutex> lock(notify.mu);
  EXPECT_EQ(notify.keys, (std::vector<std::string>{"ok", "ok", "dup", "bad"}));
  for (const std::string& a : notify.auths) EXPECT_EQ(a, "Bearer service-key");
  EXPECT_EQ(Relayed(registry, "accepted"), 1);
  EXPECT_EQ(Relayed(registry, "duplicate"), 1);
  EXPECT_EQ(Relayed(registry, "refused"), 1);
}

}  // namespace
}  // namespace csops::outbox
