#include "services/queue/store/postgres/postgres_queue_store.h"

#include "services/queue/store/expire_tickets.h"

namespace csops::queue {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;

namespace {

const std::string kTicketColumns =
    "id, branch_id, business_day, number, display, service_code, state, priority, channel, "
    "issued_at, queued_at, first_called_at, called_at, serving_at, finished_at, counter_id, "
    "calls, transferred, transfer_note, reserved_counter, contact_kind, contact_address, "
    "near_notified, estimated_wait_ms, idempotency_key, request_fingerprint, outcome, rating";

const std::string kNoticeColumns =
    "id, ticket_id, ticket_display, business_day, people_ahead, contact_kind, contact_address, "
    "created_at, CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END, branch_id, relay_error";

std::optional<Instant> OptInstant(const Rows& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return FromUnixMillis(r.Int(row, col));
}

postgres::Value OptMillis(const std::optional<Instant>& v) {
  if (!v) return std::nullopt;
  return ToUnixMillis(*v);
}

Result<TicketRecord> ReadTicket(const Rows& r, int i) {
  TicketRecord t;
  t.id = r.Int(i, 0);
  t.branch_id = r.Text(i, 1);
  t.business_day = r.Text(i, 2);
  t.number = static_cast<int>(r.Int(i, 3));
  t.display = r.Text(i, 4);
  t.service_code = r.Text(i, 5);
  auto state = ParseState(r.Text(i, 6));
  auto priority = ParsePriority(r.Text(i, 7));
  auto channel = ParseChannel(r.Text(i, 8));
  auto contact = ParseContactKind(r.Text(i, 20));
  if (!state || !priority || !channel || !contact)
    return Status::Internal("ticket row " + std::to_string(t.id) + " has an unknown enum value");
  t.state = *state;
  t.priority = *priority;
  t.channel = *channel;
  t.issued_at = FromUnixMillis(r.Int(i, 9));
  t.queued_at = FromUnixMillis(r.Int(i, 10));
  t.first_called_at = OptInstant(r, i, 11);
  t.called_at = OptInstant(r, i, 12);
  t.serving_at = OptInstant(r, i, 13);
  t.finished_at = OptInstant(r, i, 14);
  t.counter_id = r.Text(i, 15);
  t.calls = static_cast<int>(r.Int(i, 16));
  t.transferred = r.Int(i, 17) != 0;
  t.transfer_note = r.Text(i, 18);
  t.reserved_counter_id = r.Text(i, 19);
  t.contact_kind = *contact;
  t.contact_address = r.Text(i, 21);
  t.near_notified = r.Int(i, 22) != 0;
  t.estimated_wait_ms = r.Int(i, 23);
  t.idempotency_key = r.Text(i, 24);
  t.request_fingerprint = r.Text(i, 25);
  t.outcome = ParseOutcome(r.Text(i, 26)).value_or(Outcome::kNone);
  t.rating = static_cast<int>(r.Int(i, 27));
  return t;
}

ServiceDay ReadServiceDay(const Rows& r) {
  ServiceDay d;
  if (r.empty()) return d;
  d.last_number = static_cast<int>(r.Int(0, 0));
  d.waiting = static_cast<int>(r.Int(0, 1));
  d.last_called = r.Text(0, 2);
  d.avg_service_ms = r.Real(0, 3);
  d.service_samples = static_cast<int>(r.Int(0, 4));
  return d;
}

class PostgresQueueTx final : public QueueTx {
 public:
  // `locking`: a write transaction, which takes the branch's row lock before it touches the
  // branch; a read on a snapshot takes none.
  PostgresQueueTx(Connection& c, bool locking) : c_(c), locking_(locking) {}

  Result<std::optional<TicketRecord>> FindTicket(const std::string& branch, const std::string& day,
                                                 const std::string& display) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    return OneTicket("SELECT " + kTicketColumns +
                         " FROM tickets WHERE branch_id=$1 AND business_day=$2 AND display=$3",
                     {branch, day, display});
  }

  Result<std::optional<TicketRecord>> FindTicketById(std::int64_t id) override {
    const std::string sql = "SELECT " + kTicketColumns + " FROM tickets WHERE id=$1";
    auto t = OneTicket(sql, {id});
    if (!t.ok() || !*t || !locking_ || Locked((*t)->branch_id)) return t;
    // The branch was not locked when the row was read: lock it and read the row again.
    CSOPS_RETURN_IF_ERROR(Lock((*t)->branch_id));
    return OneTicket(sql, {id});
  }

  Result<std::optional<TicketRecord>> FindByIdempotencyKey(const std::string& branch,
                                                           const std::string& key) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    return OneTicket(
        "SELECT " + kTicketColumns + " FROM tickets WHERE branch_id=$1 AND idempotency_key=$2",
        {branch, key});
  }

  Result<ServiceDay> GetServiceDay(const std::string& branch, const std::string& day,
                                   const std::string& service) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    auto r = c_.Query(
        "SELECT last_number, waiting, last_called, avg_service_ms, service_samples FROM "
        "service_days WHERE branch_id=$1 AND business_day=$2 AND service_code=$3",
        {branch, day, service});
    if (!r.ok()) return r.status();
    return ReadServiceDay(*r);
  }

  Result<std::vector<Candidate>> WaitingHeads(const std::string& branch, const std::string& day,
                                              const std::vector<std::string>& services,
                                              const std::string& counter_id) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    std::vector<Candidate> out;
    for (const auto& service : services) {
      for (int cls = 0; cls <= 2; ++cls) {
        auto r = c_.Query(
            "SELECT id, queued_at FROM tickets WHERE branch_id=$1 AND business_day=$2 AND "
            "service_code=$3 AND state='waiting' AND qclass=$4 AND reserved_counter IN ('', $5) "
            "ORDER BY queued_at, id LIMIT 1",
            {branch, day, service, cls, counter_id});
        if (!r.ok()) return r.status();
        if (r->empty()) continue;
        out.push_back(Candidate{r->Int(0, 0), service, static_cast<QueueClass>(cls),
                                FromUnixMillis(r->Int(0, 1))});
      }
    }
    return out;
  }

  Result<std::vector<TicketRecord>> WaitingInOrder(const std::string& branch,
                                                   const std::string& day,
                                                   const std::string& service, int limit) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    return Tickets("SELECT " + kTicketColumns +
                       " FROM tickets WHERE branch_id=$1 AND business_day=$2 AND service_code=$3 "
                       "AND state='waiting' ORDER BY qclass, queued_at, id LIMIT $4",
                   {branch, day, service, limit});
  }

  Result<int> CountAhead(const TicketRecord& t) override {
    CSOPS_RETURN_IF_ERROR(Lock(t.branch_id));
    auto r = c_.Query(
        "SELECT COUNT(*) FROM tickets WHERE branch_id=$1 AND business_day=$2 AND "
        "service_code=$3 AND state='waiting' AND (qclass<$4 OR (qclass=$4 AND (queued_at<$5 OR "
        "(queued_at=$5 AND id<$6))))",
        {t.branch_id, t.business_day, t.service_code, static_cast<int>(ClassOf(t)),
         ToUnixMillis(t.queued_at), t.id});
    if (!r.ok()) return r.status();
    return static_cast<int>(r->Int(0, 0));
  }

  Result<std::optional<Instant>> OldestWaiting(const std::string& branch, const std::string& day,
                                               const std::string& service) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    auto r = c_.Query(
        "SELECT MIN(queued_at) FROM tickets WHERE branch_id=$1 AND business_day=$2 AND "
        "service_code=$3 AND state='waiting'",
        {branch, day, service});
    if (!r.ok()) return r.status();
    return OptInstant(*r, 0, 0);
  }

  Result<std::vector<CounterRecord>> Counters(const std::string& branch) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    auto r = c_.Query(
        "SELECT counter_id, state, staff_id, services, priority_streak, changed_at FROM counters "
        "WHERE branch_id=$1 ORDER BY counter_id",
        {branch});
    if (!r.ok()) return r.status();
    std::vector<CounterRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      CounterRecord c;
      c.branch_id = branch;
      c.counter_id = r->Text(i, 0);
      auto state = ParseCounterState(r->Text(i, 1));
      if (!state) return Status::Internal("counter " + c.counter_id + " has an unknown state");
      c.state = *state;
      c.staff_id = r->Text(i, 2);
      c.services = SplitServiceCodes(r->Text(i, 3));
      c.priority_streak = static_cast<int>(r->Int(i, 4));
      c.changed_at = FromUnixMillis(r->Int(i, 5));
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::optional<TicketRecord>> HeldByCounter(const std::string& branch,
                                                    const std::string& day,
                                                    const std::string& counter_id) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    return OneTicket("SELECT " + kTicketColumns +
                         " FROM tickets WHERE branch_id=$1 AND business_day=$2 AND counter_id=$3 "
                         "AND state IN ('called','serving') LIMIT 1",
                     {branch, day, counter_id});
  }

  Result<std::vector<NearTurnNotice>> ListNotices(const std::string& branch, int limit) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    return Notices("SELECT " + kNoticeColumns +
                       " FROM near_turn_outbox WHERE branch_id=$1 ORDER BY id LIMIT $2",
                   {branch, limit});
  }

  Result<std::vector<NearTurnNotice>> PendingNotices(int limit) override {
    return Notices("SELECT " + kNoticeColumns +
                       " FROM near_turn_outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1",
                   {limit});
  }

  Result<std::vector<RecentCall>> RecentCalls(const std::string& branch, const std::string& day,
                                              int limit) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    auto r = c_.Query(
        "SELECT display, counter_id, service_code, called_at FROM tickets WHERE branch_id=$1 AND "
        "business_day=$2 AND called_at IS NOT NULL ORDER BY called_at DESC, id DESC LIMIT $3",
        {branch, day, limit});
    if (!r.ok()) return r.status();
    std::vector<RecentCall> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({r->Text(i, 0), r->Text(i, 1), r->Text(i, 2), FromUnixMillis(r->Int(i, 3))});
    return out;
  }

  Result<std::vector<VisitRow>> VisitRows(const std::string& branch, Instant issued_from,
                                          Instant issued_to) override {
    auto r = c_.Query(
        "SELECT branch_id, origin_service, service_code, state, issued_at, first_called_at, "
        "finished_at, rating FROM tickets WHERE issued_at >= $1 AND issued_at < $2 AND "
        "($3 = '' OR branch_id = $3) ORDER BY issued_at, id",
        {ToUnixMillis(issued_from), ToUnixMillis(issued_to), branch});
    if (!r.ok()) return r.status();
    std::vector<VisitRow> out;
    for (int i = 0; i < r->size(); ++i) {
      VisitRow v;
      v.branch_id = r->Text(i, 0);
      v.origin_service = r->Text(i, 1);
      v.service_code = r->Text(i, 2);
      auto state = ParseState(r->Text(i, 3));
      if (!state) return Status::Internal("ticket state '" + r->Text(i, 3) + "' unknown");
      v.state = *state;
      v.issued_at = FromUnixMillis(r->Int(i, 4));
      v.first_called_at = OptInstant(*r, i, 5);
      v.finished_at = OptInstant(*r, i, 6);
      v.rating = static_cast<int>(r->Int(i, 7));
      out.push_back(std::move(v));
    }
    return out;
  }

  Result<ServiceDay> TakeNumber(const std::string& branch, const std::string& day,
                                const std::string& service, int first_number) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    // The counter row is updated in the ticket's own transaction: a failed issue gives its
    // number back (a sequence would not).
    auto r = c_.Query(
        "INSERT INTO service_days AS d(branch_id, business_day, service_code, last_number, "
        "waiting) VALUES($1, $2, $3, $4, 1) ON CONFLICT (branch_id, business_day, service_code) "
        "DO UPDATE SET last_number = CASE WHEN d.last_number = 0 THEN $4 ELSE d.last_number + 1 "
        "END, waiting = d.waiting + 1 "
        "RETURNING last_number, waiting, last_called, avg_service_ms, service_samples",
        {branch, day, service, first_number});
    if (!r.ok()) return r.status();
    if (r->empty()) return Status::Internal("service day upsert returned no row");
    return ReadServiceDay(*r);
  }

  Result<std::int64_t> InsertTicket(const TicketRecord& t) override {
    CSOPS_RETURN_IF_ERROR(Lock(t.branch_id));
    auto r = c_.Query(
        "INSERT INTO tickets(branch_id, business_day, number, display, origin_service, "
        "service_code, state, qclass, priority, channel, issued_at, queued_at, contact_kind, "
        "contact_address, estimated_wait_ms, idempotency_key, request_fingerprint) "
        "VALUES($1,$2,$3,$4,$5,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) RETURNING id",
        {t.branch_id, t.business_day, t.number, t.display, t.service_code, StateName(t.state),
         static_cast<int>(ClassOf(t)), PriorityName(t.priority), ChannelName(t.channel),
         ToUnixMillis(t.issued_at), ToUnixMillis(t.queued_at), ContactKindName(t.contact_kind),
         t.contact_address, t.estimated_wait_ms,
         t.idempotency_key.empty() ? postgres::Value(std::nullopt)
                                   : postgres::Value(t.idempotency_key),
         t.request_fingerprint});
    if (!r.ok()) return r.status();
    return r->Int(0, 0);
  }

  Status SaveTicket(const TicketRecord& before, const TicketRecord& t) override {
    CSOPS_RETURN_IF_ERROR(Lock(t.branch_id));
    auto n = c_.Run(
        "UPDATE tickets SET service_code=$1, state=$2, qclass=$3, queued_at=$4, "
        "first_called_at=$5, called_at=$6, serving_at=$7, finished_at=$8, counter_id=$9, "
        "calls=$10, transferred=$11, transfer_note=$12, reserved_counter=$13, near_notified=$14, "
        "outcome=$15, rating=$16 WHERE id=$17",
        {t.service_code, StateName(t.state), static_cast<int>(ClassOf(t)),
         ToUnixMillis(t.queued_at), OptMillis(t.first_called_at), OptMillis(t.called_at),
         OptMillis(t.serving_at), OptMillis(t.finished_at), t.counter_id, t.calls,
         t.transferred ? 1 : 0, t.transfer_note, t.reserved_counter_id, t.near_notified ? 1 : 0,
         OutcomeName(t.outcome), t.rating, t.id});
    if (!n.ok()) return n.status();
    if (*n != 1) return Status::NotFound("ticket row " + std::to_string(t.id));
    const bool was = before.state == TicketState::kWaiting;
    const bool is = t.state == TicketState::kWaiting;
    if (was && (!is || before.service_code != t.service_code))
      CSOPS_RETURN_IF_ERROR(AdjustWaiting(t.branch_id, t.business_day, before.service_code, -1));
    if (is && (!was || before.service_code != t.service_code))
      CSOPS_RETURN_IF_ERROR(AdjustWaiting(t.branch_id, t.business_day, t.service_code, 1));
    return Status();
  }

  Status AppendEvent(const TicketEvent& e) override {
    return Done(
        c_.Run("INSERT INTO ticket_events(ticket_id, at, actor, from_state, to_state, counter_id, "
               "service_code, note) VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
               {e.ticket_id, ToUnixMillis(e.at), e.actor,
                e.from ? postgres::Value(StateName(*e.from)) : postgres::Value(std::nullopt),
                StateName(e.to), e.counter_id, e.service_code, e.note}));
  }

  Status SaveCounter(const CounterRecord& c) override {
    CSOPS_RETURN_IF_ERROR(Lock(c.branch_id));
    return Done(c_.Run(
        "INSERT INTO counters(branch_id, counter_id, state, staff_id, services, priority_streak, "
        "changed_at) VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (branch_id, counter_id) DO UPDATE "
        "SET state=excluded.state, staff_id=excluded.staff_id, services=excluded.services, "
        "priority_streak=excluded.priority_streak, changed_at=excluded.changed_at",
        {c.branch_id, c.counter_id, CounterStateName(c.state), c.staff_id,
         JoinServiceCodes(c.services), c.priority_streak, ToUnixMillis(c.changed_at)}));
  }

  Status RecordServiceTime(const std::string& branch, const std::string& day,
                           const std::string& service, Duration took) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    // Exponential moving average with weight 0.2 for the newest sample; the first sample is
    // taken as is.
    return Done(c_.Run(
        "INSERT INTO service_days AS d(branch_id, business_day, service_code, avg_service_ms, "
        "service_samples) VALUES($1, $2, $3, $4, 1) ON CONFLICT (branch_id, business_day, "
        "service_code) DO UPDATE SET avg_service_ms = CASE WHEN d.service_samples = 0 THEN "
        "excluded.avg_service_ms ELSE d.avg_service_ms + 0.2 * (excluded.avg_service_ms - "
        "d.avg_service_ms) END, service_samples = d.service_samples + 1",
        {branch, day, service, static_cast<double>(took.count())}));
  }

  Status SetLastCalled(const std::string& branch, const std::string& day,
                       const std::string& service, const std::string& display) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    return Done(c_.Run(
        "INSERT INTO service_days(branch_id, business_day, service_code, last_called) "
        "VALUES($1, $2, $3, $4) ON CONFLICT (branch_id, business_day, service_code) DO UPDATE "
        "SET last_called = excluded.last_called",
        {branch, day, service, display}));
  }

  Status MarkNoticeRelayed(std::int64_t id, Instant at, const std::string& refusal) override {
    // Conditional, so it needs no branch lock: a notice marked before keeps its first mark.
    return Done(
        c_.Run("UPDATE near_turn_outbox SET delivered_at=$1, relay_error=$2 WHERE id=$3 AND "
               "delivered_at IS NULL",
               {ToUnixMillis(at), refusal, id}));
  }

  Status InsertNotice(const NearTurnNotice& n) override {
    CSOPS_RETURN_IF_ERROR(Lock(n.branch_id));
    return Done(c_.Run(
        "INSERT INTO near_turn_outbox(branch_id, ticket_id, ticket_display, business_day, "
        "people_ahead, contact_kind, contact_address, created_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8) "
        "ON CONFLICT (ticket_id) DO NOTHING",
        {n.branch_id, n.ticket_id, n.ticket_display, n.business_day, n.people_ahead,
         ContactKindName(n.contact_kind), n.contact_address, ToUnixMillis(n.created_at)}));
  }

  Result<std::vector<std::pair<std::string, int>>> ExpireBefore(const std::string& branch,
                                                                const std::string& day,
                                                                Instant now) override {
    CSOPS_RETURN_IF_ERROR(Lock(branch));
    // Two queries so each can use its partial index (tickets_line, tickets_held).
    auto stale = Tickets("SELECT " + kTicketColumns +
                             " FROM tickets WHERE branch_id=$1 AND business_day<$2 AND "
                             "state='waiting'",
                         {branch, day});
    if (!stale.ok()) return stale.status();
    auto held = Tickets("SELECT " + kTicketColumns +
                            " FROM tickets WHERE branch_id=$1 AND business_day<$2 AND "
                            "state IN ('called', 'serving')",
                        {branch, day});
    if (!held.ok()) return held.status();
    stale->insert(stale->end(), held->begin(), held->end());
    return ExpireTickets(*this, *stale, now);
  }

 private:
  bool Locked(const std::string& branch) const {
    for (const auto& b : locked_)
      if (b == branch) return true;
    return false;
  }
  Status Lock(const std::string& branch) {
    if (!locking_ || Locked(branch)) return Status::Ok();
    CSOPS_RETURN_IF_ERROR(c_.LockKey("branch", branch));
    locked_.push_back(branch);
    return Status::Ok();
  }
  static Status Done(const Result<int>& r) { return r.ok() ? Status::Ok() : r.status(); }

  Status AdjustWaiting(const std::string& branch, const std::string& day,
                       const std::string& service, int delta) {
    return Done(
        c_.Run("INSERT INTO service_days AS d(branch_id, business_day, service_code, waiting) "
               "VALUES($1, $2, $3, GREATEST($4::INTEGER, 0)) ON CONFLICT (branch_id, business_day, "
               "service_code) DO UPDATE SET waiting = GREATEST(d.waiting + $4::INTEGER, 0)",
               {branch, day, service, delta}));
  }

  Result<std::optional<TicketRecord>> OneTicket(const std::string& sql, const Params& p) {
    auto r = c_.Query(sql, p);
    if (!r.ok()) return r.status();
    if (r->empty()) return std::optional<TicketRecord>();
    auto t = ReadTicket(*r, 0);
    if (!t.ok()) return t.status();
    return std::optional<TicketRecord>(std::move(*t));
  }

  Result<std::vector<TicketRecord>> Tickets(const std::string& sql, const Params& p) {
    auto r = c_.Query(sql, p);
    if (!r.ok()) return r.status();
    std::vector<TicketRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      auto t = ReadTicket(*r, i);
      if (!t.ok()) return t.status();
      out.push_back(std::move(*t));
    }
    return out;
  }

  Result<std::vector<NearTurnNotice>> Notices(const std::string& sql, const Params& p) {
    auto r = c_.Query(sql, p);
    if (!r.ok()) return r.status();
    std::vector<NearTurnNotice> out;
    for (int i = 0; i < r->size(); ++i) {
      NearTurnNotice n;
      n.id = r->Int(i, 0);
      n.ticket_id = r->Int(i, 1);
      n.ticket_display = r->Text(i, 2);
      n.business_day = r->Text(i, 3);
      n.people_ahead = static_cast<int>(r->Int(i, 4));
      n.contact_kind = ParseContactKind(r->Text(i, 5)).value_or(ContactKind::kNone);
      n.contact_address = r->Text(i, 6);
      n.created_at = FromUnixMillis(r->Int(i, 7));
      n.delivered = r->Int(i, 8) != 0;
      n.branch_id = r->Text(i, 9);
      n.relay_error = r->Text(i, 10);
      out.push_back(std::move(n));
    }
    return out;
  }

  Connection& c_;
  const bool locking_;
  std::vector<std::string> locked_;  // branches this transaction holds the lock of
};

}  // namespace

void PostgresQueueStore::Transact(TxFn fn, std::function<void(const Status&)> done) {
  TransactKeyed({}, std::move(fn), std::move(done));
}

void PostgresQueueStore::TransactForBranch(const std::string& branch_id, TxFn fn,
                                           std::function<void(const Status&)> done) {
  // The key of LockKey("branch", id), the first lock every branch transaction takes.
  TransactKeyed("branch:" + branch_id, std::move(fn), std::move(done));
}

void PostgresQueueStore::TransactKeyed(std::string serial, TxFn fn,
                                       std::function<void(const Status&)> done) {
  db_.Transact(
      [fn = std::move(fn)](Connection& c) {
        PostgresQueueTx tx(c, /*locking=*/true);
        return fn(tx);
      },
      std::move(done), std::move(serial));
}

Status PostgresQueueStore::Read(const ReadFn& fn) {
  return db_.Read([&fn](Connection& c) {
    PostgresQueueTx tx(c, /*locking=*/false);
    return fn(tx);
  });
}

}  // namespace csops::queue
