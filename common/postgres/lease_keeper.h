// Keeps one lease (lease.h) for as long as this replica can: a thread takes it when it is free
// and renews it every ttl/3, so among the replicas one holds it and the others take over within
// one ttl of the holder dying. Singleton work asks held() before it starts and passes the epoch
// it got to Fence() inside each write's transaction, so a holder that was paused (SIGSTOP, a long
// GC-like stall, a cut-off network) past its lease writes nothing once it wakes up.
//
// Contract.
// - held() answers the epoch only while the last successful renewal is younger than ttl minus
//   a margin (ttl/5), on this machine's steady clock, measured from when the renewal was sent:
//   the database's lease, measured on its own clock from a later instant, outlives it. So a
//   replica that stopped renewing stops believing it holds the lease before anyone else can
//   take it. held() is a hint, Fence() is the guarantee.
// - A renewal that fails (the database away) is logged once per outage and retried at the next
//   tick; a lease that lapsed meanwhile is taken again only if nobody else took it.
// - Stop() (and the destructor) ends the thread and gives the lease up, so the next holder need
//   not wait for it to expire.
// - csops_lease_held{lease} is 1 on the replica that holds it, 0 on the others.
// Thread safety: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/postgres/database.h"

namespace prometheus {
class Gauge;
class Registry;
}  // namespace prometheus

namespace csops::postgres {

class LeaseKeeper {
 public:
  // `db` must outlive the keeper. `holder` is the replica id. Does not start the thread.
  LeaseKeeper(Database& db, std::string name, std::string holder, std::chrono::milliseconds ttl,
              prometheus::Registry* registry = nullptr);
  ~LeaseKeeper();  // Stop()
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Tries once at once (so a lone replica holds it before Start returns), then keeps trying.
  void Start();
  // Ends the thread and releases the lease if held. Idempotent.
  void Stop();
  // Stops renewing without releasing: what a replica that froze looks like to the others.
  // For tests.
  void Abandon();

  // The epoch held now (see above), or nullopt.
  std::optional<std::int64_t> held() const;
  // In a write's transaction: CheckFence for `epoch` (what held() gave when the work began).
  Status Fence(Connection& c, std::int64_t epoch) const;
  const std::string& name() const { return name_; }
  const std::string& holder() const { return holder_; }

 private:
  void Renew();
  void Loop();
  void Finish(bool release);

  Database& db_;
  const std::string name_;
  const std::string holder_;
  const std::chrono::milliseconds ttl_;
  prometheus::Gauge* gauge_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::int64_t> epoch_;                  // guarded by mu_
  std::chrono::steady_clock::time_point valid_until_;  // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  bool failing_ = false;                               // guarded by mu_
  std::thread thread_;
};

}  // namespace csops::postgres
