// Event-driven SLA timers: an in-memory queue of "check case X at instant T", rebuilt from the
// database at start-up, fed by the engine after every commit, and run by one thread that
// sleeps until the earliest instant. No periodic scan: a warning or breach fires within
// milliseconds of its instant. The instants are wall-clock instants: the thread waits through
// a WallClockWaiter, so when the wall clock steps past an instant the event fires within one
// slice (500 ms) of the step, not after the distance the timer was armed with. Firing is a store
// transaction (CaseEngine::FireDue) that records each event once, so a crash between the timer and
// the commit only delays an event, and an event whose instant passed while csopsd was down fires at
// start-up, marked late. Thread safety: Reschedule may be called from any thread.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <thread>

#include "common/base/wall_clock_wait.h"
#include "services/case/case_engine.h"

namespace csops::cases {

class SlaScheduler {
 public:
  // `wall_check`: the longest the timer thread sleeps without reading the clock again.
  SlaScheduler(const Clock& clock, CaseEngine& engine,
               Duration wall_check = WallClockWaiter::kDefaultSlice)
      : clock_(clock), engine_(engine), waiter_(clock, wall_check) {}
  ~SlaScheduler() { Stop(); }

  // Computes the next event of open cases that have none stored yet (a database from an
  // older version), loads every stored next event, fires what is overdue and starts the timer
  // thread.
  Status Start();
  // Recomputes every open case under the engine's new rules and re-arms its timer (SIGHUP).
  Status Rearm();
  void Stop();
  // The case's next event is at `next` (nullopt: none).
  void Reschedule(const std::string& number, std::optional<Instant> next);
  // Fires every case whose instant has come; returns how many cases it checked. The timer
  // thread calls it; tests with a fake clock call it directly.
  int RunDue();
  std::size_t pending() const;

 private:
  void Loop();

  const Clock& clock_;
  CaseEngine& engine_;
  const WallClockWaiter waiter_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Earliest first; an entry is stale when next_ no longer holds its instant.
  std::priority_queue<std::pair<Instant, std::string>, std::vector<std::pair<Instant, std::string>>,
                      std::greater<>>
      heap_;                             // guarded by mu_
  std::map<std::string, Instant> next_;  // guarded by mu_
  bool stop_ = false;                    // guarded by mu_
  bool woken_ = false;                   // guarded by mu_: Reschedule since the loop looked
  std::thread thread_;
};

}  // namespace csops::cases
