// SqliteCaseStore: the CaseStore contract suite on a fresh case.db, and what only SQLite has
// (its schema steps).
#include "services/case/store/sqlite/sqlite_case_store.h"

#include <gtest/gtest.h>

#include "common/base/testutil.h"
#include "services/case/case_test_util.h"
#include "services/case/store/case_store_contract.h"

namespace csops::cases {
namespace {

// A SqliteCaseStore on its own case.db in a temporary directory, fully migrated.
class OwnedSqliteCaseStore final : public CaseStore {
 public:
  OwnedSqliteCaseStore() {
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/case.db";
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = SqliteCaseStore::Migrations(TestSecret());
    auto db = sqlite::Database::Open(o);
    EXPECT_OK(db.status());
    if (!db.ok()) return;
    db_ = std::move(*db);
    store_ = std::make_unique<SqliteCaseStore>(*db_);
  }
  ~OwnedSqliteCaseStore() override {
    store_.reset();
    if (db_) db_->Close();
  }
  void Transact(std::function<Status(CaseTx&)> fn,
                std::function<void(const Status&)> done) override {
    store_->Transact(std::move(fn), std::move(done));
  }
  Status Read(const std::function<Status(CaseTx&)>& fn) override { return store_->Read(fn); }
  sqlite::Database& db() { return *db_; }

 private:
  TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<SqliteCaseStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, CaseStoreContract,
                         ::testing::Values(CaseStoreFactory{
                             "sqlite", [] { return std::make_unique<OwnedSqliteCaseStore>(); }}),
                         CaseStoreName);

std::int64_t Count(sqlite::Database& db, const std::string& sql) {
  std::int64_t n = -1;
  EXPECT_OK(db.Read([&](sqlite::Connection& c) {
    auto st = c.Prepare(sql);
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    n = st->ColumnInt(0);
    return Status();
  }));
  return n;
}

// Schema 6 keeps no look-up code: the table that kept them for CreateCase retries is gone.
TEST(SqliteCaseStoreTest, NoLookUpCodeTableIsLeftAfterTheSchemaSteps) {
  OwnedSqliteCaseStore store;
  EXPECT_EQ(
      Count(store.db(), "SELECT COUNT(*) FROM sqlite_master WHERE name = 'case_create_replies'"),
      0);
  EXPECT_EQ(Count(store.db(), "PRAGMA user_version"), 6);
}

}  // namespace
}  // namespace csops::cases
