// How many public look-ups (LookupProgress) a client got wrong lately: the count behind the
// limit of kLimit failures per kWindow that keeps look-up codes from being guessed by brute
// force. A client is who ClientKey (common/auth/client_quota.h) says it is.
//
// The count must hold for the whole deployment (DESIGN.md, "Many replicas"): with several
// csopsd on one PostgreSQL database, PostgresFailureLedger (postgres_lookup_failures.h) keeps
// it in the database; InMemoryFailureLedger keeps it in this process, which is right for
// SQLite, always one process.
//
// Check, then record: two look-ups of one client checked at the same moment may both pass
// before either failure is recorded, so a client with many calls in flight can get a few more
// than kLimit guesses; every one of them is still counted.
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace csops::cases {

class FailureLedger {
 public:
  static constexpr int kLimit = 10;
  static constexpr Duration kWindow = std::chrono::minutes(1);

  virtual ~FailureLedger() = default;
  // True while `client` has fewer than kLimit failures in the kWindow before `now` (a ledger
  // on a database reads the database server's clock instead). kUnavailable when the count
  // cannot be read: the look-up is then refused, never let through uncounted.
  virtual Result<bool> Allowed(const std::string& client, Instant now) = 0;
  // Counts one failure of `client` at `now` (or the database server's clock).
  virtual Status Record(const std::string& client, Instant now) = 0;
};

// The count in this process's memory; a client's failures are forgotten kWindow later.
class InMemoryFailureLedger final : public FailureLedger {
 public:
  Result<bool> Allowed(const std::string& client, Instant now) override;
  Status Record(const std::string& client, Instant now) override;
  // Failures of `client` in the kWindow before `now`; drops older ones.
  int Count(const std::string& client, Instant now);

 private:
  static constexpr std::uint64_t kSweepEvery = 1024;  // records between sweeps of the map

  std::mutex mu_;
  std::map<std::string, std::vector<Instant>> failures_;  // guarded by mu_; none empty
  std::uint64_t records_ = 0;                             // guarded by mu_
};

}  // namespace csops::cases
