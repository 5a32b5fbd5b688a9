// Internal to PostgresCaseStore (postgres_case_store.h): its CaseTx, whose methods are defined
// in postgres_case_store.cc (one case's rows, sequences, the case locks) and
// postgres_case_queries.cc (the outbox, the SLA event log, queries across cases). Not for
// other files.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/postgres/connection.h"
#include "services/case/store/case_store.h"

namespace csops::cases::pg_case_internal {

// The columns ReadCase reads, in its order.
inline constexpr char kCaseColumns[] =
    "id, acceptance_number, branch_id, business_day, sequence, type_code, status, received_via, "
    "summary, applicant_name, customer_number, phone, email, channels, locale, lookup_salt, "
    "lookup_hash, accepted_at, first_reply_at, closed_at, delay_reason, delay_new_date, "
    "idempotency_key, request_fingerprint, assignee_department, assignee_staff, resolution_ms, "
    "within_sla";

// Every row of `r` (columns kCaseColumns) as a case record; kInternal on an unknown status.
Result<std::vector<CaseRecord>> ReadCases(const postgres::Rows& r);
// An instant as the parameter of a BIGINT ms column (NULL when unset).
postgres::Value OptMillis(const std::optional<Instant>& v);
std::optional<Instant> OptInstant(const postgres::Rows& r, int row, int col);
inline Status Done(const Result<int>& r) { return r.ok() ? Status::Ok() : r.status(); }

class PostgresCaseTx final : public CaseTx {
 public:
  // `locking`: a write transaction (Transact), which takes the row locks of
  // postgres_case_store.h before it reads; a read on a snapshot (Read) takes none.
  PostgresCaseTx(postgres::Connection& c, bool locking) : c_(c), locking_(locking) {}

  // postgres_case_store.cc
  Result<std::optional<CaseRecord>> FindByNumber(const std::string& acceptance_number) override;
  Result<std::optional<CaseRecord>> FindByIdempotencyKey(const std::string& key) override;
  Result<std::vector<StatusPeriod>> Periods(std::int64_t case_id) override;
  Result<std::vector<HistoryRow>> History(std::int64_t case_id) override;
  Result<int> TakeSequence(const std::string& branch, const std::string& day) override;
  Result<std::int64_t> InsertCase(const CaseRecord& c) override;
  Status SaveCase(const CaseRecord& c) override;
  Status OpenPeriod(std::int64_t case_id, CaseStatus status, Instant begin) override;
  Status ClosePeriods(std::int64_t case_id, Instant end) override;
  Status AppendHistory(std::int64_t case_id, const HistoryRow& row) override;
  Status SaveSlaSummary(std::int64_t case_id, std::optional<Instant> next, SlaState worst) override;
  Status SaveTarget(std::int64_t case_id, const std::string& name, std::optional<Instant> due,
                    std::optional<Instant> stopped) override;
  Result<std::vector<CaseRecord>> OpenCasesAfter(std::int64_t after_id, int limit,
                                                 bool all) override;

  // postgres_case_queries.cc
  Status InsertOutbox(const OutboxRow& row) override;
  Result<std::vector<PendingOutboxRow>> PendingOutbox(int limit) override;
  Status MarkOutboxRelayed(std::int64_t id, Instant at, const std::string& refusal) override;
  Result<bool> RecordSlaEvent(std::int64_t case_id, const std::string& target,
                              const std::string& event, Instant due_at, Instant fired_at,
                              bool late) override;
  Result<std::vector<std::string>> FiredSlaEvents(std::int64_t case_id) override;
  Result<std::int64_t> SlaEventCursor(std::int64_t case_id, const std::string& target,
                                      const std::string& event) override;
  Result<std::vector<SlaEventRow>> SlaEventsAfter(std::int64_t after, const std::string& branch,
                                                  const std::string& type, int limit) override;
  Result<std::int64_t> NewestSlaEventCursor() override;
  Result<std::vector<CaseRecord>> ListCases(const CaseFilter& f, std::int64_t after_id,
                                            int limit) override;
  Result<std::vector<DelayRow>> DelaysBetween(Instant from, Instant to, const std::string& branch,
                                              const std::string& type, int limit) override;
  Result<std::vector<CaseRecord>> ClosedBetween(Instant from, Instant to, const std::string& branch,
                                                const std::string& type) override;
  Result<std::vector<std::pair<std::string, Instant>>> ScheduledEvents() override;
  Result<std::vector<std::pair<std::string, Instant>>> ScheduledEventsDue(
      Instant until, const std::pair<std::string, Instant>& after, int limit) override;
  Result<std::vector<OpenCount>> CountOpen(const std::string& branch) override;
  Result<std::vector<DueAfterCount>> CountDueFrom(const std::string& branch, Instant from) override;

 private:
  // Locks case `number` (whose row id is `id`) unless this transaction holds it already.
  Status LockCase(const std::string& number, std::int64_t id);
  // Before a read of one case's rows: locks the case with row id `case_id` if this
  // transaction has not (a case that does not exist, or not yet for this transaction, has
  // nothing to lock).
  Status EnsureCaseLocked(std::int64_t case_id);
  Result<std::optional<CaseRecord>> OneCase(const std::string& where, const postgres::Params& p);
  Result<std::vector<CaseRecord>> Cases(const std::string& sql, const postgres::Params& p);

  postgres::Connection& c_;
  const bool locking_;
  std::set<std::int64_t> locked_;  // row ids of the cases this transaction holds the lock of
};

}  // namespace csops::cases::pg_case_internal
