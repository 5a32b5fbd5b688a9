// PostgresCaseStore (postgres_case_store.h): the transactions, the case locks, and one case's
// rows; the outbox, the SLA event log and the queries across cases are in
// postgres_case_queries.cc.
#include "services/case/store/postgres/postgres_case_store.h"

#include <sstream>

#include "services/case/domain/acceptance_number.h"
#include "services/case/store/postgres/postgres_case_tx.h"

namespace csops::cases {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;
using postgres::Value;

namespace pg_case_internal {
namespace {

std::string JoinChannels(const std::vector<NoticeChannel>& v) {
  std::string s;
  for (NoticeChannel c : v) s += (s.empty() ? "" : ",") + std::string(ChannelName(c));
  return s;
}

std::vector<NoticeChannel> SplitChannels(const std::string& s) {
  std::vector<NoticeChannel> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (auto c = ParseChannel(item)) out.push_back(*c);
  }
  return out;
}

Result<CaseRecord> ReadCase(const Rows& r, int i) {
  CaseRecord c;
  c.id = r.Int(i, 0);
  c.acceptance_number = r.Text(i, 1);
  c.branch_id = r.Text(i, 2);
  c.business_day = r.Text(i, 3);
  c.sequence = static_cast<int>(r.Int(i, 4));
  c.type_code = r.Text(i, 5);
  auto status = ParseStatus(r.Text(i, 6));
  if (!status)
    return Status::Internal("case " + DisplayAcceptanceNumber(c.acceptance_number) +
                            " has an unknown status");
  c.status = *status;
  c.received_via = r.Text(i, 7);
  c.summary = r.Text(i, 8);
  c.applicant = {
      r.Text(i, 9), r.Text(i, 10), r.Text(i, 11), r.Text(i, 12), SplitChannels(r.Text(i, 13)),
      r.Text(i, 14)};
  c.lookup_salt = r.Text(i, 15);
  c.lookup_hash = r.Text(i, 16);
  c.accepted_at = FromUnixMillis(r.Int(i, 17));
  c.first_reply_at = OptInstant(r, i, 18);
  c.closed_at = OptInstant(r, i, 19);
  c.delay_reason = r.Text(i, 20);
  c.delay_new_date = r.Text(i, 21);
  c.idempotency_key = r.Text(i, 22);  // NULL (no key) reads as ""
  c.request_fingerprint = r.Text(i, 23);
  c.assignee_department = r.Text(i, 24);
  c.assignee_staff = r.Text(i, 25);
  c.resolution_ms = r.OptInt(i, 26);
  if (!r.IsNull(i, 27)) c.within_sla = r.Int(i, 27) != 0;
  return c;
}

Value OptStatus(const std::optional<CaseStatus>& s) {
  if (!s) return std::nullopt;
  return StatusName(*s);
}

}  // namespace

Result<std::vector<CaseRecord>> ReadCases(const Rows& r) {
  std::vector<CaseRecord> out;
  for (int i = 0; i < r.size(); ++i) {
    auto c = ReadCase(r, i);
    if (!c.ok()) return c.status();
    out.push_back(std::move(*c));
  }
  return out;
}

Value OptMillis(const std::optional<Instant>& v) {
  if (!v) return std::nullopt;
  return ToUnixMillis(*v);
}

std::optional<Instant> OptInstant(const Rows& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return FromUnixMillis(r.Int(row, col));
}

Status PostgresCaseTx::LockCase(const std::string& number, std::int64_t id) {
  if (!locking_ || locked_.count(id) != 0) return Status::Ok();
  CSOPS_RETURN_IF_ERROR(c_.LockKey("case", number));
  locked_.insert(id);
  return Status::Ok();
}

Status PostgresCaseTx::EnsureCaseLocked(std::int64_t case_id) {
  if (!locking_ || locked_.count(case_id) != 0) return Status::Ok();
  auto r = c_.Query("SELECT acceptance_number FROM cases WHERE id=$1", {case_id});
  if (!r.ok()) return r.status();
  if (r->empty()) return Status::Ok();
  return LockCase(r->Text(0, 0), case_id);
}

Result<std::optional<CaseRecord>> PostgresCaseTx::OneCase(const std::string& where,
                                                          const Params& p) {
  auto r = c_.Query(std::string("SELECT ") + kCaseColumns + " FROM cases WHERE " + where, p);
  if (!r.ok()) return r.status();
  auto cases = ReadCases(*r);
  if (!cases.ok()) return cases.status();
  if (cases->empty()) return std::optional<CaseRecord>();
  return std::optional<CaseRecord>(std::move(cases->front()));
}

Result<std::vector<CaseRecord>> PostgresCaseTx::Cases(const std::string& sql, const Params& p) {
  auto r = c_.Query(sql, p);
  if (!r.ok()) return r.status();
  return ReadCases(*r);
}

Result<std::optional<CaseRecord>> PostgresCaseTx::FindByNumber(const std::string& number) {
  // The lock comes before the read, so the row read is the one the lock holder left.
  if (locking_) CSOPS_RETURN_IF_ERROR(c_.LockKey("case", number));
  auto found = OneCase("acceptance_number=$1", {number});
  if (found.ok() && *found && locking_) locked_.insert((*found)->id);
  return found;
}

Result<std::optional<CaseRecord>> PostgresCaseTx::FindByIdempotencyKey(const std::string& key) {
  if (key.empty()) return std::optional<CaseRecord>();  // stored as NULL: no case has it
  if (locking_) CSOPS_RETURN_IF_ERROR(c_.LockKey("case_key", key));
  auto found = OneCase("idempotency_key=$1", {key});
  if (!found.ok() || !*found || !locking_ || locked_.count((*found)->id) != 0) return found;
  // The key's lock keeps the case from being created twice; a command on the case holds the
  // case's lock instead: take that one too and read the row again.
  CSOPS_RETURN_IF_ERROR(LockCase((*found)->acceptance_number, (*found)->id));
  return OneCase("id=$1", {(*found)->id});
}

Result<std::vector<CaseRecord>> PostgresCaseTx::OpenCasesAfter(std::int64_t after_id, int limit,
                                                               bool all) {
  const std::string sql = std::string("SELECT ") + kCaseColumns +
                          " FROM cases WHERE id > $1 AND closed_at IS NULL AND "
                          "($2::INTEGER = 1 OR sla_state IS NULL) ORDER BY id LIMIT $3";
  for (;;) {
    auto rows = Cases(sql, {after_id, all ? 1 : 0, limit});
    if (!rows.ok() || !locking_) return rows;
    // Lock every case of the batch (in id order, as every batch does) before the caller
    // reads its rows, then read the batch again: a case may have changed before its lock.
    bool newly_locked = false;
    for (const CaseRecord& c : *rows) {
      if (locked_.count(c.id) != 0) continue;
      CSOPS_RETURN_IF_ERROR(LockCase(c.acceptance_number, c.id));
      newly_locked = true;
    }
    if (!newly_locked) return rows;
  }
}

Result<std::vector<StatusPeriod>> PostgresCaseTx::Periods(std::int64_t case_id) {
  CSOPS_RETURN_IF_ERROR(EnsureCaseLocked(case_id));
  auto r = c_.Query(
      "SELECT status, begin_at, end_at FROM case_periods WHERE case_id=$1 ORDER BY begin_at, id",
      {case_id});
  if (!r.ok()) return r.status();
  std::vector<StatusPeriod> out;
  for (int i = 0; i < r->size(); ++i) {
    auto s = ParseStatus(r->Text(i, 0));
    if (!s)
      return Status::Internal("a status period of case row " + std::to_string(case_id) +
                              " has an unknown status");
    out.push_back({*s, FromUnixMillis(r->Int(i, 1)), OptInstant(*r, i, 2)});
  }
  return out;
}

Result<std::vector<HistoryRow>> PostgresCaseTx::History(std::int64_t case_id) {
  CSOPS_RETURN_IF_ERROR(EnsureCaseLocked(case_id));
  auto r = c_.Query(
      "SELECT at, actor, kind, from_status, to_status, note FROM case_history WHERE case_id=$1 "
      "ORDER BY id",
      {case_id});
  if (!r.ok()) return r.status();
  std::vector<HistoryRow> out;
  for (int i = 0; i < r->size(); ++i) {
    HistoryRow h{FromUnixMillis(r->Int(i, 0)),
                 r->Text(i, 1),
                 r->Text(i, 2),
                 std::nullopt,
                 std::nullopt,
                 r->Text(i, 5)};
    if (!r->IsNull(i, 3)) h.from = ParseStatus(r->Text(i, 3));
    if (!r->IsNull(i, 4)) h.to = ParseStatus(r->Text(i, 4));
    out.push_back(std::move(h));
  }
  return out;
}

Result<int> PostgresCaseTx::TakeSequence(const std::string& branch, const std::string& day) {
  // The counter row is updated in the case's own transaction and stays locked until it ends:
  // a failed case gives its sequence back (a SEQUENCE would not).
  auto r = c_.Query(
      "INSERT INTO case_days AS d(branch_id, business_day, last_sequence) VALUES($1, $2, 1) "
      "ON CONFLICT (branch_id, business_day) DO UPDATE SET last_sequence = d.last_sequence + 1 "
      "RETURNING last_sequence",
      {branch, day});
  if (!r.ok()) return r.status();
  if (r->empty())
    return Status::Internal("the sequence of branch " + branch + " on " + day +
                            ": the upsert returned no row");
  return static_cast<int>(r->Int(0, 0));
}

Result<std::int64_t> PostgresCaseTx::InsertCase(const CaseRecord& c) {
  auto r = c_.Query(
      "INSERT INTO cases(acceptance_number, branch_id, business_day, sequence, type_code, "
      "status, received_via, summary, applicant_name, customer_number, phone, email, channels, "
      "locale, lookup_salt, lookup_hash, accepted_at, idempotency_key, request_fingerprint) "
      "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) RETURNING id",
      {c.acceptance_number, c.branch_id, c.business_day, c.sequence, c.type_code,
       StatusName(c.status), c.received_via, c.summary, c.applicant.name,
       c.applicant.customer_number, c.applicant.phone, c.applicant.email,
       JoinChannels(c.applicant.channels), c.applicant.locale, c.lookup_salt, c.lookup_hash,
       ToUnixMillis(c.accepted_at),
       c.idempotency_key.empty() ? Value(std::nullopt) : Value(c.idempotency_key),
       c.request_fingerprint});
  if (!r.ok()) return r.status();
  if (r->empty())
    return Status::Internal("case " + DisplayAcceptanceNumber(c.acceptance_number) +
                            ": the insert returned no id");
  const std::int64_t id = r->Int(0, 0);
  // Nobody else sees the row before this transaction commits: it needs no lock.
  if (locking_) locked_.insert(id);
  return id;
}

Status PostgresCaseTx::SaveCase(const CaseRecord& c) {
  return Done(c_.Run(
      "UPDATE cases SET status=$1, first_reply_at=$2, closed_at=$3, delay_reason=$4, "
      "delay_new_date=$5, assignee_department=$6, assignee_staff=$7, resolution_ms=$8, "
      "within_sla=$9 WHERE id=$10",
      {StatusName(c.status), OptMillis(c.first_reply_at), OptMillis(c.closed_at), c.delay_reason,
       c.delay_new_date, c.assignee_department, c.assignee_staff, Value(c.resolution_ms),
       c.within_sla ? Value(*c.within_sla ? 1 : 0) : Value(std::nullopt), c.id}));
}

Status PostgresCaseTx::OpenPeriod(std::int64_t case_id, CaseStatus status, Instant begin) {
  return Done(c_.Run("INSERT INTO case_periods(case_id, status, begin_at) VALUES($1, $2, $3)",
                     {case_id, StatusName(status), ToUnixMillis(begin)}));
}

Status PostgresCaseTx::ClosePeriods(std::int64_t case_id, Instant end) {
  return Done(c_.Run("UPDATE case_periods SET end_at=$1 WHERE case_id=$2 AND end_at IS NULL",
                     {ToUnixMillis(end), case_id}));
}

Status PostgresCaseTx::AppendHistory(std::int64_t case_id, const HistoryRow& h) {
  return Done(c_.Run(
      "INSERT INTO case_history(case_id, at, actor, kind, from_status, to_status, note) "
      "VALUES($1,$2,$3,$4,$5,$6,$7)",
      {case_id, ToUnixMillis(h.at), h.actor, h.kind, OptStatus(h.from), OptStatus(h.to), h.note}));
}

Status PostgresCaseTx::SaveSlaSummary(std::int64_t case_id, std::optional<Instant> next,
                                      SlaState worst) {
  return Done(c_.Run("UPDATE cases SET next_event_at=$1, sla_state=$2 WHERE id=$3",
                     {OptMillis(next), SlaStateName(worst), case_id}));
}

Status PostgresCaseTx::SaveTarget(std::int64_t case_id, const std::string& name,
                                  std::optional<Instant> due, std::optional<Instant> stopped) {
  return Done(
      c_.Run("INSERT INTO case_targets(case_id, name, due_at, stopped_at) VALUES($1,$2,$3,$4) "
             "ON CONFLICT (case_id, name) DO UPDATE SET due_at=excluded.due_at, "
             "stopped_at=excluded.stopped_at",
             {case_id, name, OptMillis(due), OptMillis(stopped)}));
}

}  // namespace pg_case_internal

Status PostgresCaseStore::CheckLookupSecret(postgres::Database& db, const LookupSecret& secret) {
  return db.Read([&](Connection& c) -> Status {
    auto r = c.Query("SELECT secret_check FROM case_lookup_secret WHERE id=1");
    if (!r.ok()) return r.status();
    if (r->empty())
      return Status::Internal("PostgreSQL schema " + db.options().schema +
                              " has no look-up secret check (case_lookup_secret is empty)");
    if (r->Text(0, 0) != LookupSecretCheck(secret))
      return Status::FailedPrecondition(
          "this is another key than the one the case database's look-up codes were made with "
          "(PostgreSQL schema " +
          db.options().schema + "); restore the key file that belongs with this database");
    return Status();
  });
}

void PostgresCaseStore::Transact(std::function<Status(CaseTx&)> fn,
                                 std::function<void(const Status&)> done) {
  TransactKeyed({}, std::move(fn), std::move(done));
}

void PostgresCaseStore::TransactNewCase(const std::string& branch_id,
                                        std::function<Status(CaseTx&)> fn,
                                        std::function<void(const Status&)> done) {
  TransactKeyed("case_days:" + branch_id, std::move(fn), std::move(done));  // TakeSequence's row
}

void PostgresCaseStore::TransactFiring(std::function<Status(CaseTx&)> fn,
                                       std::function<void(const Status&)> done) {
  TransactKeyed("case_sla_events:cursor", std::move(fn), std::move(done));  // the cursor lock
}

void PostgresCaseStore::TransactKeyed(std::string serial, std::function<Status(CaseTx&)> fn,
                                      std::function<void(const Status&)> done) {
  db_.Transact(
      [fn = std::move(fn)](Connection& c) {
        pg_case_internal::PostgresCaseTx tx(c, /*locking=*/true);  // new per run: no held locks
        return fn(tx);
      },
      std::move(done), std::move(serial));
}

Status PostgresCaseStore::Read(const std::function<Status(CaseTx&)>& fn) {
  return db_.Read([&fn](Connection& c) {
    pg_case_internal::PostgresCaseTx tx(c, /*locking=*/false);
    return fn(tx);
  });
}

}  // namespace csops::cases
