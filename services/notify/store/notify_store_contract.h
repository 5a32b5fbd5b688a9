// The contract of NotifyStore and NotifyTx (notify_store.h) as a value-parameterised gtest suite,
// so every store runs the very same tests. A store's test file instantiates it with a way to
// open an empty store:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, NotifyStoreContract,
//                            ::testing::Values(NotifyStoreImpl{"Sqlite", OpenSqliteStore}),
//                            NotifyStoreImplName);
//
// and links the object library csops_notify_store_contract (services/notify/CMakeLists.txt).
// The tests only use the interface: what a store writes where is its own business.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "common/base/testutil.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify {

// One implementation of NotifyStore under test.
struct NotifyStoreImpl {
  std::string name;  // names the instantiated tests, e.g. "Sqlite"
  // A new, empty store keeping its files (if any) under `dir`, an empty directory that outlives
  // it; nullptr when it cannot be opened.
  std::function<std::unique_ptr<NotifyStore>(const std::string& dir)> open;
};

inline void PrintTo(const NotifyStoreImpl& impl, std::ostream* os) { *os << impl.name; }

// The test-name generator for INSTANTIATE_TEST_SUITE_P.
inline std::string NotifyStoreImplName(const ::testing::TestParamInfo<NotifyStoreImpl>& info) {
  return info.param.name;
}

class NotifyStoreContract : public ::testing::TestWithParam<NotifyStoreImpl> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.path());
    ASSERT_NE(store_, nullptr) << "could not open the " << GetParam().name << " store";
  }

  // Runs `fn` in one write transaction and returns what it returned, once committed (or
  // rolled back).
  template <typename F>
  auto Write(F fn) -> decltype(fn(std::declval<NotifyTx&>())) {
    using R = decltype(fn(std::declval<NotifyTx&>()));
    auto out = std::make_shared<std::optional<R>>();
    std::promise<Status> done;
    store_->Transact(
        [fn, out](NotifyTx& tx) -> Status {
          out->emplace(fn(tx));
          return StatusOf(**out);
        },
        [&done](const Status& s) { done.set_value(s); });
    Status s = done.get_future().get();
    if (!s.ok()) return R(s);
    return std::move(**out);
  }

  // Runs `fn` in a read transaction and returns what it returned.
  template <typename F>
  auto Read(F fn) -> decltype(fn(std::declval<NotifyTx&>())) {
    using R = decltype(fn(std::declval<NotifyTx&>()));
    std::optional<R> out;
    Status s = store_->Read([&](NotifyTx& tx) {
      out.emplace(fn(tx));
      return StatusOf(*out);
    });
    if (!s.ok()) return R(s);
    return std::move(*out);
  }

  // A notification with every field set, accepted at `at`.
  static NotificationRecord Notice(const std::string& key, Instant at,
                                   const std::string& customer = "01234567890");
  // A delivery of notification `id` at `position`.
  static DeliveryRecord Link(std::int64_t id, int position, Channel channel, DeliveryStatus status,
                             Instant due);
  // Inserts a notification and its deliveries (one per status, in order) in one transaction;
  // returns the notification's id.
  std::int64_t Insert(const NotificationRecord& n, const std::vector<DeliveryStatus>& statuses,
                      Instant due, Channel channel = Channel::kEmail);

  static constexpr std::chrono::hours kDay{24};
  // An instant with milliseconds, which every store keeps.
  static inline const Instant kT0 = Taipei(2026, 3, 3, 10, 0, 1) + Duration(234);

  TempDir dir_;
  std::unique_ptr<NotifyStore> store_;

 private:
  static Status StatusOf(const Status& s) { return s; }
  template <typename T>
  static Status StatusOf(const Result<T>& r) {
    return r.status();
  }
};

}  // namespace csops::notify
