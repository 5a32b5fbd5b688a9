// CaseStore on one SQLite database (case.db): the only case code that writes SQL.
#pragma once

#include "common/sqlite/database.h"
#include "services/case/case_store.h"

namespace csops::cases {

class SqliteCaseStore final : public CaseStore {
 public:
  static std::vector<sqlite::Migration> Migrations();
  // The step that gives every SLA event a cursor (see CaseTx::SlaEventsAfter).
  static sqlite::Migration SlaEventLogMigration(int version);
  explicit SqliteCaseStore(sqlite::Database& db) : db_(db) {}
  void Transact(std::function<Status(CaseTx&)> fn,
                std::function<void(const Status&)> done) override;
  Status Read(const std::function<Status(CaseTx&)>& fn) override;

 private:
  sqlite::Database& db_;
};

}  // namespace csops::cases
