#include "common/base/wall_clock_wait.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace csops {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Instant kStart = FromUnixMillis(1'771'205'400'000);  // 2026-02-16T01:30:00Z

// Runs WaitUntil(at) on a thread of its own; the future holds its result.
struct Waiting {
  Waiting(const WallClockWaiter& waiter, std::optional<Instant> at) {
    result = std::async(std::launch::async, [this, &waiter, at] {
      std::unique_lock<std::mutex> lock(mu);
      return waiter.WaitUntil(lock, cv, at, [this] { return woken; });
    });
  }
  ~Waiting() { Wake(); }
  void Wake() {
    std::lock_guard<std::mutex> lock(mu);
    woken = true;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;
  std::future<bool> result;
};

TEST(WallClockWaiterTest, NeverSleepsLongerThanASliceWithoutReadingTheClock) {
  FakeClock clock(kStart);
  WallClockWaiter waiter(clock, milliseconds(500));
  EXPECT_EQ(waiter.NextSlice(kStart, kStart + hours(3)), milliseconds(500));
  EXPECT_EQ(waiter.NextSlice(kStart, kStart + milliseconds(120)), milliseconds(120));
  EXPECT_EQ(waiter.NextSlice(kStart, kStart), Duration::zero());
  EXPECT_EQ(waiter.NextSlice(kStart + seconds(1), kStart), Duration::zero());
}

TEST(WallClockWaiterTest, AStepForwardPastTheInstantEndsTheWaitWithinASlice) {
  // Armed three hours ahead; the wall clock then steps four hours forward. A wait measured as
  // a distance would go on for three more hours.
  FakeClock clock(kStart);
  WallClockWaiter waiter(clock, milliseconds(20));
  Waiting w(waiter, kStart + hours(3));
  EXPECT_EQ(w.result.wait_for(milliseconds(100)), std::future_status::timeout);  // asleep
  clock.Set(kStart + hours(4));
  ASSERT_EQ(w.result.wait_for(seconds(5)), std::future_status::ready)
      << "the wait did not notice the wall-clock step";
  EXPECT_FALSE(w.result.get());  // the instant came; nobody woke it
}

TEST(WallClockWaiterTest, AnInstantAlreadyPassedReturnsAtOnce) {
  FakeClock clock(kStart);
  WallClockWaiter waiter(clock);
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_FALSE(waiter.WaitUntil(lock, cv, kStart - seconds(1), [] { return false; }));
  EXPECT_TRUE(waiter.WaitUntil(lock, cv, kStart + hours(1), [] { return true; }));
}

TEST(WallClockWaiterTest, AWakeEndsTheWaitAndSaysSo) {
  FakeClock clock(kStart);
  WallClockWaiter waiter(clock);
  Waiting timed(waiter, kStart + hours(1));
  Waiting untimed(waiter, std::nullopt);
  timed.Wake();
  untimed.Wake();
  ASSERT_EQ(timed.result.wait_for(seconds(5)), std::future_status::ready);
  ASSERT_EQ(untimed.result.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_TRUE(timed.result.get());
  EXPECT_TRUE(untimed.result.get());
}

TEST(WallClockWaiterTest, AStepBackwardDoesNotEndTheWaitEarly) {
  FakeClock clock(kStart);
  WallClockWaiter waiter(clock, milliseconds(5));
  Waiting w(waiter, kStart + seconds(10));
  clock.Set(kStart - hours(1));
  // Several slices pass with the clock before the instant: the wait goes on.
  EXPECT_EQ(w.result.wait_for(milliseconds(100)), std::future_status::timeout);
  clock.Set(kStart + seconds(10));
  ASSERT_EQ(w.result.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_FALSE(w.result.get());
}

}  // namespace
}  // namespace csops
