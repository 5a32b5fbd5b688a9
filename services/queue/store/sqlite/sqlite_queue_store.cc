#include "services/queue/store/sqlite/sqlite_queue_store.h"

#include "services/queue/store/expire_tickets.h"

namespace csops::queue {

using sqlite::Connection;
using sqlite::Statement;

namespace {

constexpr char kTicketColumns[] =
    "id, branch_id, business_day, number, display, service_code, state, priority, channel, "
    "issued_at, queued_at, first_called_at, called_at, serving_at, finished_at, counter_id, "
    "calls, transferred, transfer_note, reserved_counter, contact_kind, contact_address, "
    "near_notified, estimated_wait_ms, idempotency_key, request_fingerprint, outcome, rating";

std::optional<Instant> OptInstant(const Statement& st, int col) {
  if (st.ColumnIsNull(col)) return std::nullopt;
  return FromUnixMillis(st.ColumnInt(col));
}

Result<TicketRecord> ReadTicket(const Statement& st) {
  TicketRecord t;
  t.id = st.ColumnInt(0);
  t.branch_id = st.ColumnText(1);
  t.business_day = st.ColumnText(2);
  t.number = static_cast<int>(st.ColumnInt(3));
  t.display = st.ColumnText(4);
  t.service_code = st.ColumnText(5);
  auto state = ParseState(st.ColumnText(6));
  auto priority = ParsePriority(st.ColumnText(7));
  auto channel = ParseChannel(st.ColumnText(8));
  auto contact = ParseContactKind(st.ColumnText(20));
  if (!state || !priority || !channel || !contact)
    return Status::Internal("ticket row " + std::to_string(t.id) + " has an unknown enum value");
  t.state = *state;
  t.priority = *priority;
  t.channel = *channel;
  t.issued_at = FromUnixMillis(st.ColumnInt(9));
  t.queued_at = FromUnixMillis(st.ColumnInt(10));
  t.first_called_at = OptInstant(st, 11);
  t.called_at = OptInstant(st, 12);
  t.serving_at = OptInstant(st, 13);
  t.finished_at = OptInstant(st, 14);
  t.counter_id = st.ColumnText(15);
  t.calls = static_cast<int>(st.ColumnInt(16));
  t.transferred = st.ColumnInt(17) != 0;
  t.transfer_note = st.ColumnText(18);
  t.reserved_counter_id = st.ColumnText(19);
  t.contact_kind = *contact;
  t.contact_address = st.ColumnText(21);
  t.near_notified = st.ColumnInt(22) != 0;
  t.estimated_wait_ms = st.ColumnInt(23);
  t.idempotency_key = st.ColumnText(24);
  t.request_fingerprint = st.ColumnText(25);
  t.outcome = ParseOutcome(st.ColumnText(26)).value_or(Outcome::kNone);
  t.rating = static_cast<int>(st.ColumnInt(27));
  return t;
}

void BindOpt(Statement& st, int index, const std::optional<Instant>& v) {
  if (v) {
    st.Bind(index, ToUnixMillis(*v));
  } else {
    st.BindNull(index);
  }
}

class SqliteQueueTx final : public QueueTx {
 public:
  explicit SqliteQueueTx(Connection& c) : c_(c) {}

  Result<std::optional<TicketRecord>> OneTicket(Result<Statement>& st) {
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<TicketRecord>();
    auto t = ReadTicket(*st);
    if (!t.ok()) return t.status();
    return std::optional<TicketRecord>(std::move(*t));
  }

  Result<std::vector<TicketRecord>> Tickets(Result<Statement>& st) {
    if (!st.ok()) return st.status();
    std::vector<TicketRecord> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      auto t = ReadTicket(*st);
      if (!t.ok()) return t.status();
      out.push_back(std::move(*t));
    }
  }

  Result<std::optional<TicketRecord>> FindTicket(const std::string& branch, const std::string& day,
                                                 const std::string& display) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kTicketColumns +
                               " FROM tickets WHERE branch_id=? AND business_day=? AND display=?");
    if (st.ok()) st->Bind(1, branch).Bind(2, day).Bind(3, display);
    return OneTicket(st);
  }

  Result<std::optional<TicketRecord>> FindTicketById(std::int64_t id) override {
    auto st =
        c_.PrepareCached(std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE id=?");
    if (st.ok()) st->Bind(1, id);
    return OneTicket(st);
  }

  Result<std::optional<TicketRecord>> FindByIdempotencyKey(const std::string& branch,
                                                           const std::string& key) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kTicketColumns +
                               " FROM tickets WHERE branch_id=? AND idempotency_key=?");
    if (st.ok()) st->Bind(1, branch).Bind(2, key);
    return OneTicket(st);
  }

  Result<ServiceDay> GetServiceDay(const std::string& branch, const std::string& day,
                                   const std::string& service) override {
    auto st = c_.PrepareCached(
        "SELECT last_number, waiting, last_called, avg_service_ms, service_samples FROM "
        "service_days WHERE branch_id=? AND business_day=? AND service_code=?");
    if (!st.ok()) return st.status();
    st->Bind(1, branch).Bind(2, day).Bind(3, service);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    ServiceDay d;
    if (*row) {
      d.last_number = static_cast<int>(st->ColumnInt(0));
      d.waiting = static_cast<int>(st->ColumnInt(1));
      d.last_called = st->ColumnText(2);
      d.avg_service_ms = st->ColumnDouble(3);
      d.service_samples = static_cast<int>(st->ColumnInt(4));
    }
    return d;
  }

  Result<std::vector<Candidate>> WaitingHeads(const std::string& branch, const std::string& day,
                                              const std::vector<std::string>& services,
                                              const std::string& counter_id) override {
    auto st = c_.PrepareCached(
        "SELECT id, queued_at FROM tickets WHERE branch_id=? AND business_day=? AND "
        "service_code=? AND state='waiting' AND qclass=? AND reserved_counter IN ('', ?) "
        "ORDER BY queued_at, id LIMIT 1");
    if (!st.ok()) return st.status();
    std::vector<Candidate> out;
    for (const auto& service : services) {
      for (int cls = 0; cls <= 2; ++cls) {
        st->Reset();
        st->Bind(1, branch).Bind(2, day).Bind(3, service).Bind(4, cls).Bind(5, counter_id);
        auto row = st->Step();
        if (!row.ok()) return row.status();
        if (!*row) continue;
        out.push_back(Candidate{st->ColumnInt(0), service, static_cast<QueueClass>(cls),
                                FromUnixMillis(st->ColumnInt(1))});
      }
    }
    return out;
  }

  Result<std::vector<TicketRecord>> WaitingInOrder(const std::string& branch,
                                                   const std::string& day,
                                                   const std::string& service, int limit) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kTicketColumns +
                               " FROM tickets WHERE branch_id=? AND business_day=? AND "
                               "service_code=? AND state='waiting' ORDER BY qclass, queued_at, "
                               "id LIMIT ?");
    if (st.ok()) st->Bind(1, branch).Bind(2, day).Bind(3, service).Bind(4, limit);
    return Tickets(st);
  }

  Result<int> CountAhead(const TicketRecord& t) override {
    auto st = c_.PrepareCached(
        "SELECT COUNT(*) FROM tickets WHERE branch_id=?1 AND business_day=?2 AND "
        "service_code=?3 AND state='waiting' AND (qclass<?4 OR (qclass=?4 AND (queued_at<?5 OR "
        "(queued_at=?5 AND id<?6))))");
    if (!st.ok()) return st.status();
    st->Bind(1, t.branch_id).Bind(2, t.business_day).Bind(3, t.service_code);
    st->Bind(4, static_cast<int>(ClassOf(t))).Bind(5, ToUnixMillis(t.queued_at)).Bind(6, t.id);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return static_cast<int>(st->ColumnInt(0));
  }

  Result<std::optional<Instant>> OldestWaiting(const std::string& branch, const std::string& day,
                                               const std::string& service) override {
    auto st = c_.PrepareCached(
        "SELECT MIN(queued_at) FROM tickets WHERE branch_id=? AND business_day=? AND "
        "service_code=? AND state='waiting'");
    if (!st.ok()) return st.status();
    st->Bind(1, branch).Bind(2, day).Bind(3, service);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row || st->ColumnIsNull(0)) return std::optional<Instant>();
    return std::optional<Instant>(FromUnixMillis(st->ColumnInt(0)));
  }

  Result<std::vector<CounterRecord>> Counters(const std::string& branch) override {
    auto st = c_.PrepareCached(
        "SELECT counter_id, state, staff_id, services, priority_streak, changed_at FROM counters "
        "WHERE branch_id=? ORDER BY counter_id");
    if (!st.ok()) return st.status();
    st->Bind(1, branch);
    std::vector<CounterRecord> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      CounterRecord c;
      c.branch_id = branch;
      c.counter_id = st->ColumnText(0);
      auto state = ParseCounterState(st->ColumnText(1));
      if (!state) return Status::Internal("counter " + c.counter_id + " has an unknown state");
      c.state = *state;
      c.staff_id = st->ColumnText(2);
      c.services = SplitServiceCodes(st->ColumnText(3));
      c.priority_streak = static_cast<int>(st->ColumnInt(4));
      c.changed_at = FromUnixMillis(st->ColumnInt(5));
      out.push_back(std::move(c));
    }
  }

  Result<std::optional<TicketRecord>> HeldByCounter(const std::string& branch,
                                                    const std::string& day,
                                                    const std::string& counter_id) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kTicketColumns +
                               " FROM tickets WHERE branch_id=? AND business_day=? AND "
                               "counter_id=? AND state IN ('called','serving') LIMIT 1");
    if (st.ok()) st->Bind(1, branch).Bind(2, day).Bind(3, counter_id);
    return OneTicket(st);
  }

  Result<std::vector<NearTurnNotice>> ListNotices(const std::string& branch, int limit) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kNoticeColumns +
                               " FROM near_turn_outbox WHERE branch_id=? ORDER BY id LIMIT ?");
    if (!st.ok()) return st.status();
    st->Bind(1, branch).Bind(2, limit);
    return ReadNotices(*st);
  }

  Result<std::vector<NearTurnNotice>> PendingNotices(int limit) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kNoticeColumns +
                               " FROM near_turn_outbox WHERE delivered_at IS NULL ORDER BY id "
                               "LIMIT ?");
    if (!st.ok()) return st.status();
    st->Bind(1, limit);
    return ReadNotices(*st);
  }

  Result<std::vector<RecentCall>> RecentCalls(const std::string& branch, const std::string& day,
                                              int limit) override {
    auto st = c_.PrepareCached(
        "SELECT display, counter_id, service_code, called_at FROM tickets WHERE branch_id = ? AND "
        "business_day = ? AND called_at IS NOT NULL ORDER BY called_at DESC, id DESC LIMIT ?");
    if (!st.ok()) return st.status();
    st->Bind(1, branch).Bind(2, day).Bind(3, limit);
    std::vector<RecentCall> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back({st->ColumnText(0), st->ColumnText(1), st->ColumnText(2),
                     FromUnixMillis(st->ColumnInt(3))});
    }
  }

  Result<std::vector<VisitRow>> VisitRows(const std::string& branch, Instant issued_from,
                                          Instant issued_to) override {
    auto st = c_.PrepareCached(
        "SELECT branch_id, origin_service, service_code, state, issued_at, first_called_at, "
        "finished_at, rating FROM tickets WHERE issued_at >= ?1 AND issued_at < ?2 AND "
        "(?3 = '' OR branch_id = ?3) ORDER BY issued_at, id");
    if (!st.ok()) return st.status();
    st->Bind(1, ToUnixMillis(issued_from)).Bind(2, ToUnixMillis(issued_to)).Bind(3, branch);
    std::vector<VisitRow> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      VisitRow v;
      v.branch_id = st->ColumnText(0);
      v.origin_service = st->ColumnText(1);
      v.service_code = st->ColumnText(2);
      auto state = ParseState(st->ColumnText(3));
      if (!state) return Status::Internal("ticket state '" + st->ColumnText(3) + "' unknown");
      v.state = *state;
      v.issued_at = FromUnixMillis(st->ColumnInt(4));
      v.first_called_at = OptInstant(*st, 5);
      v.finished_at = OptInstant(*st, 6);
      v.rating = static_cast<int>(st->ColumnInt(7));
      out.push_back(std::move(v));
    }
  }

  static constexpr char kNoticeColumns[] =
      "id, ticket_id, ticket_display, business_day, people_ahead, contact_kind, "
      "contact_address, created_at, delivered_at IS NOT NULL, branch_id, relay_error";

  static Result<std::vector<NearTurnNotice>> ReadNotices(Statement& st) {
    std::vector<NearTurnNotice> out;
    for (;;) {
      auto row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      NearTurnNotice n;
      n.id = st.ColumnInt(0);
      n.ticket_id = st.ColumnInt(1);
      n.ticket_display = st.ColumnText(2);
      n.business_day = st.ColumnText(3);
      n.people_ahead = static_cast<int>(st.ColumnInt(4));
      n.contact_kind = ParseContactKind(st.ColumnText(5)).value_or(ContactKind::kNone);
      n.contact_address = st.ColumnText(6);
      n.created_at = FromUnixMillis(st.ColumnInt(7));
      n.delivered = st.ColumnInt(8) != 0;
      n.branch_id = st.ColumnText(9);
      n.relay_error = st.ColumnText(10);
      out.push_back(std::move(n));
    }
  }

  Status AdjustWaiting(const std::string& branch, const std::string& day,
                       const std::string& service, int delta) {
    auto st = c_.PrepareCached(
        "INSERT INTO service_days(branch_id, business_day, service_code, waiting) "
        "VALUES(?1, ?2, ?3, max(?4, 0)) ON CONFLICT(branch_id, business_day, service_code) "
        "DO UPDATE SET waiting = max(waiting + ?4, 0)");
    if (!st.ok()) return st.status();
    return st->Bind(1, branch).Bind(2, day).Bind(3, service).Bind(4, delta).Run();
  }

  Result<ServiceDay> TakeNumber(const std::string& branch, const std::string& day,
                                const std::string& service, int first_number) override {
    auto st = c_.PrepareCached(
        "INSERT INTO service_days(branch_id, business_day, service_code, last_number, waiting) "
        "VALUES(?1, ?2, ?3, ?4, 1) ON CONFLICT(branch_id, business_day, service_code) DO UPDATE "
        "SET last_number = CASE WHEN last_number = 0 THEN ?4 ELSE last_number + 1 END, "
        "waiting = waiting + 1 "
        "RETURNING last_number, waiting, last_called, avg_service_ms, service_samples");
    if (!st.ok()) return st.status();
    st->Bind(1, branch).Bind(2, day).Bind(3, service).Bind(4, first_number);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Internal("service day upsert returned no row");
    ServiceDay d;
    d.last_number = static_cast<int>(st->ColumnInt(0));
    d.waiting = static_cast<int>(st->ColumnInt(1));
    d.last_called = st->ColumnText(2);
    d.avg_service_ms = st->ColumnDouble(3);
    d.service_samples = static_cast<int>(st->ColumnInt(4));
    CSOPS_RETURN_IF_ERROR(st->Run());  // finish the statement so the upsert completes
    return d;
  }

  Result<std::int64_t> InsertTicket(const TicketRecord& t) override {
    auto st = c_.PrepareCached(
        "INSERT INTO tickets(branch_id, business_day, number, display, origin_service, "
        "service_code, state, qclass, priority, channel, issued_at, queued_at, contact_kind, "
        "contact_address, estimated_wait_ms, idempotency_key, request_fingerprint) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, t.branch_id).Bind(2, t.business_day).Bind(3, t.number).Bind(4, t.display);
    st->Bind(5, t.service_code).Bind(6, t.service_code).Bind(7, StateName(t.state));
    st->Bind(8, static_cast<int>(ClassOf(t))).Bind(9, PriorityName(t.priority));
    st->Bind(10, ChannelName(t.channel)).Bind(11, ToUnixMillis(t.issued_at));
    st->Bind(12, ToUnixMillis(t.queued_at)).Bind(13, ContactKindName(t.contact_kind));
    st->Bind(14, t.contact_address).Bind(15, t.estimated_wait_ms);
    if (t.idempotency_key.empty()) {
      st->BindNull(16);
    } else {
      st->Bind(16, t.idempotency_key);
    }
    st->Bind(17, t.request_fingerprint);
    CSOPS_RETURN_IF_ERROR(st->Run());
    return c_.LastInsertRowId();
  }

  Status SaveTicket(const TicketRecord& before, const TicketRecord& t) override {
    auto st = c_.PrepareCached(
        "UPDATE tickets SET service_code=?, state=?, qclass=?, queued_at=?, first_called_at=?, "
        "called_at=?, serving_at=?, finished_at=?, counter_id=?, calls=?, transferred=?, "
        "transfer_note=?, reserved_counter=?, near_notified=?, outcome=?, rating=? WHERE id=?");
    if (!st.ok()) return st.status();
    st->Bind(1, t.service_code).Bind(2, StateName(t.state)).Bind(3, static_cast<int>(ClassOf(t)));
    st->Bind(4, ToUnixMillis(t.queued_at));
    BindOpt(*st, 5, t.first_called_at);
    BindOpt(*st, 6, t.called_at);
    BindOpt(*st, 7, t.serving_at);
    BindOpt(*st, 8, t.finished_at);
    st->Bind(9, t.counter_id).Bind(10, t.calls).Bind(11, t.transferred ? 1 : 0);
    st->Bind(12, t.transfer_note).Bind(13, t.reserved_counter_id).Bind(14, t.near_notified ? 1 : 0);
    st->Bind(15, OutcomeName(t.outcome)).Bind(16, t.rating).Bind(17, t.id);
    CSOPS_RETURN_IF_ERROR(st->Run());
    if (c_.Changes() != 1) return Status::NotFound("ticket row " + std::to_string(t.id));
    const bool was = before.state == TicketState::kWaiting;
    const bool is = t.state == TicketState::kWaiting;
    if (was && (!is || before.service_code != t.service_code))
      CSOPS_RETURN_IF_ERROR(AdjustWaiting(t.branch_id, t.business_day, before.service_code, -1));
    if (is && (!was || before.service_code != t.service_code))
      CSOPS_RETURN_IF_ERROR(AdjustWaiting(t.branch_id, t.business_day, t.service_code, 1));
    return Status();
  }

  Status AppendEvent(const TicketEvent& e) override {
    auto st = c_.PrepareCached(
        "INSERT INTO ticket_events(ticket_id, at, actor, from_state, to_state, counter_id, "
        "service_code, note) VALUES(?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, e.ticket_id).Bind(2, ToUnixMillis(e.at)).Bind(3, e.actor);
    if (e.from) {
      st->Bind(4, StateName(*e.from));
    } else {
      st->BindNull(4);
    }
    st->Bind(5, StateName(e.to)).Bind(6, e.counter_id).Bind(7, e.service_code).Bind(8, e.note);
    return st->Run();
  }

  Status SaveCounter(const CounterRecord& c) override {
    auto st = c_.PrepareCached(
        "INSERT INTO counters(branch_id, counter_id, state, staff_id, services, priority_streak, "
        "changed_at) VALUES(?,?,?,?,?,?,?) ON CONFLICT(branch_id, counter_id) DO UPDATE SET "
        "state=excluded.state, staff_id=excluded.staff_id, services=excluded.services, "
        "priority_streak=excluded.priority_streak, changed_at=excluded.changed_at");
    if (!st.ok()) return st.status();
    st->Bind(1, c.branch_id).Bind(2, c.counter_id).Bind(3, CounterStateName(c.state));
    st->Bind(4, c.staff_id).Bind(5, JoinServiceCodes(c.services)).Bind(6, c.priority_streak);
    st->Bind(7, ToUnixMillis(c.changed_at));
    return st->Run();
  }

  Status RecordServiceTime(const std::string& branch, const std::string& day,
                           const std::string& service, Duration took) override {
    // Exponential moving average with weight 0.2 for the newest sample; the first sample is
    // taken as is.
    auto st = c_.PrepareCached(
        "INSERT INTO service_days(branch_id, business_day, service_code, avg_service_ms, "
        "service_samples) VALUES(?1, ?2, ?3, ?4, 1) ON CONFLICT(branch_id, business_day, "
        "service_code) DO UPDATE SET avg_service_ms = CASE WHEN service_samples = 0 THEN ?4 "
        "ELSE avg_service_ms + 0.2 * (?4 - avg_service_ms) END, "
        "service_samples = service_samples + 1");
    if (!st.ok()) return st.status();
    return st->Bind(1, branch)
        .Bind(2, day)
        .Bind(3, service)
        .Bind(4, static_cast<double>(took.count()))
        .Run();
  }

  Status SetLastCalled(const std::string& branch, const std::string& day,
                       const std::string& service, const std::string& display) override {
    auto st = c_.PrepareCached(
        "INSERT INTO service_days(branch_id, business_day, service_code, last_called) "
        "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(branch_id, business_day, service_code) DO UPDATE "
        "SET last_called = ?4");
    if (!st.ok()) return st.status();
    return st->Bind(1, branch).Bind(2, day).Bind(3, service).Bind(4, display).Run();
  }

  Status MarkNoticeRelayed(std::int64_t id, Instant at, const std::string& refusal) override {
    auto st = c_.PrepareCached(
        "UPDATE near_turn_outbox SET delivered_at=?, relay_error=? WHERE id=? AND "
        "delivered_at IS NULL");
    if (!st.ok()) return st.status();
    return st->Bind(1, ToUnixMillis(at)).Bind(2, refusal).Bind(3, id).Run();
  }

  Status InsertNotice(const NearTurnNotice& n) override {
    auto st = c_.PrepareCached(
        "INSERT INTO near_turn_outbox(branch_id, ticket_id, ticket_display, business_day, "
        "people_ahead, contact_kind, contact_address, created_at) VALUES(?,?,?,?,?,?,?,?) "
        "ON CONFLICT(ticket_id) DO NOTHING");
    if (!st.ok()) return st.status();
    st->Bind(1, n.branch_id).Bind(2, n.ticket_id).Bind(3, n.ticket_display);
    st->Bind(4, n.business_day).Bind(5, n.people_ahead).Bind(6, ContactKindName(n.contact_kind));
    st->Bind(7, n.contact_address).Bind(8, ToUnixMillis(n.created_at));
    return st->Run();
  }

  Result<std::vector<std::pair<std::string, int>>> ExpireBefore(const std::string& branch,
                                                                const std::string& day,
                                                                Instant now) override {
    // Two queries so each can use its partial index (tickets_line, tickets_held).
    auto waiting = c_.PrepareCached(std::string("SELECT ") + kTicketColumns +
                                    " FROM tickets WHERE branch_id=? AND business_day<? AND "
                                    "state = 'waiting'");
    if (waiting.ok()) waiting->Bind(1, branch).Bind(2, day);
    auto stale = Tickets(waiting);
    if (!stale.ok()) return stale.status();
    auto held = c_.PrepareCached(std::string("SELECT ") + kTicketColumns +
                                 " FROM tickets WHERE branch_id=? AND business_day<? AND "
                                 "state IN ('called', 'serving')");
    if (held.ok()) held->Bind(1, branch).Bind(2, day);
    auto stale_held = Tickets(held);
    if (!stale_held.ok()) return stale_held.status();
    stale->insert(stale->end(), stale_held->begin(), stale_held->end());
    return ExpireTickets(*this, *stale, now);
  }

 private:
  Connection& c_;
};

}  // namespace

void SqliteQueueStore::Transact(TxFn fn, std::function<void(const Status&)> done) {
  db_.WriteAsync(
      [fn = std::move(fn)](Connection& c) {
        SqliteQueueTx tx(c);
        return fn(tx);
      },
      std::move(done));
}

Status SqliteQueueStore::Read(const ReadFn& fn) {
  return db_.Read([&fn](Connection& c) {
    CSOPS_RETURN_IF_ERROR(c.Exec("BEGIN"));  // one consistent snapshot for the whole read
    SqliteQueueTx tx(c);
    Status s = fn(tx);
    c.Exec("COMMIT");
    return s;
  });
}

}  // namespace csops::queue
