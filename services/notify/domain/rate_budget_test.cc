// The per-process budget and the runs a shared budget keeps, on a hand-moved steady clock:
// slots 1/rate apart, never a burst after a pause, runs handed out in order, late slots lapse,
// and the size of the next request follows what was used.
#include "services/notify/domain/rate_budget.h"

#include <gtest/gtest.h>

#include "common/base/testutil.h"

namespace csops::notify {
namespace {

using std::chrono::milliseconds;

class FakeSteady {
 public:
  SteadyTime Now() const { return now_; }
  void Advance(std::chrono::steady_clock::duration d) { now_ += d; }
  SteadyNow Fn() {
    return [this] { return now_; };
  }

 private:
  SteadyTime now_ = SteadyTime() + std::chrono::hours(1);
};

TEST(LocalRateBudgetTest, SlotsAreOneOverTheRateApartFromTheFirstAtOnce) {
  FakeSteady clock;
  LocalRateBudget budget(100, clock.Fn());
  const SteadyTime t0 = clock.Now();
  for (int i = 0; i < 5; ++i) {
    auto slot = budget.Reserve();
    ASSERT_OK(slot.status());
    EXPECT_EQ(*slot, t0 + milliseconds(10 * i));
  }
}

TEST(LocalRateBudgetTest, AnIdlePauseBanksNoBurst) {
  FakeSteady clock;
  LocalRateBudget budget(10, clock.Fn());
  ASSERT_OK(budget.Reserve().status());
  clock.Advance(std::chrono::seconds(5));
  const SteadyTime t = clock.Now();
  auto a = budget.Reserve();
  auto b = budget.Reserve();
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  EXPECT_EQ(*a, t);
  EXPECT_EQ(*b, t + milliseconds(100));
}

TEST(LocalRateBudgetTest, OneSecondHoldsNoMoreSlotsThanTheRate) {
  FakeSteady clock;
  LocalRateBudget budget(500, clock.Fn());
  const SteadyTime end = clock.Now() + std::chrono::seconds(1);
  int in_window = 0;
  for (;;) {
    auto slot = budget.Reserve();
    ASSERT_OK(slot.status());
    if (*slot >= end) break;
    ++in_window;
  }
  EXPECT_EQ(in_window, 500);
}

TEST(GrantedSlotsTest, HandsOutARunsSlotsInOrderThenNone) {
  FakeSteady clock;
  GrantedSlots slots(milliseconds(2), 25);
  EXPECT_EQ(slots.Take(clock.Now()), std::nullopt);
  const SteadyTime first = clock.Now() + milliseconds(30);
  slots.Add(first, 3);
  EXPECT_EQ(slots.Take(clock.Now()), first);
  EXPECT_EQ(slots.Take(clock.Now()), first + milliseconds(2));
  EXPECT_EQ(slots.Take(clock.Now()), first + milliseconds(4));
  EXPECT_EQ(slots.Take(clock.Now()), std::nullopt);
  EXPECT_EQ(slots.lapsed(), 0);
}

TEST(GrantedSlotsTest, SlotsPastTheLapseAreDroppedNotSpentAtOnce) {
  FakeSteady clock;
  GrantedSlots slots(milliseconds(2), 25);
  const SteadyTime first = clock.Now();
  slots.Add(first, 20);  // slots at 0, 2, ..., 38 ms
  // At 30 ms, slots up to 10 ms have lapsed (20 ms late or more); 12 ms is the earliest left.
  clock.Advance(milliseconds(30) + std::chrono::microseconds(1));
  EXPECT_EQ(slots.Take(clock.Now()), first + milliseconds(12));
  EXPECT_EQ(slots.lapsed(), 6);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(slots.Take(clock.Now()), std::nullopt);
  EXPECT_EQ(slots.lapsed(), 19);
}

TEST(GrantedSlotsTest, ASlotWithinTheLapseIsStillUsable) {
  FakeSteady clock;
  GrantedSlots slots(milliseconds(2), 25);
  const SteadyTime first = clock.Now();
  slots.Add(first, 1);
  clock.Advance(RateBudget::kLapse);
  EXPECT_EQ(slots.Take(clock.Now()), first);
}

TEST(GrantedSlotsTest, RequestsDoubleWhileRunsAreUsedUpAndShrinkToWhatWasUsed) {
  FakeSteady clock;
  GrantedSlots slots(milliseconds(2), 25);
  EXPECT_EQ(slots.Want(), 1);
  std::vector<int> wants;
  for (int i = 0; i < 7; ++i) {
    const int n = slots.Want();
    wants.push_back(n);
    slots.Add(clock.Now(), n);
    for (int k = 0; k < n; ++k) ASSERT_TRUE(slots.Take(clock.Now()));
  }
  EXPECT_EQ(wants, (std::vector<int>{1, 2, 4, 8, 16, 25, 25}));
  // A run of 25 of which 3 were used before the rest lapsed: ask for 3 next.
  slots.Add(clock.Now(), 25);
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(slots.Take(clock.Now()));
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(slots.Take(clock.Now()), std::nullopt);
  EXPECT_EQ(slots.Want(), 3);
  // None used at all: one slot, not zero.
  slots.Add(clock.Now(), 3);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(slots.Take(clock.Now()), std::nullopt);
  EXPECT_EQ(slots.Want(), 1);
}

}  // namespace
}  // namespace csops::notify
