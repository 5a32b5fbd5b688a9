#include "tools/migrate/migrate_test_util.h"

namespace csops::migrate {

using namespace queue;

namespace {

const char* const kBranches[] = {"台北信義", "kaohsiung"};
const char* const kServices[] = {"A", "B"};

}  // namespace

QueueSeed SeedQueue(const std::string& dir, int tickets, int per_tx) {
  QueueSeed seed;
  SqliteQueue q = OpenSqliteQueue(dir);
  if (!q.store) return seed;
  const Instant t0 = Taipei(2026, 3, 2, 9, 0);
  seed.days = {"2026-03-02", "2026-03-03"};
  for (int done = 0; done < tickets;) {
    const int batch = std::min(per_tx, tickets - done);
    std::vector<std::int64_t> ids;
    int notices = 0;
    Status s = RunTx(*q.store, [&](QueueTx& tx) -> Status {
      ids.clear();
      notices = 0;
      for (int k = 0; k < batch; ++k) {
        const int i = done + k;
        TicketRecord t;
        t.branch_id = kBranches[i % 2];
        t.business_day = seed.days[(i / 7) % 2];
        t.service_code = kServices[(i / 2) % 2];
        t.priority = i % 11 == 0 ? PriorityClass::kPriority : PriorityClass::kNormal;
        t.channel = i % 4 == 0 ? Channel::kApp : Channel::kKiosk;
        t.issued_at = t0 + std::chrono::seconds(i);
        t.queued_at = t.issued_at;
        t.estimated_wait_ms = 1000L * (i % 97);
        if (i % 3 == 0) t.idempotency_key = "key-" + std::to_string(i);  // else NULL
        t.request_fingerprint = i % 3 == 0 ? "fp" + std::to_string(i) : "";
        if (i % 5 == 0) {
          t.contact_kind = ContactKind::kSms;
          t.contact_address = "09" + std::to_string(10000000 + i);
        }
        auto day = tx.TakeNumber(t.branch_id, t.business_day, t.service_code, 1);
        if (!day.ok()) return day.status();
        t.number = day->last_number;
        t.display = t.service_code + std::to_string(t.number);
        auto id = tx.InsertTicket(t);
        if (!id.ok()) return id.status();
        t.id = *id;
        ids.push_back(*id);
        CSOPS_RETURN_IF_ERROR(tx.AppendEvent({*id, t.issued_at, i % 4 == 0 ? "app" : "kiosk",
                                              std::nullopt, TicketState::kWaiting, "",
                                              t.service_code, i % 2 ? "備註：請攜帶身分證" : ""}));
        if (i % 3 == 1) {  // called and served; the others keep NULL instants
          TicketRecord after = t;
          after.state = TicketState::kDone;
          after.first_called_at = t.issued_at + std::chrono::seconds(30);
          after.called_at = after.first_called_at;
          after.serving_at = *after.called_at + std::chrono::seconds(5);
          after.finished_at = *after.serving_at + std::chrono::milliseconds(61234 + 17 * i);
          after.counter_id = "櫃檯" + std::to_string(1 + i % 3);
          after.calls = 1;
          after.transferred = i % 2 == 0;
          after.transfer_note = i % 2 == 0 ? "轉至「貸款」窗口\t第二行\n" : "";
          after.outcome = Outcome::kResolved;
          after.rating = 1 + i % 5;
          CSOPS_RETURN_IF_ERROR(tx.SaveTicket(t, after));
          CSOPS_RETURN_IF_ERROR(tx.RecordServiceTime(t.branch_id, t.business_day, t.service_code,
                                                     std::chrono::milliseconds(61234 + 17 * i)));
          CSOPS_RETURN_IF_ERROR(
              tx.SetLastCalled(t.branch_id, t.business_day, t.service_code, t.display));
        }
        if (i % 5 == 0) {
          NearTurnNotice n;
          n.branch_id = t.branch_id;
          n.ticket_id = t.id;
          n.ticket_display = t.display;
          n.business_day = t.business_day;
          n.people_ahead = i % 4;
          n.contact_kind = ContactKind::kSms;
          n.contact_address = t.contact_address;
          n.created_at = t.issued_at;
          CSOPS_RETURN_IF_ERROR(tx.InsertNotice(n));
          ++notices;
        }
      }
      return Status::Ok();
    });
    EXPECT_OK(s);
    if (!s.ok()) return seed;
    seed.ticket_ids.insert(seed.ticket_ids.end(), ids.begin(), ids.end());
    seed.notices += notices;
    done += batch;
  }
  // Relay half the notices, one of them refused with a reason.
  EXPECT_OK(RunTx(*q.store, [&](QueueTx& tx) -> Status {
    auto pending = tx.PendingNotices(seed.notices);
    if (!pending.ok()) return pending.status();
    for (std::size_t k = 0; k < pending->size(); k += 2)
      CSOPS_RETURN_IF_ERROR(tx.MarkNoticeRelayed((*pending)[k].id, t0 + std::chrono::hours(1),
                                                 k == 0 ? "門號停用 (permanent)" : ""));
    return Status::Ok();
  }));
  EXPECT_OK(RunTx(*q.store, [&](QueueTx& tx) -> Status {
    for (int c = 1; c <= 3; ++c) {
      CounterRecord r;
      r.branch_id = kBranches[0];
      r.counter_id = "櫃檯" + std::to_string(c);
      r.state = c == 3 ? CounterState::kPaused : CounterState::kOpen;
      r.staff_id = c == 2 ? "" : "員工-" + std::to_string(c);
      r.services = {"A", "B"};
      r.priority_streak = c;
      r.changed_at = t0 + std::chrono::minutes(c);
      CSOPS_RETURN_IF_ERROR(tx.SaveCounter(r));
    }
    return Status::Ok();
  }));
  q.db->Close();
  return seed;
}

PgQueue OpenPgQueue(const std::string& dsn) {
  postgres::DatabaseOptions o;
  o.dsn = dsn;
  o.name = "queue";
  o.pool_size = 2;
  o.migrations = PostgresQueueStore::Migrations();
  auto db = postgres::Database::Open(std::move(o));
  EXPECT_OK(db.status());
  PgQueue q;
  if (!db.ok()) return q;
  q.db = std::move(*db);
  q.store = std::make_unique<PostgresQueueStore>(*q.db);
  return q;
}

SqliteQueue OpenSqliteQueue(const std::string& dir) {
  sqlite::DatabaseOptions o;
  o.path = dir + "/queue.db";
  o.name = "queue";
  o.synchronous = sqlite::Synchronous::kNormal;
  o.migrations = SqliteQueueStore::Migrations();
  auto db = sqlite::Database::Open(std::move(o));
  EXPECT_OK(db.status());
  SqliteQueue q;
  if (!db.ok()) return q;
  q.db = std::move(*db);
  q.store = std::make_unique<SqliteQueueStore>(*q.db);
  return q;
}

void ExpectSameTicket(const TicketRecord& a, const TicketRecord& b) {
  SCOPED_TRACE("ticket " + std::to_string(a.id));
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.branch_id, b.branch_id);
  EXPECT_EQ(a.business_day, b.business_day);
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.display, b.display);
  EXPECT_EQ(a.service_code, b.service_code);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.channel, b.channel);
  EXPECT_EQ(a.issued_at, b.issued_at);
  EXPECT_EQ(a.queued_at, b.queued_at);
  EXPECT_EQ(a.first_called_at, b.first_called_at);
  EXPECT_EQ(a.called_at, b.called_at);
  EXPECT_EQ(a.serving_at, b.serving_at);
  EXPECT_EQ(a.finished_at, b.finished_at);
  EXPECT_EQ(a.counter_id, b.counter_id);
  EXPECT_EQ(a.calls, b.calls);
  EXPECT_EQ(a.transferred, b.transferred);
  EXPECT_EQ(a.transfer_note, b.transfer_note);
  EXPECT_EQ(a.reserved_counter_id, b.reserved_counter_id);
  EXPECT_EQ(a.contact_kind, b.contact_kind);
  EXPECT_EQ(a.contact_address, b.contact_address);
  EXPECT_EQ(a.near_notified, b.near_notified);
  EXPECT_EQ(a.estimated_wait_ms, b.estimated_wait_ms);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.request_fingerprint, b.request_fingerprint);
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.rating, b.rating);
}

namespace {

// Everything of the seed one store holds, read through the QueueReader interface.
struct QueueView {
  std::vector<TicketRecord> tickets;
  std::vector<ServiceDay> days;
  std::vector<CounterRecord> counters;
  std::vector<NearTurnNotice> notices;
};

QueueView Read(QueueStore& store, const QueueSeed& seed) {
  QueueView v;
  EXPECT_OK(store.Read([&](QueueReader& r) -> Status {
    for (std::int64_t id : seed.ticket_ids) {
      auto t = r.FindTicketById(id);
      if (!t.ok()) return t.status();
      if (!t->has_value()) return Status::NotFound("ticket " + std::to_string(id));
      v.tickets.push_back(**t);
    }
    for (const char* branch : kBranches)
      for (const auto& day : seed.days)
        for (const char* service : kServices) {
          auto d = r.GetServiceDay(branch, day, service);
          if (!d.ok()) return d.status();
          v.days.push_back(*d);
        }
    auto counters = r.Counters(kBranches[0]);
    if (!counters.ok()) return counters.status();
    v.counters = *counters;
    for (const char* branch : kBranches) {
      auto n = r.ListNotices(branch, seed.notices + 1);
      if (!n.ok()) return n.status();
      v.notices.insert(v.notices.end(), n->begin(), n->end());
    }
    return Status::Ok();
  }));
  return v;
}

}  // namespace

void ExpectSameQueue(QueueStore& sqlite, QueueStore& pg, const QueueSeed& seed) {
  const QueueView a = Read(sqlite, seed), b = Read(pg, seed);
  ASSERT_EQ(a.tickets.size(), seed.ticket_ids.size());
  ASSERT_EQ(a.tickets.size(), b.tickets.size());
  for (std::size_t i = 0; i < a.tickets.size(); ++i) ExpectSameTicket(a.tickets[i], b.tickets[i]);
  ASSERT_EQ(a.days.size(), b.days.size());
  for (std::size_t i = 0; i < a.days.size(); ++i) {
    EXPECT_EQ(a.days[i].last_number, b.days[i].last_number);
    EXPECT_EQ(a.days[i].waiting, b.days[i].waiting);
    EXPECT_EQ(a.days[i].last_called, b.days[i].last_called);
    EXPECT_EQ(a.days[i].avg_service_ms, b.days[i].avg_service_ms);  // bit for bit
    EXPECT_EQ(a.days[i].service_samples, b.days[i].service_samples);
  }
  ASSERT_EQ(a.counters.size(), 3u);
  ASSERT_EQ(a.counters.size(), b.counters.size());
  for (std::size_t i = 0; i < a.counters.size(); ++i) {
    EXPECT_EQ(a.counters[i].counter_id, b.counters[i].counter_id);
    EXPECT_EQ(a.counters[i].state, b.counters[i].state);
    EXPECT_EQ(a.counters[i].staff_id, b.counters[i].staff_id);
    EXPECT_EQ(a.counters[i].services, b.counters[i].services);
    EXPECT_EQ(a.counters[i].priority_streak, b.counters[i].priority_streak);
    EXPECT_EQ(a.counters[i].changed_at, b.counters[i].changed_at);
  }
  ASSERT_EQ(static_cast<int>(a.notices.size()), seed.notices);
  ASSERT_EQ(a.notices.size(), b.notices.size());
  for (std::size_t i = 0; i < a.notices.size(); ++i) {
    EXPECT_EQ(a.notices[i].id, b.notices[i].id);
    EXPECT_EQ(a.notices[i].ticket_id, b.notices[i].ticket_id);
    EXPECT_EQ(a.notices[i].ticket_display, b.notices[i].ticket_display);
    EXPECT_EQ(a.notices[i].people_ahead, b.notices[i].people_ahead);
    EXPECT_EQ(a.notices[i].contact_address, b.notices[i].contact_address);
    EXPECT_EQ(a.notices[i].created_at, b.notices[i].created_at);
    EXPECT_EQ(a.notices[i].delivered, b.notices[i].delivered);
    EXPECT_EQ(a.notices[i].relay_error, b.notices[i].relay_error);
  }
}

MigrateOptions Options(const std::string& dir, const std::string& dsn,
                       std::vector<std::string>* lines) {
  MigrateOptions o;
  o.data_dir = dir;
  o.dsn = dsn;
  o.chunk_rows = 700;  // several chunks per table
  o.progress = [lines](const std::string& line) {
    if (lines) lines->push_back(line);
  };
  return o;
}

}  // namespace csops::migrate
