// The notify service's records: a notification as accepted, its deliveries and their attempts,
// a customer's preferences, the runs and steps of escalation plans, and staff tasks. The store
// persists them (store/notify_store.h); the engines and the delivery policy work on them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/clock.h"
#include "services/notify/domain/notify_model.h"

namespace csops::notify {

struct RecipientRecord {
  std::string customer_number;
  std::string name;
  std::string email;
  std::string mobile;  // national form 09xxxxxxxx
  std::vector<std::string> push_tokens;
  std::vector<std::string> postal_address;
  friend bool operator==(const RecipientRecord&, const RecipientRecord&) = default;
};

struct NotificationRecord {
  std::int64_t id = 0;
  std::string idempotency_key;
  std::string kind;
  std::string locale = "zh-TW";
  RecipientRecord recipient;
  std::map<std::string, std::string> variables;
  bool urgent = false;
  bool fallback = false;  // deliveries form one chain
  Instant accepted_at;
  std::string plan_key;  // "plan/key/step" when a plan step sent it
  // SHA-256 of the accepted request (send_fingerprint.h); empty for rows of schema <= 2.
  std::string request_fingerprint;
};

enum class DeliveryStatus { kPending = 1, kSent, kDelivered, kFailed, kCancelled, kWaiting };
std::string_view DeliveryStatusName(DeliveryStatus s);
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s);

struct DeliveryRecord {
  std::int64_t id = 0;
  std::int64_t notification_id = 0;
  int position = 0;  // order in the notification (the chain order for fallback)
  Channel channel = Channel::kEmail;
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;
  Instant next_attempt_at;
  std::string provider;
  std::string provider_message_id;
  std::string last_error;
  std::optional<Instant> sent_at;
};

// One delivery with what the notice report needs of its notification.
struct NoticeRow {
  std::int64_t notification_id = 0;
  std::string kind;
  Channel channel = Channel::kEmail;
  DeliveryStatus status = DeliveryStatus::kPending;
  Instant accepted_at;
  std::optional<Instant> sent_at;
};

struct AttemptRecord {
  std::int64_t delivery_id = 0;
  Instant at;
  Channel channel = Channel::kEmail;
  std::string provider;
  std::string result;  // ok, transient, permanent
  std::string provider_message_id;
  std::int64_t latency_ms = 0;
  std::string error;
};

struct PreferencesRecord {
  std::string customer_number;
  std::vector<Channel> opted_out;
  std::optional<QuietHours> quiet;
};

// A receipt for a send whose own record was not committed yet; applied when it is.
struct EarlyReceipt {
  bool delivered = false;
  std::string detail;
  Instant received_at;
};

// A plan run is running until StopPlan stops it or its last pending step has run.
enum class PlanRunStatus { kRunning = 1, kStopped, kFinished };
std::string_view PlanRunStatusName(PlanRunStatus s);  // "running", "stopped", "finished"
std::optional<PlanRunStatus> ParsePlanRunStatus(std::string_view s);

// A step is pending until it runs (done) or its run is stopped (cancelled).
enum class PlanStepStatus { kPending = 1, kDone, kCancelled };
std::string_view PlanStepStatusName(PlanStepStatus s);  // "pending", "done", "cancelled"
std::optional<PlanStepStatus> ParsePlanStepStatus(std::string_view s);

// One run of an escalation plan for a key (e.g. a bill number).
struct PlanRunRecord {
  std::string plan;
  std::string key;
  PlanRunStatus status = PlanRunStatus::kRunning;
  RecipientRecord recipient;
  std::string locale = "zh-TW";
  std::map<std::string, std::string> variables;
  Instant started_at;
  std::string stop_reason;
};

struct PlanStepRecord {
  std::string plan;
  std::string key;
  int index = 0;
  std::string name;
  Instant due_at;
  PlanStepStatus status = PlanStepStatus::kPending;
  std::int64_t notification_id = 0;
};

// A staff task (a case in the case service) a plan step asked for, waiting for its relay.
struct TaskRecord {
  std::int64_t id = 0;
  std::string idempotency_key;  // "plan:<plan>:<key>:<step>"
  std::string case_type;
  std::string branch_id;
  std::string customer_number;
  std::string name;
  std::string summary;
};

}  // namespace csops::notify
