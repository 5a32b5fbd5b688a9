// Queue domain vocabulary: ticket and counter states, classes, and the records the engine and
// the store exchange. Pure data; no gRPC, no SQL.
#pragma once

#include <absl/time/civil_time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/clock.h"

namespace csops::queue {

enum class TicketState { kWaiting = 1, kCalled, kServing, kDone, kNoShow, kCancelled, kExpired };
enum class PriorityClass { kNormal = 1, kPriority, kAccessible };
enum class Channel { kKiosk = 1, kApp, kCounter };
enum class ContactKind { kNone = 0, kSms, kEmail, kAppPush };
enum class CounterState { kClosed = 1, kOpen, kPaused };
enum class Outcome { kNone = 0, kResolved, kCaseOpened, kNeedsFollowUp };
enum class SelectionPolicy { kStrictOrder = 1, kOldestFirst };

// Lower-case names used in messages, events and metric labels, e.g. "waiting", "no_show".
std::string_view StateName(TicketState s);
std::string_view PriorityName(PriorityClass p);
std::string_view ChannelName(Channel c);
std::string_view CounterStateName(CounterState s);
std::string_view OutcomeName(Outcome o);
bool IsFinal(TicketState s);  // done, no_show, cancelled, expired (no_show can be requeued)

// Parse the names above; nullopt when unknown (used by the store).
std::optional<TicketState> ParseState(std::string_view name);
std::optional<PriorityClass> ParsePriority(std::string_view name);
std::optional<Channel> ParseChannel(std::string_view name);
std::optional<ContactKind> ParseContactKind(std::string_view name);
std::optional<CounterState> ParseCounterState(std::string_view name);
std::optional<Outcome> ParseOutcome(std::string_view name);
std::string_view ContactKindName(ContactKind k);

// A counter's services as stored: "A,B,C" in serving order (codes never hold a comma).
std::string JoinServiceCodes(const std::vector<std::string>& codes);
std::vector<std::string> SplitServiceCodes(std::string_view joined);

// "YYYY-MM-DD"
std::string FormatDay(absl::CivilDay day);

struct TicketRecord {
  std::int64_t id = 0;  // store row id; 0 before insert
  std::string branch_id;
  std::string business_day;  // YYYY-MM-DD
  int number = 0;            // within the service range of its original service
  std::string display;       // "A023"; never changes, even on transfer
  std::string service_code;  // current service
  TicketState state = TicketState::kWaiting;
  PriorityClass priority = PriorityClass::kNormal;
  Channel channel = Channel::kKiosk;
  Instant issued_at;
  Instant queued_at;  // when it (re)entered the waiting line: issue, transfer or requeue
  std::optional<Instant> first_called_at;
  std::optional<Instant> called_at;
  std::optional<Instant> serving_at;
  std::optional<Instant> finished_at;
  std::string counter_id;  // counter holding it (called/serving)
  int calls = 0;
  bool transferred = false;  // goes ahead of walk-ins in its current service
  std::string transfer_note;
  std::string reserved_counter_id;  // only this counter may call it
  ContactKind contact_kind = ContactKind::kNone;
  std::string contact_address;  // personal data: never logged or returned
  bool near_notified = false;
  std::int64_t estimated_wait_ms = 0;  // estimate given at issue (for the error histogram)
  std::string idempotency_key;
  std::string request_fingerprint;  // detects a key reused with a different request
  Outcome outcome = Outcome::kNone;
  int rating = 0;
};

// One row of the state history. Wait, service time and no-shows are computed from these.
struct TicketEvent {
  std::int64_t ticket_id = 0;
  Instant at;
  std::string actor;                // "kiosk", "app", "counter:3", "system"
  std::optional<TicketState> from;  // nullopt for the issue
  TicketState to = TicketState::kWaiting;
  std::string counter_id;
  std::string service_code;
  std::string note;
};

struct CounterRecord {
  std::string branch_id;
  std::string counter_id;
  CounterState state = CounterState::kClosed;
  std::string staff_id;
  std::vector<std::string> services;  // today's ordered list
  int priority_streak = 0;            // priority tickets called in a row
  Instant changed_at;
};

// A "your turn is near" notice waiting in the outbox for the notify service.
struct NearTurnNotice {
  std::int64_t id = 0;
  std::string branch_id;
  std::int64_t ticket_id = 0;
  std::string ticket_display;
  std::string business_day;
  int people_ahead = 0;
  ContactKind contact_kind = ContactKind::kNone;
  std::string contact_address;
  Instant created_at;
  bool delivered = false;   // relayed: notify accepted it, or refused it (relay_error)
  std::string relay_error;  // notify's reason when it refused the notice for good
};

}  // namespace csops::queue
