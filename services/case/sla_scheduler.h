// Event-driven SLA timers: an in-memory queue of "check case X at instant T", rebuilt from the
// database at start-up, fed by the engine after every commit, and run by one thread that
// sleeps until the earliest instant. No periodic scan: a warning or breach fires within
// milliseconds of its instant. The instants are wall-clock instants: the thread waits through
// a WallClockWaiter, so when the wall clock steps past an instant the event fires within one
// slice (500 ms) of the step, not after the distance the timer was armed with. Firing is a store
// transaction (CaseEngine::FireDue) that records each event once, so a crash between the timer and
// the commit only delays an event, and an event whose instant passed while csopsd was down fires at
// start-up, marked late.
//
// With several replicas on one database each replica's queue holds the cases its own commits
// armed (and what it loaded at start), so the thread also sweeps the database every
// `sweep_every` for cases whose stored next event is more than `sweep_grace` overdue: those of a
// replica that died, and those whose firing failed here (the database was away). Their owner,
// when alive, fired them at the instant, so a sweep normally finds nothing; when it finds some,
// their event is at most grace + sweep_every late. A case whose firing fails is retried with a
// doubling back-off (1 s to 5 min), so one that cannot fire (its type is no longer configured)
// neither blocks the others nor fills the log. Two replicas firing one case is harmless: each
// event is recorded once, in the database. Thread safety: Reschedule may be called from any
// thread.
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
  static constexpr Duration kSweepEvery = std::chrono::seconds(1);
  static constexpr Duration kSweepGrace = std::chrono::seconds(1);
  static constexpr int kSweepPage = 500;

  // `wall_check`: the longest the timer thread sleeps without reading the clock again.
  SlaScheduler(const Clock& clock, CaseEngine& engine,
               Duration wall_check = WallClockWaiter::kDefaultSlice,
               Duration sweep_every = kSweepEvery, Duration sweep_grace = kSweepGrace)
      : clock_(clock),
        engine_(engine),
        waiter_(clock, wall_check),
        sweep_every_(sweep_every),
        sweep_grace_(sweep_grace) {}
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
  // Fires the cases stored as more than sweep_grace overdue, except those backing off after a
  // failure; returns how many it tried. The timer thread calls it every sweep_every.
  int Sweep();
  std::size_t pending() const;

 private:
  struct Backoff {
    Instant retry_at;
    Duration wait;
  };
  void Loop();
  // Fires `numbers` together and waits for every commit; records failures for the back-off.
  void FireAll(const std::vector<std::string>& numbers);

  const Clock& clock_;
  CaseEngine& engine_;
  const WallClockWaiter waiter_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Earliest first; an entry is stale when next_ no longer holds its instant.
  std::priority_queue<std::pair<Instant, std::string>, std::vector<std::pair<Instant, std::string>>,
                      std::greater<>>
      heap_;                                // guarded by mu_
  std::map<std::string, Instant> next_;     // guarded by mu_
  std::map<std::string, Backoff> failing_;  // guarded by mu_
  const Duration sweep_every_;
  const Duration sweep_grace_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_: Reschedule since the loop looked
  std::thread thread_;
};

}  // namespace csops::cases
