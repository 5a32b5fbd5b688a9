// Runs deliveries: one thread claims due deliveries (as many as there are free workers) and
// hands them to a pool of worker threads, which pace each provider (a send slot from its
// RateBudget at rate_per_second, at most max_concurrency calls in flight in this process),
// call its sender, and record the outcome through the engine. The budget is this process's
// own unless the module passes a shared one (rate_budget.h; on PostgreSQL the limit holds for
// every replica together, while max_concurrency stays per replica). Event-driven: it sleeps until
// the earliest due delivery or until the engine says something new may be due; no periodic scan.
// Due instants are read on the engine's Clock through a WallClockWaiter, so a wall-clock step past
// one is seen within 500 ms.
//
// Each turn of the loop is one pass (RunOnce without the wait for the sends): tick the
// senders, purge expired keys, run the plan steps due, claim the due deliveries and hand them to
// the workers. Unit tests drive passes with RunOnce() on a fake clock, without the threads.
//
// Crash safety comes from the store's leases: a delivery is claimed by moving its due instant
// to the end of a lease, so one whose worker died is due again when the lease ends, and
// Start() releases at once every lease this process's previous run left (on PostgreSQL the
// leases are in the replica's name, so another live replica's are left alone).
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/base/wall_clock_wait.h"
#include "services/notify/channels/sender.h"
#include "services/notify/domain/rate_budget.h"
#include "services/notify/notify_engine.h"

namespace csops::notify {

// Starts calls to one provider no faster than its budget's slots (no budget: unlimited) and
// caps how many run at once in this process. Thread-safe.
class ProviderGate {
 public:
  ProviderGate(std::unique_ptr<RateBudget> budget, int max_concurrency)
      : budget_(std::move(budget)), max_(max_concurrency) {}
  // Blocks until this call may start; pair an OK with Leave(). The budget's error
  // (kUnavailable: its database is away) leaves nothing to pair: the call must not start.
  Status Enter();
  void Leave();

 private:
  const std::unique_ptr<RateBudget> budget_;
  const int max_;
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;  // guarded by mu_
};

// The rate budget of a provider with a rate (rate_per_second > 0).
using RateBudgetFactory = std::function<std::unique_ptr<RateBudget>(const ProviderModel&)>;

// What one pass did.
struct DispatchPass {
  int purged = 0;   // notifications past their key retention, forgotten
  int steps = 0;    // plan steps run
  int claimed = 0;  // deliveries claimed (by RunOnce: sent, and their outcomes recorded)
  // RunOnce: the earliest instant a pending delivery or plan step comes due (nullopt: none).
  std::optional<Instant> next_due;
};

class Dispatcher {
 public:
  // `senders` by provider name; every provider of the engine's config needs one. `budgets`
  // makes the rate budget of each provider with a rate; null: a LocalRateBudget each.
  Dispatcher(NotifyEngine& engine, std::map<std::string, std::unique_ptr<ChannelSender>> senders,
             int workers, Duration lease = std::chrono::minutes(2),
             const RateBudgetFactory& budgets = nullptr);
  ~Dispatcher() { Stop(); }

  // Before Start: purges run only while `gate` answers true (on PostgreSQL, while this replica
  // holds the lease notify.purge, so one replica of the deployment purges). Default: always.
  void OnlyPurgeWhile(std::function<bool()> gate) { purge_gate_ = std::move(gate); }
  // Releases leases of a previous process and starts the threads; kInternal when a provider
  // has no sender.
  Status Start();
  // Stops claiming and waits for the calls in flight to be recorded.
  void Stop();
  // Something may be due now (a commit); cheap, from any thread.
  void Wake();
  int in_flight() const;

  // One pass at the engine clock's now on the calling thread, without the threads of Start():
  // ticks the senders, purges expired keys (at most every 10 minutes), runs the plan steps due,
  // claims up to `workers` due deliveries, sends each (in turn, on this thread) and waits until
  // every outcome is recorded. A delivery the pass made due (the next link of a fallback chain,
  // a retry with no back-off) is for the next pass: next_due says when. A store error of the
  // claim is returned, and kInternal when a provider has no sender; a store error of the purge
  // or the steps is logged, as the loop does.
  // REQUIRES: Start() was not called.
  Result<DispatchPass> RunOnce();

 private:
  Status CheckSenders() const;
  void Loop();
  // The pass up to the sends: returns the claimed deliveries (at most `free`).
  Result<std::vector<DeliveryRecord>> Pass(int free, DispatchPass& did);
  // The earliest due plan step and, with `deliveries`, pending delivery; store errors ignored.
  std::optional<Instant> NextDue(bool deliveries);
  void Run(DeliveryRecord d);
  // Records the outcome of a send, retrying while the store is away; then Finished().
  void Record(DeliveryRecord d, const std::string& provider, const SendOutcome& outcome,
              Duration latency);
  // Waits `pause` (doubling it, up to 2 s) unless that passes `give_up` or Stop() came; true
  // when it waited.
  bool WaitForStore(std::chrono::steady_clock::time_point give_up,
                    std::chrono::milliseconds& pause);
  static bool StoreAway(const Status& s) {
    return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kAborted;
  }
  void Finished();

  NotifyEngine& engine_;
  const WallClockWaiter waiter_;  // on the engine's clock
  std::map<std::string, std::unique_ptr<ChannelSender>> senders_;
  std::map<std::string, std::unique_ptr<ProviderGate>> gates_;
  const int workers_;
  const Duration lease_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
  int in_flight_ = 0;   // guarded by mu_
  std::unique_ptr<boost::asio::thread_pool> pool_;
  Instant last_purge_{};  // the thread of the passes only (the loop's or RunOnce's caller)
  std::function<bool()> purge_gate_;  // set before Start
  std::thread thread_;
};

}  // namespace csops::notify
