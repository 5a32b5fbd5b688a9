// The tests of notify_store_contract.h, continued: early receipts, preferences, pruned tokens,
// plan runs and steps, staff tasks, and that a failed transaction leaves nothing behind.
#include "services/notify/store/notify_store_contract.h"

namespace csops::notify {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

void ExpectSame(const PlanRunRecord& want, const PlanRunRecord& got) {
  EXPECT_EQ(got.plan, want.plan);
  EXPECT_EQ(got.key, want.key);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.recipient, want.recipient);
  EXPECT_EQ(got.locale, want.locale);
  EXPECT_EQ(got.variables, want.variables);
  EXPECT_EQ(got.started_at, want.started_at);
  EXPECT_EQ(got.stop_reason, want.stop_reason);
}

void ExpectSame(const PlanStepRecord& want, const PlanStepRecord& got) {
  EXPECT_EQ(got.plan, want.plan);
  EXPECT_EQ(got.key, want.key);
  EXPECT_EQ(got.index, want.index);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.due_at, want.due_at);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.notification_id, want.notification_id);
}

void ExpectSame(const TaskRecord& want, const TaskRecord& got) {
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
  EXPECT_EQ(got.case_type, want.case_type);
  EXPECT_EQ(got.branch_id, want.branch_id);
  EXPECT_EQ(got.customer_number, want.customer_number);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.summary, want.summary);
}

PlanRunRecord RunOf(const std::string& plan, const std::string& key, Instant at) {
  PlanRunRecord r;
  r.plan = plan;
  r.key = key;
  r.recipient = {"01234567890", "王小明", "ming@example.com", "0912345678", {}, {"台北市"}};
  r.locale = "en";
  r.variables = {{"amount", "1234"}, {"branch_id", "taipei-south"}};
  r.started_at = at;
  return r;
}

PlanStepRecord Step(const std::string& plan, const std::string& key, int index, Instant due,
                    PlanStepStatus status = PlanStepStatus::kPending) {
  return {plan, key, index, "step" + std::to_string(index), due, status, 0};
}

TaskRecord Task(const std::string& key) {
  return {0, key, "dunning_call", "taipei-south", "01234567890", "王小明", "unpaid_bill " + key};
}

TEST_P(NotifyStoreContract, AnEarlyReceiptIsTakenOnce) {
  auto take = [&](const std::string& provider, const std::string& id) {
    auto r = Write([&](NotifyTx& tx) { return tx.TakeEarlyReceipt(provider, id); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::nullopt;
  };
  EXPECT_EQ(take("sms_a", "m-1"), std::nullopt);
  ASSERT_OK(Write([](NotifyTx& tx) {
    return tx.SaveEarlyReceipt("sms_a", "m-1", {false, "expired", kT0});
  }));
  // A second receipt for the same send replaces the first.
  ASSERT_OK(Write([](NotifyTx& tx) {
    return tx.SaveEarlyReceipt("sms_a", "m-1", {true, "DELIVRD", kT0 + seconds(1)});
  }));
  ASSERT_OK(Write([](NotifyTx& tx) {
    return tx.SaveEarlyReceipt("sms_b", "m-1", {false, "UNDELIV", kT0});
  }));
  EXPECT_EQ(take("sms_a", "m-2"), std::nullopt);
  auto got = take("sms_a", "m-1");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->delivered);
  EXPECT_EQ(got->detail, "DELIVRD");
  EXPECT_EQ(got->received_at, kT0 + seconds(1));
  EXPECT_EQ(take("sms_a", "m-1"), std::nullopt);
  got = take("sms_b", "m-1");
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->delivered);
  EXPECT_EQ(got->detail, "UNDELIV");
}

TEST_P(NotifyStoreContract, PreferencesAreSavedWholeAndReplaced) {
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.Preferences("555"); })->has_value());
  const PreferencesRecord p{"555", {Channel::kSms, Channel::kEmail}, QuietHours{22 * 60, 390}};
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePreferences(p); }));
  auto got = Read([](NotifyTx& tx) { return tx.Preferences("555"); });
  ASSERT_OK(got.status());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->customer_number, "555");
  EXPECT_EQ((*got)->opted_out, p.opted_out);
  ASSERT_TRUE((*got)->quiet.has_value());
  EXPECT_EQ((*got)->quiet->start_minute, 22 * 60);
  EXPECT_EQ((*got)->quiet->end_minute, 390);
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.Preferences("556"); })->has_value());
  ASSERT_OK(Write([](NotifyTx& tx) { return tx.SavePreferences({"555", {}, std::nullopt}); }));
  got = Read([](NotifyTx& tx) { return tx.Preferences("555"); });
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE((*got)->opted_out.empty());
  EXPECT_FALSE((*got)->quiet.has_value());
}

TEST_P(NotifyStoreContract, PrunedTokensAreRemembered) {
  EXPECT_FALSE(*Read([](NotifyTx& tx) { return tx.TokenPruned("tok-1"); }));
  ASSERT_OK(Write([](NotifyTx& tx) { return tx.PruneToken("tok-1", kT0); }));
  ASSERT_OK(Write([](NotifyTx& tx) { return tx.PruneToken("tok-1", kT0 + seconds(1)); }));
  EXPECT_TRUE(*Read([](NotifyTx& tx) { return tx.TokenPruned("tok-1"); }));
  EXPECT_FALSE(*Read([](NotifyTx& tx) { return tx.TokenPruned("tok-2"); }));
}

TEST_P(NotifyStoreContract, PlanRunsAndStepsAreSavedAndUpdated) {
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.PlanRun("unpaid_bill", "b-1"); })->has_value());
  PlanRunRecord run = RunOf("unpaid_bill", "b-1", kT0);
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanRun(run); }));
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanRun(RunOf("unpaid_bill", "b-2", kT0)); }));
  auto got = Read([](NotifyTx& tx) { return tx.PlanRun("unpaid_bill", "b-1"); });
  ASSERT_OK(got.status());
  ASSERT_TRUE(got->has_value());
  ExpectSame(run, **got);
  for (PlanRunStatus s : {PlanRunStatus::kStopped, PlanRunStatus::kFinished}) {
    run.status = s;
    run.stop_reason = s == PlanRunStatus::kStopped ? "paid" : "";
    ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanRun(run); }));
    ExpectSame(run, **Read([](NotifyTx& tx) { return tx.PlanRun("unpaid_bill", "b-1"); }));
  }
  EXPECT_EQ(Read([](NotifyTx& tx) { return tx.PlanRun("unpaid_bill", "b-2"); })->value().status,
            PlanRunStatus::kRunning);
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.PlanRun("other_plan", "b-1"); })->has_value());

  // Steps: inserted in any order, read back by index; an update keeps every field.
  std::vector<PlanStepRecord> steps = {Step("unpaid_bill", "b-1", 0, kT0),
                                       Step("unpaid_bill", "b-1", 1, kT0 + kDay * 7),
                                       Step("unpaid_bill", "b-1", 2, kT0 + kDay * 10)};
  for (int i : {2, 0, 1}) ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanStep(steps[i]); }));
  ASSERT_OK(
      Write([](NotifyTx& tx) { return tx.SavePlanStep(Step("unpaid_bill", "b-2", 0, kT0)); }));
  auto read_steps = [&] {
    auto r = Read([](NotifyTx& tx) { return tx.PlanSteps("unpaid_bill", "b-1"); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::vector<PlanStepRecord>{};
  };
  auto all = read_steps();
  ASSERT_EQ(all.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) ExpectSame(steps[i], all[i]);
  steps[0].status = PlanStepStatus::kDone;
  steps[0].notification_id = 42;
  steps[1].status = PlanStepStatus::kCancelled;
  steps[2].due_at = kT0 + kDay * 11;
  for (const PlanStepRecord& s : steps)
    ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanStep(s); }));
  all = read_steps();
  ASSERT_EQ(all.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) ExpectSame(steps[i], all[i]);
  EXPECT_EQ(Read([](NotifyTx& tx) { return tx.PlanSteps("unpaid_bill", "b-2"); })->size(), 1u);
  EXPECT_TRUE(Read([](NotifyTx& tx) { return tx.PlanSteps("unpaid_bill", "b-3"); })->empty());
}

TEST_P(NotifyStoreContract, DueStepsArePendingStepsWhoseInstantCameEarliestFirst) {
  auto next = [&] {
    auto r = Read([](NotifyTx& tx) { return tx.NextStepDue(); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::nullopt;
  };
  EXPECT_EQ(next(), std::nullopt);
  const std::vector<PlanStepRecord> steps = {
      Step("p", "k1", 0, kT0 - hours(1)), Step("q", "k2", 0, kT0 - hours(2)),
      Step("p", "k1", 1, kT0 + kDay), Step("p", "k3", 0, kT0 - hours(3), PlanStepStatus::kDone),
      Step("p", "k4", 0, kT0 - hours(4), PlanStepStatus::kCancelled)};
  for (const PlanStepRecord& s : steps)
    ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanStep(s); }));
  auto due = Read([](NotifyTx& tx) { return tx.DueSteps(kT0, 10); });
  ASSERT_OK(due.status());
  ASSERT_EQ(due->size(), 2u);
  ExpectSame(steps[1], (*due)[0]);
  ExpectSame(steps[0], (*due)[1]);
  due = Read([](NotifyTx& tx) { return tx.DueSteps(kT0, 1); });
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].plan, "q");
  EXPECT_TRUE(Read([](NotifyTx& tx) { return tx.DueSteps(kT0 - hours(3), 10); })->empty());
  EXPECT_EQ(next(), kT0 - hours(2));
  for (int i : {0, 1}) {
    PlanStepRecord done = steps[static_cast<std::size_t>(i)];
    done.status = PlanStepStatus::kDone;
    ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SavePlanStep(done); }));
  }
  EXPECT_TRUE(Read([](NotifyTx& tx) { return tx.DueSteps(kT0, 10); })->empty());
  EXPECT_EQ(next(), kT0 + kDay);
  EXPECT_EQ(Read([](NotifyTx& tx) { return tx.DueSteps(kT0 + kDay, 10); })->size(), 1u);
}

TEST_P(NotifyStoreContract, TasksArePendingInOrderUntilRelayed) {
  auto pending = [&](int limit) {
    auto r = Read([&](NotifyTx& tx) { return tx.PendingTasks(limit); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::vector<TaskRecord>{};
  };
  EXPECT_TRUE(pending(10).empty());
  const TaskRecord first = Task("plan:unpaid_bill:b-1:call");
  const TaskRecord second = Task("plan:unpaid_bill:b-2:call");
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.InsertTask(first); }));
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.InsertTask(second); }));
  // A task whose key is stored already is ignored: the first one stays as it was.
  TaskRecord again = first;
  again.summary = "changed";
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.InsertTask(again); }));
  auto all = pending(10);
  ASSERT_EQ(all.size(), 2u);
  ExpectSame(first, all[0]);
  ExpectSame(second, all[1]);
  EXPECT_GT(all[0].id, 0);
  EXPECT_NE(all[0].id, all[1].id);
  ASSERT_EQ(pending(1).size(), 1u);
  EXPECT_EQ(pending(1)[0].id, all[0].id);
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.MarkTaskRelayed(all[0].id, kT0, ""); }));
  auto rest = pending(10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, all[1].id);
  ASSERT_OK(Write([&](NotifyTx& tx) {
    return tx.MarkTaskRelayed(all[1].id, kT0, "the case service refused: no such branch");
  }));
  EXPECT_TRUE(pending(10).empty());
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.MarkTaskRelayed(all[1].id, kT0, ""); }));
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.InsertTask(first); }));  // still relayed
  EXPECT_TRUE(pending(10).empty());
}

TEST_P(NotifyStoreContract, AFailedTransactionRollsBackWhole) {
  const std::int64_t kept = Insert(Notice("kept", kT0), {DeliveryStatus::kPending}, kT0);
  const std::int64_t kept_delivery =
      Read([&](NotifyTx& tx) { return tx.Deliveries(kept); }).value().at(0).id;
  Status failed = Write([&](NotifyTx& tx) -> Status {
    auto id = tx.InsertNotification(Notice("rolled-back", kT0));
    if (!id.ok()) return id.status();
    CSOPS_RETURN_IF_ERROR(
        tx.InsertDelivery(Link(*id, 0, Channel::kEmail, DeliveryStatus::kPending, kT0)).status());
    auto claimed = tx.ClaimDue(kT0, kT0 + minutes(2), 10);
    if (!claimed.ok()) return claimed.status();
    for (DeliveryRecord d : *claimed) {
      d.status = DeliveryStatus::kSent;
      d.sent_at = kT0;
      CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(d));
      CSOPS_RETURN_IF_ERROR(
          tx.InsertAttempt({d.id, kT0, Channel::kEmail, "mail", "ok", "m-1", 5, ""}));
    }
    CSOPS_RETURN_IF_ERROR(tx.SavePreferences({"555", {Channel::kSms}, std::nullopt}));
    CSOPS_RETURN_IF_ERROR(tx.PruneToken("tok-1", kT0));
    CSOPS_RETURN_IF_ERROR(tx.SaveEarlyReceipt("mail", "m-9", {true, "", kT0}));
    CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(RunOf("p", "k", kT0)));
    CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(Step("p", "k", 0, kT0)));
    CSOPS_RETURN_IF_ERROR(tx.InsertTask(Task("plan:p:k:call")));
    return Status::Aborted("the caller changed its mind");
  });
  EXPECT_EQ(failed.code(), StatusCode::kAborted);
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.FindByKey("rolled-back"); })->has_value());
  DeliveryRecord d = **Read([&](NotifyTx& tx) { return tx.Delivery(kept_delivery); });
  EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ(d.next_attempt_at, kT0);  // not leased either
  EXPECT_TRUE(Read([&](NotifyTx& tx) { return tx.Attempts(kept); })->empty());
  EXPECT_EQ(Read([](NotifyTx& tx) { return tx.QueueDepth(); })->at("email"), 1);
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.Preferences("555"); })->has_value());
  EXPECT_FALSE(*Read([](NotifyTx& tx) { return tx.TokenPruned("tok-1"); }));
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.PlanRun("p", "k"); })->has_value());
  EXPECT_TRUE(Read([](NotifyTx& tx) { return tx.PlanSteps("p", "k"); })->empty());
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.NextStepDue(); })->has_value());
  EXPECT_TRUE(Read([](NotifyTx& tx) { return tx.PendingTasks(10); })->empty());
  EXPECT_FALSE(Write([](NotifyTx& tx) { return tx.TakeEarlyReceipt("mail", "m-9"); })->has_value());
  // The store goes on: the next transaction commits.
  Insert(Notice("after", kT0), {DeliveryStatus::kPending}, kT0);
  EXPECT_TRUE(Read([](NotifyTx& tx) { return tx.FindByKey("after"); })->has_value());
}

}  // namespace
}  // namespace csops::notify
