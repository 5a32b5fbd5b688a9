// The QueueStore contract suite (DESIGN: "two stores, one contract"): value-parameterised gtest
// cases, in queue_store_contract_test.cc, that every QueueStore implementation must pass through
// the interface alone. An implementation instantiates them with a factory of fresh, empty stores:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, QueueStoreContractTest,
//                            ::testing::Values(QueueStoreFactory{"Sqlite", MakeSqliteStore}),
//                            QueueStoreFactory::Name);
//
// and links the csops_queue_store_contract object library (an object library, so the linker
// keeps the test registrations). Today: store/sqlite/sqlite_queue_store_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/base/testutil.h"
#include "services/queue/store/queue_store.h"

namespace csops::queue {

// A store under test and whatever keeps it alive (a database file, a schema).
class QueueStoreUnderTest {
 public:
  virtual ~QueueStoreUnderTest() = default;
  virtual QueueStore& store() = 0;
};

struct QueueStoreFactory {
  std::string name;  // the instantiation's name, e.g. "Sqlite"
  // A fresh, empty store with the current schema.
  std::function<std::unique_ptr<QueueStoreUnderTest>()> make;

  static std::string Name(const ::testing::TestParamInfo<QueueStoreFactory>& info) {
    return info.param.name;
  }
};

inline void PrintTo(const QueueStoreFactory& f, std::ostream* os) { *os << f.name; }

class QueueStoreContractTest : public ::testing::TestWithParam<QueueStoreFactory> {
 protected:
  static constexpr const char* kBranch = "b1";
  static constexpr const char* kDay = "2026-03-04";

  void SetUp() override { under_test_ = GetParam().make(); }
  QueueStore& store() { return under_test_->store(); }

  // Transact, waiting for the outcome.
  Status Tx(QueueStore::TxFn fn);
  // A waiting ticket of `service` issued (and queued) at `at`, numbered by TakeNumber with
  // first number 1, inserted in its own transaction; the stored row.
  TicketRecord Issue(const std::string& service, Instant at,
                     PriorityClass priority = PriorityClass::kNormal,
                     const std::string& branch = kBranch, const std::string& day = kDay);
  // The stored row of ticket `id` (a failed expectation when absent).
  TicketRecord Stored(std::int64_t id);
  // `before` changed by `change` and saved in its own transaction; the stored row after.
  TicketRecord Save(const TicketRecord& before, const std::function<void(TicketRecord&)>& change);
  ServiceDay Day(const std::string& service, const std::string& branch = kBranch,
                 const std::string& day = kDay);
  NearTurnNotice Notice(const TicketRecord& t, int ahead, Instant at);

  // 09:00 on kDay in Taipei, plus `minutes`.
  static Instant At(int minutes) {
    return Taipei(2026, 3, 4, 9, 0) + std::chrono::minutes(minutes);
  }

 private:
  std::unique_ptr<QueueStoreUnderTest> under_test_;
};

}  // namespace csops::queue
