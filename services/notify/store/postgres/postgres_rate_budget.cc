#include "services/notify/store/postgres/postgres_rate_budget.h"

#include <prometheus/counter.h>

#include <algorithm>
#include <cmath>

namespace csops::notify {
namespace {

// $1 provider, $2 the run's length in seconds (n / rate), $3 the catch-up allowance in seconds.
// The SET list is evaluated once the row is locked, so clock_timestamp() there is later than
// the `at` of every grant before, unless the server's clock stepped back: then `tat` moves back
// by as much (runs stay apart on the new clock, and nobody waits out the step). The answer is
// where the run ends, in seconds after the server's now.
const char* const kGrant = R"sql(
INSERT INTO csops_rate_budget AS b(provider, tat, at)
VALUES($1, clock_timestamp() + $2::float8 * interval '1 second', clock_timestamp())
ON CONFLICT (provider) DO UPDATE SET
  tat = GREATEST(b.tat - GREATEST(b.at - clock_timestamp(), interval '0'),
                 clock_timestamp() - $3::float8 * interval '1 second')
        + $2::float8 * interval '1 second',
  at = clock_timestamp()
RETURNING EXTRACT(EPOCH FROM (tat - clock_timestamp()))::float8)sql";

std::chrono::steady_clock::duration Seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s));
}

}  // namespace

PostgresRateBudget::PostgresRateBudget(postgres::Database& db, std::string provider, double rate,
                                       prometheus::Counter* grants)
    : db_(db),
      provider_(std::move(provider)),
      rate_(rate),
      grants_(grants),
      slots_(Seconds(1.0 / rate), std::max(1, static_cast<int>(std::floor(rate * kBatchSeconds)))) {
}

Result<SteadyTime> PostgresRateBudget::Reserve() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (auto slot = slots_.Take(std::chrono::steady_clock::now())) return *slot;
    if (asking_) {
      // Another thread is asking: its run serves this one too, unless the ask failed.
      const std::uint64_t seen = asks_;
      cv_.wait(lock, [&] { return asks_ != seen; });
      if (!last_ask_.ok()) return last_ask_;
      continue;
    }
    if (!db_.available())
      return Status::Unavailable("PostgreSQL database '" + db_.options().name +
                                 "' is out of reach: no send slots for provider " + provider_);
    asking_ = true;
    const int n = slots_.Want();
    lock.unlock();
    Result<SteadyTime> first = Grant(n);
    lock.lock();
    asking_ = false;
    ++asks_;
    last_ask_ = first.ok() ? Status::Ok() : first.status();
    cv_.notify_all();
    if (!first.ok()) return first.status();
    slots_.Add(*first, n);
  }
}

Result<SteadyTime> PostgresRateBudget::Grant(int n) {
  const double span = n / rate_;
  double ends_in = 0;  // seconds after the server's now
  SteadyTime answered{};
  Status s = db_.Write([&](postgres::Connection& c) -> Status {
    auto rows = c.Query(kGrant, {provider_, span, kCatchUpSeconds});
    if (!rows.ok()) return rows.status();
    // Mapped when the answer arrives, not after COMMIT: the commit's flush would shift the
    // run later than the server placed it.
    answered = std::chrono::steady_clock::now();
    ends_in = rows->Real(0, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("send slots for provider " + provider_);
  if (grants_) grants_->Increment();
  return answered + Seconds(ends_in - span);
}

std::int64_t PostgresRateBudget::lapsed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.lapsed();
}

}  // namespace csops::notify
