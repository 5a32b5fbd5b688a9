// A provider's rate limit for every csopsd replica on one PostgreSQL database (rate_budget.h):
// the row of csops_rate_budget named for the provider (notify migration 3) holds `tat`, the
// instant on the database server's clock at which the slots granted so far end. No other
// coordinator: no lock server, no advisory locks, only this row.
//
// A grant is one statement (an upsert ... RETURNING): for n slots it moves `tat` to
// max(tat, server now - catch-up) + n / rate and answers where the run starts relative to the
// server's now, which this replica maps onto its steady clock when the answer arrives. Runs
// never overlap, so the replicas' slots together begin at most rate per second (see
// rate_budget.h for the bound with lapsed slots: +2 % over one second). A replica asks for
// GrantedSlots::Want() slots, at most rate / 20 (50 ms of the budget), so a busy deployment
// runs about 20 grants a second per provider whatever the number of replicas; a replica that
// sends now and then asks for one slot at a time. Slots it was granted and did not use lapse
// 20 ms after their instant: a killed or idle replica banks nothing, and what it held is
// simply not sent by anyone (the limit errs on the slow side). A run may start in the future:
// each call waiting for a slot holds one, so while the provider is busy `tat` leads the
// server's clock by about (calls waiting in the deployment) / rate, and a call waits for its
// slot holding its max_concurrency place. The answer's travel time shifts a run later on this
// replica by at most one round trip (a fraction of a millisecond on a LAN).
//
// The server's clock is read with clock_timestamp() (the statement's instant, not now(), the
// transaction's start: a grant may share a transaction with other notify writes). The row also
// keeps `at`, that clock at the last grant: if the clock has stepped back since, `tat` moves
// back by as much, so no replica waits out the step and runs stay apart on the new clock.
//
// When the database cannot be reached Reserve() answers kUnavailable at once and the caller
// sends nothing (the dispatcher waits for the store and then leaves the delivery leased; it
// comes due again when the lease ends). Sending on a local guess of the replicas' share
// instead would be pointless: a replica cut off from the database cannot claim deliveries or
// record what it sent either.
//
// max_concurrency is not shared: each replica caps its own calls in flight (ProviderGate).
// Thread safety: Reserve() may be called from any thread; one thread at a time asks the
// database, the others wait for its answer.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "common/postgres/database.h"
#include "services/notify/domain/rate_budget.h"

namespace prometheus {
class Counter;
}

namespace csops::notify {

class PostgresRateBudget final : public RateBudget {
 public:
  // The largest run a replica asks for, in seconds of the budget.
  static constexpr double kBatchSeconds = 0.05;
  // How far before the server's now a run may start, so a lone replica whose last run ended
  // while it asked is not paced below the rate; below RateBudget::kLapse, so those first
  // slots are still usable on arrival.
  static constexpr double kCatchUpSeconds = 0.01;

  // `db` holds the notify schema at version 3 or later and outlives the budget. REQUIRES:
  // rate > 0. `grants` (optional) counts the statements that granted slots.
  PostgresRateBudget(postgres::Database& db, std::string provider, double rate,
                     prometheus::Counter* grants = nullptr);

  Result<SteadyTime> Reserve() override;

  // Slots granted to this replica that lapsed unused.
  std::int64_t lapsed() const;

 private:
  // Asks the database for `n` slots; the run's first instant on this replica's steady clock.
  Result<SteadyTime> Grant(int n);

  postgres::Database& db_;
  const std::string provider_;
  const double rate_;
  prometheus::Counter* const grants_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  GrantedSlots slots_;      // guarded by mu_
  bool asking_ = false;     // guarded by mu_: a thread is waiting for a grant
  std::uint64_t asks_ = 0;  // guarded by mu_: grants answered or failed
  Status last_ask_;         // guarded by mu_: how the last one ended
};

}  // namespace csops::notify
