// Internal to the PostgreSQL notify store: the NotifyTx on one connection, its methods split over
// postgres_notify_store.cc (notifications, deliveries, claims, receipts, purge, reports) and
// postgres_notify_state.cc (preferences, tokens, plans, tasks). The locking rules are in
// postgres_notify_store.h.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/postgres/connection.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify::pgstore {

// The JSON text notify.db keeps too (the same keys), so rows copy between the stores.
std::string RecipientJson(const RecipientRecord& r);
RecipientRecord ParseRecipient(const std::string& text);
std::string VariablesJson(const std::map<std::string, std::string>& v);
std::map<std::string, std::string> ParseVariables(const std::string& text);

class PostgresNotifyTx final : public NotifyTx {
 public:
  // `locking`: a write transaction (Transact), whose reads take the locks of
  // postgres_notify_store.h; a read on a snapshot (Read) takes none. `replica`: whose name
  // ClaimDue leases in and whose leases ReleaseLeases gives back.
  PostgresNotifyTx(postgres::Connection& c, bool locking, const std::string& replica)
      : c_(c), locking_(locking), replica_(replica) {}

  // The first statement that failed in this transaction (OK if none did): after it the
  // PostgreSQL transaction is aborted, whatever fn made of the error.
  const Status& first_failure() const { return first_failure_; }

  Result<std::optional<std::int64_t>> FindByKey(const std::string& key) override;
  Result<std::int64_t> InsertNotification(const NotificationRecord& n) override;
  Result<std::int64_t> InsertDelivery(const DeliveryRecord& d) override;
  Result<std::optional<NotificationRecord>> Notification(std::int64_t id) override;
  Result<std::vector<DeliveryRecord>> Deliveries(std::int64_t notification_id) override;
  Result<std::vector<AttemptRecord>> Attempts(std::int64_t notification_id) override;
  Result<std::vector<std::int64_t>> ListByCustomer(const std::string& customer,
                                                   std::int64_t before_id, int limit) override;
  Result<std::vector<DeliveryRecord>> ClaimDue(Instant now, Instant lease_end, int limit) override;
  Result<std::optional<DeliveryRecord>> Delivery(std::int64_t id) override;
  Status SaveDelivery(const DeliveryRecord& d) override;
  Status InsertAttempt(const AttemptRecord& a) override;
  Result<int> ReleaseLeases(Instant now) override;
  Result<std::optional<Instant>> NextDue() override;
  Result<std::optional<DeliveryRecord>> FindByProviderId(const std::string& provider,
                                                         const std::string& message_id) override;
  Status SaveEarlyReceipt(const std::string& provider, const std::string& message_id,
                          const EarlyReceipt& r) override;
  Result<std::optional<EarlyReceipt>> TakeEarlyReceipt(const std::string& provider,
                                                       const std::string& message_id) override;
  Result<std::optional<PreferencesRecord>> Preferences(const std::string& customer) override;
  Status SavePreferences(const PreferencesRecord& p) override;
  Status PruneToken(const std::string& token, Instant at) override;
  Result<bool> TokenPruned(const std::string& token) override;
  Result<std::optional<PlanRunRecord>> PlanRun(const std::string& plan,
                                               const std::string& key) override;
  Status SavePlanRun(const PlanRunRecord& r) override;
  Result<std::vector<PlanStepRecord>> PlanSteps(const std::string& plan,
                                                const std::string& key) override;
  Status SavePlanStep(const PlanStepRecord& s) override;
  Result<std::vector<PlanStepRecord>> DueSteps(Instant now, int limit) override;
  Result<std::optional<Instant>> NextStepDue() override;
  Status InsertTask(const TaskRecord& t) override;
  Result<std::vector<TaskRecord>> PendingTasks(int limit) override;
  Status MarkTaskRelayed(std::int64_t id, Instant at, const std::string& refusal) override;
  Result<int> PurgeBefore(Instant cutoff, int limit) override;
  Result<std::map<std::string, std::int64_t>> QueueDepth() override;
  Result<std::vector<NoticeRow>> NoticeRows(Instant from, Instant to) override;

 private:
  // Every statement goes through these, which remember the first failure.
  Result<postgres::Rows> Query(const std::string& sql, const postgres::Params& params);
  Result<int> Run(const std::string& sql, const postgres::Params& params);  // rows changed
  Status Exec(const std::string& sql);  // statements without parameters, not prepared
  // LockKey in a write transaction; nothing in a read.
  Status Lock(std::string_view scope, const std::string& key);
  Status Failed(Status s);

  Result<std::vector<DeliveryRecord>> DeliveryRows(const std::string& sql,
                                                   const postgres::Params& params);
  Result<std::vector<PlanStepRecord>> StepRows(const std::string& sql,
                                               const postgres::Params& params);

  postgres::Connection& c_;
  const bool locking_;
  const std::string& replica_;
  Status first_failure_;
};

}  // namespace csops::notify::pgstore
