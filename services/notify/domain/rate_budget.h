// How fast one provider may be called: a RateBudget hands out send slots, each an instant on
// the steady clock from which one call may start. The dispatcher's ProviderGate asks it for a
// slot per send and sleeps until the slot's instant.
//
// Two budgets:
// - LocalRateBudget, one process (SQLite, and tests): slots 1/rate apart, no burst. This is the
//   pacing ProviderGate always had.
// - PostgresRateBudget (store/postgres/postgres_rate_budget.h), every replica on one
//   PostgreSQL database: the database hands out runs of slots on its own clock, so the limit
//   holds for the deployment. It keeps the runs it was granted in a GrantedSlots.
//
// Both are a "virtual scheduling" limiter (GCRA): the budget keeps the instant its last slot
// ends (the theoretical arrival time) and grants the next slots from there, never before now
// less a small catch-up allowance; slots never overlap, so in any window of T seconds no more
// than rate * T + 1 slots begin. A slot not used within kLapse of its instant lapses (a worker
// that came late does not spend a backlog at once), so sends in a window T number at most
// rate * (T + kLapse) + 1.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "common/base/status.h"

namespace csops::notify {

using SteadyTime = std::chrono::steady_clock::time_point;
using SteadyNow = std::function<SteadyTime()>;

class RateBudget {
 public:
  // A slot is usable until this long after its instant; then it lapses.
  static constexpr std::chrono::milliseconds kLapse{20};

  virtual ~RateBudget() = default;
  // Takes one send slot and returns its instant (the caller waits until then; it may be now).
  // kUnavailable when the budget's coordinator (the database) cannot be asked: send nothing.
  // May block on the coordinator, never on the slot's instant. Thread-safe.
  virtual Result<SteadyTime> Reserve() = 0;
};

// One process's budget: slots exactly 1/rate apart, the first at once. Thread-safe.
class LocalRateBudget final : public RateBudget {
 public:
  // REQUIRES: rate > 0. `now` is the steady clock unless a test passes its own.
  explicit LocalRateBudget(double rate, SteadyNow now = std::chrono::steady_clock::now);
  Result<SteadyTime> Reserve() override;

 private:
  const std::chrono::steady_clock::duration step_;
  const SteadyNow now_;
  std::mutex mu_;
  SteadyTime next_{};  // guarded by mu_: the instant of the next slot, if not in the past
};

// The runs of slots a shared budget was granted and not yet used (not thread-safe: its owner
// locks). A run is `count` slots, the first at `first`, one every `step`. Take() hands out the
// earliest slot still usable; slots past kLapse are dropped as lapsed. Want() sizes the next
// request: one slot at first, doubling (up to `max_batch`) while runs are used in full, and
// back to what was used after a run that partly lapsed, so a busy replica asks rarely and an
// idle one takes no budget it will not use.
class GrantedSlots {
 public:
  // REQUIRES: step > 0, max_batch >= 1.
  GrantedSlots(std::chrono::steady_clock::duration step, int max_batch);

  // The instant of the earliest usable slot at `now`, taken; nullopt when none is left.
  std::optional<SteadyTime> Take(SteadyTime now);
  // A granted run (count >= 1).
  void Add(SteadyTime first, int count);
  // Slots to ask for next, 1..max_batch.
  int Want() const;
  // Slots dropped unused so far.
  std::int64_t lapsed() const { return lapsed_; }

 private:
  struct Run {
    SteadyTime first;
    int count;
  };
  const std::chrono::steady_clock::duration step_;
  const int max_batch_;
  std::deque<Run> runs_;
  int last_count_ = 0;  // of the last Add; 0: none yet
  int used_ = 0;        // of the runs since the last Add
  int lapsed_run_ = 0;  // of the runs since the last Add
  std::int64_t lapsed_ = 0;
};

}  // namespace csops::notify
