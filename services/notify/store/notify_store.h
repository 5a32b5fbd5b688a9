// Persistence of notifications behind an interface (SQL lives only in sqlite_notify_store.cc).
// notify_store_contract.h tests what every implementation must do.
//
// A notification is the request as accepted; each of its deliveries is one channel to try.
// Deliveries are claimed by pushing their next_attempt_at forward by a lease, so a delivery
// whose worker died (kill -9) simply comes due again when the lease ends: at-least-once, and
// the duplicates are bounded by the sends in flight at the crash.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/notify/domain/notify_model.h"
#include "services/notify/domain/records.h"

namespace csops::notify {

class NotifyTx {
 public:
  virtual ~NotifyTx() = default;
  virtual Result<std::optional<std::int64_t>> FindByKey(const std::string& key) = 0;
  // Fails when n.idempotency_key is stored already (callers look it up with FindByKey first).
  virtual Result<std::int64_t> InsertNotification(const NotificationRecord& n) = 0;
  // Stores notification_id, position, channel, status and next_attempt_at of `d`; the rest
  // starts empty (SaveDelivery sets it).
  virtual Result<std::int64_t> InsertDelivery(const DeliveryRecord& d) = 0;
  virtual Result<std::optional<NotificationRecord>> Notification(std::int64_t id) = 0;
  // By position.
  virtual Result<std::vector<DeliveryRecord>> Deliveries(std::int64_t notification_id) = 0;
  // Of all the notification's deliveries, in the order they were recorded.
  virtual Result<std::vector<AttemptRecord>> Attempts(std::int64_t notification_id) = 0;
  // Newest first, ids below `before_id` (0: from the newest).
  virtual Result<std::vector<std::int64_t>> ListByCustomer(const std::string& customer,
                                                           std::int64_t before_id, int limit) = 0;
  // Claims the `limit` earliest-due pending deliveries due at `now` (returned in no particular
  // order); their next_attempt_at becomes `lease_end`.
  virtual Result<std::vector<DeliveryRecord>> ClaimDue(Instant now, Instant lease_end,
                                                       int limit) = 0;
  virtual Result<std::optional<DeliveryRecord>> Delivery(std::int64_t id) = 0;
  // Every field of `d`; the delivery is no longer leased (ReleaseLeases leaves it alone).
  virtual Status SaveDelivery(const DeliveryRecord& d) = 0;
  virtual Status InsertAttempt(const AttemptRecord& a) = 0;
  // Makes every leased delivery due at `now` (start-up: their workers died with the last
  // process); returns how many.
  virtual Result<int> ReleaseLeases(Instant now) = 0;
  // Earliest next_attempt_at of a pending delivery (for a leased one, the end of its lease).
  virtual Result<std::optional<Instant>> NextDue() = 0;
  virtual Result<std::optional<DeliveryRecord>> FindByProviderId(const std::string& provider,
                                                                 const std::string& message_id) = 0;
  // A second receipt for the same send replaces the first.
  virtual Status SaveEarlyReceipt(const std::string& provider, const std::string& message_id,
                                  const EarlyReceipt& r) = 0;
  // Removes and returns the early receipt for that send, if one came.
  virtual Result<std::optional<EarlyReceipt>> TakeEarlyReceipt(const std::string& provider,
                                                               const std::string& message_id) = 0;
  virtual Result<std::optional<PreferencesRecord>> Preferences(const std::string& customer) = 0;
  virtual Status SavePreferences(const PreferencesRecord& p) = 0;
  virtual Status PruneToken(const std::string& token, Instant at) = 0;
  virtual Result<bool> TokenPruned(const std::string& token) = 0;
  virtual Result<std::optional<PlanRunRecord>> PlanRun(const std::string& plan,
                                                       const std::string& key) = 0;
  // Insert, or update the status and stop_reason of the stored run (the rest never changes).
  virtual Status SavePlanRun(const PlanRunRecord& r) = 0;
  // By index.
  virtual Result<std::vector<PlanStepRecord>> PlanSteps(const std::string& plan,
                                                        const std::string& key) = 0;
  virtual Status SavePlanStep(const PlanStepRecord& s) = 0;  // insert or update
  // Pending steps due at `now`, earliest first (the engine checks that their run still runs).
  virtual Result<std::vector<PlanStepRecord>> DueSteps(Instant now, int limit) = 0;
  virtual Result<std::optional<Instant>> NextStepDue() = 0;
  // A task whose idempotency_key is stored already (relayed or not) is ignored.
  virtual Status InsertTask(const TaskRecord& t) = 0;
  // Tasks not relayed yet, in the order they were inserted.
  virtual Result<std::vector<TaskRecord>> PendingTasks(int limit) = 0;
  virtual Status MarkTaskRelayed(std::int64_t id, Instant at, const std::string& refusal) = 0;
  // Deletes up to `limit` notifications accepted before `cutoff` that have nothing left to do
  // (with their deliveries and attempts); returns how many. What the notice report needs of
  // their deliveries (kind, channel, status, instants; no personal data) is kept for
  // kHistoryDays after `cutoff`, so reports over past half-years stay whole.
  static constexpr int kHistoryDays = 400;
  virtual Result<int> PurgeBefore(Instant cutoff, int limit) = 0;
  // Pending and waiting deliveries per channel name.
  virtual Result<std::map<std::string, std::int64_t>> QueueDepth() = 0;
  // Deliveries of the notifications accepted in [from, to), by notification, purged ones
  // included.
  virtual Result<std::vector<NoticeRow>> NoticeRows(Instant from, Instant to) = 0;
};

class NotifyStore {
 public:
  virtual ~NotifyStore() = default;
  virtual void Transact(std::function<Status(NotifyTx&)> fn,
                        std::function<void(const Status&)> done) = 0;
  virtual Status Read(const std::function<Status(NotifyTx&)>& fn) = 0;
};

}  // namespace csops::notify
