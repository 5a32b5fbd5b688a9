// The case service's records and the names they are stored and shown under: a case as
// registered, its status periods and history, the notices it queues (outbox), the SLA events it
// fired and the delays declared on it. The store persists them (store/case_store.h); the engine
// works on them. Pure; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/clock.h"
#include "services/case/domain/case_model.h"

namespace csops::cases {

// How the applicant wants to hear about the case, in preference order (the API's enum values).
enum class NoticeChannel { kNone = 0, kEmail, kSms, kAppPush, kPost };
std::string_view ChannelName(NoticeChannel c);  // "email", "sms", "app_push", "post", "none"
// The channel named `name`; nullopt for "none" and any unknown name.
std::optional<NoticeChannel> ParseChannel(std::string_view name);

// CaseRecord::received_via values: how the application reached the office.
inline constexpr std::array<std::string_view, 6> kReceivedVia = {"counter", "phone", "web",
                                                                 "app",     "mail",  "fax"};

// HistoryRow::kind values.
namespace history_kind {
inline constexpr char kCreated[] = "created";
inline constexpr char kTransition[] = "transition";
inline constexpr char kReopen[] = "reopen";
inline constexpr char kNote[] = "note";
inline constexpr char kDelay[] = "delay";  // note: DelayNote(reason, new date)
inline constexpr char kAssign[] = "assign";
inline constexpr char kSla[] = "sla";  // note: "<target> <event>"
}  // namespace history_kind

// OutboxRow::kind values: notices to the applicant, then alerts to the branch's supervisors.
namespace outbox_kind {
inline constexpr char kAccepted[] = "accepted";
inline constexpr char kDelay[] = "delay";
inline constexpr char kCompleted[] = "completed";
inline constexpr char kSlaBreach[] = "sla_breach";
inline constexpr char kSlaChase[] = "sla_chase";  // 稽催: last warning, no delay declared
}  // namespace outbox_kind

// SLA event names: warning_<percent>, breach (while a target runs), met or missed (once it
// stopped). Each fires once per case and target, ever.
namespace sla_event {
inline constexpr char kBreach[] = "breach";
inline constexpr char kMet[] = "met";
inline constexpr char kMissed[] = "missed";
}  // namespace sla_event
std::string WarningEvent(int percent);  // "warning_80"
// "<target>/<event>": how the events that fired for a case are listed (CaseTx::FiredSlaEvents).
std::string SlaEventKey(std::string_view target, std::string_view event);

// The note of a delay history row, "<reason> (<YYYY-MM-DD>)", and back. A note of any other
// form is all reason, with no date.
std::string DelayNote(std::string_view reason, std::string_view new_date);
struct DelayNoteParts {
  std::string reason;
  std::string new_date;
};
DelayNoteParts ParseDelayNote(std::string_view note);

struct ApplicantRecord {
  std::string name;
  std::string customer_number;
  std::string phone;
  std::string email;
  std::vector<NoticeChannel> channels;
  std::string locale = "zh-TW";
};

struct CaseRecord {
  std::int64_t id = 0;
  std::string acceptance_number;  // compact form
  std::string branch_id;
  std::string business_day;  // YYYY-MM-DD of acceptance
  int sequence = 0;
  std::string type_code;
  CaseStatus status = CaseStatus::kAccepted;
  std::string received_via;
  std::string summary;
  ApplicantRecord applicant;
  std::string lookup_salt;  // "" since schema 6 (the legacy verifier form uses it)
  std::string lookup_hash;  // the code's verifier (lookup_code.h); the code is kept nowhere
  Instant accepted_at;
  std::optional<Instant> first_reply_at;
  std::optional<Instant> closed_at;
  std::string delay_reason;
  std::string delay_new_date;
  std::string idempotency_key;
  std::string request_fingerprint;
  std::string assignee_department;
  std::string assignee_staff;
  std::optional<std::int64_t> resolution_ms;  // set while closed
  std::optional<bool> within_sla;             // set while closed
};

// A period in one status that can pause targets; end unset while the case is still in it.
struct StatusPeriod {
  CaseStatus status;
  Instant begin;
  std::optional<Instant> end;
};

struct HistoryRow {
  Instant at;
  std::string actor;
  std::string kind;  // history_kind
  std::optional<CaseStatus> from;
  std::optional<CaseStatus> to;
  std::string note;
};

// A notice to the applicant or an alert, waiting for the notify service.
struct OutboxRow {
  std::int64_t case_id = 0;
  std::string kind;  // outbox_kind
  NoticeChannel channel = NoticeChannel::kNone;
  std::string recipient;  // personal data
  std::string payload;    // JSON object of string values (the notice's template variables)
  Instant created_at;
};

// An outbox row waiting for the relay, with what the notice needs from its case.
struct PendingOutboxRow {
  std::int64_t id = 0;
  std::string acceptance_number;
  std::string branch_id;
  std::string locale;
  std::string kind;
  NoticeChannel channel = NoticeChannel::kNone;
  std::string recipient;
  std::string payload;
  std::string idempotency_key;  // the case's CreateCase key (to derive its look-up code again)
};

// A fired SLA event as stored, with its cursor (its place in the event log, see
// CaseTx::SlaEventsAfter) and its case's number, type and branch.
struct SlaEventRow {
  std::int64_t cursor = 0;
  std::string acceptance_number, type_code, branch_id;
  std::string target, event;
  Instant due_at, fired_at;
  bool late = false;
};

// A delay declaration (history kind "delay") with its case's number, type and branch.
struct DelayRow {
  std::string acceptance_number, type_code, branch_id;
  Instant declared_at;
  std::string reason, new_expected_date;
};

}  // namespace csops::cases
