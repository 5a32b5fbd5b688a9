// csopsctl migrate's library against a real PostgreSQL server (TestCluster): queue.db written
// through the SQLite store, copied, and read back through the PostgreSQL store; the refusals;
// the verification; and how a copy handles rows its migrations wrote themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "common/postgres/connection.h"
#include "services/csopsd/data_dir_lock.h"
#include "tools/migrate/migrate_test_util.h"
#include "tools/migrate/value_text.h"
#include "tools/migrate/verify.h"

namespace csops::migrate {
namespace {

using namespace queue;

class MigrateTest : public ::testing::Test {
 protected:
  // Runs `sql` on schema csops_queue of the target.
  void Pg(const std::string& sql) {
    auto c = postgres::Connection::Open(dsn_, "test", "csops_queue", false);
    ASSERT_OK(c.status());
    ASSERT_OK((*c)->Exec(sql));
  }
  std::int64_t PgCount(const std::string& table) {
    auto c = postgres::Connection::Open(dsn_, "test", "csops_queue", false);
    EXPECT_OK(c.status());
    if (!c.ok()) return -1;
    auto r = (*c)->Query("SELECT count(*) FROM " + table);
    EXPECT_OK(r.status());
    return r.ok() ? r->Int(0, 0) : -1;
  }
  // Runs `sql` on queue.db directly, below the store.
  void Lite(const std::string& sql) {
    auto c = sqlite::Connection::Open(dir_.path() + "/queue.db", false, 5000);
    ASSERT_OK(c.status());
    ASSERT_OK((*c)->Exec(sql));
  }

  TempDir dir_;
  std::string dsn_ = postgres::TestCluster::Shared().NewDatabase();
};

TEST_F(MigrateTest, CopiesQueueSoThePostgresStoreReadsTheSame) {
  const QueueSeed seed = SeedQueue(dir_.path(), 3000);
  ASSERT_EQ(seed.ticket_ids.size(), 3000u);
  std::vector<std::string> lines;
  const auto t0 = std::chrono::steady_clock::now();
  auto report = Migrate(Options(dir_.path(), dsn_, &lines));
  ASSERT_OK(report.status());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("migrated %lld rows: copy %.2f s (%.0f rows/s), all with verification %.2f s\n",
              static_cast<long long>(report->rows), report->copy_seconds,
              static_cast<double>(report->rows) / report->copy_seconds, s);
  EXPECT_TRUE(report->verified());
  ASSERT_EQ(report->checks.size(), 5u);
  for (const TableCheck& c : report->checks) {
    EXPECT_TRUE(c.compared) << c.table;
    EXPECT_TRUE(c.match()) << c.table;
    EXPECT_EQ(c.sqlite_rows, c.pg_rows) << c.table;
  }
  EXPECT_TRUE(Has(lines, "queue.tickets: 700 / 3000 rows"));
  EXPECT_TRUE(Has(lines, "queue.tickets: 3000 / 3000 rows"));
  EXPECT_TRUE(Has(lines, "queue.ticket_events: 3000 / 3000 rows"));
  EXPECT_TRUE(Has(lines, "queue.counters: 3 / 3 rows"));

  SqliteQueue lite = OpenSqliteQueue(dir_.path());
  PgQueue pg = OpenPgQueue(dsn_);
  ASSERT_TRUE(lite.store && pg.store);
  ExpectSameQueue(*lite.store, *pg.store, seed);

  // Work goes on in PostgreSQL: fresh row ids, the next ticket number.
  ServiceDay before;
  ASSERT_OK(lite.store->Read([&](QueueReader& r) -> Status {
    auto d = r.GetServiceDay("台北信義", seed.days[0], "A");
    if (!d.ok()) return d.status();
    before = *d;
    return Status::Ok();
  }));
  ASSERT_GT(before.last_number, 0);
  std::int64_t id = 0;
  ASSERT_OK(RunTx(*pg.store, [&](QueueTx& tx) -> Status {
    auto d = tx.TakeNumber("台北信義", seed.days[0], "A", 1);
    if (!d.ok()) return d.status();
    EXPECT_EQ(d->last_number, before.last_number + 1);
    TicketRecord t;
    t.branch_id = "台北信義";
    t.business_day = seed.days[0];
    t.service_code = "A";
    t.number = d->last_number;
    t.display = "A" + std::to_string(t.number);
    t.issued_at = t.queued_at = Taipei(2026, 3, 2, 17, 0);
    auto inserted = tx.InsertTicket(t);
    if (!inserted.ok()) return inserted.status();
    id = *inserted;
    CSOPS_RETURN_IF_ERROR(tx.AppendEvent(
        {id, t.issued_at, "kiosk", std::nullopt, TicketState::kWaiting, "", "A", "遷移後"}));
    NearTurnNotice n;
    n.branch_id = t.branch_id;
    n.ticket_id = id;
    n.ticket_display = t.display;
    n.business_day = t.business_day;
    n.contact_kind = ContactKind::kSms;
    n.contact_address = "0900000000";
    n.created_at = t.issued_at;
    return tx.InsertNotice(n);
  }));
  EXPECT_EQ(id, seed.ticket_ids.back() + 1);
  EXPECT_EQ(PgCount("ticket_events"), 3001);
  EXPECT_EQ(PgCount("near_turn_outbox"), seed.notices + 1);
}

TEST_F(MigrateTest, RefusesATargetThatHoldsData) {
  SeedQueue(dir_.path(), 20);
  {
    PgQueue pg = OpenPgQueue(dsn_);
    ASSERT_TRUE(pg.store);
    ASSERT_OK(RunTx(*pg.store, [](QueueTx& tx) {
      CounterRecord c;
      c.branch_id = "other";
      c.counter_id = "1";
      c.services = {"A"};
      return tx.SaveCounter(c);
    }));
  }
  auto report = Migrate(Options(dir_.path(), dsn_));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("csops_queue.counters already holds rows"),
            std::string::npos)
      << report.status().message();
  EXPECT_EQ(PgCount("tickets"), 0);
  EXPECT_EQ(PgCount("counters"), 1);
}

TEST_F(MigrateTest, RefusesASecondRunIntoTheSameSchema) {
  SeedQueue(dir_.path(), 20);
  ASSERT_OK(Migrate(Options(dir_.path(), dsn_)).status());
  auto again = Migrate(Options(dir_.path(), dsn_));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already holds rows"), std::string::npos);
  EXPECT_EQ(PgCount("tickets"), 20);
}

TEST_F(MigrateTest, RefusesADataDirectoryARunningCsopsdHolds) {
  SeedQueue(dir_.path(), 5);
  {
    auto lock = csopsd::DataDirLock::Acquire(dir_.path());
    ASSERT_OK(lock.status());
    auto report = Migrate(Options(dir_.path(), dsn_));
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(report.status().message().find("in use by a running csopsd"), std::string::npos)
        << report.status().message();
  }
  ASSERT_OK(Migrate(Options(dir_.path(), dsn_)).status());  // the lock is gone with csopsd
}

TEST_F(MigrateTest, VerificationFindsWhatChangedAfterTheCopy) {
  SeedQueue(dir_.path(), 50);
  auto report = Migrate(Options(dir_.path(), dsn_));
  ASSERT_OK(report.status());
  ASSERT_TRUE(report->verified());
  Pg("UPDATE tickets SET transfer_note = transfer_note || ' ' WHERE id = 2");
  Pg("UPDATE service_days SET avg_service_ms = avg_service_ms * (1 + 1e-15) "
     "WHERE service_samples > 0 AND service_code = 'A' AND branch_id = 'kaohsiung'");
  Pg("DELETE FROM ticket_events WHERE id = 50");
  auto checks = VerifyService("queue", dir_.path() + "/queue.db", dsn_);
  ASSERT_OK(checks.status());
  std::map<std::string, TableCheck> by_table;
  for (const auto& c : *checks) by_table[c.table] = c;
  EXPECT_FALSE(by_table["tickets"].match());
  EXPECT_EQ(by_table["tickets"].sqlite_rows, by_table["tickets"].pg_rows);
  EXPECT_FALSE(by_table["service_days"].match());
  EXPECT_FALSE(by_table["ticket_events"].match());
  EXPECT_EQ(by_table["ticket_events"].pg_rows, 49);
  EXPECT_TRUE(by_table["counters"].match());
  EXPECT_TRUE(by_table["near_turn_outbox"].match());
}

TEST_F(MigrateTest, AFailedCopyRollsBackAndCanRunAgain) {
  SeedQueue(dir_.path(), 30);
  Lite("UPDATE tickets SET rating = 2.5 WHERE id = 7");  // SQLite keeps the REAL as it is
  auto failed = Migrate(Options(dir_.path(), dsn_));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find(
                "queue.db tickets.rating, row 7: holds the real number 2.5, which the PostgreSQL "
                "column (integer) cannot hold unchanged"),
            std::string::npos)
      << failed.status().message();
  EXPECT_NE(failed.status().message().find("rolled back"), std::string::npos);
  EXPECT_EQ(PgCount("tickets"), 0);
  EXPECT_EQ(PgCount("counters"), 0);
  Lite(
      "UPDATE tickets SET rating = 2 WHERE id = 7; "
      "UPDATE tickets SET transfer_note = x'00ff' WHERE id = 9");
  auto blob = Migrate(Options(dir_.path(), dsn_));
  ASSERT_FALSE(blob.ok());
  EXPECT_NE(blob.status().message().find(
                "queue.db tickets.transfer_note, row 9: holds a BLOB of 2 bytes, which the "
                "PostgreSQL column (text) cannot hold unchanged"),
            std::string::npos)
      << blob.status().message();
  Lite("UPDATE tickets SET transfer_note = '' WHERE id = 9");
  auto report = Migrate(Options(dir_.path(), dsn_));
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->verified());
  EXPECT_EQ(PgCount("tickets"), 30);
}

TEST_F(MigrateTest, MigratesAnOlderQueueDbToItsLatestSchemaFirst) {
  {
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/queue.db";
    o.migrations = {SqliteQueueStore::Migrations()[0]};  // before relay_error existed
    auto db = sqlite::Database::Open(o);
    ASSERT_OK(db.status());
    ASSERT_OK((*db)->Write([](sqlite::Connection& c) {
      return c.Exec(
          "INSERT INTO tickets(id, branch_id, business_day, number, display, origin_service, "
          "service_code, state, qclass, priority, channel, issued_at, queued_at) VALUES(1, 'b', "
          "'2026-03-02', 1, 'A1', 'A', 'A', 'waiting', 1, 'normal', 'kiosk', 1, 1); "
          "INSERT INTO near_turn_outbox(branch_id, ticket_id, ticket_display, business_day, "
          "people_ahead, contact_kind, contact_address, created_at) VALUES('b', 1, 'A1', "
          "'2026-03-02', 2, 'sms', '0911', 5)");
    }));
  }
  auto report = Migrate(Options(dir_.path(), dsn_));
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->verified());
  PgQueue pg = OpenPgQueue(dsn_);
  ASSERT_TRUE(pg.store);
  ASSERT_OK(pg.store->Read([](QueueReader& r) -> Status {
    auto n = r.PendingNotices(10);
    if (!n.ok()) return n.status();
    EXPECT_EQ(n->size(), 1u);
    if (!n->empty()) {
      EXPECT_EQ((*n)[0].relay_error, "");
    }
    return Status::Ok();
  }));
}

TEST_F(MigrateTest, RefusesWhatPostgresHasNoPlaceFor) {
  SeedQueue(dir_.path(), 5);
  Lite("ALTER TABLE counters ADD COLUMN colour TEXT");
  auto column = Migrate(Options(dir_.path(), dsn_));
  ASSERT_FALSE(column.ok());
  EXPECT_NE(
      column.status().message().find(
          "queue.db counters.colour: no such column in PostgreSQL table csops_queue.counters"),
      std::string::npos)
      << column.status().message();
  EXPECT_NE(column.status().message().find("nothing copied"), std::string::npos);
  Lite("ALTER TABLE counters DROP COLUMN colour; CREATE TABLE notes(x TEXT)");
  auto table = Migrate(Options(dir_.path(), dsn_));
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("queue.db: table notes has no table of that name"),
            std::string::npos)
      << table.status().message();
  EXPECT_EQ(PgCount("tickets"), 0);
}

// A migration's own rows (as the case store's look-up secret verifier): the copy replaces them
// with the SQLite file's, also when the target schema was created (by a csopsd, or by a run
// that failed later) before.
TEST_F(MigrateTest, ReplacesTheRowsMigrationsWroteThemselves) {
  const char kRow[] =
      "INSERT INTO counters(branch_id, counter_id, state, services, changed_at) "
      "VALUES('hq', 'm', 'closed', 'A', 1)";
  auto sqlite_migrations = SqliteQueueStore::Migrations();
  sqlite_migrations.push_back({4, "a row of its own", kRow});
  auto pg_migrations = PostgresQueueStore::Migrations();
  pg_migrations.push_back({pg_migrations.back().version + 1, "a row of its own", "SELECT 1",
                           [&](postgres::Connection& c) { return c.Exec(kRow); }});
  SeedQueue(dir_.path(), 10);
  {
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/queue.db";
    o.migrations = sqlite_migrations;
    ASSERT_OK(sqlite::Database::Open(o).status());  // queue.db gets the row
  }
  {
    postgres::DatabaseOptions o;
    o.dsn = dsn_;
    o.name = "queue";
    o.migrations = pg_migrations;
    ASSERT_OK(postgres::Database::Open(o).status());  // the target exists, with the row
  }
  MigrateOptions options = Options(dir_.path(), dsn_);
  options.schema_of = [&](const std::string& name) -> Result<ServiceSchema> {
    return ServiceSchema{name, sqlite_migrations, pg_migrations};
  };
  std::vector<std::string> lines;
  options.progress = [&](const std::string& line) { lines.push_back(line); };
  auto report = Migrate(options);
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->verified());
  EXPECT_TRUE(Has(lines,
                  "queue.counters: replacing the 1 row(s) its migrations wrote with "
                  "queue.db's"));
  EXPECT_EQ(PgCount("counters"), 4);  // the seed's 3 and the migration's
}

TEST(ValueTextTest, NormalisesBothSidesToOneSpelling) {
  EXPECT_EQ(Normalise(ColumnKind::kFloat, "0.1"), Normalise(ColumnKind::kFloat, FormatDouble(0.1)));
  EXPECT_EQ(Normalise(ColumnKind::kFloat, "5"), "5");
  EXPECT_NE(Normalise(ColumnKind::kFloat, "0.1"),
            Normalise(ColumnKind::kFloat, FormatDouble(0.1 + 1e-17 * 2)));
  EXPECT_EQ(Normalise(ColumnKind::kBoolean, "t"), "1");
  EXPECT_EQ(Normalise(ColumnKind::kBytes, "\\xAB"), "\\xab");
  EXPECT_EQ(Normalise(ColumnKind::kText, std::nullopt), std::nullopt);
  RowHash null_value, empty, shifted_a, shifted_b;
  null_value.Add(std::nullopt);
  empty.Add(std::string());
  EXPECT_NE(null_value.value(), empty.value());
  shifted_a.Add(std::string("ab"));
  shifted_a.Add(std::string(""));
  shifted_b.Add(std::string("a"));
  shifted_b.Add(std::string("b"));
  EXPECT_NE(shifted_a.value(), shifted_b.value());
}

}  // namespace
}  // namespace csops::migrate
