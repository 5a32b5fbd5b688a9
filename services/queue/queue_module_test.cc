// The daily reset of QueueModule on the wall clock: a step past a branch's day start expires
// the old day's tickets within a second, not after the distance the timer was armed with.
#include "services/queue/queue_module.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/queue/queue_test_util.h"

namespace csops::queue {
namespace {

double ExpiredTotal(prometheus::Registry& registry) {
  double total = 0;
  for (const auto& family : registry.Collect())
    if (family.name == "csops_queue_expired_total")
      for (const auto& m : family.metric) total += m.counter.value;
  return total;
}

TEST(QueueModuleTest, AWallClockStepPastTheDayStartExpiresTheOldDayWithinASecond) {
  TempDir dir;
  FakeClock clock(Taipei(2026, 3, 4, 9, 0));
  prometheus::Registry registry;
  sqlite::DatabaseOptions o;
  o.path = dir.path() + "/queue.db";
  o.synchronous = sqlite::Synchronous::kNormal;
  auto m = QueueModule::Start({o, std::nullopt, ""},
                              {std::make_shared<const BranchModel>(TestBranch())}, registry, clock);
  ASSERT_OK(m.status());
  for (const char* key : {"k1", "k2"}) {
    IssueCommand c{"test", "A", PriorityClass::kNormal, Channel::kKiosk, ContactKind::kNone,
                   "",     key};
    ASSERT_OK(Await<TicketView>([&](auto done) { (*m)->engine().Issue(c, done); }).status());
  }
  // The reset thread goes to sleep, armed 15 hours ahead; nothing expires meanwhile.
  ASSERT_FALSE(
      Eventually([&] { return ExpiredTotal(registry) != 0; }, std::chrono::milliseconds(300)));
  // The wall clock steps from Wed 09:00 to Thu 08:00, over the day start (midnight).
  const auto stepped = std::chrono::steady_clock::now();
  clock.Set(Taipei(2026, 3, 5, 8, 0));
  Eventually([&] { return ExpiredTotal(registry) >= 2; });
  const auto took = std::chrono::steady_clock::now() - stepped;
  ASSERT_EQ(ExpiredTotal(registry), 2) << "yesterday's tickets did not expire within 5 s";
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(took, std::chrono::seconds(1));
#endif
  std::printf(
      "expired %lld ms after the step\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  (*m)->Stop();
}

}  // namespace
}  // namespace csops::queue
