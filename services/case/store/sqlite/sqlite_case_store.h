// CaseStore on one SQLite database (case.db): the only case code that writes SQL.
#pragma once

#include "common/sqlite/database.h"
#include "services/case/domain/lookup_code.h"
#include "services/case/store/case_store.h"

namespace csops::cases {

class SqliteCaseStore final : public CaseStore {
 public:
  // `secret` is needed by schema 6, which puts the look-up verifiers under it.
  static std::vector<sqlite::Migration> Migrations(const LookupSecret& secret);
  // The step that gives every SLA event a cursor (see CaseTx::SlaEventsAfter).
  static sqlite::Migration SlaEventLogMigration(int version);
  // FailedPrecondition when `secret` is not the key case.db's verifiers were made with.
  static Status CheckLookupSecret(sqlite::Database& db, const LookupSecret& secret);
  explicit SqliteCaseStore(sqlite::Database& db) : db_(db) {}
  void Transact(std::function<Status(CaseTx&)> fn,
                std::function<void(const Status&)> done) override;
  Status Read(const std::function<Status(CaseTx&)>& fn) override;

 private:
  static Status UpgradeLookupVerifiers(sqlite::Connection& c, const LookupSecret& secret);

  sqlite::Database& db_;
};

}  // namespace csops::cases
