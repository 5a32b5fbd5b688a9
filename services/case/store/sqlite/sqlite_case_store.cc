#include "services/case/store/sqlite/sqlite_case_store.h"

#include <sstream>

#include "services/case/domain/acceptance_number.h"

namespace csops::cases {

using sqlite::Connection;
using sqlite::Statement;

namespace {

// The payload SQL expression without the look-up link (which held a plain code until schema 6).
constexpr char kNoLookupUrl[] =
    "CASE WHEN json_valid(payload) AND json_type(payload, '$.lookup_url') IS NOT NULL "
    "THEN json_remove(payload, '$.lookup_url') ELSE payload END";

}  // namespace

// Schema 6: every verifier goes under the secret and no plain code is left. Cases whose code
// was still kept for retries (case_create_replies) get the HMAC verifier of that code; older
// ones keep their salted SHA-256, wrapped in an HMAC. Relayed outbox rows lose their look-up
// links (rows still waiting keep theirs until the relay hands them over). Freed content is
// overwritten (secure_delete), so the codes are not left in free pages either.
Status SqliteCaseStore::UpgradeLookupVerifiers(Connection& c, const LookupSecret& secret) {
  CSOPS_RETURN_IF_ERROR(c.Exec("PRAGMA secure_delete=ON"));
  {
    auto kept = c.Prepare(
        "SELECT c.id, c.acceptance_number, r.lookup_code FROM case_create_replies r "
        "JOIN cases c ON c.id = r.case_id");
    if (!kept.ok()) return kept.status();
    auto set = c.Prepare("UPDATE cases SET lookup_hash=?, lookup_salt='' WHERE id=?");
    if (!set.ok()) return set.status();
    for (;;) {
      auto row = kept->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      set->Bind(1, LookupVerifier(secret, kept->ColumnText(2), kept->ColumnText(1)));
      CSOPS_RETURN_IF_ERROR(set->Bind(2, kept->ColumnInt(0)).Run());
    }
  }
  {
    auto legacy =
        c.Prepare("SELECT id, lookup_hash FROM cases WHERE lookup_hash NOT LIKE 'hmac1%'");
    if (!legacy.ok()) return legacy.status();
    auto set = c.Prepare("UPDATE cases SET lookup_hash=? WHERE id=?");
    if (!set.ok()) return set.status();
    for (;;) {
      auto row = legacy->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      set->Bind(1, WrapLegacyVerifier(secret, legacy->ColumnText(1)));
      CSOPS_RETURN_IF_ERROR(set->Bind(2, legacy->ColumnInt(0)).Run());
    }
  }
  CSOPS_RETURN_IF_ERROR(c.Exec(std::string("UPDATE case_outbox SET payload=") + kNoLookupUrl +
                               " WHERE delivered_at IS NOT NULL"));
  CSOPS_RETURN_IF_ERROR(c.Exec("DROP TABLE case_create_replies"));
  auto check = c.Prepare("INSERT INTO case_lookup_secret(id, secret_check) VALUES(1, ?)");
  if (!check.ok()) return check.status();
  CSOPS_RETURN_IF_ERROR(check->Bind(1, LookupSecretCheck(secret)).Run());
  return c.Exec("PRAGMA secure_delete=OFF");
}

Status SqliteCaseStore::CheckLookupSecret(sqlite::Database& db, const LookupSecret& secret) {
  return db.Read([&](Connection& c) -> Status {
    auto st = c.Prepare("SELECT secret_check FROM case_lookup_secret WHERE id=1");
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Internal("case.db has no look-up secret check (schema 6)");
    if (st->ColumnText(0) != LookupSecretCheck(secret))
      return Status::FailedPrecondition(
          "this is another key than the one case.db's look-up codes were made with; restore the "
          "key file from the backup of this data directory");
    return Status();
  });
}

namespace {

constexpr char kCaseColumns[] =
    "id, acceptance_number, branch_id, business_day, sequence, type_code, status, received_via, "
    "summary, applicant_name, customer_number, phone, email, channels, locale, lookup_salt, "
    "lookup_hash, accepted_at, first_reply_at, closed_at, delay_reason, delay_new_date, "
    "idempotency_key, request_fingerprint, assignee_department, assignee_staff, resolution_ms, "
    "within_sla";

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

std::optional<Instant> OptInstant(const Statement& st, int col) {
  if (st.ColumnIsNull(col)) return std::nullopt;
  return FromUnixMillis(st.ColumnInt(col));
}

void BindOpt(Statement& st, int i, const std::optional<Instant>& v) {
  if (v) {
    st.Bind(i, ToUnixMillis(*v));
  } else {
    st.BindNull(i);
  }
}

Result<CaseRecord> ReadCase(const Statement& st) {
  CaseRecord c;
  c.id = st.ColumnInt(0);
  c.acceptance_number = st.ColumnText(1);
  c.branch_id = st.ColumnText(2);
  c.business_day = st.ColumnText(3);
  c.sequence = static_cast<int>(st.ColumnInt(4));
  c.type_code = st.ColumnText(5);
  auto status = ParseStatus(st.ColumnText(6));
  if (!status)
    return Status::Internal("case " + DisplayAcceptanceNumber(c.acceptance_number) +
                            " has an unknown status");
  c.status = *status;
  c.received_via = st.ColumnText(7);
  c.summary = st.ColumnText(8);
  c.applicant = {st.ColumnText(9),
                 st.ColumnText(10),
                 st.ColumnText(11),
                 st.ColumnText(12),
                 SplitChannels(st.ColumnText(13)),
                 st.ColumnText(14)};
  c.lookup_salt = st.ColumnText(15);
  c.lookup_hash = st.ColumnText(16);
  c.accepted_at = FromUnixMillis(st.ColumnInt(17));
  c.first_reply_at = OptInstant(st, 18);
  c.closed_at = OptInstant(st, 19);
  c.delay_reason = st.ColumnText(20);
  c.delay_new_date = st.ColumnText(21);
  c.idempotency_key = st.ColumnText(22);
  c.request_fingerprint = st.ColumnText(23);
  c.assignee_department = st.ColumnText(24);
  c.assignee_staff = st.ColumnText(25);
  if (!st.ColumnIsNull(26)) c.resolution_ms = st.ColumnInt(26);
  if (!st.ColumnIsNull(27)) c.within_sla = st.ColumnInt(27) != 0;
  return c;
}

// Every row of `st` as a case record.
Result<std::vector<CaseRecord>> ReadCases(Statement& st) {
  std::vector<CaseRecord> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    auto c = ReadCase(st);
    if (!c.ok()) return c.status();
    out.push_back(std::move(*c));
  }
}

class SqliteCaseTx final : public CaseTx {
 public:
  explicit SqliteCaseTx(Connection& c) : c_(c) {}

  Result<std::optional<CaseRecord>> One(Result<Statement>& st) {
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<CaseRecord>();
    auto c = ReadCase(*st);
    if (!c.ok()) return c.status();
    return std::optional<CaseRecord>(std::move(*c));
  }

  Result<std::optional<CaseRecord>> FindByNumber(const std::string& number) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kCaseColumns +
                               " FROM cases WHERE acceptance_number=?");
    if (st.ok()) st->Bind(1, number);
    return One(st);
  }

  Result<std::optional<CaseRecord>> FindByIdempotencyKey(const std::string& key) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kCaseColumns +
                               " FROM cases WHERE idempotency_key=?");
    if (st.ok()) st->Bind(1, key);
    return One(st);
  }

  Result<std::vector<StatusPeriod>> Periods(std::int64_t case_id) override {
    auto st = c_.PrepareCached(
        "SELECT status, begin_at, end_at FROM case_periods WHERE case_id=? ORDER BY begin_at, id");
    if (!st.ok()) return st.status();
    st->Bind(1, case_id);
    std::vector<StatusPeriod> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      auto s = ParseStatus(st->ColumnText(0));
      if (!s) return Status::Internal("case period with an unknown status");
      out.push_back({*s, FromUnixMillis(st->ColumnInt(1)), OptInstant(*st, 2)});
    }
  }

  Result<std::vector<HistoryRow>> History(std::int64_t case_id) override {
    auto st = c_.PrepareCached(
        "SELECT at, actor, kind, from_status, to_status, note FROM case_history WHERE case_id=? "
        "ORDER BY id");
    if (!st.ok()) return st.status();
    st->Bind(1, case_id);
    std::vector<HistoryRow> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      HistoryRow h{FromUnixMillis(st->ColumnInt(0)),
                   st->ColumnText(1),
                   st->ColumnText(2),
                   std::nullopt,
                   std::nullopt,
                   st->ColumnText(5)};
      if (!st->ColumnIsNull(3)) h.from = ParseStatus(st->ColumnText(3));
      if (!st->ColumnIsNull(4)) h.to = ParseStatus(st->ColumnText(4));
      out.push_back(std::move(h));
    }
  }

  Result<int> TakeSequence(const std::string& branch, const std::string& day) override {
    auto st = c_.PrepareCached(
        "INSERT INTO case_days(branch_id, business_day, last_sequence) VALUES(?, ?, 1) "
        "ON CONFLICT(branch_id, business_day) DO UPDATE SET last_sequence = last_sequence + 1 "
        "RETURNING last_sequence");
    if (!st.ok()) return st.status();
    st->Bind(1, branch).Bind(2, day);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Internal("sequence upsert returned no row");
    const int seq = static_cast<int>(st->ColumnInt(0));
    CSOPS_RETURN_IF_ERROR(st->Run());
    return seq;
  }

  Result<std::int64_t> InsertCase(const CaseRecord& c) override {
    auto st = c_.PrepareCached(
        "INSERT INTO cases(acceptance_number, branch_id, business_day, sequence, type_code, "
        "status, received_via, summary, applicant_name, customer_number, phone, email, channels, "
        "locale, lookup_salt, lookup_hash, accepted_at, idempotency_key, request_fingerprint) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, c.acceptance_number).Bind(2, c.branch_id).Bind(3, c.business_day);
    st->Bind(4, c.sequence).Bind(5, c.type_code).Bind(6, StatusName(c.status));
    st->Bind(7, c.received_via).Bind(8, c.summary).Bind(9, c.applicant.name);
    st->Bind(10, c.applicant.customer_number).Bind(11, c.applicant.phone);
    st->Bind(12, c.applicant.email).Bind(13, JoinChannels(c.applicant.channels));
    st->Bind(14, c.applicant.locale).Bind(15, c.lookup_salt).Bind(16, c.lookup_hash);
    st->Bind(17, ToUnixMillis(c.accepted_at));
    if (c.idempotency_key.empty()) {
      st->BindNull(18);
    } else {
      st->Bind(18, c.idempotency_key);
    }
    st->Bind(19, c.request_fingerprint);
    CSOPS_RETURN_IF_ERROR(st->Run());
    return c_.LastInsertRowId();
  }

  Status SaveCase(const CaseRecord& c) override {
    auto st = c_.PrepareCached(
        "UPDATE cases SET status=?, first_reply_at=?, closed_at=?, delay_reason=?, "
        "delay_new_date=?, assignee_department=?, assignee_staff=?, resolution_ms=?, "
        "within_sla=? WHERE id=?");
    if (!st.ok()) return st.status();
    st->Bind(1, StatusName(c.status));
    BindOpt(*st, 2, c.first_reply_at);
    BindOpt(*st, 3, c.closed_at);
    st->Bind(4, c.delay_reason).Bind(5, c.delay_new_date).Bind(6, c.assignee_department);
    st->Bind(7, c.assignee_staff);
    if (c.resolution_ms) {
      st->Bind(8, *c.resolution_ms);
    } else {
      st->BindNull(8);
    }
    if (c.within_sla) {
      st->Bind(9, *c.within_sla ? 1 : 0);
    } else {
      st->BindNull(9);
    }
    st->Bind(10, c.id);
    return st->Run();
  }

  Status OpenPeriod(std::int64_t case_id, CaseStatus status, Instant begin) override {
    auto st = c_.PrepareCached("INSERT INTO case_periods(case_id, status, begin_at) VALUES(?,?,?)");
    if (!st.ok()) return st.status();
    return st->Bind(1, case_id).Bind(2, StatusName(status)).Bind(3, ToUnixMillis(begin)).Run();
  }

  Status ClosePeriods(std::int64_t case_id, Instant end) override {
    auto st =
        c_.PrepareCached("UPDATE case_periods SET end_at=? WHERE case_id=? AND end_at IS NULL");
    if (!st.ok()) return st.status();
    return st->Bind(1, ToUnixMillis(end)).Bind(2, case_id).Run();
  }

  Status AppendHistory(std::int64_t case_id, const HistoryRow& h) override {
    auto st = c_.PrepareCached(
        "INSERT INTO case_history(case_id, at, actor, kind, from_status, to_status, note) "
        "VALUES(?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, case_id).Bind(2, ToUnixMillis(h.at)).Bind(3, h.actor).Bind(4, h.kind);
    if (h.from) {
      st->Bind(5, StatusName(*h.from));
    } else {
      st->BindNull(5);
    }
    if (h.to) {
      st->Bind(6, StatusName(*h.to));
    } else {
      st->BindNull(6);
    }
    return st->Bind(7, h.note).Run();
  }

  Status InsertOutbox(const OutboxRow& r) override {
    auto st = c_.PrepareCached(
        "INSERT INTO case_outbox(case_id, kind, channel, recipient, payload, created_at) "
        "VALUES(?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, r.case_id).Bind(2, r.kind).Bind(3, ChannelName(r.channel));
    return st->Bind(4, r.recipient).Bind(5, r.payload).Bind(6, ToUnixMillis(r.created_at)).Run();
  }

  Result<bool> RecordSlaEvent(std::int64_t case_id, const std::string& target,
                              const std::string& event, Instant due_at, Instant fired_at,
                              bool late) override {
    auto st = c_.PrepareCached(
        "INSERT INTO case_sla_events(case_id, target, event, due_at, fired_at, late) "
        "VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING");
    if (!st.ok()) return st.status();
    st->Bind(1, case_id).Bind(2, target).Bind(3, event).Bind(4, ToUnixMillis(due_at));
    CSOPS_RETURN_IF_ERROR(st->Bind(5, ToUnixMillis(fired_at)).Bind(6, late ? 1 : 0).Run());
    return c_.Changes() == 1;
  }

  Result<std::vector<std::string>> FiredSlaEvents(std::int64_t case_id) override {
    auto st = c_.PrepareCached("SELECT target, event FROM case_sla_events WHERE case_id=?");
    if (!st.ok()) return st.status();
    st->Bind(1, case_id);
    std::vector<std::string> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(SlaEventKey(st->ColumnText(0), st->ColumnText(1)));
    }
  }

  Result<std::vector<CaseRecord>> ListCases(const CaseFilter& f, std::int64_t after_id,
                                            int limit) override {
    auto st = c_.PrepareCached(
        std::string("SELECT ") + kCaseColumns +
        " FROM cases WHERE id > ?1 AND (?2 = '' OR status = ?2) AND (?3 = '' OR type_code = ?3) "
        "AND (?4 = '' OR branch_id = ?4) AND (?5 = '' OR assignee_staff = ?5) "
        "ORDER BY id LIMIT ?6");
    if (!st.ok()) return st.status();
    st->Bind(1, after_id).Bind(2, f.status).Bind(3, f.type_code).Bind(4, f.branch_id);
    st->Bind(5, f.assignee).Bind(6, limit);
    return ReadCases(*st);
  }

  Result<std::vector<CaseRecord>> ClosedBetween(Instant from, Instant to, const std::string& branch,
                                                const std::string& type) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kCaseColumns +
                               " FROM cases WHERE closed_at >= ?1 AND closed_at < ?2 AND "
                               "(?3 = '' OR branch_id = ?3) AND (?4 = '' OR type_code = ?4) "
                               "ORDER BY id");
    if (!st.ok()) return st.status();
    st->Bind(1, ToUnixMillis(from)).Bind(2, ToUnixMillis(to)).Bind(3, branch).Bind(4, type);
    return ReadCases(*st);
  }

  Result<std::vector<DelayRow>> DelaysBetween(Instant from, Instant to, const std::string& branch,
                                              const std::string& type, int limit) override {
    // 'delay' is history_kind::kDelay, written out so the partial index of schema 4 applies.
    static_assert(std::string_view(history_kind::kDelay) == "delay");
    auto st = c_.PrepareCached(
        "SELECT c.acceptance_number, c.type_code, c.branch_id, h.at, h.note FROM case_history h "
        "JOIN cases c ON c.id = h.case_id WHERE h.kind = 'delay' AND h.at >= ?1 AND h.at < ?2 "
        "AND (?3 = '' OR c.branch_id = ?3) AND (?4 = '' OR c.type_code = ?4) "
        "ORDER BY h.at, h.id LIMIT ?5");
    if (!st.ok()) return st.status();
    st->Bind(1, ToUnixMillis(from)).Bind(2, ToUnixMillis(to)).Bind(3, branch).Bind(4, type);
    st->Bind(5, limit);
    std::vector<DelayRow> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      DelayNoteParts note = ParseDelayNote(st->ColumnText(4));
      out.push_back({st->ColumnText(0), st->ColumnText(1), st->ColumnText(2),
                     FromUnixMillis(st->ColumnInt(3)), std::move(note.reason),
                     std::move(note.new_date)});
    }
  }

  Result<std::vector<PendingOutboxRow>> PendingOutbox(int limit) override {
    auto st = c_.PrepareCached(
        "SELECT o.id, c.acceptance_number, c.branch_id, c.locale, o.kind, o.channel, o.recipient, "
        "o.payload, coalesce(c.idempotency_key, '') FROM case_outbox o "
        "JOIN cases c ON c.id = o.case_id "
        "WHERE o.delivered_at IS NULL ORDER BY o.id LIMIT ?");
    if (!st.ok()) return st.status();
    st->Bind(1, limit);
    std::vector<PendingOutboxRow> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      PendingOutboxRow r;
      r.id = st->ColumnInt(0);
      r.acceptance_number = st->ColumnText(1);
      r.branch_id = st->ColumnText(2);
      r.locale = st->ColumnText(3);
      r.kind = st->ColumnText(4);
      r.channel = ParseChannel(st->ColumnText(5)).value_or(NoticeChannel::kNone);
      r.recipient = st->ColumnText(6);
      r.payload = st->ColumnText(7);
      r.idempotency_key = st->ColumnText(8);
      out.push_back(std::move(r));
    }
  }

  Status MarkOutboxRelayed(std::int64_t id, Instant at, const std::string& refusal) override {
    auto st = c_.PrepareCached("UPDATE case_outbox SET delivered_at=?, relay_error=?, payload=" +
                               std::string(kNoLookupUrl) + " WHERE id=? AND delivered_at IS NULL");
    if (!st.ok()) return st.status();
    return st->Bind(1, ToUnixMillis(at)).Bind(2, refusal).Bind(3, id).Run();
  }

  Status SaveSlaSummary(std::int64_t case_id, std::optional<Instant> next,
                        SlaState worst) override {
    auto st = c_.PrepareCached("UPDATE cases SET next_event_at=?, sla_state=? WHERE id=?");
    if (!st.ok()) return st.status();
    BindOpt(*st, 1, next);
    return st->Bind(2, SlaStateName(worst)).Bind(3, case_id).Run();
  }

  Result<std::vector<std::pair<std::string, Instant>>> ScheduledEvents() override {
    auto st = c_.PrepareCached(
        "SELECT acceptance_number, next_event_at FROM cases WHERE next_event_at IS NOT NULL");
    if (!st.ok()) return st.status();
    std::vector<std::pair<std::string, Instant>> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.emplace_back(st->ColumnText(0), FromUnixMillis(st->ColumnInt(1)));
    }
  }

  Result<std::vector<std::pair<std::string, Instant>>> ScheduledEventsDue(
      Instant until, const std::pair<std::string, Instant>& after, int limit) override {
    auto st = c_.PrepareCached(
        "SELECT acceptance_number, next_event_at FROM cases WHERE next_event_at IS NOT NULL AND "
        "next_event_at <= ? AND (next_event_at, acceptance_number) > (?, ?) "
        "ORDER BY next_event_at, acceptance_number LIMIT ?");
    if (!st.ok()) return st.status();
    st->Bind(1, ToUnixMillis(until))
        .Bind(2, ToUnixMillis(after.second))
        .Bind(3, after.first)
        .Bind(4, static_cast<std::int64_t>(limit));
    std::vector<std::pair<std::string, Instant>> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.emplace_back(st->ColumnText(0), FromUnixMillis(st->ColumnInt(1)));
    }
  }

  Result<std::vector<CaseRecord>> OpenCasesAfter(std::int64_t after_id, int limit,
                                                 bool all) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kCaseColumns +
                               " FROM cases WHERE id > ?1 AND closed_at IS NULL AND "
                               "(?2 OR sla_state IS NULL) ORDER BY id LIMIT ?3");
    if (!st.ok()) return st.status();
    st->Bind(1, after_id).Bind(2, all ? 1 : 0).Bind(3, limit);
    return ReadCases(*st);
  }

  Result<std::vector<OpenCount>> CountOpen(const std::string& branch) override {
    auto st = c_.PrepareCached(
        "SELECT type_code, sla_state, count(*) FROM cases WHERE closed_at IS NULL AND "
        "(?1 = '' OR branch_id = ?1) GROUP BY type_code, sla_state");
    if (!st.ok()) return st.status();
    st->Bind(1, branch);
    std::vector<OpenCount> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      auto state = ParseSlaState(st->ColumnIsNull(1) ? "" : st->ColumnText(1));
      if (!state) return Status::Internal("a case has no stored SLA state");
      out.push_back({st->ColumnText(0), *state, st->ColumnInt(2)});
    }
  }

  Result<std::vector<DueAfterCount>> CountDueFrom(const std::string& branch,
                                                  Instant from) override {
    auto st = c_.PrepareCached(
        "SELECT c.type_code, t.name, count(*) FROM case_targets t JOIN cases c ON c.id = t.case_id "
        "WHERE t.stopped_at IS NULL AND t.due_at >= ?2 AND c.closed_at IS NULL AND "
        "c.branch_id = ?1 GROUP BY c.type_code, t.name");
    if (!st.ok()) return st.status();
    st->Bind(1, branch).Bind(2, ToUnixMillis(from));
    std::vector<DueAfterCount> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back({st->ColumnText(0), st->ColumnText(1), st->ColumnInt(2)});
    }
  }

  Status SaveTarget(std::int64_t case_id, const std::string& name, std::optional<Instant> due,
                    std::optional<Instant> stopped) override {
    auto st = c_.PrepareCached(
        "INSERT INTO case_targets(case_id, name, due_at, stopped_at) VALUES(?,?,?,?) "
        "ON CONFLICT(case_id, name) DO UPDATE SET due_at=excluded.due_at, "
        "stopped_at=excluded.stopped_at");
    if (!st.ok()) return st.status();
    st->Bind(1, case_id).Bind(2, name);
    BindOpt(*st, 3, due);
    BindOpt(*st, 4, stopped);
    return st->Run();
  }

  Result<std::int64_t> SlaEventCursor(std::int64_t case_id, const std::string& target,
                                      const std::string& event) override {
    auto st = c_.PrepareCached(
        "SELECT cursor FROM case_sla_events WHERE case_id=? AND target=? AND event=?");
    if (!st.ok()) return st.status();
    st->Bind(1, case_id).Bind(2, target).Bind(3, event);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row || st->ColumnIsNull(0))
      return Status::NotFound("SLA event " + target + "/" + event + " of case " +
                              std::to_string(case_id) + " has no cursor");
    return st->ColumnInt(0);
  }

  Result<std::vector<SlaEventRow>> SlaEventsAfter(std::int64_t after, const std::string& branch,
                                                  const std::string& type, int limit) override {
    auto st = c_.PrepareCached(
        "SELECT e.cursor, c.acceptance_number, c.type_code, c.branch_id, e.target, e.event, "
        "e.due_at, e.fired_at, e.late FROM case_sla_events e JOIN cases c ON c.id = e.case_id "
        "WHERE e.cursor > ?1 AND (?2 = '' OR c.branch_id = ?2) AND (?3 = '' OR c.type_code = ?3) "
        "ORDER BY e.cursor LIMIT ?4");
    if (!st.ok()) return st.status();
    st->Bind(1, after).Bind(2, branch).Bind(3, type).Bind(4, limit);
    std::vector<SlaEventRow> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back({st->ColumnInt(0), st->ColumnText(1), st->ColumnText(2), st->ColumnText(3),
                     st->ColumnText(4), st->ColumnText(5), FromUnixMillis(st->ColumnInt(6)),
                     FromUnixMillis(st->ColumnInt(7)), st->ColumnInt(8) != 0});
    }
  }

  Result<std::int64_t> NewestSlaEventCursor() override {
    auto st = c_.PrepareCached("SELECT COALESCE(MAX(cursor), 0) FROM case_sla_events");
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return *row ? st->ColumnInt(0) : 0;
  }

 private:
  Connection& c_;
};

}  // namespace

void SqliteCaseStore::Transact(std::function<Status(CaseTx&)> fn,
                               std::function<void(const Status&)> done) {
  db_.WriteAsync(
      [fn = std::move(fn)](Connection& c) {
        SqliteCaseTx tx(c);
        return fn(tx);
      },
      std::move(done));
}

Status SqliteCaseStore::Read(const std::function<Status(CaseTx&)>& fn) {
  return db_.Read([&fn](Connection& c) {
    CSOPS_RETURN_IF_ERROR(c.Exec("BEGIN"));
    SqliteCaseTx tx(c);
    Status s = fn(tx);
    c.Exec("COMMIT");
    return s;
  });
}

}  // namespace csops::cases
