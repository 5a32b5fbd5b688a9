// The contract of CaseStore (case_store.h) as a gtest suite that every store implementation
// runs unchanged. An implementation's test instantiates it with a factory of fresh stores:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, CaseStoreContract,
//                            ::testing::Values(CaseStoreFactory{"sqlite", MakeSqliteStore}),
//                            CaseStoreName);
//
// and links csops_case_store_contract, an object library (so the linker keeps the test
// registrations) of this fixture and the tests (case_store_contract*_test.cc). The suite
// touches nothing but the CaseStore interface: no SQL, no files.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "services/case/store/case_store.h"

namespace csops::cases {

// Makes stores of one implementation: each call a new, empty store with its schema complete,
// which owns whatever it runs on (files, a database, connections) and releases it when
// destroyed. `name` ends the tests' names (letters, digits and _ only).
struct CaseStoreFactory {
  std::string name;
  std::function<std::unique_ptr<CaseStore>()> make;
};
inline void PrintTo(const CaseStoreFactory& f, std::ostream* os) { *os << f.name; }
inline std::string CaseStoreName(const ::testing::TestParamInfo<CaseStoreFactory>& info) {
  return info.param.name;
}

class CaseStoreContract : public ::testing::TestWithParam<CaseStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // CaseStore::Transact, waiting for `done`; returns the status it got.
  Status Write(std::function<Status(CaseTx&)> fn);
  Status Read(const std::function<Status(CaseTx&)>& fn) { return store_->Read(fn); }

  // A case of branch `branch` and type `type` as the engine registers it: the `seq`-th of
  // 12 Feb 2026, accepted then, with every registration field set; `key` "" for none.
  static CaseRecord NewCase(int seq, const std::string& key, const std::string& branch = "north",
                            const std::string& type = "application");
  // Inserts `c` in a transaction of its own; its id (0 after a failure, which is reported).
  std::int64_t Insert(CaseRecord& c);
  // The case stored under `number` (nullopt if none; a failed read is reported).
  std::optional<CaseRecord> Find(const std::string& number);
  // The acceptance numbers of `cases`, in order.
  static std::vector<std::string> Numbers(const std::vector<CaseRecord>& cases);

  std::unique_ptr<CaseStore> store_;
};

// EXPECTs every field of `got` to equal `want`'s.
void ExpectSameCase(const CaseRecord& got, const CaseRecord& want);

}  // namespace csops::cases
