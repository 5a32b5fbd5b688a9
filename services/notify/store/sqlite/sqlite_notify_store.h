// NotifyStore on one SQLite database (notify.db): the only notify code that writes SQL.
#pragma once

#include "common/sqlite/database.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify {

class SqliteNotifyStore final : public NotifyStore {
 public:
  static std::vector<sqlite::Migration> Migrations();
  explicit SqliteNotifyStore(sqlite::Database& db) : db_(db) {}
  void Transact(std::function<Status(NotifyTx&)> fn,
                std::function<void(const Status&)> done) override;
  Status Read(const std::function<Status(NotifyTx&)>& fn) override;

 private:
  sqlite::Database& db_;
};

}  // namespace csops::notify
