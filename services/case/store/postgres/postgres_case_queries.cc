// PostgresCaseStore (postgres_case_store.h), continued: the outbox, the SLA event log and the
// queries across cases.
#include <nlohmann/json.hpp>

#include "services/case/store/postgres/postgres_case_store.h"
#include "services/case/store/postgres/postgres_case_tx.h"

namespace csops::cases::pg_case_internal {

using postgres::Value;

namespace {

// The payload without the look-up link that case.db's schema 4 put in it (a plain code), or
// nullopt when there is none to drop (then the stored payload stays as it is, byte for byte).
// Only rows copied from a case.db can have one.
std::optional<std::string> WithoutLookupUrl(const std::string& payload) {
  auto json = nlohmann::ordered_json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("lookup_url")) return std::nullopt;
  json.erase("lookup_url");
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

Status PostgresCaseTx::InsertOutbox(const OutboxRow& r) {
  return Done(
      c_.Run("INSERT INTO case_outbox(case_id, kind, channel, recipient, payload, created_at) "
             "VALUES($1,$2,$3,$4,$5,$6)",
             {r.case_id, r.kind, ChannelName(r.channel), r.recipient, r.payload,
              ToUnixMillis(r.created_at)}));
}

Result<std::vector<PendingOutboxRow>> PostgresCaseTx::PendingOutbox(int limit) {
  auto r = c_.Query(
      "SELECT o.id, c.acceptance_number, c.branch_id, c.locale, o.kind, o.channel, o.recipient, "
      "o.payload, COALESCE(c.idempotency_key, '') FROM case_outbox o "
      "JOIN cases c ON c.id = o.case_id WHERE o.delivered_at IS NULL ORDER BY o.id LIMIT $1",
      {limit});
  if (!r.ok()) return r.status();
  std::vector<PendingOutboxRow> out;
  for (int i = 0; i < r->size(); ++i) {
    PendingOutboxRow p;
    p.id = r->Int(i, 0);
    p.acceptance_number = r->Text(i, 1);
    p.branch_id = r->Text(i, 2);
    p.locale = r->Text(i, 3);
    p.kind = r->Text(i, 4);
    p.channel = ParseChannel(r->Text(i, 5)).value_or(NoticeChannel::kNone);
    p.recipient = r->Text(i, 6);
    p.payload = r->Text(i, 7);
    p.idempotency_key = r->Text(i, 8);
    out.push_back(std::move(p));
  }
  return out;
}

Status PostgresCaseTx::MarkOutboxRelayed(std::int64_t id, Instant at, const std::string& refusal) {
  // The payload never changes while a row is pending, so reading it first needs no lock; the
  // UPDATE is conditional, so of two relays marking one row the first mark stays.
  auto r = c_.Query("SELECT payload FROM case_outbox WHERE id=$1 AND delivered_at IS NULL", {id});
  if (!r.ok()) return r.status();
  if (r->empty()) return Status::Ok();  // relayed before (or no such row): nothing changes
  std::optional<std::string> stripped = WithoutLookupUrl(r->Text(0, 0));
  return Done(
      c_.Run("UPDATE case_outbox SET delivered_at=$1, relay_error=$2, payload=COALESCE($3::TEXT, "
             "payload) WHERE id=$4 AND delivered_at IS NULL",
             {ToUnixMillis(at), refusal, stripped ? Value(*stripped) : Value(std::nullopt), id}));
}

Result<bool> PostgresCaseTx::RecordSlaEvent(std::int64_t case_id, const std::string& target,
                                            const std::string& event, Instant due_at,
                                            Instant fired_at, bool late) {
  // The event log's lock, held until this transaction ends: every transaction that gives
  // cursors runs alone, so one more than the largest committed cursor is the next one (the
  // statement's snapshot begins after the lock), and cursor order is commit order.
  if (locking_) CSOPS_RETURN_IF_ERROR(c_.LockKey("case_sla_events", "cursor"));
  auto r = c_.Query(
      "INSERT INTO case_sla_events(case_id, target, event, due_at, fired_at, late, cursor) "
      "SELECT $1::BIGINT, $2::TEXT, $3::TEXT, $4::BIGINT, $5::BIGINT, $6::INTEGER, "
      "COALESCE(MAX(cursor), 0) + 1 FROM case_sla_events "
      "ON CONFLICT (case_id, target, event) DO NOTHING RETURNING cursor",
      {case_id, target, event, ToUnixMillis(due_at), ToUnixMillis(fired_at), late ? 1 : 0});
  if (!r.ok()) return r.status();
  return r->size() == 1;
}

Result<std::vector<std::string>> PostgresCaseTx::FiredSlaEvents(std::int64_t case_id) {
  CSOPS_RETURN_IF_ERROR(EnsureCaseLocked(case_id));
  auto r = c_.Query("SELECT target, event FROM case_sla_events WHERE case_id=$1", {case_id});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(SlaEventKey(r->Text(i, 0), r->Text(i, 1)));
  return out;
}

Result<std::int64_t> PostgresCaseTx::SlaEventCursor(std::int64_t case_id, const std::string& target,
                                                    const std::string& event) {
  CSOPS_RETURN_IF_ERROR(EnsureCaseLocked(case_id));
  auto r =
      c_.Query("SELECT cursor FROM case_sla_events WHERE case_id=$1 AND target=$2 AND event=$3",
               {case_id, target, event});
  if (!r.ok()) return r.status();
  if (r->empty())
    return Status::NotFound("SLA event " + target + "/" + event + " of case row " +
                            std::to_string(case_id) + " has no cursor (it never fired)");
  return r->Int(0, 0);
}

Result<std::vector<SlaEventRow>> PostgresCaseTx::SlaEventsAfter(std::int64_t after,
                                                                const std::string& branch,
                                                                const std::string& type,
                                                                int limit) {
  auto r = c_.Query(
      "SELECT e.cursor, c.acceptance_number, c.type_code, c.branch_id, e.target, e.event, "
      "e.due_at, e.fired_at, e.late FROM case_sla_events e JOIN cases c ON c.id = e.case_id "
      "WHERE e.cursor > $1 AND ($2::TEXT = '' OR c.branch_id = $2) AND "
      "($3::TEXT = '' OR c.type_code = $3) ORDER BY e.cursor LIMIT $4",
      {after, branch, type, limit});
  if (!r.ok()) return r.status();
  std::vector<SlaEventRow> out;
  for (int i = 0; i < r->size(); ++i)
    out.push_back({r->Int(i, 0), r->Text(i, 1), r->Text(i, 2), r->Text(i, 3), r->Text(i, 4),
                   r->Text(i, 5), FromUnixMillis(r->Int(i, 6)), FromUnixMillis(r->Int(i, 7)),
                   r->Int(i, 8) != 0});
  return out;
}

Result<std::int64_t> PostgresCaseTx::NewestSlaEventCursor() {
  auto r = c_.Query("SELECT COALESCE(MAX(cursor), 0) FROM case_sla_events");
  if (!r.ok()) return r.status();
  return r->empty() ? 0 : r->Int(0, 0);
}

Result<std::vector<CaseRecord>> PostgresCaseTx::ListCases(const CaseFilter& f,
                                                          std::int64_t after_id, int limit) {
  return Cases(std::string("SELECT ") + kCaseColumns +
                   " FROM cases WHERE id > $1 AND ($2::TEXT = '' OR status = $2) AND "
                   "($3::TEXT = '' OR type_code = $3) AND ($4::TEXT = '' OR branch_id = $4) AND "
                   "($5::TEXT = '' OR assignee_staff = $5) ORDER BY id LIMIT $6",
               {after_id, f.status, f.type_code, f.branch_id, f.assignee, limit});
}

Result<std::vector<CaseRecord>> PostgresCaseTx::ClosedBetween(Instant from, Instant to,
                                                              const std::string& branch,
                                                              const std::string& type) {
  return Cases(std::string("SELECT ") + kCaseColumns +
                   " FROM cases WHERE closed_at >= $1 AND closed_at < $2 AND "
                   "($3::TEXT = '' OR branch_id = $3) AND ($4::TEXT = '' OR type_code = $4) "
                   "ORDER BY id",
               {ToUnixMillis(from), ToUnixMillis(to), branch, type});
}

Result<std::vector<DelayRow>> PostgresCaseTx::DelaysBetween(Instant from, Instant to,
                                                            const std::string& branch,
                                                            const std::string& type, int limit) {
  // 'delay' is history_kind::kDelay, written out so the partial index case_history_delays
  // applies.
  static_assert(std::string_view(history_kind::kDelay) == "delay");
  auto r = c_.Query(
      "SELECT c.acceptance_number, c.type_code, c.branch_id, h.at, h.note FROM case_history h "
      "JOIN cases c ON c.id = h.case_id WHERE h.kind = 'delay' AND h.at >= $1 AND h.at < $2 "
      "AND ($3::TEXT = '' OR c.branch_id = $3) AND ($4::TEXT = '' OR c.type_code = $4) "
      "ORDER BY h.at, h.id LIMIT $5",
      {ToUnixMillis(from), ToUnixMillis(to), branch, type, limit});
  if (!r.ok()) return r.status();
  std::vector<DelayRow> out;
  for (int i = 0; i < r->size(); ++i) {
    DelayNoteParts note = ParseDelayNote(r->Text(i, 4));
    out.push_back({r->Text(i, 0), r->Text(i, 1), r->Text(i, 2), FromUnixMillis(r->Int(i, 3)),
                   std::move(note.reason), std::move(note.new_date)});
  }
  return out;
}

Result<std::vector<std::pair<std::string, Instant>>> PostgresCaseTx::ScheduledEvents() {
  auto r = c_.Query(
      "SELECT acceptance_number, next_event_at FROM cases WHERE next_event_at IS NOT NULL");
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, Instant>> out;
  for (int i = 0; i < r->size(); ++i) out.emplace_back(r->Text(i, 0), FromUnixMillis(r->Int(i, 1)));
  return out;
}

Result<std::vector<std::pair<std::string, Instant>>> PostgresCaseTx::ScheduledEventsDue(
    Instant until, const std::pair<std::string, Instant>& after, int limit) {
  auto r = c_.Query(
      "SELECT acceptance_number, next_event_at FROM cases WHERE next_event_at IS NOT NULL AND "
      "next_event_at <= $1 AND (next_event_at, acceptance_number) > ($2, $3) "
      "ORDER BY next_event_at, acceptance_number LIMIT $4",
      {ToUnixMillis(until), ToUnixMillis(after.second), after.first,
       static_cast<std::int64_t>(limit)});
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, Instant>> out;
  for (int i = 0; i < r->size(); ++i) out.emplace_back(r->Text(i, 0), FromUnixMillis(r->Int(i, 1)));
  return out;
}

Result<std::vector<CaseTx::OpenCount>> PostgresCaseTx::CountOpen(const std::string& branch) {
  auto r = c_.Query(
      "SELECT type_code, sla_state, COUNT(*) FROM cases WHERE closed_at IS NULL AND "
      "($1::TEXT = '' OR branch_id = $1) GROUP BY type_code, sla_state",
      {branch});
  if (!r.ok()) return r.status();
  std::vector<OpenCount> out;
  for (int i = 0; i < r->size(); ++i) {
    auto state = ParseSlaState(r->Text(i, 1));  // NULL reads as "": no state
    if (!state)
      return Status::Internal("an open case of type " + r->Text(i, 0) +
                              " has no stored SLA state (sla_state)");
    out.push_back({r->Text(i, 0), *state, r->Int(i, 2)});
  }
  return out;
}

Result<std::vector<CaseTx::DueAfterCount>> PostgresCaseTx::CountDueFrom(const std::string& branch,
                                                                        Instant from) {
  auto r = c_.Query(
      "SELECT c.type_code, t.name, COUNT(*) FROM case_targets t JOIN cases c ON c.id = t.case_id "
      "WHERE t.stopped_at IS NULL AND t.due_at >= $2 AND c.closed_at IS NULL AND "
      "c.branch_id = $1 GROUP BY c.type_code, t.name",
      {branch, ToUnixMillis(from)});
  if (!r.ok()) return r.status();
  std::vector<DueAfterCount> out;
  for (int i = 0; i < r->size(); ++i) out.push_back({r->Text(i, 0), r->Text(i, 1), r->Int(i, 2)});
  return out;
}

}  // namespace csops::cases::pg_case_internal
