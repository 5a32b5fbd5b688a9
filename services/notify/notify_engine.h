// The notify service's application logic: accepts notifications (validated completely before
// anything is written, deduplicated atomically by idempotency key), answers reads, applies
// provider receipts (also ones that arrive before their send is recorded), keeps preferences,
// and gives the dispatcher its work: claim due deliveries, build their messages, record each
// attempt's outcome with the retry/fallback rules. No gRPC, no SQL, no network.
#pragma once

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/notify/channels/sender.h"
#include "services/notify/domain/notify_model.h"
#include "services/notify/notice_report.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify {

template <typename T>
using Done = std::function<void(Result<T>)>;

enum class PolicyMode { kExplicit, kAll, kFallback };

struct SendCommand {
  std::string idempotency_key;
  std::string kind;
  std::string locale = "zh-TW";
  RecipientRecord recipient;
  std::map<std::string, std::string> variables;
  PolicyMode mode = PolicyMode::kFallback;
  std::vector<Channel> channels;  // explicit and fallback
  std::optional<Instant> send_after;
  bool urgent = false;
  std::string plan_key;
};

// A command that passed every check that needs no store, with the channels it may use (before
// the customer's opt-outs, which are read in the accepting transaction).
struct PreparedSend {
  SendCommand cmd;
  std::vector<Channel> channels;
  bool critical = false;
  std::string fingerprint;  // SendFingerprint(cmd): a reused key must come with the same one
};

struct SendResult {
  std::int64_t id = 0;
  bool duplicate = false;
};

struct NotificationView {
  NotificationRecord record;
  std::vector<DeliveryRecord> deliveries;
  std::vector<AttemptRecord> attempts;
  std::string status;  // pending, sent, delivered, failed, cancelled
};

struct StartPlanCommand {
  std::string plan;
  std::string key;
  RecipientRecord recipient;
  std::string locale = "zh-TW";
  std::map<std::string, std::string> variables;
};

struct PlanView {
  PlanRunRecord run;
  std::vector<PlanStepRecord> steps;
};

// Metrics and logs hang off these; called after the commit that made them true.
class NotifyObserver {
 public:
  virtual ~NotifyObserver() = default;
  virtual void Accepted(const std::string& kind) = 0;
  virtual void Attempted(Channel c, const std::string& provider, OutcomeKind result,
                         Duration latency) = 0;
  // `since_accepted`: acceptance to the provider taking it (sent) or to its receipt (delivered).
  virtual void Sent(Channel c, Duration since_accepted) = 0;
  virtual void Delivered(Channel c, Duration since_accepted) = 0;
  virtual void Failed(Channel c, const std::string& reason) = 0;
  // outcome: "sent" (notice accepted), "task" (staff task queued), "skipped" (the customer
  // opted out of every channel of the step), "cancelled" (StopPlan).
  virtual void PlanStep(const std::string& plan, const std::string& step,
                        const std::string& outcome) = 0;
};

class NotifyEngine {
 public:
  NotifyEngine(const Clock& clock, NotifyConfig config, NotifyStore& store,
               NotifyObserver* observer = nullptr);

  // Every check that needs no store: key, kind, locale, variables (rendered with the kind's
  // template), contact formats, and channels the policy names that the recipient can be reached
  // on and a provider serves. kInvalidArgument / kFailedPrecondition naming the field.
  Result<PreparedSend> Prepare(SendCommand cmd) const;
  // Prepare, then accept durably. The same key with the same request returns the first id
  // with duplicate=true; with a different request, kAlreadyExists naming the key.
  void Send(SendCommand cmd, Done<SendResult> done);
  // Accepts prepared commands in one transaction; one result per command, in order (an item
  // whose customer opted out of every channel, or that reuses a key with a different request,
  // gets its own error; the others are accepted).
  void SendMany(std::vector<PreparedSend> items, Done<std::vector<Result<SendResult>>> done);

  Result<NotificationView> Get(std::int64_t id);
  Result<NotificationView> GetByKey(const std::string& key);
  struct Page {
    std::vector<NotificationView> items;
    std::string next_page_token;
  };
  Result<Page> List(const std::string& customer_number, int page_size, const std::string& token);
  // Notices accepted in [from, to) (at most 400 days): see notice_report.h.
  Result<NoticeReport> Report(Instant from, Instant to);

  // A provider's receipt. Applied to the send it names; when that send is not recorded yet the
  // receipt is kept and applied when it is (done gets false then).
  void ReportDelivery(std::string provider, std::string message_id, bool delivered,
                      std::string detail, Done<bool> done);

  void SetPreferences(PreferencesRecord p, Done<PreferencesRecord> done);
  Result<PreferencesRecord> GetPreferences(const std::string& customer_number);

  // Starts `plan` for `key`: every step is checked now (template variables, date variables,
  // the tasks' branch_id) and scheduled; a notice step whose channels the customer cannot be
  // reached on (or whose key a client already used for another notice) is skipped when it
  // runs. The same plan and key with the same recipient, locale and variables while running
  // returns the running plan; with different ones, kAlreadyExists naming the key.
  void StartPlan(StartPlanCommand cmd, Done<PlanView> done);
  // Cancels every pending step at once; a step already run (its notice accepted) finishes.
  void StopPlan(std::string plan, std::string key, std::string reason, Done<PlanView> done);
  Result<PlanView> GetPlan(const std::string& plan, const std::string& key);

  // --- for the dispatcher ---
  // Runs the plan steps due now, each in its own transaction with its notice or task; returns
  // how many ran.
  Result<int> RunDueSteps(int limit);
  Result<std::optional<Instant>> NextStepDue();
  // Forgets notifications older than notify.key_retention_days that have nothing left to do
  // (their idempotency keys may then be used again); returns how many.
  Result<int> PurgeExpired(int limit);
  // Staff tasks waiting for the relay to the case service, and marking them relayed.
  Result<std::vector<TaskRecord>> PendingTasks(int limit);
  Status MarkTaskRelayed(std::int64_t id, const std::string& refusal);
  void SetTaskHook(std::function<void()> hook) { task_hook_ = std::move(hook); }
  // Start-up: deliveries leased by a process that died are due now.
  Result<int> ReleaseLeases();
  // Due deliveries, leased for `lease` so no other worker takes them.
  Result<std::vector<DeliveryRecord>> Claim(int limit, Duration lease);
  Result<std::optional<Instant>> NextDue();
  // The message of a claimed delivery (rendered, with its contact) and its notification's
  // acceptance instant.
  Result<std::pair<OutgoingMessage, Instant>> Build(const DeliveryRecord& d);
  // Records the attempt and moves the delivery (and its fallback chain) on.
  void Complete(DeliveryRecord claimed, std::string provider, SendOutcome outcome, Duration latency,
                Done<bool> done);
  // Called after any commit that may have made a delivery due (set once, before serving).
  void SetWakeHook(std::function<void()> wake) { wake_ = std::move(wake); }

  const NotifyConfig& config() const { return config_; }
  // The clock every due instant is computed on (the dispatcher waits on it).
  const Clock& clock() const { return clock_; }

 private:
  Result<NotificationView> ViewOf(NotifyTx& tx, std::int64_t id) const;
  Result<SendResult> AcceptInTx(NotifyTx& tx, const PreparedSend& p, Instant now) const;
  Status AfterFailure(NotifyTx& tx, const DeliveryRecord& d, Instant now) const;
  Status ApplyReceipt(NotifyTx& tx, DeliveryRecord& d, bool delivered, const std::string& detail,
                      Instant now, std::vector<std::function<void()>>& notes) const;
  Instant Allowed(Instant t, const NotificationRecord& n, const std::optional<QuietHours>& q) const;
  // The send of a plan's notice step (channels the recipient can be reached on).
  Result<PreparedSend> StepSend(const PlanModel& plan, const PlanStepModel& step,
                                const PlanRunRecord& run) const;
  Result<std::vector<PlanStepRecord>> Schedule(const PlanModel& plan,
                                               const PlanRunRecord& run) const;

  const Clock& clock_;
  const NotifyConfig config_;
  NotifyStore& store_;
  NotifyObserver* observer_;
  std::function<void()> wake_;
  std::function<void()> task_hook_;
  mutable std::mutex rng_mu_;
  mutable std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace csops::notify
