// The real engines on temporary SQLite files with the shipped example config, built once per
// fuzzing process: requests and receipts are fuzzed through the same validation csopsd runs.
#pragma once

#include <filesystem>
#include <future>
#include <memory>

#include "common/config/config.h"
#include "common/sqlite/database.h"
#include "services/case/case_config.h"
#include "services/case/case_engine.h"
#include "services/case/store/sqlite/sqlite_case_store.h"
#include "services/notify/notify_config.h"
#include "services/notify/notify_engine.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"
#include "services/queue/queue_config.h"
#include "services/queue/queue_engine.h"
#include "services/queue/store/sqlite/sqlite_queue_store.h"
#include "tests/fuzz/fuzz_util.h"

namespace csops::fuzz {

template <typename T, typename F>
Result<T> Await(F&& start) {
  std::promise<Result<T>> p;
  auto f = p.get_future();
  start([&p](Result<T> r) { p.set_value(std::move(r)); });
  return f.get();
}

class Engines {
 public:
  static Engines& Get() {
    static Engines* e = new Engines();  // lives for the process, like csopsd's
    return *e;
  }
  FakeClock clock{FromUnixMillis(1771120800000)};  // 2026-02-15 10:00 Taipei
  std::unique_ptr<queue::QueueEngine> queue;
  std::unique_ptr<cases::CaseEngine> cases;
  std::unique_ptr<notify::NotifyEngine> notify;

 private:
  class NoListener final : public queue::QueueListener {
   public:
    void OnCommitted(const std::vector<queue::QueueChange>&) override {}
  };

  static std::unique_ptr<sqlite::Database> Open(const std::string& name,
                                                std::vector<sqlite::Migration> m) {
    sqlite::DatabaseOptions o;
    o.path = TempDir() + "/" + name + ".db";
    o.name = name;
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = std::move(m);
    auto db = sqlite::Database::Open(o);
    if (!db.ok()) std::abort();
    return std::move(*db);
  }

  Engines() {
    auto loaded = LoadConfig(std::string(CSOPS_SOURCE_DIR) + "/deploy/csopsd.textproto");
    if (!loaded.ok()) std::abort();
    qdb_ = Open("queue", queue::SqliteQueueStore::Migrations());
    auto secret = cases::LookupSecret::FromHex(std::string(64, '1'));  // fixed: reproducible runs
    if (!secret.ok()) std::abort();
    cdb_ = Open("case", cases::SqliteCaseStore::Migrations(*secret));
    ndb_ = Open("notify", notify::SqliteNotifyStore::Migrations());
    qstore_ = std::make_unique<queue::SqliteQueueStore>(*qdb_);
    cstore_ = std::make_unique<cases::SqliteCaseStore>(*cdb_);
    nstore_ = std::make_unique<notify::SqliteNotifyStore>(*ndb_);
    queue = std::make_unique<queue::QueueEngine>(clock, *queue::BuildBranchModels(*loaded),
                                                 *qstore_, listener_);
    cases = std::make_unique<cases::CaseEngine>(clock, *cases::BuildCaseConfig(*loaded), *cstore_,
                                                "https://csops.example", *secret);
    notify = std::make_unique<notify::NotifyEngine>(clock, *notify::BuildNotifyConfig(*loaded),
                                                    *nstore_);
  }

  NoListener listener_;
  std::unique_ptr<sqlite::Database> qdb_, cdb_, ndb_;
  std::unique_ptr<queue::SqliteQueueStore> qstore_;
  std::unique_ptr<cases::SqliteCaseStore> cstore_;
  std::unique_ptr<notify::SqliteNotifyStore> nstore_;
};

}  // namespace csops::fuzz
