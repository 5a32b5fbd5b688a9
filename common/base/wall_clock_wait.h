// Waiting for a wall-clock instant that the wall clock may jump over.
//
// A timer that means an instant ("the SLA warning is due at 09:00", "tickets expire at day
// start") must not be armed as a distance: std::condition_variable::wait_for measures on the
// monotonic clock, so when the wall clock steps forward (an NTP step, a VM resumed after a
// pause, a clock set by hand) a wait armed for "in 3 hours" still waits 3 hours although the
// instant has passed. A wait_until on std::chrono::system_clock would follow the real clock,
// but not an injected Clock.
//
// WallClockWaiter waits in slices of at most `slice` on the monotonic clock and re-reads
// Clock::Now() after each one, so an instant that a step skipped over is noticed within one
// slice (kDefaultSlice: 500 ms), and a step backwards never makes it return early. The same
// code runs on RealClock in production and on FakeClock in tests, where Set() is the step.
// A slice costs one wake-up of an otherwise idle thread (two a second); nothing is read but
// the clock.
// Thread safety: const and stateless apart from the clock; use from any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "common/base/clock.h"

namespace csops {

class WallClockWaiter {
 public:
  static constexpr Duration kDefaultSlice = std::chrono::milliseconds(500);

  // REQUIRES: slice > 0.
  explicit WallClockWaiter(const Clock& clock, Duration slice = kDefaultSlice)
      : clock_(clock), slice_(slice) {}

  // How long to sleep on the monotonic clock before reading `now` again while waiting for
  // `at`: never longer than the slice; zero once `at` has come.
  Duration NextSlice(Instant now, Instant at) const {
    if (now >= at) return Duration::zero();
    return std::min<Duration>(at - now, slice_);
  }

  // Blocks on `cv` (with `lock` held, as for cv.wait) until `wake()` is true or the clock reads
  // `at` or later. nullopt: no instant; waits for wake() alone. Returns wake()'s last value, so
  // true means "woken", false means "the instant has come". Whoever makes wake() true must
  // notify `cv` under the same mutex.
  template <typename Wake>
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 std::optional<Instant> at, Wake wake) const {
    if (!at) {
      cv.wait(lock, wake);
      return true;
    }
    for (;;) {
      if (wake()) return true;
      const Duration d = NextSlice(clock_.Now(), *at);
      if (d <= Duration::zero()) return false;
      cv.wait_for(lock, d, wake);
    }
  }

  const Clock& clock() const { return clock_; }
  Duration slice() const { return slice_; }

 private:
  const Clock& clock_;
  const Duration slice_;
};

}  // namespace csops
