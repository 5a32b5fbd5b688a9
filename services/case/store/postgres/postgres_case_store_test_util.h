// What the PostgresCaseStore tests share (postgres_case_store_test.cc,
// postgres_case_concurrency_test.cc): a store on a database of its own, cases to insert, and
// transactions to run one at a time or all at once.
#pragma once

#include <absl/time/civil_time.h>
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "common/base/testutil.h"
#include "common/postgres/database.h"
#include "common/postgres/test_cluster.h"
#include "services/case/case_test_util.h"
#include "services/case/domain/acceptance_number.h"
#include "services/case/store/postgres/postgres_case_store.h"

namespace csops::cases {

// A PostgresCaseStore on an empty database of the shared test server, fully migrated, with
// `pool` connections.
class OwnedPostgresCaseStore final : public CaseStore {
 public:
  explicit OwnedPostgresCaseStore(int pool = 4) {
    postgres::DatabaseOptions o;
    o.dsn = postgres::TestCluster::Shared().NewDatabase();
    o.name = "case";
    o.pool_size = pool;
    o.migrations = PostgresCaseStore::Migrations(TestSecret());
    auto db = postgres::Database::Open(std::move(o));
    EXPECT_OK(db.status());
    if (!db.ok()) return;
    db_ = std::move(*db);
    store_ = std::make_unique<PostgresCaseStore>(*db_);
  }
  ~OwnedPostgresCaseStore() override {
    store_.reset();
    if (db_) db_->Close();
  }
  void Transact(std::function<Status(CaseTx&)> fn,
                std::function<void(const Status&)> done) override {
    store_->Transact(std::move(fn), std::move(done));
  }
  void TransactNewCase(const std::string& branch_id, std::function<Status(CaseTx&)> fn,
                       std::function<void(const Status&)> done) override {
    store_->TransactNewCase(branch_id, std::move(fn), std::move(done));
  }
  void TransactFiring(std::function<Status(CaseTx&)> fn,
                      std::function<void(const Status&)> done) override {
    store_->TransactFiring(std::move(fn), std::move(done));
  }
  Status Read(const std::function<Status(CaseTx&)>& fn) override { return store_->Read(fn); }
  postgres::Database& db() { return *db_; }

 private:
  std::unique_ptr<postgres::Database> db_;
  std::unique_ptr<PostgresCaseStore> store_;
};

// The `seq`-th case of branch north on 12 Feb 2026, with CreateCase key `key` ("" for none).
inline CaseRecord NewCase(int seq, const std::string& key) {
  CaseRecord c;
  c.acceptance_number = MakeAcceptanceNumber("NO", absl::CivilDay(2026, 2, 12), seq)->Compact();
  c.branch_id = "north";
  c.business_day = "2026-02-12";
  c.sequence = seq;
  c.type_code = "application";
  c.status = CaseStatus::kAccepted;
  c.received_via = "counter";
  c.summary = "new meter";
  c.applicant = {"王小明",           "01234567890",         "0912345678",
                 "ming@example.com", {NoticeChannel::kSms}, "zh-TW"};
  c.lookup_hash = "hmac1:verifier-" + std::to_string(seq);
  c.accepted_at = Taipei(2026, 2, 12, 9, 0, seq % 60);
  c.idempotency_key = key;
  c.request_fingerprint = "fp-" + std::to_string(seq);
  return c;
}

// Transact, waiting for the outcome.
inline Status Write(CaseStore& store, std::function<Status(CaseTx&)> fn) {
  std::promise<Status> done;
  auto f = done.get_future();
  store.Transact(std::move(fn), [&done](const Status& s) { done.set_value(s); });
  return f.get();
}

// Queues the transactions fn(0, tx) ... fn(n - 1, tx) at once (the pool runs them on its
// connections in parallel) and returns their outcomes, by i. fn may run more than once for
// one i (a retried transaction).
// `firing`: through TransactFiring, as CaseEngine fires SLA events, else Transact.
inline std::vector<Status> WriteAll(CaseStore& store, int n,
                                    const std::function<Status(int, CaseTx&)>& fn,
                                    bool firing = false) {
  std::vector<std::promise<Status>> done(n);
  for (int i = 0; i < n; ++i) {
    auto body = [&fn, i](CaseTx& tx) { return fn(i, tx); };
    auto finished = [&done, i](const Status& s) { done[i].set_value(s); };
    if (firing)
      store.TransactFiring(body, finished);
    else
      store.Transact(body, finished);
  }
  std::vector<Status> out;
  for (auto& d : done) out.push_back(d.get_future().get());
  return out;
}

// Inserts `c` in a transaction of its own; its id (0 after a failure, which is reported).
inline std::int64_t InsertOne(CaseStore& store, const CaseRecord& c) {
  std::int64_t id = 0;
  EXPECT_OK(Write(store, [&](CaseTx& tx) -> Status {
    auto inserted = tx.InsertCase(c);
    if (!inserted.ok()) return inserted.status();
    id = *inserted;
    return Status();
  }));
  return id;
}

}  // namespace csops::cases
