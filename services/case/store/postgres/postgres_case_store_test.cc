// PostgresCaseStore: the CaseStore contract suite, each test on an empty database of a
// throwaway server; the schema against case.db's; the look-up secret check; the look-up links
// of copied outbox rows. The concurrency tests are in postgres_case_concurrency_test.cc.
#include "services/case/store/postgres/postgres_case_store.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/sqlite/database.h"
#include "services/case/store/case_store_contract.h"
#include "services/case/store/postgres/postgres_case_store_test_util.h"
#include "services/case/store/sqlite/sqlite_case_store.h"

namespace csops::cases {
namespace {

INSTANTIATE_TEST_SUITE_P(Postgres, CaseStoreContract,
                         ::testing::Values(CaseStoreFactory{
                             "Postgres",
                             [] { return std::make_unique<OwnedPostgresCaseStore>(); }}),
                         CaseStoreName);

// The first column of every row of `sql` on the store's database.
std::vector<std::string> Select(postgres::Database& db, const std::string& sql) {
  std::vector<std::string> out;
  EXPECT_OK(db.Read([&](postgres::Connection& c) -> Status {
    auto r = c.Query(sql);
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) out.push_back(r->Text(i, 0));
    return Status();
  }));
  return out;
}

// A copy of case.db's tables by name fills this schema: the same tables with the same
// columns in the same order, and the same indexes.
TEST(PostgresCaseStoreTest, TheSchemaHasCaseDbsTablesColumnsAndIndexes) {
  TempDir dir;
  sqlite::DatabaseOptions so;
  so.path = dir.path() + "/case.db";
  so.migrations = SqliteCaseStore::Migrations(TestSecret());
  auto lite = sqlite::Database::Open(so);
  ASSERT_OK(lite.status());
  std::map<std::string, std::vector<std::string>> want_columns;
  std::set<std::string> want_indexes;
  ASSERT_OK((*lite)->Read([&](sqlite::Connection& c) -> Status {
    auto cols = c.Prepare(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid");
    if (!cols.ok()) return cols.status();
    for (;;) {
      auto row = cols->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      want_columns[cols->ColumnText(0)].push_back(cols->ColumnText(1));
    }
    auto idx = c.Prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL");
    if (!idx.ok()) return idx.status();
    for (;;) {
      auto row = idx->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      want_indexes.insert(idx->ColumnText(0));
    }
    return Status();
  }));
  (*lite)->Close();

  OwnedPostgresCaseStore pg;
  std::map<std::string, std::vector<std::string>> got_columns;
  std::set<std::string> got_indexes;
  ASSERT_OK(pg.db().Read([&](postgres::Connection& c) -> Status {
    auto cols = c.Query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE "
        "table_schema = current_schema() AND table_name NOT LIKE 'csops\\_%' "
        "ORDER BY table_name, ordinal_position");
    if (!cols.ok()) return cols.status();
    for (int i = 0; i < cols->size(); ++i)
      got_columns[cols->Text(i, 0)].push_back(cols->Text(i, 1));
    // Indexes created by name (not those of PRIMARY KEY and UNIQUE constraints).
    auto idx = c.Query(
        "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema() AND "
        "i.tablename NOT LIKE 'csops\\_%' AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
        "WHERE k.conname = i.indexname)");
    if (!idx.ok()) return idx.status();
    for (int i = 0; i < idx->size(); ++i) got_indexes.insert(idx->Text(i, 0));
    return Status();
  }));
  EXPECT_EQ(got_columns, want_columns);
  EXPECT_EQ(got_indexes, want_indexes);
}

TEST(PostgresCaseStoreTest, CheckLookupSecretRefusesAnotherKey) {
  OwnedPostgresCaseStore pg;
  EXPECT_OK(PostgresCaseStore::CheckLookupSecret(pg.db(), TestSecret()));
  auto other = LookupSecret::FromHex(std::string(64, '6'));
  ASSERT_OK(other.status());
  EXPECT_EQ(PostgresCaseStore::CheckLookupSecret(pg.db(), *other).code(),
            StatusCode::kFailedPrecondition);
}

// A row copied from a case.db of schema 4 may still hold a look-up link: relaying drops it
// and keeps the rest of the payload (in order); a payload without one is kept byte for byte.
TEST(PostgresCaseStoreTest, RelayingARowDropsALookUpLinkLeftInItsPayload) {
  OwnedPostgresCaseStore pg;
  const std::int64_t id = InsertOne(pg, NewCase(1, "k"));
  ASSERT_GT(id, 0);
  const Instant t = Taipei(2026, 2, 12, 16, 0);
  ASSERT_OK(Write(pg, [&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.InsertOutbox(
        {id, outbox_kind::kAccepted, NoticeChannel::kSms, "0912345678",
         R"({"type":"用電申請","lookup_url":"https://x/lookup?code=ABCDE","z":"1"})", t}));
    return tx.InsertOutbox({id, outbox_kind::kDelay, NoticeChannel::kSms, "0912345678",
                            R"({ "b": "2",  "a": "1" })", t});
  }));
  std::vector<PendingOutboxRow> pending;
  ASSERT_OK(pg.Read([&](CaseTx& tx) -> Status {
    auto p = tx.PendingOutbox(10);
    if (!p.ok()) return p.status();
    pending = std::move(*p);
    return Status();
  }));
  ASSERT_EQ(pending.size(), 2u);
  ASSERT_OK(Write(pg, [&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.MarkOutboxRelayed(pending[0].id, t, ""));
    return tx.MarkOutboxRelayed(pending[1].id, t, "refused");
  }));
  EXPECT_EQ(
      Select(pg.db(), "SELECT payload FROM case_outbox ORDER BY id"),
      (std::vector<std::string>{R"({"type":"用電申請","z":"1"})", R"({ "b": "2",  "a": "1" })"}));
  EXPECT_EQ(Select(pg.db(), "SELECT relay_error FROM case_outbox ORDER BY id"),
            (std::vector<std::string>{"", "refused"}));
}

}  // namespace
}  // namespace csops::cases
